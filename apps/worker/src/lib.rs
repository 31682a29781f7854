//! # quiz-worker
//!
//! The Kafka → MongoDB persister: reads score events from the Kafka topic the servers
//! publish to, applies them in batches to the long-term [`ScoreArchive`], and commits the
//! Kafka offsets of each batch only after the archive write succeeded.
//!
//! ## Guarantees
//!
//! - **No loss**: a batch is committed only after `archive.apply` succeeded; while the
//!   archive is unavailable the batch is retried with capped exponential backoff
//!   ([`WorkerOptions`]), never skipped. A crash at any point leaves the uncommitted events
//!   in Kafka for the next run.
//! - **No double count**: events can be applied more than once (after a crash between
//!   write and commit, a failed commit, or a rebalance); the archive's apply is idempotent
//!   by construction (per player it keeps the event with the highest answer count, each
//!   question's result once), so a repeat is counted as stale and changes nothing.
//! - **One writer per quiz**: events are keyed by quiz id, so each quiz lives in one
//!   partition, and Kafka's consumer group gives each partition to one worker at a time.
//!   That is what keeps the archive's read-modify-write safe on FerretDB, which has no
//!   transactions: two workers never update the same quiz's documents concurrently. (The
//!   one exception is a rebalance during a slow write: the old owner may finish its batch
//!   while the new owner starts; the archive's highest-count-wins rule keeps even that
//!   convergent as long as its updates are conditional.)
//! - **Poison messages** (payloads that are not a valid score event) are skipped, logged,
//!   counted (`quiz_worker_events_skipped_total`) and committed past.
//! - **Graceful shutdown** finishes the batch in hand, writes and commits it, then stops.
//!
//! ## What it is not
//!
//! It serves no API besides `/metrics` and `/healthz`, keeps no state of its own, and does
//! not touch Redis: rebuilding a scoreboard from the archive is the server's job. It does
//! not decide the archive's semantics (that is the `ScoreArchive` port and its adapter).
//!
//! ## Code map
//!
//! - [`run`]: the loop, written against the [`EventSource`] trait and an
//!   `Arc<dyn ScoreArchive>`, so tests drive it with an in-memory source and archive;
//!   [`quiz_kafka::KafkaEventStream`] implements [`EventSource`].
//! - [`telemetry`]: metric names, the Prometheus recorder, logging.
//! - [`http`]: `/metrics` and `/healthz` on poem.
//! - [`instance`]: the default static group membership id (host name and listen address).
//! - `main.rs`: flags (with environment fallbacks) and wiring.
//!
//! ## Tests
//!
//! `cargo test -p quiz-worker`: the loop's unit tests with an in-memory source and
//! `quiz_memory::MemoryArchive` need nothing; `tests/kafka_ferretdb.rs` runs the worker on
//! real Kafka and FerretDB (start them with `cargo xtask services up`, which writes
//! `QUIZ_TEST_KAFKA_BROKERS` and `QUIZ_TEST_MONGO_URL` into `.services/env`). Without the
//! services that test fails; it never skips.

pub mod health;
pub mod http;
pub mod instance;
pub mod source;
pub mod telemetry;
mod worker;

pub use health::{Health, HealthReport};
pub use quiz_core::ports::ScoreArchive;
pub use source::{EventSource, SourceBatch, SourceError};
pub use worker::{RunError, RunReport, WorkerOptions, run};
