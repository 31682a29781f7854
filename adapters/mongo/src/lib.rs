//! # quiz-mongo
//!
//! The quiz catalog, the long-term score archive and the images on MongoDB: one type,
//! [`MongoStore`], implements [`QuizCatalog`](quiz_core::ports::QuizCatalog),
//! [`ScoreArchive`](quiz_core::ports::ScoreArchive) and
//! [`MediaStore`](quiz_core::ports::MediaStore) (chunked documents, see `media.rs`) over
//! one driver `Client` and one database. It behaves like the reference adapters in `quiz-memory`, and the shared
//! conformance suite holds it to that.
//!
//! **What it is not**: it implements no other port (scoreboard, registry, event log and
//! room bus live in Redis and Kafka), it runs no worker loop (`quiz-worker` calls
//! [`ScoreArchive::apply`](quiz_core::ports::ScoreArchive::apply)), it uses no
//! transactions, and it does not manage the deployment (replica set, users).
//!
//! ## Use
//!
//! The server and the worker build one store from a URL and a database name and share it
//! as both ports:
//!
//! ```no_run
//! # async fn wire() -> Result<(), quiz_mongo::MongoError> {
//! use std::sync::Arc;
//! use quiz_core::ports::{QuizCatalog, ScoreArchive};
//!
//! let store = Arc::new(quiz_mongo::MongoStore::connect("mongodb://127.0.0.1:27017/", "quiz").await?);
//! let catalog: Arc<dyn QuizCatalog> = store.clone();
//! let archive: Arc<dyn ScoreArchive> = store.clone();
//! // ... serve ...
//! store.shutdown().await; // at the end of graceful shutdown, before the runtime stops
//! # Ok(()) }
//! ```
//!
//! [`MongoStore::connect`] creates the indexes, so it fails ([`MongoError::Unavailable`])
//! within the server-selection timeout (5 s by default, see [`MongoOptions`]) when the
//! server is down. [`MongoStore::lazy`] builds the store without I/O for a process that must
//! start anyway; every port call then fails with the port's `Unavailable` until the server
//! is back. No call hangs past the timeouts and no driver error escapes: each becomes the
//! port's `Unavailable`, carrying a [`MongoError`] as its source, except a duplicate key,
//! which has a documented meaning at each place it can occur.
//!
//! ## Documents
//!
//! | collection | `_id` | fields | indexes |
//! |---|---|---|---|
//! | `quizzes` | quiz id | the quiz as serialised by `Quiz`/`QuizDraft` (`id`, `title`, `questions` with their answer keys, `scoring`, `status`, `created_at`) plus `question_count` | `_id` |
//! | `quiz_status` | quiz id | `status`: what every read reports (the `quizzes` document's own `status` counts only for quizzes without one) | `_id` |
//! | `answers` | `"<quiz>/<player>/<question>"` (= the event id) | `event_id`, `quiz`, `player`, `question`, `correct`, `points`, `streak`, `at`, `elapsed_ms` (the answer time; absent from older documents), and the standing the event reported: `name`, `joined_at`, `total`, `answers`, `reached_at` (absent from documents written by earlier versions) | `_id`; `quiz_1_player_1` |
//! | `standings` | `"<quiz>/<player>"` | `quiz`, `player`, `name`, `joined_at` (absent from the oldest), `total`, `answers`, `reached_at`: written by earlier versions, now only read | `_id`; `quiz_1` |
//!
//! Numbers are stored as 64-bit integers; times are milliseconds since the Unix epoch. A
//! stored document that does not read back as a valid domain value (edited by hand, written
//! by something else) makes the call fail with `Unavailable` naming the document; it never
//! panics. Every invariant is enforced by a unique `_id` built from the key that must be
//! unique, so there is no unique secondary index (see [`MongoStore::ensure_indexes`]).
//!
//! A batch of score events is applied idempotently and in any order with one unordered
//! insert into `answers` (a duplicate `_id` means "already kept"); a player's standing is
//! the one carried by their result with the highest answer count (or a legacy `standings`
//! document with a higher one). A repeat that reports a higher count than its result
//! carries (a re-sent answer) raises that result's standing: when a batch has repeats,
//! one `find` by `_id` and one conditional `update` per raised result. `ApplySummary`
//! counts a new result or a raise as applied; the details, and where that differs from
//! `quiz-memory`'s count, are in the comments of `src/archive.rs`.
//!
//! ## MongoDB and FerretDB
//!
//! Deployments use the official `mongo` image; the tests run against FerretDB 1.24 with its
//! SQLite backend, so the adapter sticks to what both do the same way:
//! - no transactions and no `Client::bulk_write` (MongoDB 8 only): `insert_many`
//!   (unordered) for results, one command per status change;
//! - a duplicate `_id` is code 11000 on both, a write error from `insert`;
//! - FerretDB cannot compute `$size` in a find projection, so `quizzes` keeps a
//!   denormalised `question_count` for `list`;
//! - FerretDB reports a *unique secondary index* violated by an update as an internal
//!   error, not 11000: hence no unique secondary indexes;
//! - FerretDB's SQLite backend finds a string `_id` by scanning the collection (and does
//!   not push `{_id, field: {$lt: n}}` down at all, decoding every document), so no hot
//!   path looks a document up: the archive inserts (it reads only for a batch's repeats),
//!   and a quiz's status, which a cache revalidates every second, has its own small
//!   document;
//! - FerretDB's SQLite backend applies an update as read, modify, write the whole
//!   document; nothing here updates one document concurrently (status changes are rare
//!   admin calls, and the archive updates a result only for a repeat that raises it, from
//!   the single worker that owns the quiz's partition), so that is safe there too.
//!
//! ## Tests
//!
//! `cargo test -p quiz-mongo` runs the conformance suite (`catalog_suite!`,
//! `archive_suite!`) and Mongo-specific cases (unreachable server, corrupted document,
//! convergence of shuffled batches) against a real MongoDB-protocol server at
//! `QUIZ_TEST_MONGO_URL` (from the environment or `.services/env`). Start one with
//! `cargo xtask services up` (FerretDB on 127.0.0.1:27018); without it the tests fail,
//! they never skip. Each test uses its own database.

mod archive;
mod catalog;
mod error;
mod media;
mod store;

pub use error::MongoError;
pub use store::{MongoOptions, MongoStore};
