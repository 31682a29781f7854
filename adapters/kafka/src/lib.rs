//! # quiz-kafka
//!
//! The score-event log on Apache Kafka (through rdkafka / librdkafka): the producer the
//! server publishes each accepted answer's [`ScoreEvent`](quiz_core::ScoreEvent) with, and
//! the consumer stream the worker reads them from.
//!
//! ## Ports implemented
//!
//! - [`ScoreEventLog`](quiz_core::ports::ScoreEventLog) by [`KafkaEventLog`].
//!
//! [`KafkaEventStream`] implements no port: reading the log is the worker's business, and
//! the worker wraps it in its own small source trait.
//!
//! ## Wire format and partitioning
//!
//! One message per event: key = quiz id, payload = [`ScoreEventV1`] JSON
//! (`quiz_contracts::event`). The key sends every event of a quiz to the same partition,
//! so a quiz's events stay in publish order and, in a consumer group, are read by one
//! worker at a time.
//!
//! [`ScoreEventV1`]: quiz_contracts::event::ScoreEventV1
//!
//! ## Delivery guarantees
//!
//! - **Publish** is idempotent-producer Kafka (`enable.idempotence=true`, `acks=all`):
//!   `publish` returns `Ok` only after the broker acknowledged the message from all in-sync
//!   replicas; librdkafka's internal retries never duplicate or reorder within a partition.
//!   A full local queue (`queue.buffering.max.messages`, [`KafkaConfig::queue_capacity`])
//!   answers [`PublishError::Backpressure`](quiz_core::ports::PublishError) at once and the
//!   event is not sent; a delivery that fails or is not confirmed within
//!   [`KafkaConfig::delivery_timeout`] answers `Unavailable` (the event may or may not be on
//!   the topic: the caller retries, and readers dedupe by event id). Nothing blocks and
//!   nothing waits longer than the delivery timeout plus a few seconds.
//! - **Consume** is at-least-once: auto-commit is off; [`KafkaEventStream::commit`] commits
//!   exactly the offsets of a batch the caller has finished with. A crash or a rebalance
//!   before the commit makes the group read those events again. Undecodable messages are
//!   skipped (logged and counted) and committed past, never retried forever.
//!
//! ## What it is not
//!
//! Not a general Kafka wrapper: one topic, one event type. It does not apply events to
//! any store (the worker does), does not use Kafka transactions (the archive's
//! idempotence makes exactly-once unnecessary), and does not manage topic configuration
//! beyond creating the topic when it is missing.
//!
//! ## Tests
//!
//! `cargo test -p quiz-kafka` runs the unit tests and the integration tests in `tests/`
//! against a real broker: the shared `event_log_suite!`, backpressure, an unreachable
//! broker, batch/commit/resume and poison messages. They need Kafka: run
//! `cargo xtask services up` first (it writes `QUIZ_TEST_KAFKA_BROKERS=127.0.0.1:19092`
//! into `.services/env`) or set `QUIZ_TEST_KAFKA_BROKERS`. Without a broker they fail;
//! they never skip. Every test uses its own topic and consumer groups.

mod admin;
mod config;
mod consumer;
mod error;
mod producer;

pub use admin::ensure_topic;
pub use config::{Compression, DEFAULT_TOPIC, KafkaConfig};
pub use consumer::{Batch, KafkaEventStream};
pub use error::{KafkaFailure, SetupError, StreamError};
pub use producer::KafkaEventLog;
