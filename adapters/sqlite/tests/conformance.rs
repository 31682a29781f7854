//! The shared conformance suite against the SQLite adapter, each case on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use std::sync::Arc;

mod common;

mod registry {
    use super::*;
    quiz_conformance::registry_suite!(async { Arc::new(common::store("registry")) });
}

mod catalog {
    use super::*;
    quiz_conformance::catalog_suite!(async { Arc::new(common::store("catalog")) });
}

mod archive {
    use super::*;
    quiz_conformance::archive_suite!(async { Arc::new(common::store("archive")) });
}

mod games {
    use super::*;
    quiz_conformance::games_suite!(async { Arc::new(common::store("games")) });
}

mod pins {
    use super::*;
    quiz_conformance::pins_suite!(async { Arc::new(common::store("pins")) });
}
mod media {
    use super::*;
    quiz_conformance::media_suite!(async { Arc::new(common::store("media")) });
}

/// Every port shares one database: the conformance cases again, all on one store (as the
/// server runs them), so a case that only passed on an empty database would fail here.
mod shared {
    use super::*;
    use std::sync::OnceLock;

    fn one() -> Arc<quiz_sqlite::SqliteStore> {
        static STORE: OnceLock<Arc<quiz_sqlite::SqliteStore>> = OnceLock::new();
        STORE
            .get_or_init(|| Arc::new(common::store("shared")))
            .clone()
    }

    mod registry {
        use super::*;
        quiz_conformance::registry_suite!(async { one() });
    }
    mod catalog {
        use super::*;
        quiz_conformance::catalog_suite!(async { one() });
    }
    mod archive {
        use super::*;
        quiz_conformance::archive_suite!(async { one() });
    }
    mod games {
        use super::*;
        quiz_conformance::games_suite!(async { one() });
    }
    mod pins {
        use super::*;
        quiz_conformance::pins_suite!(async { one() });
    }
    mod media {
        use super::*;
        quiz_conformance::media_suite!(async { one() });
    }
}
