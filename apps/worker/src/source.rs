//! Where the worker's events come from: a small trait, so the loop can be tested with an
//! in-memory source, and its implementation by the Kafka consumer stream.

use std::time::Duration;

use async_trait::async_trait;
use quiz_core::ScoreEvent;
use quiz_core::ports::Source;
use quiz_kafka::{Batch, KafkaEventStream, StreamError};

/// Errors of an [`EventSource`].
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A transient failure; the worker retries after a pause.
    #[error("event source unavailable")]
    Unavailable(#[source] Source),
    /// A commit was refused because the partitions moved to another worker. Harmless: the
    /// new owner re-reads from the last commit and the archive is idempotent.
    #[error("event source rebalanced; offsets not committed")]
    Rebalanced(#[source] Source),
    /// The source cannot be used any more; the worker stops with an error.
    #[error("event source failed fatally")]
    Fatal(#[source] Source),
}

/// A batch handed out by an [`EventSource`].
pub trait SourceBatch: Send + Sync {
    /// The decoded events to apply.
    fn events(&self) -> &[ScoreEvent];

    /// Messages the source skipped as undecodable (they still get committed).
    fn skipped(&self) -> u64 {
        0
    }

    /// True when there is nothing to apply and nothing to commit.
    fn is_empty(&self) -> bool;
}

/// A stream of score-event batches with explicit commits: what the worker consumes.
///
/// Contract: a batch that is not committed is handed out again after a restart (or to
/// another worker after a rebalance); a committed one never is.
#[async_trait]
pub trait EventSource: Send {
    /// The batch type.
    type Batch: SourceBatch;

    /// The next batch: up to `max_events` events, waiting at most about `max_wait`
    /// (an empty batch when nothing arrived).
    ///
    /// # Errors
    /// [`SourceError::Unavailable`] (transient) or [`SourceError::Fatal`].
    async fn next_batch(
        &mut self,
        max_events: usize,
        max_wait: Duration,
    ) -> Result<Self::Batch, SourceError>;

    /// Marks `batch` as done, so it is not handed out again.
    ///
    /// # Errors
    /// [`SourceError::Rebalanced`], [`SourceError::Unavailable`] or [`SourceError::Fatal`];
    /// an uncommitted batch is read again later, never lost.
    async fn commit(&mut self, batch: &Self::Batch) -> Result<(), SourceError>;

    /// Events not yet committed in this source's share of the stream, if known.
    fn lag(&self) -> Option<u64> {
        None
    }

    /// How many partitions (shares of the stream) this source reads now, if known; 0 means
    /// it consumes nothing (a rebalance, or more members than partitions).
    fn assigned(&self) -> Option<usize> {
        None
    }
}

impl SourceBatch for Batch {
    fn events(&self) -> &[ScoreEvent] {
        Batch::events(self)
    }

    fn skipped(&self) -> u64 {
        Batch::skipped(self)
    }

    fn is_empty(&self) -> bool {
        Batch::is_empty(self)
    }
}

impl From<StreamError> for SourceError {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Unavailable(s) => Self::Unavailable(s),
            StreamError::Rebalanced(s) => Self::Rebalanced(s),
            StreamError::Fatal(s) => Self::Fatal(s),
        }
    }
}

#[async_trait]
impl EventSource for KafkaEventStream {
    type Batch = Batch;

    async fn next_batch(
        &mut self,
        max_events: usize,
        max_wait: Duration,
    ) -> Result<Batch, SourceError> {
        Ok(KafkaEventStream::next_batch(self, max_events, max_wait).await?)
    }

    async fn commit(&mut self, batch: &Batch) -> Result<(), SourceError> {
        Ok(KafkaEventStream::commit(self, batch).await?)
    }

    fn lag(&self) -> Option<u64> {
        KafkaEventStream::lag(self)
    }

    fn assigned(&self) -> Option<usize> {
        KafkaEventStream::assigned(self)
    }
}
