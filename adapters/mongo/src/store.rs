//! The store: one driver `Client`, one database, its collections, and the indexes.

use std::fmt;
use std::time::Duration;

use mongodb::bson::{Document, doc};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, IndexModel};

use crate::error::MongoError;

/// Collection of quiz definitions, `_id` = quiz id.
pub(crate) const QUIZZES: &str = "quizzes";
/// Collection of quiz statuses (one small document per quiz, read to revalidate a cache).
pub(crate) const STATUSES: &str = "quiz_status";
/// Legacy collection of one standing per (quiz, player), `_id` = `"<quiz>/<player>"`:
/// written by earlier versions, now only read (see `archive.rs`).
pub(crate) const STANDINGS: &str = "standings";
/// Collection of one result per (quiz, player, question), `_id` = `"<quiz>/<player>/<question>"`.
pub(crate) const ANSWERS: &str = "answers";
/// Collection of one document per image, `_id` = its SHA-256 (see `media.rs`).
pub(crate) const MEDIA: &str = "media";
/// Collection of images' chunks, `_id` = `"<sha>/<n>"`.
pub(crate) const MEDIA_CHUNKS: &str = "media_chunks";

/// Connection settings that are not part of the URL.
///
/// Each timeout applies unless the URL sets its own (`serverSelectionTimeoutMS`,
/// `connectTimeoutMS`): the URL is the operator's explicit choice. The defaults are short
/// so that an unreachable server turns into the ports' `Unavailable` within seconds; the
/// driver's own defaults (30 s server selection) would leave a request hanging far longer
/// than any player waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MongoOptions {
    /// How long an operation waits for a suitable server before failing. Default 5 s.
    pub server_selection_timeout: Duration,
    /// How long opening one TCP connection (and its handshake) may take. Default 3 s.
    pub connect_timeout: Duration,
    /// The application name the server logs for each connection. Default `quiz-mongo`.
    pub app_name: String,
}

impl Default for MongoOptions {
    fn default() -> Self {
        Self {
            server_selection_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            app_name: "quiz-mongo".to_owned(),
        }
    }
}

/// The quiz catalog and the score archive on one MongoDB database.
///
/// Implements both [`QuizCatalog`](quiz_core::ports::QuizCatalog) and
/// [`ScoreArchive`](quiz_core::ports::ScoreArchive). It is cheap to clone (the driver's
/// `Client` is a handle to a shared connection pool), so one store can be wrapped in an
/// `Arc` and handed out as both `Arc<dyn QuizCatalog>` and `Arc<dyn ScoreArchive>`.
#[derive(Clone)]
pub struct MongoStore {
    client: Client,
    database: String,
    pub(crate) quizzes: Collection<Document>,
    pub(crate) statuses: Collection<Document>,
    pub(crate) standings: Collection<Document>,
    pub(crate) answers: Collection<Document>,
    pub(crate) media: Collection<Document>,
    pub(crate) media_chunks: Collection<Document>,
}

