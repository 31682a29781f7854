//! Connection settings shared by the producer ([`crate::KafkaEventLog`]) and the consumer
//! ([`crate::KafkaEventStream`]).

use std::time::Duration;

use rdkafka::ClientConfig;

use crate::error::SetupError;

/// Where the score-event topic lives and how the clients behave.
///
/// Build it with [`KafkaConfig::new`] and change the fields that differ from the defaults:
///
/// ```
/// # use std::time::Duration;
/// let config = quiz_kafka::KafkaConfig {
///     partitions: 12,
///     delivery_timeout: Duration::from_secs(5),
///     ..quiz_kafka::KafkaConfig::new("kafka-1:9092,kafka-2:9092")
/// };
/// assert_eq!(config.topic, quiz_kafka::DEFAULT_TOPIC);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port` separated by commas.
    pub brokers: String,
    /// The score-event topic.
    pub topic: String,
    /// Partition count used when the topic has to be created. Partitions are the unit of
    /// parallelism of the worker group; an existing topic is never changed.
    pub partitions: i32,
    /// Replication factor used when the topic has to be created (1 for a single broker;
    /// 3 in production, so `acks=all` means "on three brokers").
    pub replication_factor: i32,
    /// How many messages the producer may hold locally (queued or awaiting the broker's
    /// acknowledgement) before `publish` answers `Backpressure`
    /// (`queue.buffering.max.messages`).
    pub queue_capacity: u32,
    /// How long the producer keeps trying to deliver one message before `publish` answers
    /// `Unavailable` (`message.timeout.ms`, retries included).
    pub delivery_timeout: Duration,
    /// How long `publish` waits for the brokers' acknowledgement before answering
    /// `Unavailable` ("try again"), so a player hears it promptly during an outage. The
    /// producer keeps trying to deliver the message in the background up to
    /// [`Self::delivery_timeout`]; a late delivery and the player's retry are one event to
    /// the archive (it is idempotent). Capped at the delivery timeout.
    pub ack_timeout: Duration,
    /// How long the producer waits for more messages to batch with one before sending
    /// (`linger.ms`): latency of a lone publish against requests per second under load.
    pub linger: Duration,
    /// How the producer compresses its batches (`compression.type`): less to send and to
    /// store for some CPU on the producer (and the consumer that decompresses).
    pub compression: Compression,
    /// Bound on each setup or bookkeeping call: topic creation, waiting for the topic's
    /// metadata, and a consumer's offset commit.
    pub request_timeout: Duration,
    /// `client.id` reported to the brokers (shows up in their logs and quotas).
    pub client_id: String,
    /// A consumer's static group membership (`group.instance.id`): a consumer that
    /// restarts with the same id gets its partitions back at once, without waiting for the
    /// session timeout of its previous incarnation or rebalancing the group. Each member
    /// needs its own; a member gone for good keeps its partitions until the session
    /// timeout (45 s) ends. `None`: dynamic membership.
    pub group_instance_id: Option<String>,
}

/// A producer compression codec, each one built into librdkafka as this workspace builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Batches go uncompressed (the default).
    #[default]
    None,
    /// LZ4: fast, modest ratio.
    Lz4,
    /// Snappy.
    Snappy,
    /// Gzip (zlib): the best ratio here, the most CPU.
    Gzip,
}

impl Compression {
    /// librdkafka's name for the codec.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lz4 => "lz4",
            Compression::Snappy => "snappy",
            Compression::Gzip => "gzip",
        }
    }
}

/// The topic name used when none is configured.
pub const DEFAULT_TOPIC: &str = "quiz-score-events";

