//! `quiz-worker`: reads score events from Kafka and persists them to MongoDB.
//!
//! This file only parses the configuration (every flag has an environment-variable
//! fallback; see `--help`), wires [`quiz_kafka::KafkaEventStream`] and
//! [`quiz_mongo::MongoStore`] into [`quiz_worker::run`], serves `/metrics` and `/healthz`,
//! and runs until SIGINT or SIGTERM. What the loop guarantees is documented on the
//! `quiz_worker` library.
//!
//! Run several instances with the same `--kafka-group` to share the load: Kafka's consumer
//! group gives each partition (hence each quiz, as events are keyed by quiz id) to exactly
//! one of them at a time, which is what keeps the archive's read-modify-write on FerretDB
//! safe without transactions. More instances than partitions leaves the extra ones idle.
//!
//! It is not the server: it serves no API, and it never touches Redis.
//!
//! Example (against `cargo xtask services up`):
//!
//! ```text
//! cargo run -p quiz-worker -- --kafka-brokers 127.0.0.1:19092 --mongo-url mongodb://127.0.0.1:27018/
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use quiz_core::ports::ScoreArchive;
use quiz_kafka::{KafkaConfig, KafkaEventStream, SetupError};
use quiz_mongo::{MongoError, MongoStore};
use quiz_worker::telemetry::{self, LogFormat};
use quiz_worker::{Health, WorkerOptions};
use tokio::sync::watch;

/// Kafka → MongoDB persister of quiz score events.
///
/// Applies each batch to the archive, then commits its Kafka offsets; serves Prometheus
/// metrics on /metrics and a health check on /healthz.
#[derive(Debug, Clone, Parser)]
#[command(name = "quiz-worker", version, about, long_about = None)]
struct Config {
    /// Kafka bootstrap brokers, `host:port` separated by commas.
    #[arg(long, env = "QUIZ_KAFKA_BROKERS")]
    kafka_brokers: String,

    /// The score-event topic (created if missing).
    #[arg(long, env = "QUIZ_KAFKA_TOPIC", default_value = quiz_kafka::DEFAULT_TOPIC)]
    kafka_topic: String,

    /// The consumer group shared by all workers.
    #[arg(long, env = "QUIZ_KAFKA_GROUP", default_value = "quiz-worker")]
    kafka_group: String,

    /// This worker's static membership in the group (`group.instance.id`), unique per
    /// worker: restarted with the same id, it gets its partitions back within seconds
    /// instead of after the session timeout (45 s) of its previous run. Default: the host
    /// name and the `--listen` address (`HOST-IP-PORT`), which stay the same across restarts
    /// and differ between two workers on one host. Give one explicitly when a restarted
    /// worker comes back on another host or address; an empty value turns static
    /// membership off. A worker whose id is gone for good keeps its partitions for the
    /// session timeout (45 s).
    #[arg(long, env = "QUIZ_KAFKA_INSTANCE_ID")]
    kafka_instance_id: Option<String>,

    /// Partitions of the topic when this worker has to create it.
    #[arg(long, env = "QUIZ_KAFKA_PARTITIONS", default_value_t = 6, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    kafka_partitions: i32,

    /// Replication factor of the topic when this worker has to create it.
    #[arg(long, env = "QUIZ_KAFKA_REPLICATION", default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=32))]
    kafka_replication: i32,

    /// MongoDB URL (`mongodb://…`); may hold credentials.
    #[arg(long, env = "QUIZ_MONGO_URL", hide_env_values = true)]
    mongo_url: String,

    /// MongoDB database name.
    #[arg(long, env = "QUIZ_MONGO_DB", default_value = "quiz")]
    mongo_db: String,

    /// Largest batch of events applied in one archive write.
    #[arg(long, env = "QUIZ_WORKER_BATCH_MAX", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    batch_max: u64,

    /// How long to wait for a batch to fill, in milliseconds.
    #[arg(long, env = "QUIZ_WORKER_BATCH_WAIT_MS", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    batch_wait_ms: u64,

    /// Address for /metrics and /healthz.
    #[arg(long, env = "QUIZ_WORKER_LISTEN", default_value = "127.0.0.1:3001")]
    listen: SocketAddr,

