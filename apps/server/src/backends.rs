//! Choosing adapters from configuration. Each backend is optional and replaces the
//! in-memory ports it covers:
//!
//! | option | ports |
//! |---|---|
//! | `--redis-url` | scoreboard, player registry, room bus (announcements coalesced per quiz, see [`CoalescingBus`]) |
//! | `--mongo-url` | quiz catalog (behind a 1 s read-through cache), score archive |
//! | `--kafka-brokers` | score event log (the worker applies events to the archive) |
//!
//! Without Kafka, each score event is applied to the archive (memory or MongoDB) before
//! the answer is acknowledged, so the durability promise holds in every combination.

use std::sync::Arc;
use std::time::Duration;

use quiz_core::ports::ScoreArchive;
use quiz_core::service::Ports;
use quiz_memory::MemoryEventLog;

use crate::cache::CachedCatalog;
use crate::coalesce::CoalescingBus;
use crate::config::Config;

/// How long a cached quiz is trusted (see [`CachedCatalog`]).
const CATALOG_TTL: Duration = Duration::from_secs(1);

/// At most one "quiz changed" announcement per quiz per this long goes to Redis: a tenth
/// of the throttle window, at most 50 ms (it must stay well below the window, see
/// [`CoalescingBus`]).
fn announce_interval(throttle_ms: u64) -> Duration {
    Duration::from_millis((throttle_ms / 10).min(50))
}

/// The connected backends.
pub struct Backends {
    /// The ports to run on.
    pub ports: Ports,
    /// One line naming what is in use, for the start-up message.
    pub description: String,
    mongo: Option<quiz_mongo::MongoStore>,
    kafka: Option<Arc<quiz_kafka::KafkaEventLog>>,
}

impl Backends {
    /// Releases connections that need an orderly goodbye (the MongoDB driver ends its
    /// sessions in a background task, which must run before the runtime stops).
    pub async fn shutdown(self) {
        // Queued events would be lost with the producer; their answers were not acknowledged,
        // but flushing lets the ones in flight complete.
        if let Some(k) = self.kafka
            && let Err(e) = k.flush(Duration::from_secs(5)).await
        {
            tracing::warn!(error = %quiz_common::chain(&e), "Kafka flush at shutdown failed");
        }
        if let Some(m) = self.mongo {
            m.shutdown().await;
        }
    }
}

/// Connects the configured backends.
///
/// # Errors
/// A message naming the backend that could not be reached or configured.
pub async fn connect(config: &Config) -> Result<Backends, String> {
    let mut ports = quiz_memory::embedded_adapters();
    let mut used = Vec::new();
    let mut mongo = None;
    let mut kafka = None;

    if let Some(url) = &config.redis_url {
        let target: quiz_redis::RedisTarget = url
            .parse()
            .map_err(|e| format!("--redis-url: {}", quiz_common::chain(&e)))?;
        let described = target.to_string();
        let options = quiz_redis::RedisOptions {
            wait_replicas: config.redis_wait_replicas,
            wait_timeout: Duration::from_millis(config.redis_wait_timeout_ms),
            record_batch: usize::try_from(config.redis_record_batch).unwrap_or(1),
            ..quiz_redis::RedisOptions::default()
        };
        let redis = quiz_redis::RedisAdapters::connect(target, options)
            .await
            .map_err(|e| format!("Redis ({described}): {}", quiz_common::chain(&e)))?;
        ports.scoreboard = redis.scoreboard.clone();
        ports.registry = redis.registry.clone();
        ports.games = redis.games.clone();
        ports.bus = Arc::new(CoalescingBus::new(
            redis.bus.clone(),
            announce_interval(config.throttle_ms),
        ));
        used.push(format!("Redis {described}"));
    }

    if let Some(url) = &config.mongo_url {
        let store = quiz_mongo::MongoStore::connect(url, &config.mongo_db)
            .await
            .map_err(|e| format!("MongoDB: {}", quiz_common::chain(&e)))?;
        mongo = Some(store.clone());
        let store = Arc::new(store);
        ports.catalog = Arc::new(CachedCatalog::new(store.clone(), CATALOG_TTL));
        ports.archive = store;
        used.push(format!("MongoDB database {}", config.mongo_db));
    }

    if let Some(brokers) = &config.kafka_brokers {
        let mut kc = quiz_kafka::KafkaConfig::new(brokers.clone());
        kc.topic = config.kafka_topic.clone();
        kc.partitions = config.kafka_partitions;
        kc.linger = Duration::from_millis(config.kafka_linger_ms);
        kc.compression = config.kafka_compression.into();
        kc.ack_timeout = Duration::from_millis(config.kafka_ack_timeout_ms);
        let log = quiz_kafka::KafkaEventLog::connect(&kc)
            .await
            .map_err(|e| format!("Kafka ({brokers}): {}", quiz_common::chain(&e)))?;
        let log = Arc::new(log);
        kafka = Some(log.clone());
        ports.events = log;
        used.push(format!("Kafka topic {}", config.kafka_topic));
    } else {
        // Durable means "in the archive" when there is no log in between.
        let archive: Arc<dyn ScoreArchive> = ports.archive.clone();
        ports.events = Arc::new(MemoryEventLog::forwarding_to(archive));
    }

    let description = if used.is_empty() {
        "embedded (in memory)".to_owned()
    } else {
        used.join(", ")
    };
    Ok(Backends {
        ports,
        description,
        mongo,
        kafka,
    })
}