impl KafkaConfig {
    /// Defaults for everything but the brokers: topic [`DEFAULT_TOPIC`], 6 partitions,
    /// replication factor 1, a local queue of 100 000 messages, a 10 s delivery timeout, a
    /// 2 s acknowledgement bound, librdkafka's 5 ms linger, no compression, a 10 s request
    /// timeout and client id `quiz`.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            topic: DEFAULT_TOPIC.to_owned(),
            partitions: 6,
            replication_factor: 1,
            queue_capacity: 100_000,
            delivery_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(2),
            linger: Duration::from_millis(5),
            compression: Compression::None,
            request_timeout: Duration::from_secs(10),
            client_id: "quiz".to_owned(),
            group_instance_id: None,
        }
    }

    /// Checks what librdkafka would otherwise reject later or interpret surprisingly
    /// (a zero timeout or capacity means "unbounded" to librdkafka).
    pub(crate) fn validate(&self) -> Result<(), SetupError> {
        let bad = |msg: String| Err(SetupError::Config(msg));
        if self.brokers.trim().is_empty() {
            return bad("no Kafka brokers given".into());
        }
        if !valid_topic(&self.topic) {
            return bad(format!(
                "invalid topic name {:?}: 1-249 characters of [a-zA-Z0-9._-]",
                self.topic
            ));
        }
        if self.partitions < 1 {
            return bad(format!(
                "partitions must be at least 1, not {}",
                self.partitions
            ));
        }
        if self.replication_factor < 1 {
            return bad(format!(
                "replication factor must be at least 1, not {}",
                self.replication_factor
            ));
        }
        if self.queue_capacity < 1 || self.queue_capacity > i32::MAX as u32 {
            return bad(format!(
                "queue capacity must be between 1 and {}, not {}",
                i32::MAX,
                self.queue_capacity
            ));
        }
        for (name, d) in [
            ("delivery timeout", self.delivery_timeout),
            ("request timeout", self.request_timeout),
        ] {
            if d < Duration::from_millis(10) || millis(d).is_none() {
                return bad(format!(
                    "{name} must be between 10 ms and ~24 days, not {d:?}"
                ));
            }
        }
        if self.linger >= self.delivery_timeout {
            return bad(format!(
                "linger ({:?}) must be shorter than the delivery timeout ({:?})",
                self.linger, self.delivery_timeout
            ));
        }
        Ok(())
    }

    /// The settings every client (producer, consumer, admin) shares.
    pub(crate) fn base(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id);
        c
    }

    /// [`Self::delivery_timeout`] in whole milliseconds (validated to fit an `i32`).
    pub(crate) fn delivery_timeout_ms(&self) -> String {
        millis(self.delivery_timeout)
            .unwrap_or(i32::MAX)
            .to_string()
    }

    /// [`Self::linger`] in milliseconds, fractions kept (librdkafka takes a float).
    pub(crate) fn linger_ms(&self) -> String {
        format!("{}", self.linger.as_secs_f64() * 1000.0)
    }
}

/// `d` in milliseconds when it fits librdkafka's `i32` settings.
fn millis(d: Duration) -> Option<i32> {
    i32::try_from(d.as_millis()).ok()
}

/// Kafka's own rule for topic names.
fn valid_topic(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 249
        && t != "."
        && t != ".."
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(KafkaConfig::new("127.0.0.1:9092").validate().is_ok());
    }

    #[test]
    fn nonsense_is_refused_up_front() {
        let base = KafkaConfig::new("127.0.0.1:9092");
        let cases = [
            KafkaConfig {
                brokers: " ".into(),
                ..base.clone()
            },
            KafkaConfig {
                topic: "a/b".into(),
                ..base.clone()
            },
            KafkaConfig {
                topic: String::new(),
                ..base.clone()
            },
            KafkaConfig {
                partitions: 0,
                ..base.clone()
            },
            KafkaConfig {
                replication_factor: 0,
                ..base.clone()
            },
            KafkaConfig {
                queue_capacity: 0,
                ..base.clone()
            },
            KafkaConfig {
                delivery_timeout: Duration::ZERO,
                ..base.clone()
            },
            KafkaConfig {
                request_timeout: Duration::from_secs(1 << 40),
                ..base.clone()
            },
            KafkaConfig {
                linger: Duration::from_secs(10),
                ..base.clone()
            },
        ];
        for c in cases {
            assert!(matches!(c.validate(), Err(SetupError::Config(_))), "{c:?}");
        }
    }
}
