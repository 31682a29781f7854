//! This crate's error types, and the translation of rdkafka's errors into them.
//!
//! rdkafka's `KafkaError` never appears in a public signature: it is rendered into a
//! [`KafkaFailure`] (what failed, librdkafka's code and message) and carried as the opaque
//! source of the ports' `Unavailable` variants.

use quiz_core::ports::Source;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Errors of building a client ([`crate::KafkaEventLog::connect`],
/// [`crate::KafkaEventStream::connect`], [`crate::ensure_topic`]).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configuration is invalid; retrying will not help.
    #[error("invalid Kafka configuration: {0}")]
    Config(String),
    /// The brokers could not be reached or refused the request (topic creation, metadata);
    /// retrying later may help.
    #[error("Kafka unavailable")]
    Unavailable(#[source] Source),
}

/// Errors of the consumer stream ([`crate::KafkaEventStream`]).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// A transient failure (broker down, coordinator moving, timeout); the stream recovers
    /// by itself, so retry after a pause.
    #[error("Kafka consumer unavailable")]
    Unavailable(#[source] Source),
    /// A commit was refused because the group rebalanced and the partitions may belong to
    /// another consumer now. Harmless for an idempotent reader: the new owner reads those
    /// events again from the last committed offset.
    #[error("Kafka consumer group rebalanced; offsets not committed")]
    Rebalanced(#[source] Source),
    /// librdkafka reported a fatal error: this consumer can no longer be used. Drop it and
    /// connect again (or exit and let the supervisor restart the process).
    #[error("Kafka consumer failed fatally")]
    Fatal(#[source] Source),
}

/// A failure reported by librdkafka, rendered without its vendor type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {detail}")]
pub struct KafkaFailure {
    /// What this crate was doing.
    pub context: &'static str,
    /// librdkafka's description, error code included.
    pub detail: String,
}

impl KafkaFailure {
    /// A failure with a free-form description.
    pub(crate) fn new(context: &'static str, detail: impl Into<String>) -> Self {
        Self {
            context,
            detail: detail.into(),
        }
    }

    /// A failure caused by an rdkafka error.
    pub(crate) fn from_kafka(context: &'static str, e: &KafkaError) -> Self {
        Self::new(context, e.to_string())
    }

    /// Boxed as the ports' opaque source.
    pub(crate) fn boxed(self) -> Source {
        Box::new(self)
    }
}

/// Boxes an rdkafka error as an opaque source.
pub(crate) fn source(context: &'static str, e: &KafkaError) -> Source {
    KafkaFailure::from_kafka(context, e).boxed()
}

/// Whether a consumer error means the partitions were taken away by a rebalance.
pub(crate) fn is_rebalance(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::IllegalGeneration
            | RDKafkaErrorCode::UnknownMemberId
            | RDKafkaErrorCode::RebalanceInProgress
            | RDKafkaErrorCode::AssignmentLost
            | RDKafkaErrorCode::StaleMemberEpoch
            | RDKafkaErrorCode::FencedInstanceId
    )
}

/// Whether an rdkafka error is fatal for the client that reported it.
pub(crate) fn is_fatal(e: &KafkaError) -> bool {
    matches!(e, KafkaError::MessageConsumptionFatal(_))
        || e.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal)
}

/// Translates a consumer-side rdkafka error.
pub(crate) fn stream_error(context: &'static str, e: &KafkaError) -> StreamError {
    if is_fatal(e) {
        StreamError::Fatal(source(context, e))
    } else if e.rdkafka_error_code().is_some_and(is_rebalance) {
        StreamError::Rebalanced(source(context, e))
    } else {
        StreamError::Unavailable(source(context, e))
    }
}

/// Translates an error of creating a client: librdkafka refuses a bad setting up front.
pub(crate) fn setup_error(context: &'static str, e: &KafkaError) -> SetupError {
    match e {
        KafkaError::ClientConfig(..) | KafkaError::ClientCreation(_) => {
            SetupError::Config(KafkaFailure::from_kafka(context, e).to_string())
        }
        _ => SetupError::Unavailable(source(context, e)),
    }
}
