//! Topic creation: the score-event topic is created on first use, with the configured
//! partition count and replication factor, and left alone when it exists.

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

use crate::config::KafkaConfig;
use crate::error::{KafkaFailure, SetupError, setup_error, source};

/// Creates `config.topic` unless it exists, then waits until the brokers' metadata shows
/// every partition with a leader, so a producer or a subscribing consumer that starts next
/// finds it at once (a consumer that subscribes to a topic missing from its metadata only
/// looks again at its next periodic metadata refresh, minutes later).
///
/// An existing topic is never altered, whatever its partition count.
///
/// # Errors
/// [`SetupError::Config`] for an invalid configuration or a topic the brokers refuse to
/// create as asked (bad replication factor, partition count or name);
/// [`SetupError::Unavailable`] when the brokers cannot be reached or do not show the topic
/// within [`KafkaConfig::request_timeout`].
pub async fn ensure_topic(config: &KafkaConfig) -> Result<(), SetupError> {
    config.validate()?;
    let admin: AdminClient<DefaultClientContext> = config
        .base()
        .create()
        .map_err(|e| setup_error("creating the Kafka admin client", &e))?;
    let topic = NewTopic::new(
        &config.topic,
        config.partitions,
        TopicReplication::Fixed(config.replication_factor),
    );
    let options = AdminOptions::new()
        .request_timeout(Some(config.request_timeout))
        .operation_timeout(Some(config.request_timeout));
    // librdkafka bounds the request by `request_timeout`; the outer timeout is a safety net
    // so that this call can never hang.
    let created = tokio::time::timeout(
        config.request_timeout + Duration::from_secs(5),
        admin.create_topics([&topic], &options),
    )
    .await
    .map_err(|_| {
        SetupError::Unavailable(
            KafkaFailure::new("creating the topic", "no answer from the brokers").boxed(),
        )
    })?
    .map_err(|e| SetupError::Unavailable(source("creating the topic", &e)))?;
    for result in created {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) if refuses_config(code) => {
                return Err(SetupError::Config(format!(
                    "the brokers refuse to create topic {name}: {code}"
                )));
            }
            Err((name, code)) => {
                return Err(SetupError::Unavailable(
                    KafkaFailure::new("creating the topic", format!("{name}: {code}")).boxed(),
                ));
            }
        }
    }
    let name = config.topic.clone();
    let timeout = config.request_timeout;
    // Metadata requests block the calling thread; so does dropping the admin client (it
    // joins its polling thread).
    tokio::task::spawn_blocking(move || wait_for_leaders(&admin, &name, timeout))
        .await
        .map_err(|e| {
            SetupError::Unavailable(
                KafkaFailure::new("waiting for topic metadata", e.to_string()).boxed(),
            )
        })?
}

/// Topic-creation answers that mean "not like this" rather than "not now".
fn refuses_config(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::InvalidReplicationFactor
            | RDKafkaErrorCode::InvalidPartitions
            | RDKafkaErrorCode::InvalidTopic
            | RDKafkaErrorCode::InvalidConfig
            | RDKafkaErrorCode::InvalidReplicaAssignment
            | RDKafkaErrorCode::PolicyViolation
            | RDKafkaErrorCode::TopicAuthorizationFailed
    )
}

/// Polls the topic's metadata until every partition has a leader or `timeout` has passed.
fn wait_for_leaders(
    admin: &AdminClient<DefaultClientContext>,
    topic: &str,
    timeout: Duration,
) -> Result<(), SetupError> {
    let deadline = Instant::now() + timeout;
    let mut last = String::from("topic not in the metadata yet");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SetupError::Unavailable(
                KafkaFailure::new("waiting for topic metadata", format!("{topic}: {last}")).boxed(),
            ));
        }
        match admin.inner().fetch_metadata(Some(topic), left) {
            Ok(md) => {
                let ready = md
                    .topics()
                    .iter()
                    .find(|t| t.name() == topic)
                    .and_then(|t| {
                        if let Some(err) = t.error() {
                            last = format!("{:?}", RDKafkaErrorCode::from(err));
                            return None;
                        }
                        let parts = t.partitions();
                        (!parts.is_empty() && parts.iter().all(|p| p.leader() >= 0)).then_some(())
                    });
                if ready.is_some() {
                    return Ok(());
                }
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100).min(left));
    }
}