impl fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold credentials, so only the database name is shown.
        f.debug_struct("MongoStore")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl MongoStore {
    /// Connects with the default [`MongoOptions`] and makes sure the indexes exist.
    ///
    /// # Errors
    /// [`MongoError::Config`] for a malformed URL or an invalid database name;
    /// [`MongoError::Unavailable`] when the server cannot be reached within the
    /// server-selection timeout or refuses to create the indexes.
    pub async fn connect(url: &str, database: &str) -> Result<Self, MongoError> {
        Self::connect_with(url, database, &MongoOptions::default()).await
    }

    /// Connects with the given options and makes sure the indexes exist
    /// ([`MongoStore::ensure_indexes`]); the first round trip proves the server is there.
    ///
    /// # Errors
    /// As [`MongoStore::connect`].
    pub async fn connect_with(
        url: &str,
        database: &str,
        options: &MongoOptions,
    ) -> Result<Self, MongoError> {
        let store = Self::lazy(url, database, options).await?;
        store.ensure_indexes().await?;
        Ok(store)
    }

    /// Builds the store without talking to the server: for a process that must start while
    /// the database is down. Operations fail with `Unavailable` until the server is back;
    /// call [`MongoStore::ensure_indexes`] once it is.
    ///
    /// # Errors
    /// [`MongoError::Config`] for a malformed URL or an invalid database name. A
    /// `mongodb+srv://` URL is refused: this build has no DNS resolver (the driver's
    /// `dns-resolver` feature is off); list the hosts in a `mongodb://` URL instead.
    pub async fn lazy(
        url: &str,
        database: &str,
        options: &MongoOptions,
    ) -> Result<Self, MongoError> {
        check_database_name(database)?;
        let mut opts = ClientOptions::parse(url)
            .await
            .map_err(|e| MongoError::Config {
                reason: "cannot parse the MongoDB URL".to_owned(),
                source: Some(Box::new(e)),
            })?;
        opts.server_selection_timeout
            .get_or_insert(options.server_selection_timeout);
        opts.connect_timeout.get_or_insert(options.connect_timeout);
        opts.app_name
            .get_or_insert_with(|| options.app_name.clone());
        let client = Client::with_options(opts).map_err(|e| MongoError::Config {
            reason: "the MongoDB client options were refused".to_owned(),
            source: Some(Box::new(e)),
        })?;
        let db = client.database(database);
        Ok(Self {
            quizzes: db.collection(QUIZZES),
            statuses: db.collection(STATUSES),
            standings: db.collection(STANDINGS),
            answers: db.collection(ANSWERS),
            media: db.collection(MEDIA),
            media_chunks: db.collection(MEDIA_CHUNKS),
            database: database.to_owned(),
            client,
        })
    }

    /// Creates the secondary indexes if they are missing (idempotent; safe to run from
    /// every process at start):
    /// - `standings { quiz: 1 }` named `quiz_1`, for reading one quiz's standings;
    /// - `answers { quiz: 1, player: 1 }` named `quiz_1_player_1`, for reading one quiz's
    ///   results (by quiz, or by quiz and player);
    /// - `media_chunks { media: 1, n: 1 }` named `media_1_n_1`, for reading one image's
    ///   chunks in order.
    ///
    /// Uniqueness rests on `_id` alone (always unique): each `_id` is built from the key
    /// that must be unique, so no unique secondary index is needed. That matters on FerretDB
    /// 1.x, whose SQLite backend reports a unique-secondary-index violation on update as an
    /// internal error rather than a duplicate key.
    ///
    /// # Errors
    /// [`MongoError::Unavailable`] when the server is unreachable or refuses an index (for
    /// instance an existing index of the same name with other keys).
    pub async fn ensure_indexes(&self) -> Result<(), MongoError> {
        let named = |keys: Document, name: &str| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).build())
                .build()
        };
        self.standings
            .create_index(named(doc! { "quiz": 1 }, "quiz_1"))
            .await
            .map_err(|e| MongoError::driver("create index standings.quiz_1", e))?;
        self.answers
            .create_index(named(doc! { "quiz": 1, "player": 1 }, "quiz_1_player_1"))
            .await
            .map_err(|e| MongoError::driver("create index answers.quiz_1_player_1", e))?;
        self.media_chunks
            .create_index(named(doc! { "media": 1, "n": 1 }, "media_1_n_1"))
            .await
            .map_err(|e| MongoError::driver("create index media_chunks.media_1_n_1", e))?;
        Ok(())
    }

    /// One round trip to the server (`ping`), for health checks.
    ///
    /// # Errors
    /// [`MongoError::Unavailable`] when the server does not answer in time.
    pub async fn ping(&self) -> Result<(), MongoError> {
        self.client
            .database(&self.database)
            .run_command(doc! { "ping": 1 })
            .await
            .map(drop)
            .map_err(|e| MongoError::driver("ping", e))
    }

    /// Ends the server sessions and closes the connections of this store and all its clones.
    /// Afterwards every call fails with the port's `Unavailable`.
    ///
    /// Call it once when the process is done with the store, while the async runtime is
    /// still running (the server and the worker: at the end of graceful shutdown). Without
    /// it, the driver ends its sessions from a task it spawns when the last handle is
    /// dropped; if the runtime is shutting down at that moment, that task can panic inside
    /// the driver (an `unwrap` on its connection-pool channel; harmless to the data, but
    /// noisy). It does not wait for other in-flight calls.
    pub async fn shutdown(&self) {
        self.client.clone().shutdown().immediate(true).await;
    }

    /// The database this store uses.
    pub fn database(&self) -> &str {
        &self.database
    }
}

/// MongoDB's rules for database names: non-empty, under 64 bytes, none of `/\. "$` or NUL.
fn check_database_name(name: &str) -> Result<(), MongoError> {
    let bad = |reason: String| MongoError::Config {
        reason,
        source: None,
    };
    if name.is_empty() {
        return Err(bad("the database name is empty".to_owned()));
    }
    if name.len() >= 64 {
        return Err(bad(format!(
            "the database name {name:?} is {} bytes long; the limit is 63",
            name.len()
        )));
    }
    if let Some(c) = name.chars().find(|c| "/\\. \"$\0".contains(*c)) {
        return Err(bad(format!(
            "the database name {name:?} contains {c:?}, which MongoDB does not allow"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_follow_mongodb_rules() {
        assert!(check_database_name("quiz").is_ok());
        assert!(check_database_name("quiz_test-1").is_ok());
        for bad in [
            "",
            "a.b",
            "a/b",
            "a b",
            "a$b",
            "a\"b",
            "a\\b",
            &"x".repeat(64),
        ] {
            assert!(
                matches!(check_database_name(bad), Err(MongoError::Config { .. })),
                "{bad:?} should be refused"
            );
        }
    }
}
