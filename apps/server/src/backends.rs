//! Choosing adapters from configuration.
//!
//! With none of the options below, the server is embedded: with `--store sqlite` (the
//! default) the catalog, player registry, score archive, hosted games, their PINs and images
//! are in a SQLite database in `--data-dir` (`quiz-sqlite`); the live scoreboard and the room bus stay in
//! memory, and the scoreboard is rebuilt from the database at start (see
//! [`restore_live_boards`]). The token secret is kept in that database unless given. With
//! `--store memory`, every port is in memory.
//!
//! Each backend is optional and replaces the in-memory ports it covers:
//!
//! | option | ports |
//! |---|---|
//! | `--redis-url` | scoreboard, player registry, hosted games and their PINs, room bus (announcements coalesced per quiz, see [`CoalescingBus`]) |
//! | `--mongo-url` | quiz catalog (behind a 1 s read-through cache), score archive, images |
//! | `--kafka-brokers` | score event log (the worker applies events to the archive) |
//!
//! Without Kafka, each score event is applied to the archive (memory or MongoDB) before
//! the answer is acknowledged, so the durability promise holds in every combination.

use std::sync::Arc;
use std::time::Duration;

use quiz_core::ports::ScoreArchive;
use quiz_core::service::Ports;
use quiz_memory::MemoryEventLog;
use quiz_sqlite::SqliteStore;

use crate::cache::CachedCatalog;
use crate::coalesce::CoalescingBus;
use crate::config::{Config, Store};

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
    /// The token secret kept in the embedded database (`None` when one was given, or
    /// without SQLite).
    pub token_secret: Option<String>,
    mongo: Option<quiz_mongo::MongoStore>,
    kafka: Option<Arc<quiz_kafka::KafkaEventLog>>,
    sqlite: Option<SqliteStore>,
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
        // Every acknowledged write is committed already; this only lets queued ones finish.
        if let Some(s) = self.sqlite {
            s.close();
        }
    }
}

/// The setting that holds the embedded server's token secret.
const TOKEN_SECRET: &str = "token_secret";

/// Opens the embedded database in `--data-dir` and builds the ports on it (see the module
/// docs), with the live boards restored.
async fn embedded(config: &Config) -> Result<Backends, String> {
    let dir = config.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&dir))
        .await
        .map_err(|e| format!("--data-dir: {e}"))?
        .map_err(|e| format!("--data-dir: {e}"))?;
    let shared = Arc::new(store.clone());
    let mut ports = quiz_memory::embedded_adapters();
    ports.catalog = Arc::new(CachedCatalog::new(shared.clone(), CATALOG_TTL));
    ports.registry = shared.clone();
    ports.games = shared.clone();
    ports.pins = shared.clone();
    ports.media = shared.clone();
    ports.archive = shared.clone();
    // The ack of an answer waits for its event's commit (grouped with the others queued).
    ports.events = Arc::new(MemoryEventLog::forwarding_to(shared));
    let token_secret = match config.token_secret {
        Some(_) => None,
        None => Some(
            store
                .setting_or_insert(TOKEN_SECRET, || crate::token::random_hex(32))
                .await
                .map_err(|e| {
                    format!(
                        "{}: token secret: {}",
                        store.path().display(),
                        quiz_common::chain(&e)
                    )
                })?,
        ),
    };
    let players = restore_live_boards(&store, &ports)
        .await
        .map_err(|e| format!("{}: restoring the boards: {e}", store.path().display()))?;
    let path = std::path::absolute(store.path()).unwrap_or_else(|_| store.path().to_owned());
    let description = format!(
        "embedded, data in {} (SQLite, {}; {players} players restored)",
        path.display(),
        if store.created() {
            "created now"
        } else {
            "reopened"
        },
    );
    Ok(Backends {
        ports,
        description,
        token_secret,
        mongo: None,
        kafka: None,
        sqlite: Some(store),
    })
}

/// Rebuilds the in-memory scoreboard of every quiz from the database: the archived
/// standings (totals, tie-break times, answered questions, streaks), then every other
/// registered player at 0 points as they were enrolled at their join, less the players a
/// host removed. Returns how many players are on the boards.
///
/// # Errors
/// A message naming the port that failed.
pub async fn restore_live_boards(store: &SqliteStore, ports: &Ports) -> Result<u64, String> {
    fn chain(e: &dyn std::error::Error) -> String {
        quiz_common::chain(e).to_string()
    }
    let mut on_boards = 0;
    for summary in ports.catalog.list().await.map_err(|e| chain(&e))? {
        let id = &summary.id;
        let Some(quiz) = ports.catalog.get(id).await.map_err(|e| chain(&e))? else {
            continue;
        };
        let created = quiz.created_at();
        let standings = ports.archive.standings(id).await.map_err(|e| chain(&e))?;
        ports
            .scoreboard
            .restore(id, created, &standings)
            .await
            .map_err(|e| chain(&e))?;
        for p in store.players(id).await.map_err(|e| chain(&e))? {
            ports
                .scoreboard
                .enroll(id, created, &p.id, p.joined_at)
                .await
                .map_err(|e| chain(&e))?;
        }
        for p in ports
            .games
            .removed_players(id)
            .await
            .map_err(|e| chain(&e))?
        {
            ports
                .scoreboard
                .remove(id, &p)
                .await
                .map_err(|e| chain(&e))?;
        }
        on_boards += ports.scoreboard.count(id).await.map_err(|e| chain(&e))?;
    }
    Ok(on_boards)
}

/// Connects the configured backends.
///
/// # Errors
/// A message naming the backend that could not be reached or configured.
pub async fn connect(config: &Config) -> Result<Backends, String> {
    let external =
        config.redis_url.is_some() || config.mongo_url.is_some() || config.kafka_brokers.is_some();
    if !external && config.store == Store::Sqlite {
        return embedded(config).await;
    }
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
        ports.pins = redis.pins.clone();
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
        // Images in the same database, so every instance serves every image.
        ports.media = store.clone();
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
        token_secret: None,
        mongo,
        kafka,
        sqlite: None,
    })
}
