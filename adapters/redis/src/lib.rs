//! # quiz-redis
//!
//! The live-game ports of `quiz-core` on Redis, standalone or Cluster, unchanged code for
//! both: [`RedisScoreboard`] implements `Scoreboard` (leaderboard, at-most-once answers,
//! streaks), [`RedisRegistry`] implements `PlayerRegistry` (ids and unique names),
//! [`RedisBus`] implements `RoomBus` ("quiz changed" across server instances, on pub/sub),
//! [`RedisGames`] implements `GameStore` (hosted games, moved by compare-and-set), and
//! [`RedisPins`] implements `GamePins` (live games' PINs, unique across instances).
//! They behave like the `quiz-memory` reference adapters: the shared conformance suite
//! runs against both a standalone server and a cluster.
//!
//! **What it is not**: the long-term store. Redis holds the live game only; the archive
//! (MongoDB, through Kafka) is the durable record, and `Scoreboard::restore` and
//! `PlayerRegistry::restore` rebuild a board and its players from it. It implements no
//! other port (catalog, event log, archive).
//!
//! ## Use
//!
//! ```no_run
//! # async fn wire() -> Result<(), quiz_redis::ConnectError> {
//! use quiz_redis::{RedisAdapters, RedisOptions, RedisTarget};
//! // One URL: a standalone server. Several, comma-separated: cluster seed nodes.
//! let target: RedisTarget = "redis://127.0.0.1:6379/".parse()?;
//! let redis = RedisAdapters::connect(target, RedisOptions::default()).await?;
//! // redis.scoreboard, .registry, .bus, .games and .pins are `Arc`s sharing one connection.
//! # Ok(()) }
//! ```
//!
//! [`RedisAdapters::connect`] checks the server answers; [`RedisAdapters::connect_lazy`]
//! does no I/O and connects on first use (a server may then start before Redis does).
//! Use the adapters within one Tokio runtime: the connections' driver tasks run on the
//! runtime of the operation that opened them. URLs may carry a user, password, database
//! and `?protocol=resp3`; TLS (`rediss://`) is not compiled in.
//!
//! ## Behaviour under failure
//!
//! Every operation is bounded by [`RedisOptions::operation_timeout`] (connecting included),
//! so an unreachable Redis gives the port's `Unavailable` error within a few seconds, never
//! a hang or a panic. Connections are re-established automatically when Redis comes back
//! (standalone: `redis::aio::ConnectionManager`; cluster: the async cluster client, which
//! also follows slot moves and failovers). A bus subscription ends (`next` returns `None`)
//! when its connection drops or stops answering heartbeats; the caller subscribes again.
//! Vendor errors never cross the port: they are the opaque source of `Unavailable`.
//!
//! ## Key layout
//!
//! All keys of quiz `Q` share the hash tag `{Q}`, so they live in one cluster slot and one
//! Lua script can update them atomically (see [`keys`] for the details):
//!
//! | key | type | contents |
//! |---|---|---|
//! | `quiz:{Q}:board` | sorted set | player id scored by `SortKey` (ascending = best first) |
//! | `quiz:{Q}:p:<player>` | hash | `total`, `answers`, `streak`, `reached_at` |
//! | `quiz:{Q}:a:<player>` | hash | question id → `<correct 0/1>:<points>:<streak>:<at ms>` |
//! | `quiz:{Q}:players` | hash | player id → `<joined_at ms>:<name>` |
//! | `quiz:{Q}:names` | set | case-folded names taken |
//! | `quiz:{Q}:seq` | string | counter for ids `p1`, `p2`, … |
//!
//! plus the pub/sub channel `quiz:changed` (payload: quiz id).
//!
//! Ranking: the sorted-set score is the core's `SortKey`, `(2^21 − 1 − total) · 2^32 + ms
//! since quiz creation`, below 2^53 and so exact as a double; Redis orders equal scores by
//! member bytes, which is the core's final tie-break (player id ascending). `ZRANK + 1` is
//! the rank.
//!
//! Atomicity: `record`, `enroll`, `restore` and `join` are each one Lua script (run by SHA,
//! falling back to `EVAL` when a node lacks it); `standing` and `around` read through a
//! script too, so rank and score come from the same instant. Answers are recorded in
//! batches: concurrent `record` calls (many sockets) that arrive while earlier calls are
//! out go together in one script call per hash slot, each answer atomic and recorded in
//! arrival order with its own result ([`RedisOptions::record_batch`]; `record_many` sends
//! a given list the same way). The registry's `restore` is
//! one script per chunk of [`PLAYER_RESTORE_CHUNK`] players, each chunk atomic (see
//! [`RedisRegistry`]).
//!
//! ## Tests
//!
//! `cargo test -p quiz-redis` runs the shared conformance suite and Redis-specific tests
//! (unreachable server, reconnection, hash slots, sort-key extremes) against real servers:
//! a standalone Redis (`QUIZ_TEST_REDIS_URL`) and a 6-node Redis Cluster
//! (`QUIZ_TEST_REDIS_CLUSTER_URLS`), read from the environment or from `.services/env`,
//! which `cargo xtask services up` writes after starting them. The reconnection test also
//! starts a throw-away `redis-server` of its own (Debian's, on `PATH`). Without the
//! services the tests fail with a message saying how to start them; they never skip.

