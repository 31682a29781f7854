//! The shared conformance suite against the in-memory adapters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use quiz_conformance::events::ReadBack;
use quiz_core::{QuizId, ScoreEvent};
use quiz_memory::{
    MemoryArchive, MemoryBus, MemoryCatalog, MemoryEventLog, MemoryGames, MemoryMedia,
    MemoryRegistry, MemoryScoreboard,
};

mod scoreboard {
    use super::*;
    quiz_conformance::scoreboard_suite!(async { Arc::new(MemoryScoreboard::new()) });
}

mod registry {
    use super::*;
    quiz_conformance::registry_suite!(async { Arc::new(MemoryRegistry::new()) });
}

mod catalog {
    use super::*;
    quiz_conformance::catalog_suite!(async { Arc::new(MemoryCatalog::new()) });
}

mod archive {
    use super::*;
    quiz_conformance::archive_suite!(async { Arc::new(MemoryArchive::new()) });
}

mod media {
    use super::*;
    quiz_conformance::media_suite!(async { Arc::new(MemoryMedia::new()) });
}

mod bus {
    use super::*;
    quiz_conformance::bus_suite!(async { Arc::new(MemoryBus::new()) });
}

mod games {
    use super::*;
    quiz_conformance::games_suite!(async { Arc::new(MemoryGames::new()) });
}

mod pins {
    use super::*;
    quiz_conformance::pins_suite!(async { Arc::new(quiz_memory::MemoryPins::new()) });
}

struct Kept(Arc<MemoryEventLog>);

impl ReadBack for Kept {
    fn read<'a>(
        &'a self,
        quiz: &'a QuizId,
        _n: usize,
    ) -> Pin<Box<dyn Future<Output = Vec<ScoreEvent>> + Send + 'a>> {
        Box::pin(async move {
            self.0
                .events()
                .into_iter()
                .filter(|e| &e.quiz == quiz)
                .collect()
        })
    }
}

mod events {
    use super::*;
    quiz_conformance::event_log_suite!(async {
        let log = Arc::new(MemoryEventLog::new());
        (log.clone(), Kept(log))
    });
}

/// The memory-only backpressure mode reports a full queue with the typed error.
#[tokio::test]
async fn a_full_log_answers_backpressure() {
    use quiz_core::ports::{PublishError, ScoreEventLog};
    let log = MemoryEventLog::with_capacity(1);
    let q = quiz_conformance::unique_quiz("bp");
    let evs = quiz_conformance::archive::events(&q);
    log.publish(&evs[0]).await.unwrap();
    assert!(matches!(
        log.publish(&evs[1]).await,
        Err(PublishError::Backpressure)
    ));
    assert_eq!(log.events().len(), 1);
}

/// The embedded wiring persists each published event to the archive before returning.
#[tokio::test]
async fn embedded_adapters_forward_events_to_the_archive() {
    let ports = quiz_memory::embedded_adapters();
    let q = quiz_conformance::unique_quiz("fwd");
    for e in quiz_conformance::archive::events(&q) {
        ports.events.publish(&e).await.unwrap();
    }
    let standings = ports.archive.standings(&q).await.unwrap();
    assert_eq!(standings.len(), 2);
}
