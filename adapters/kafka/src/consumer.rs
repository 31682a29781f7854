//! [`KafkaEventStream`]: the worker's side of the topic, a consumer-group member that hands
//! out decoded batches and commits exactly the offsets of a batch once told to.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use quiz_contracts::event::ScoreEventV1;
use quiz_core::ScoreEvent;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;

use crate::admin::ensure_topic;
use crate::config::KafkaConfig;
use quiz_contracts::event::DecodeError;

use crate::error::{KafkaFailure, SetupError, StreamError, setup_error, stream_error};

/// How often librdkafka reports statistics, from which [`KafkaEventStream::lag`] is read.
/// librdkafka's granularity is one second.
const STATS_INTERVAL_MS: &str = "1000";

/// Events taken from the stream, plus what to commit once they are safely applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    events: Vec<ScoreEvent>,
    /// Per partition, the offset after the last message of this batch: Kafka's "next offset
    /// to read" convention for commits.
    offsets: BTreeMap<i32, i64>,
    skipped: u64,
}

impl Batch {
    /// The decoded events, in partition order (each quiz's events in publish order).
    pub fn events(&self) -> &[ScoreEvent] {
        &self.events
    }

    /// Per partition, the offset that committing this batch stores (one past its last
    /// message in that partition).
    pub fn offsets(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.offsets.iter().map(|(p, o)| (*p, *o))
    }

    /// Messages in this batch that could not be decoded and were skipped. They still
    /// count for the commit, so a poison message is passed over once and for all.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// True when the batch holds no message at all (nothing to apply, nothing to commit).
    /// A batch of only skipped messages is not empty: it still has offsets to commit.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }
}

/// The last statistics of one partition, as far as lag needs them.
#[derive(Debug, Clone, Copy)]
struct PartitionStats {
    low: i64,
    high: i64,
    committed: i64,
}

/// Receives librdkafka's statistics (served from the consumer's own polling, so no extra
/// thread) and keeps what [`KafkaEventStream::lag`] needs.
struct StreamContext {
    topic: String,
    partitions: Mutex<HashMap<i32, PartitionStats>>,
}

impl ClientContext for StreamContext {
    fn stats(&self, statistics: Statistics) {
        let Some(topic) = statistics.topics.get(&self.topic) else {
            return;
        };
        let snapshot = topic
            .partitions
            .iter()
            // Partition -1 is librdkafka's "unassigned" placeholder.
            .filter(|(p, _)| **p >= 0)
            .map(|(p, s)| {
                (
                    *p,
                    PartitionStats {
                        low: s.lo_offset,
                        high: s.hi_offset,
                        committed: s.committed_offset,
                    },
                )
            })
            .collect();
        *self
            .partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = snapshot;
    }
}

impl ConsumerContext for StreamContext {}

/// A member of a consumer group reading the score-event topic, for the worker.
///
/// Auto-commit is off: nothing is committed until [`commit`](Self::commit) is called with a
/// batch, so a worker that commits after its archive write never loses an event (it may
/// see one again after a crash or rebalance, which the idempotent archive absorbs).
/// The group gives each partition, hence each quiz, to one member at a time.
pub struct KafkaEventStream {
    consumer: Arc<StreamConsumer<StreamContext>>,
    topic: String,
    request_timeout: Duration,
    skipped_total: AtomicU64,
    last_transient_log: std::sync::Mutex<Option<std::time::Instant>>,
}