mod batch;
mod bus;
mod conn;
mod games;
pub mod keys;
mod pins;
mod registry;
mod reply;
mod scoreboard;
mod scripts;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use bus::RedisBus;
pub use games::RedisGames;
pub use pins::RedisPins;
pub use registry::{PLAYER_RESTORE_CHUNK, RedisRegistry};
pub use scoreboard::RedisScoreboard;

/// Where Redis is.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server, e.g. `redis://127.0.0.1:6379/` (`redis://user:pass@host:port/db` works).
    Standalone(String),
    /// Seed nodes of a Redis Cluster; the client discovers the others.
    Cluster(Vec<String>),
}

impl FromStr for RedisTarget {
    type Err = ConnectError;

    /// One URL is a standalone server; a comma-separated list is a cluster's seed nodes. A
    /// cluster reachable through one seed only is written with a trailing comma
    /// (`redis://10.0.0.1:7000/,`). Blanks around URLs are ignored.
    fn from_str(s: &str) -> Result<Self, ConnectError> {
        let urls: Vec<String> = s
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        for u in &urls {
            redis::IntoConnectionInfo::into_connection_info(u.as_str()).map_err(|e| {
                ConnectError::InvalidTarget {
                    detail: format!("{}: {e}", redact(u)),
                }
            })?;
        }
        match (urls.len(), s.contains(',')) {
            (0, _) => Err(ConnectError::InvalidTarget {
                detail: "no Redis URL given".into(),
            }),
            (1, false) => Ok(Self::Standalone(urls.into_iter().collect())),
            _ => Ok(Self::Cluster(urls)),
        }
    }
}

/// Passwords are never shown.
impl fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Standalone(u) => write!(f, "{}", redact(u)),
            Self::Cluster(urls) => {
                let shown: Vec<String> = urls.iter().map(|u| redact(u)).collect();
                write!(f, "cluster {}", shown.join(","))
            }
        }
    }
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisTarget({self})")
    }
}

/// A URL with any user and password replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Counter (through the `metrics` facade): record script calls made, batched or not.
pub const RECORD_CALLS_METRIC: &str = "quiz_redis_record_calls_total";

/// Counter (through the `metrics` facade): answers those calls carried. Divided by
/// [`RECORD_CALLS_METRIC`], the mean batch size.
pub const RECORD_ANSWERS_METRIC: &str = "quiz_redis_record_answers_total";

/// Timeouts and retry settings. The defaults make an unreachable server an error within
/// about five seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// Each TCP connection attempt gives up after this long.
    pub connect_timeout: Duration,
    /// Each command gives up waiting for its reply after this long. A `restore` of a very
    /// large board is one script and must finish within it.
    pub response_timeout: Duration,
    /// Any one port operation, connecting and retries included, gives up after this long
    /// with `Unavailable`.
    pub operation_timeout: Duration,
    /// Standalone: how many times a (re)connection is retried, with backoff, before the
    /// waiting operations fail (the next operation starts a new attempt).
    pub reconnect_retries: usize,
    /// A bus subscription that received nothing for this long checks its connection with
    /// a `PING` (and ends if that goes unanswered).
    pub bus_heartbeat: Duration,
    /// Replicas that must have a recorded answer (and a join) before it is acknowledged:
    /// `WAIT` on the node that holds the quiz, after the write. 0 (the default) trusts
    /// asynchronous replication: a primary that dies before replicating loses the writes of
    /// its last moments. With 1, a failover to that replica loses nothing acknowledged; when
    /// fewer replicas confirm within [`Self::wait_timeout`], the operation answers
    /// `Unavailable` (the write may still be there; retries are idempotent). Only for
    /// deployments with replicas: with none, every write would wait and fail.
    pub wait_replicas: u32,
    /// How long `WAIT` waits for the replicas (at most [`Self::response_timeout`] less
    /// 250 ms: the reply must come before the client gives up on it).
    pub wait_timeout: Duration,
    /// At most this many answers go in one record script call. Concurrent answers (many
    /// sockets) that arrive while earlier calls are out are recorded together, in arrival
    /// order, each with its own result; no answer waits for a timer. 1 records every
    /// answer with a call of its own (no batching).
    pub record_batch: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_secs(5),
            reconnect_retries: 2,
            bus_heartbeat: Duration::from_secs(5),
            wait_replicas: 0,
            wait_timeout: Duration::from_millis(500),
            record_batch: 64,
        }
    }
}