    /// Log format.
    #[arg(long, env = "QUIZ_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    telemetry::init_logging(config.log_format);
    let metrics = match telemetry::install_metrics() {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed; /metrics stays empty");
            None
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("quiz-worker: cannot listen on {}: {e}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        quiz_common::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });

    let health = Health::new();
    let http = tokio::spawn(quiz_worker::http::serve(
        listener,
        quiz_worker::http::app(metrics, health.clone()),
        stopped(stop_rx.clone()),
    ));
    tracing::info!(listen = %config.listen, "serving /metrics and /healthz");

    let code = work(&config, health, stop_rx).await;
    // The loop is over (stopped, or failed): stop serving too.
    http.abort();
    code
}

/// Connects both ends (retrying while they are unreachable) and runs the loop.
async fn work(config: &Config, health: Health, stop: watch::Receiver<bool>) -> ExitCode {
    let kafka = KafkaConfig {
        topic: config.kafka_topic.clone(),
        partitions: config.kafka_partitions,
        replication_factor: config.kafka_replication,
        client_id: "quiz-worker".to_owned(),
        group_instance_id: quiz_worker::instance::resolve(
            config.kafka_instance_id.as_deref(),
            config.listen,
        ),
        ..KafkaConfig::new(config.kafka_brokers.clone())
    };
    let Some(archive) = connect("MongoDB", &stop, || async {
        MongoStore::connect(&config.mongo_url, &config.mongo_db)
            .await
            .map_err(|e| match e {
                MongoError::Config { .. } => Attempt::Fatal(e.into()),
                other => Attempt::Retry(other.into()),
            })
    })
    .await
    else {
        return ExitCode::FAILURE;
    };
    let store = Arc::new(archive);
    let archive: Arc<dyn ScoreArchive> = store.clone();
    let Some(mut stream) = connect("Kafka", &stop, || async {
        KafkaEventStream::connect(&kafka, &config.kafka_group)
            .await
            .map_err(|e| match e {
                SetupError::Config(_) => Attempt::Fatal(e.into()),
                other => Attempt::Retry(other.into()),
            })
    })
    .await
    else {
        store.shutdown().await;
        return ExitCode::FAILURE;
    };
    tracing::info!(
        topic = %config.kafka_topic,
        group = %config.kafka_group,
        instance_id = kafka.group_instance_id.as_deref().unwrap_or("(dynamic membership)"),
        database = %config.mongo_db,
        "worker started"
    );
    let options = WorkerOptions {
        batch_max: usize::try_from(config.batch_max).unwrap_or(5_000),
        batch_wait: Duration::from_millis(config.batch_wait_ms),
        health,
        ..WorkerOptions::default()
    };
    let result = quiz_worker::run(&mut stream, archive, options, stopped(stop)).await;
    // Leave the group at once so the partitions move to the other workers now, and end
    // the database sessions while the runtime still runs.
    stream.close().await;
    store.shutdown().await;
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quiz-worker: {}", telemetry::chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// One connection attempt's failure.
enum Attempt {
    /// Worth retrying (the service is down or starting).
    Retry(Box<dyn std::error::Error + Send + Sync>),
    /// Not worth retrying (bad configuration).
    Fatal(Box<dyn std::error::Error + Send + Sync>),
}

/// Calls `attempt` until it succeeds, with backoff from 1 s to 30 s; `None` on a fatal
/// error or when shutdown is requested first.
async fn connect<T, F, Fut>(what: &str, stop: &watch::Receiver<bool>, attempt: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, Attempt>>,
{
    let mut delay = Duration::from_secs(1);
    loop {
        if *stop.borrow() {
            return None;
        }
        let result = tokio::select! {
            r = attempt() => r,
            () = stopped(stop.clone()) => return None,
        };
        match result {
            Ok(t) => return Some(t),
            Err(Attempt::Fatal(e)) => {
                eprintln!("quiz-worker: {what}: {}", telemetry::chain(&*e));
                return None;
            }
            Err(Attempt::Retry(e)) => {
                tracing::warn!(error = %telemetry::chain(&*e), retry_in = ?delay, "cannot reach {what}");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stopped(stop.clone()) => return None,
        }
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

/// Completes once shutdown was requested.
async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error means the sender is gone, which also means "stop".
    let _ = stop.wait_for(|s| *s).await;
}
