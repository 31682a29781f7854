//! [`KafkaEventLog`]: the [`ScoreEventLog`] port on an idempotent Kafka producer.

use std::time::Duration;

use async_trait::async_trait;
use quiz_contracts::event::ScoreEventV1;
use quiz_core::ScoreEvent;
use quiz_core::ports::{PublishError, ScoreEventLog};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use crate::admin::ensure_topic;
use crate::config::KafkaConfig;
use crate::error::{KafkaFailure, SetupError, setup_error, source};

/// How long a readiness check waits for the brokers' metadata.
const READY_TIMEOUT: Duration = Duration::from_millis(800);

/// Publishes score events to one Kafka topic, keyed by quiz id, and returns once all
/// in-sync replicas have them.
///
/// One instance is shared by every request of a process (it is cheap to clone the
/// underlying producer, but there is no need to): librdkafka batches concurrent publishes
/// into the same produce requests.
pub struct KafkaEventLog {
    producer: FutureProducer,
    topic: String,
    /// How long `publish` waits for one delivery report ([`KafkaConfig::ack_timeout`]).
    /// While every broker is down librdkafka often reports its own timeout late (seen:
    /// more than 5 s after `message.timeout.ms`), so this bound decides when the caller
    /// hears "try again". A message given up on here may still be delivered later; the
    /// archive ignores such repeats.
    report_timeout: Duration,
}

impl std::fmt::Debug for KafkaEventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaEventLog")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl KafkaEventLog {
    /// Creates the topic if it is missing (see [`ensure_topic`]) and builds the producer.
    /// Fails when the brokers cannot be reached within the request timeout, so a process
    /// started against a wrong address says so at once.
    ///
    /// # Errors
    /// [`SetupError::Config`] for an invalid configuration; [`SetupError::Unavailable`]
    /// when the brokers cannot be reached or refuse to create the topic.
    pub async fn connect(config: &KafkaConfig) -> Result<Self, SetupError> {
        ensure_topic(config).await?;
        Self::new(config)
    }

    /// Builds the producer without talking to the brokers (librdkafka connects in the
    /// background) and without creating the topic: for deployments where topics are
    /// provisioned separately, and for starting before the brokers are up. Publishes made
    /// while the brokers are unreachable answer `Unavailable` after the delivery timeout.
    ///
    /// # Errors
    /// [`SetupError::Config`] for an invalid configuration.
    pub fn new(config: &KafkaConfig) -> Result<Self, SetupError> {
        config.validate()?;
        let producer: FutureProducer = config
            .base()
            // Idempotence: the broker drops the duplicates librdkafka's own retries would
            // create, and keeps each partition in send order across retries.
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set(
                "queue.buffering.max.messages",
                config.queue_capacity.to_string(),
            )
            .set("message.timeout.ms", config.delivery_timeout_ms())
            .set("linger.ms", config.linger_ms())
            .set("compression.type", config.compression.as_str())
            .create()
            .map_err(|e| setup_error("creating the Kafka producer", &e))?;
        Ok(Self {
            producer,
            topic: config.topic.clone(),
            report_timeout: config.ack_timeout.min(config.delivery_timeout),
        })
    }

    /// The topic events are published to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The fatal error that stopped the producer, if any. With idempotence on, librdkafka
    /// turns some broker answers (an out-of-order sequence it cannot repair) into a fatal
    /// error; every later `publish` then answers `Unavailable`, and only a new
    /// `KafkaEventLog` recovers. A health check can report this.
    pub fn fatal_error(&self) -> Option<String> {
        self.producer
            .client()
            .fatal_error()
            .map(|(code, reason)| format!("{code:?}: {reason}"))
    }

    /// Whether the brokers answer now: the topic's metadata within 800 ms, and no fatal
    /// producer error.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] naming what failed.
    pub async fn ready(&self) -> Result<(), PublishError> {
        if let Some(fatal) = self.fatal_error() {
            return Err(PublishError::Unavailable(
                KafkaFailure::new("the producer", fatal).boxed(),
            ));
        }
        let producer = self.producer.clone();
        let topic = self.topic.clone();
        // `fetch_metadata` blocks its thread until the brokers answer or the timeout.
        tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(Some(&topic), READY_TIMEOUT)
                .map(drop)
        })
        .await
        .map_err(|e| {
            PublishError::Unavailable(KafkaFailure::new("readiness", e.to_string()).boxed())
        })?
        .map_err(|e| PublishError::Unavailable(source("reading the topic's metadata", &e)))
    }

    /// Waits until every message taken so far is delivered or failed, at most `timeout`.
    /// Call it before dropping the log at shutdown: dropping the producer purges what is
    /// still queued (those publishes answer `Unavailable`).
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when messages are still outstanding at the timeout.
    pub async fn flush(&self, timeout: Duration) -> Result<(), PublishError> {
        let producer = self.producer.clone();
        // `flush` blocks its thread while it serves delivery reports.
        tokio::task::spawn_blocking(move || producer.flush(timeout))
            .await
            .map_err(|e| {
                PublishError::Unavailable(KafkaFailure::new("flushing", e.to_string()).boxed())
            })?
            .map_err(|e| PublishError::Unavailable(source("flushing", &e)))
    }
}

#[async_trait]
impl ScoreEventLog for KafkaEventLog {
    async fn ready(&self) -> Result<(), PublishError> {
        KafkaEventLog::ready(self).await
    }

    async fn publish(&self, event: &ScoreEvent) -> Result<(), PublishError> {
        let payload = ScoreEventV1::encode(event).map_err(|e| {
            PublishError::Unavailable(
                KafkaFailure::new("encoding the event", e.to_string()).boxed(),
            )
        })?;
        // The key routes every event of a quiz to one partition: one order, one worker.
        let record = FutureRecord::to(&self.topic)
            .key(event.quiz.as_str())
            .payload(&payload);
        // `send_result` only enqueues: it never waits for room in the local queue.
        let delivery = match self.producer.send_result(record) {
            Ok(delivery) => delivery,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                return Err(PublishError::Backpressure);
            }
            Err((e, _)) => {
                return Err(PublishError::Unavailable(source(
                    "enqueueing the event",
                    &e,
                )));
            }
        };
        match tokio::time::timeout(self.report_timeout, delivery).await {
            Ok(Ok(Ok(_delivery))) => Ok(()),
            Ok(Ok(Err((e, _message)))) => Err(PublishError::Unavailable(source(
                "delivering the event",
                &e,
            ))),
            Ok(Err(_canceled)) => Err(PublishError::Unavailable(
                KafkaFailure::new("delivering the event", "the producer was dropped").boxed(),
            )),
            Err(_elapsed) => Err(PublishError::Unavailable(
                KafkaFailure::new("delivering the event", "no delivery report in time").boxed(),
            )),
        }
    }
}
