//! Command-line configuration: every option is a flag with an environment-variable
//! fallback, and `--help` documents each one.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
pub use quiz_common::LogFormat;

/// The Kafka producer's compression codec (`--kafka-compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KafkaCompression {
    /// Uncompressed.
    None,
    /// LZ4.
    Lz4,
    /// Snappy.
    Snappy,
    /// Gzip.
    Gzip,
}

impl From<KafkaCompression> for quiz_kafka::Compression {
    fn from(c: KafkaCompression) -> Self {
        match c {
            KafkaCompression::None => Self::None,
            KafkaCompression::Lz4 => Self::Lz4,
            KafkaCompression::Snappy => Self::Snappy,
            KafkaCompression::Gzip => Self::Gzip,
        }
    }
}

/// `--public-url`: an `http` or `https` origin with an optional path, at most 200
/// characters, without query, fragment, spaces or control characters; stored without a
/// trailing `/`.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    if raw.len() > 200 {
        return Err("must be at most 200 characters".into());
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    if raw.contains(['?', '#', '"', '<', '>', '\\']) {
        return Err("must not contain a query, a fragment, quotes, <, > or \\".into());
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err("must name a host (and no user)".into());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// Where the embedded server keeps its data (`--store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Store {
    /// On disk: a SQLite database in `--data-dir`.
    Sqlite,
    /// In process memory: everything is lost when the server stops (tests, benchmarks).
    Memory,
}