impl std::fmt::Debug for KafkaEventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaEventStream")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl KafkaEventStream {
    /// Creates the topic if it is missing, joins `group_id` and subscribes. A group with
    /// no committed offsets starts at the beginning of each partition
    /// (`auto.offset.reset=earliest`), so no event published before the first worker
    /// started is missed.
    ///
    /// Must be called inside a Tokio runtime (the consumer keeps a small task on it).
    ///
    /// # Errors
    /// [`SetupError::Config`] for an invalid configuration or group id;
    /// [`SetupError::Unavailable`] when the brokers cannot be reached.
    pub async fn connect(config: &KafkaConfig, group_id: &str) -> Result<Self, SetupError> {
        if group_id.trim().is_empty() {
            return Err(SetupError::Config("the consumer group id is empty".into()));
        }
        ensure_topic(config).await?;
        let context = StreamContext {
            topic: config.topic.clone(),
            partitions: Mutex::new(HashMap::new()),
        };
        let mut client = config.base();
        if let Some(id) = &config.group_instance_id {
            client.set("group.instance.id", id);
        }
        let consumer: StreamConsumer<StreamContext> = client
            .set("group.id", group_id)
            .set("enable.auto.commit", "false")
            // Offsets are committed explicitly from each batch, never from the local store.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("statistics.interval.ms", STATS_INTERVAL_MS)
            .create_with_context(context)
            .map_err(|e| setup_error("creating the Kafka consumer", &e))?;
        consumer
            .subscribe(&[&config.topic])
            .map_err(|e| setup_error("subscribing to the topic", &e))?;
        Ok(Self {
            consumer: Arc::new(consumer),
            topic: config.topic.clone(),
            request_timeout: config.request_timeout,
            skipped_total: AtomicU64::new(0),
            last_transient_log: std::sync::Mutex::new(None),
        })
    }

    /// The topic read.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Takes up to `max_events` messages, waiting at most `max_wait` (an empty batch when
    /// none arrived). Payloads that do not decode as a score event are skipped with a
    /// warning and counted ([`Batch::skipped`], [`Self::skipped_total`]) but still advance
    /// the batch's offsets, so a poison message never blocks its partition.
    ///
    /// Not cancellation safe: dropping the future may lose the messages taken so far from
    /// this consumer's position (they are not committed, so a restarted consumer reads
    /// them again). Do not race it against other futures; it is bounded by `max_wait`.
    ///
    /// Transient consumer errors (a broker down, a transport failure) are logged and polling
    /// goes on until `max_wait`: librdkafka queues such errors among the messages, often
    /// many per second during an outage, and returning on each one made callers back off
    /// per queued error and fall minutes behind after the broker came back.
    ///
    /// # Errors
    /// [`StreamError::Fatal`] when the consumer cannot be used any more (messages in hand
    /// are then dropped uncommitted, to be read again by the next consumer).
    pub async fn next_batch(
        &self,
        max_events: usize,
        max_wait: Duration,
    ) -> Result<Batch, StreamError> {
        let deadline = Instant::now() + max_wait;
        let mut batch = Batch::default();
        let mut taken = 0usize;
        while taken < max_events.max(1) {
            let message = match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                Err(_elapsed) => break,
                Ok(Ok(message)) => message,
                Ok(Err(e)) => {
                    let err = stream_error("receiving", &e);
                    if matches!(err, StreamError::Fatal(_)) {
                        return Err(err);
                    }
                    if !batch.is_empty() {
                        tracing::warn!(error = %e, "Kafka consumer error; returning the batch so far");
                        break;
                    }
                    self.note_transient(&e);
                    continue;
                }
            };
            taken += 1;
            let (partition, offset) = (message.partition(), message.offset());
            batch.offsets.insert(partition, offset.saturating_add(1));
            match message.payload().map(ScoreEventV1::decode) {
                Some(Ok(event)) => batch.events.push(event),
                Some(Err(DecodeError::UnsupportedVersion(v))) => {
                    // Skipping would commit past data a newer reader must apply. Stop
                    // without committing anything of this batch: after an upgrade the
                    // events are read again from the last committed offset.
                    return Err(StreamError::Fatal(
                        KafkaFailure::new(
                            "decoding",
                            format!("score event version {v} at {partition}/{offset} needs a newer reader"),
                        )
                        .boxed(),
                    ));
                }
                Some(Err(reason)) => {
                    self.skip(&mut batch, partition, offset, &reason.to_string());
                }
                None => self.skip(&mut batch, partition, offset, "message without payload"),
            }
        }
        Ok(batch)
    }

    /// Logs a transient consumer error at most once per second (an outage queues many).
    fn note_transient(&self, e: &rdkafka::error::KafkaError) {
        let now = std::time::Instant::now();
        let mut last = self
            .last_transient_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
            *last = Some(now);
            tracing::warn!(error = %e, "Kafka consumer error; still polling");
        }
    }

    fn skip(&self, batch: &mut Batch, partition: i32, offset: i64, reason: &str) {
        batch.skipped += 1;
        self.skipped_total.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            topic = %self.topic,
            partition,
            offset,
            reason,
            "skipping a message that is not a score event"
        );
    }

    /// Commits exactly the batch's offsets, synchronously (returns once the group
    /// coordinator stored them), bounded by the request timeout. Committing an empty
    /// batch does nothing.
    ///
    /// The offsets only ever cover messages of this batch, so a commit never marks as done
    /// an event the caller has not finished with, even when it lands after a rebalance
    /// (then it can at worst move the group back, and the new owner re-reads events the
    /// idempotent archive already holds).
    ///
    /// # Errors
    /// [`StreamError::Rebalanced`] when the partitions were reassigned meanwhile (harmless:
    /// the new owner reads from the previous commit and the archive is idempotent);
    /// [`StreamError::Unavailable`] when the coordinator cannot be reached in time;
    /// [`StreamError::Fatal`].
    pub async fn commit(&self, batch: &Batch) -> Result<(), StreamError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut list = TopicPartitionList::new();
        for (partition, offset) in batch.offsets() {
            list.add_partition_offset(&self.topic, partition, Offset::Offset(offset))
                .map_err(|e| stream_error("building the commit", &e))?;
        }
        let consumer = self.consumer.clone();
        // A synchronous commit blocks its thread until the coordinator answers.
        let commit = tokio::task::spawn_blocking(move || consumer.commit(&list, CommitMode::Sync));
        match tokio::time::timeout(self.request_timeout, commit).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(stream_error("committing offsets", &e)),
            Ok(Err(join)) => Err(StreamError::Unavailable(
                KafkaFailure::new("committing offsets", join.to_string()).boxed(),
            )),
            Err(_elapsed) => Err(StreamError::Unavailable(
                KafkaFailure::new(
                    "committing offsets",
                    "no answer from the coordinator in time",
                )
                .boxed(),
            )),
        }
    }

    /// How many partitions of the topic the group has assigned to this member now
    /// (`None` when the consumer cannot say). 0 while the group is (re)balancing or when
    /// the group has more members than partitions: this member then consumes nothing.
    pub fn assigned(&self) -> Option<usize> {
        let assignment = self.consumer.assignment().ok()?;
        Some(assignment.elements_for_topic(&self.topic).len())
    }

    /// Events waiting in this member's partitions that are not committed yet: per
    /// assigned partition, the high watermark minus the committed offset (or minus the
    /// log start when the group has committed nothing there), summed. Read from
    /// librdkafka's statistics, so it is up to about a second old and costs nothing.
    /// `Some(0)` when no partition is assigned; `None` until statistics cover every
    /// assigned partition.
    pub fn lag(&self) -> Option<u64> {
        let assignment = self.consumer.assignment().ok()?;
        let stats = self
            .consumer
            .context()
            .partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut total = 0u64;
        for element in assignment.elements_for_topic(&self.topic) {
            let s = stats.get(&element.partition())?;
            if s.high < 0 {
                return None;
            }
            let done = if s.committed >= 0 {
                s.committed
            } else {
                s.low.max(0)
            };
            total = total.saturating_add(u64::try_from(s.high - done).unwrap_or(0));
        }
        Some(total)
    }

    /// Messages skipped as undecodable since this stream was created.
    pub fn skipped_total(&self) -> u64 {
        self.skipped_total.load(Ordering::Relaxed)
    }

    /// Leaves the group and closes the consumer. Leaving at once lets the group hand this
    /// member's partitions to the others without waiting for the session timeout. Closing
    /// blocks a thread while librdkafka says goodbye, so it happens on a blocking thread.
    /// Uncommitted messages are not committed.
    pub async fn close(self) {
        let consumer = self.consumer;
        let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
    }
}