/// Why the adapters could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The target is not a usable Redis URL or list of URLs.
    #[error("invalid Redis target: {detail}")]
    InvalidTarget {
        /// What is wrong (passwords redacted).
        detail: String,
    },
    /// Redis did not answer (only from [`RedisAdapters::connect`] and
    /// [`RedisAdapters::ping`]).
    #[error("Redis is unreachable")]
    Unreachable(#[source] quiz_core::ports::Source),
}

/// The three Redis adapters, sharing one command connection (and opening one dedicated
/// pub/sub connection per bus subscription).
#[derive(Clone)]
pub struct RedisAdapters {
    /// `Scoreboard` on Redis.
    pub scoreboard: Arc<RedisScoreboard>,
    /// `PlayerRegistry` on Redis.
    pub registry: Arc<RedisRegistry>,
    /// `RoomBus` on Redis pub/sub.
    pub bus: Arc<RedisBus>,
    /// `GameStore` on Redis.
    pub games: Arc<RedisGames>,
    /// `GamePins` on Redis.
    pub pins: Arc<RedisPins>,
    shared: conn::Shared,
}

impl RedisAdapters {
    /// Builds the adapters and checks that Redis answers a `PING` within
    /// `options.operation_timeout`.
    ///
    /// # Errors
    /// [`ConnectError::InvalidTarget`] for an unusable target; [`ConnectError::Unreachable`]
    /// when Redis does not answer.
    pub async fn connect(target: RedisTarget, options: RedisOptions) -> Result<Self, ConnectError> {
        let adapters = Self::connect_lazy(target, options)?;
        adapters.ping().await?;
        adapters
            .scoreboard
            .mark_intact(false)
            .await
            .map_err(|e| ConnectError::Unreachable(Box::new(e)))?;
        Ok(adapters)
    }

    /// Builds the adapters without any I/O; the connection is made by the first operation
    /// (and re-made by later ones while Redis is down).
    ///
    /// # Errors
    /// [`ConnectError::InvalidTarget`] for an unusable target.
    pub fn connect_lazy(target: RedisTarget, options: RedisOptions) -> Result<Self, ConnectError> {
        let shared = Arc::new(conn::Connector::new(&target, options)?);
        Ok(Self {
            scoreboard: Arc::new(RedisScoreboard::new(shared.clone())),
            registry: Arc::new(RedisRegistry::new(shared.clone())),
            bus: Arc::new(RedisBus::new(shared.clone())),
            games: Arc::new(RedisGames::new(shared.clone())),
            pins: Arc::new(RedisPins::new(shared.clone())),
            shared,
        })
    }

    /// Checks that Redis answers (every primary, on a cluster): for health checks.
    ///
    /// # Errors
    /// [`ConnectError::Unreachable`] when it does not within `operation_timeout`.
    pub async fn ping(&self) -> Result<(), ConnectError> {
        let _: redis::Value = self
            .shared
            .query("PING", &redis::cmd("PING"))
            .await
            .map_err(|e| ConnectError::Unreachable(Box::new(e)))?;
        Ok(())
    }
}

impl fmt::Debug for RedisAdapters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAdapters").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_url_is_standalone_and_a_list_is_a_cluster() {
        assert_eq!(
            "redis://127.0.0.1:6390/".parse::<RedisTarget>().unwrap(),
            RedisTarget::Standalone("redis://127.0.0.1:6390/".into())
        );
        assert_eq!(
            " redis://a:7001/ , redis://b:7002/ "
                .parse::<RedisTarget>()
                .unwrap(),
            RedisTarget::Cluster(vec!["redis://a:7001/".into(), "redis://b:7002/".into()])
        );
        assert_eq!(
            "redis://a:7001/,".parse::<RedisTarget>().unwrap(),
            RedisTarget::Cluster(vec!["redis://a:7001/".into()])
        );
        assert!("".parse::<RedisTarget>().is_err());
        assert!(" , ".parse::<RedisTarget>().is_err());
        assert!("http://x/".parse::<RedisTarget>().is_err());
    }

    #[test]
    fn passwords_are_never_shown() {
        let t: RedisTarget = "redis://user:s3cret@10.0.0.1:6379/0".parse().unwrap();
        assert_eq!(t.to_string(), "redis://***@10.0.0.1:6379/0");
        assert!(!format!("{t:?}").contains("s3cret"));
        let e = "redis://u:s3cret@h:1/,bogus://u:s3cret@h:2/"
            .parse::<RedisTarget>()
            .unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