/// The quiz server.
///
/// With no options it runs everything in this process, keeps its data in `quiz-data/`
/// (SQLite), serves the web client on http://127.0.0.1:3000 with a demo quiz, and prints the
/// admin key.
#[derive(Debug, Clone, Parser)]
#[command(name = "quiz-server", version, about, long_about = None)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "QUIZ_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Admin key required to create, open and close quizzes. Generated and printed at start
    /// when not given.
    #[arg(long, env = "QUIZ_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    /// Secret that signs player tokens (at least 32 characters). Every instance behind one
    /// load balancer needs the same secret. When not given: the embedded server on SQLite
    /// generates one on first start and keeps it in its database (old tokens stay valid
    /// across restarts); otherwise random per process.
    #[arg(long, env = "QUIZ_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// How long a player token stays valid, in hours.
    #[arg(long, env = "QUIZ_TOKEN_TTL_HOURS", default_value_t = 24)]
    pub token_ttl_hours: u64,

    /// Leaderboard throttle window per room, in milliseconds.
    #[arg(long, env = "QUIZ_THROTTLE_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub throttle_ms: u64,

    /// Largest WebSocket message accepted, in bytes, whether it comes in one frame or in
    /// fragments; a larger one closes the socket (1009).
    #[arg(long, env = "QUIZ_MAX_FRAME_BYTES", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(256..=1_048_576))]
    pub max_frame_bytes: u64,

    /// Largest HTTP request body, in bytes, however it is sent (Content-Length, chunked or
    /// unframed); a larger one is refused with 413 as soon as it passes the limit.
    #[arg(long, env = "QUIZ_MAX_BODY_BYTES", default_value_t = 1_048_576, value_parser = clap::value_parser!(u64).range(1024..=67_108_864))]
    pub max_body_bytes: u64,

    /// Seconds a client has to send a whole request body; a slower one gets 408.
    #[arg(long, env = "QUIZ_BODY_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_secs: u64,

    /// Largest HTTP request head (request line and headers), in bytes; a larger one gets 431.
    #[arg(long, env = "QUIZ_MAX_HEADER_BYTES", default_value_t = 16_384, value_parser = clap::value_parser!(u64).range(8192..=1_048_576))]
    pub max_header_bytes: u64,

    /// Seconds a client has to send a request head, and that an idle kept-alive connection
    /// stays open; then the connection is closed.
    #[arg(long, env = "QUIZ_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_secs: u64,

    /// Open connections (HTTP and WebSocket) this instance accepts; more get 503
    /// `too_many_connections` and are closed.
    #[arg(long, env = "QUIZ_MAX_CONNECTIONS", default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub max_connections: u64,

    /// Open connections one client address may hold; more get 429 `too_many_connections`
    /// and are closed. 0 turns the cap off (needed behind a load balancer, where every
    /// connection comes from the balancer).
    #[arg(long, env = "QUIZ_MAX_CONNECTIONS_PER_IP", default_value_t = 1_000)]
    pub max_connections_per_ip: u64,

    /// Deepest nesting of JSON arrays and objects accepted in a body or a frame.
    #[arg(long, env = "QUIZ_MAX_JSON_DEPTH", default_value_t = 32, value_parser = clap::value_parser!(u64).range(4..=100))]
    pub max_json_depth: u64,

    /// Messages per second one socket may send (burst: twice this).
    #[arg(long, env = "QUIZ_MAX_MSGS_PER_SEC", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_msgs_per_sec: u32,

    /// Joins per minute one client IP may make once its burst is spent.
    #[arg(long, env = "QUIZ_MAX_JOINS_PER_MIN", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_joins_per_min: u32,

    /// Joins one client IP may make at once (a hall behind one NAT address joining a
    /// game); spent joins come back at --max-joins-per-min. Never below that rate.
    #[arg(long, env = "QUIZ_MAX_JOINS_BURST", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_joins_burst: u32,

    /// Most players one quiz accepts.
    #[arg(long, env = "QUIZ_MAX_PLAYERS", default_value_t = 100_000)]
    pub max_players: u64,

    /// Leaderboard lines shown at the top.
    #[arg(long, env = "QUIZ_TOP_N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub top_n: u64,

    /// Neighbours shown above and below the viewing player.
    #[arg(long, env = "QUIZ_AROUND", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=10))]
    pub around: u64,

    /// Seconds between server pings on idle sockets; a socket silent for three intervals
    /// is closed.
    #[arg(long, env = "QUIZ_PING_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ping_secs: u64,

    /// Use the first address in X-Forwarded-For as the client IP (only behind a trusted
    /// load balancer).
    #[arg(long, env = "QUIZ_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// The address players reach this server at (`https://quiz.example.org`, or
    /// `http://192.168.1.20:3000` in a classroom): hosted games' join links and QR codes are
    /// built from it. Without it the host's page uses the address its browser used (and
    /// warns when that is a loopback address no phone can reach).
    #[arg(long, env = "QUIZ_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Do not create the demo quiz at start.
    #[arg(long, env = "QUIZ_NO_DEMO")]
    pub no_demo: bool,

    /// Log format.
    #[arg(long, env = "QUIZ_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Where the embedded server keeps its data: `sqlite` (on disk in `--data-dir`) or
    /// `memory` (lost at exit). Only without `--redis-url`, `--mongo-url` and
    /// `--kafka-brokers`: with any of them, what they do not cover stays in memory.
    #[arg(long, env = "QUIZ_STORE", value_enum, default_value_t = Store::Sqlite)]
    pub store: Store,

    /// The embedded server's data directory (`--store sqlite`), created on first start.
    #[arg(long, env = "QUIZ_DATA_DIR", default_value = "quiz-data")]
    pub data_dir: std::path::PathBuf,

    /// Redis for the scoreboard, the player registry and the room bus. One URL is a
    /// standalone server; a comma-separated list of node URLs is a Redis Cluster. In memory
    /// when not given.
    #[arg(long, env = "QUIZ_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Replicas that must have a recorded answer before it is acknowledged (Redis `WAIT`
    /// on the quiz's node). 0 trusts asynchronous replication: a primary that dies before
    /// replicating loses its last moments' answers. 1 makes a failover to that replica lose
    /// no acknowledged answer, at the cost of a replica round trip per answer (BENCHMARKS.md).
    /// Only with replicas (a Redis Cluster with replicas, or a replicated primary).
    #[arg(long, env = "QUIZ_REDIS_WAIT_REPLICAS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub redis_wait_replicas: u32,

    /// How long the `WAIT` for replicas may take, in milliseconds (at most 1750: under the
    /// Redis reply timeout of 2 s); past it the player is told to try again (the retry is
    /// idempotent).
    #[arg(long, env = "QUIZ_REDIS_WAIT_TIMEOUT_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=1_750))]
    pub redis_wait_timeout_ms: u64,

    /// At most this many answers in one Redis record script call. Answers of many sockets
    /// that arrive while earlier calls are out are recorded together (each with its own
    /// result, in arrival order; none waits for a timer), which cuts Redis round trips and
    /// script invocations under load (BENCHMARKS.md). 1 gives every answer a call of its own.
    #[arg(long, env = "QUIZ_REDIS_RECORD_BATCH", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub redis_record_batch: u64,

    /// A file of words no display name may contain (one per line, `#` comments), added to
    /// the built-in list. Matched after normalisation and look-alike substitutions
    /// (README, "Names").
    #[arg(long, env = "QUIZ_NAME_DENY_LIST")]
    pub name_deny_list: Option<std::path::PathBuf>,

    /// Kafka bootstrap servers for score events (e.g. `127.0.0.1:19092`). When not given,
    /// events go straight to the archive.
    #[arg(long, env = "QUIZ_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,

    /// Kafka topic for score events (created if missing).
    #[arg(long, env = "QUIZ_KAFKA_TOPIC", default_value = "quiz-score-events")]
    pub kafka_topic: String,

    /// Partitions of the score-event topic when this server creates it.
    #[arg(long, env = "QUIZ_KAFKA_PARTITIONS", default_value_t = 6, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    pub kafka_partitions: i32,

    /// How long the Kafka producer waits to fill a batch, in milliseconds. 0 favours answer
    /// latency; librdkafka still batches whatever queues up while requests are in flight.
    #[arg(long, env = "QUIZ_KAFKA_LINGER_MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub kafka_linger_ms: u64,

    /// How the Kafka producer compresses its batches: none, lz4, snappy or gzip. Less to
    /// send and store for some CPU on the server and the worker (BENCHMARKS.md measures lz4).
    #[arg(long, env = "QUIZ_KAFKA_COMPRESSION", value_enum, default_value_t = KafkaCompression::None)]
    pub kafka_compression: KafkaCompression,

    /// How long an answer waits for Kafka's acknowledgement before the player is told to
    /// try again, in milliseconds (the event is still delivered in the background if Kafka
    /// comes back within its delivery timeout; a retry and a late delivery are one event to
    /// the archive).
    #[arg(long, env = "QUIZ_KAFKA_ACK_TIMEOUT_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub kafka_ack_timeout_ms: u64,

    /// MongoDB for the quiz catalog and the score archive (e.g.
    /// `mongodb://127.0.0.1:27017/`). In memory when not given.
    #[arg(long, env = "QUIZ_MONGO_URL", hide_env_values = true)]
    pub mongo_url: Option<String>,

    /// MongoDB database name.
    #[arg(long, env = "QUIZ_MONGO_DB", default_value = "quiz")]
    pub mongo_db: String,

    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Restore a quiz's live leaderboard (Redis) from the long-term archive (MongoDB), then
    /// exit. Uses the same adapter options as the server.
    RebuildLeaderboard {
        /// The quiz id.
        #[arg(long)]
        quiz: String,
    },
    /// Write a consistent copy of the `--data-dir` database to FILE (a new file), also
    /// while a server runs on it, then exit. README, "Backups", says how to restore it.
    Backup {
        /// The file to write; it must not exist.
        file: std::path::PathBuf,
    },
}

impl Config {
    /// The defaults, as if started with no flags and no environment (for tests).
    pub fn defaults() -> Self {
        Self::parse_from(["quiz-server"])
    }
}

#[cfg(test)]
mod tests {
    use super::parse_public_url;

    #[test]
    fn public_urls_are_http_origins_kept_without_a_trailing_slash() {
        assert_eq!(
            parse_public_url("https://quiz.example.org/").as_deref(),
            Ok("https://quiz.example.org")
        );
        assert_eq!(
            parse_public_url("http://192.168.1.20:3000/quiz").as_deref(),
            Ok("http://192.168.1.20:3000/quiz")
        );
        for bad in [
            "quiz.example.org",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q=1",
            "https://x/#k",
            "https://u@x",
            "https://x/\"><script>",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
