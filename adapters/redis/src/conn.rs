//! Connections: one shared command connection (standalone or cluster), created on first use
//! and kept; every operation bounded in time; vendor errors turned into [`Failure`].

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, ErrorKind, FromRedisValue, ServerErrorKind};

use crate::{ConnectError, RedisOptions, RedisTarget};

/// Why one Redis operation failed. Boxed into each port's `Unavailable` variant, so callers
/// see a sentence naming the operation, with the vendor error (if any) as its source.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The client or the server reported an error.
    #[error("redis {op} failed")]
    Redis {
        op: &'static str,
        #[source]
        source: redis::RedisError,
    },
    /// No answer in time (connection attempts and retries included).
    #[error("redis {op}: no answer within {timeout:?}")]
    Timeout { op: &'static str, timeout: Duration },
    /// A connection attempt failed a moment ago; this one was not retried yet.
    #[error("redis {op}: not connected (last attempt failed {ago:?} ago: {reason})")]
    NotConnected {
        op: &'static str,
        ago: Duration,
        reason: String,
    },
    /// The server answered something this adapter did not write (another program changed
    /// the keys, or a bug): reported, never trusted.
    #[error("redis {op}: malformed reply: {detail}")]
    Malformed { op: &'static str, detail: String },
    /// The operation gave up after concurrent changes kept invalidating it.
    #[error("redis {op}: gave up: {detail}")]
    Contended { op: &'static str, detail: String },
    /// Redis refused one part of a batched call (the other parts went on), or the batched
    /// call as a whole failed and this is its error, told to each of its parts.
    #[error("redis {op} failed: {detail}")]
    Refused { op: &'static str, detail: String },
}

impl Failure {
    pub(crate) fn malformed(op: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed {
            op,
            detail: detail.into(),
        }
    }
}

/// The command connection. Both variants are cheap handles over a multiplexed connection
/// (clones share it) and reconnect by themselves once established.
#[derive(Clone)]
enum Conn {
    Standalone(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Conn {
    async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> redis::RedisResult<T> {
        match self {
            Conn::Standalone(c) => cmd.query_async(&mut c.clone()).await,
            Conn::Cluster(c) => cmd.query_async(&mut c.clone()).await,
        }
    }
}

/// How the command connection is made.
enum Maker {
    Standalone(Client),
    Cluster(Box<ClusterClient>),
}

/// After a failed connection attempt, operations fail at once for this long instead of
/// queueing up behind fresh attempts (a down server would otherwise make every caller wait
/// for its own connect timeout in turn).
const RETRY_GAP: Duration = Duration::from_millis(250);

/// The shared connection state of one [`crate::RedisAdapters`].
pub(crate) struct Connector {
    maker: Maker,
    /// One client per node, for dedicated pub/sub connections.
    pubsub_nodes: Vec<Client>,
    options: RedisOptions,
    /// The established connection, if any. A std lock: held only to clone a handle.
    current: RwLock<Option<Conn>>,
    /// Serialises connection attempts and remembers the last failure.
    connecting: tokio::sync::Mutex<Option<(Instant, String)>>,
    /// Spreads subscribers over the cluster's nodes.
    next_node: std::sync::atomic::AtomicUsize,
    /// Slots whose node was found with fewer replicas than `wait_replicas`, until when:
    /// their writes are acknowledged without `WAIT` meanwhile (see `wait_replicas`).
    short_of_replicas: std::sync::Mutex<ShortOfReplicas>,
}

/// Slot (`None`: a standalone server) → until when its node is taken to be short of
/// replicas.
type ShortOfReplicas = std::collections::HashMap<Option<redis::cluster_routing::Slot>, Instant>;

/// How long a node found short of replicas is trusted to stay so before `WAIT` is tried
/// again.
const SHORT_OF_REPLICAS_FOR: Duration = Duration::from_secs(5);

impl Connector {
    /// Validates the target and builds the clients; no network I/O.
    pub(crate) fn new(target: &RedisTarget, options: RedisOptions) -> Result<Self, ConnectError> {
        let open = |url: &str| {
            Client::open(url).map_err(|e| ConnectError::InvalidTarget {
                detail: format!("{}: {e}", crate::redact(url)),
            })
        };
        let (maker, pubsub_nodes) = match target {
            RedisTarget::Standalone(url) => {
                let client = open(url)?;
                (Maker::Standalone(client.clone()), vec![client])
            }
            RedisTarget::Cluster(urls) => {
                if urls.is_empty() {
                    return Err(ConnectError::InvalidTarget {
                        detail: "a cluster needs at least one node URL".into(),
                    });
                }
                let nodes = urls
                    .iter()
                    .map(|u| open(u))
                    .collect::<Result<Vec<_>, _>>()?;
                let client = ClusterClient::builder(urls.iter().map(String::as_str))
                    .connection_timeout(options.connect_timeout)
                    .response_timeout(options.response_timeout)
                    .overall_response_timeout(Some(options.operation_timeout))
                    .build()
                    .map_err(|e| ConnectError::InvalidTarget {
                        detail: format!("cluster configuration: {e}"),
                    })?;
                (Maker::Cluster(Box::new(client)), nodes)
            }
        };
        Ok(Self {
            maker,
            pubsub_nodes,
            options,
            current: RwLock::new(None),
            connecting: tokio::sync::Mutex::new(None),
            next_node: std::sync::atomic::AtomicUsize::new(0),
            short_of_replicas: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    pub(crate) fn options(&self) -> &RedisOptions {
        &self.options
    }

    fn established(&self) -> Option<Conn> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The command connection, establishing it if there is none yet.
    async fn conn(&self, op: &'static str) -> Result<Conn, Failure> {
        if let Some(c) = self.established() {
            return Ok(c);
        }
        let mut attempt = Attempt {
            last_failure: self.connecting.lock().await,
            finished: false,
        };
        if let Some(c) = self.established() {
            attempt.finished = true;
            return Ok(c);
        }
        if let Some((when, reason)) = &*attempt.last_failure
            && when.elapsed() < RETRY_GAP
        {
            let err = Failure::NotConnected {
                op,
                ago: when.elapsed(),
                reason: reason.clone(),
            };
            attempt.finished = true;
            return Err(err);
        }
        let result = self.establish().await;
        attempt.finished = true;
        match result {
            Ok(c) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
                *attempt.last_failure = None;
                Ok(c)
            }
            Err(source) => {
                *attempt.last_failure = Some((Instant::now(), source.to_string()));
                Err(Failure::Redis { op, source })
            }
        }
    }

    async fn establish(&self) -> redis::RedisResult<Conn> {
        match &self.maker {
            Maker::Standalone(client) => {
                let o = &self.options;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(o.connect_timeout))
                    .set_response_timeout(Some(o.response_timeout))
                    .set_number_of_retries(o.reconnect_retries)
                    .set_min_delay(Duration::from_millis(100))
                    .set_max_delay(Duration::from_secs(1));
                ConnectionManager::new_with_config(client.clone(), config)
                    .await
                    .map(Conn::Standalone)
            }
            Maker::Cluster(client) => client.get_async_connection().await.map(Conn::Cluster),
        }
    }

    /// The hash slot of `key` on a cluster; `None` on a standalone server, where one script
    /// may touch any keys.
    pub(crate) fn slot_of(&self, key: &str) -> Option<redis::cluster_routing::Slot> {
        match self.maker {
            Maker::Standalone(_) => None,
            Maker::Cluster(_) => Some(redis::cluster_routing::Slot::for_key(key)),
        }
    }

    /// Runs one command, bounded by the operation timeout (connecting included).
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        op: &'static str,
        cmd: &Cmd,
    ) -> Result<T, Failure> {
        self.bounded(op, async {
            let conn = self.conn(op).await?;
            conn.query(cmd)
                .await
                .map_err(|source| Failure::Redis { op, source })
        })
        .await
    }

    /// One command on the node that holds `key` (its primary, on a cluster).
    async fn on_key_node<T: FromRedisValue>(
        &self,
        op: &'static str,
        key: &str,
        cmd: &Cmd,
    ) -> Result<T, Failure> {
        self.bounded(op, async {
            let conn = self.conn(op).await?;
            match conn {
                Conn::Standalone(c) => cmd.query_async(&mut c.clone()).await,
                Conn::Cluster(mut c) => {
                    use redis::cluster_routing::{
                        Route, RoutingInfo, SingleNodeRoutingInfo, Slot, SlotAddr,
                    };
                    let route = Route::with_slot(Slot::for_key(key), SlotAddr::Master);
                    c.route_command(
                        cmd.clone(),
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route)),
                    )
                    .await
                    .and_then(|v| redis::from_redis_value(v).map_err(redis::RedisError::from))
                }
            }
            .map_err(|source| Failure::Redis { op, source })
        })
        .await
    }

    /// `WAIT` for [`crate::RedisOptions::wait_replicas`] replicas of the node that holds
    /// `key` to have its writes so far; nothing to do when no replica is asked for.
    ///
    /// When fewer confirm in time, the node is asked how many replicas it has: if it has
    /// fewer than asked (right after a failover the promoted replica has none until the old
    /// primary returns as its replica), the write is as durable as the shard allows and is
    /// acknowledged, with a warning (and for the next 5 s the shard's writes skip `WAIT`);
    /// otherwise a replica is lagging and the write is
    /// refused (`Unavailable`: the client retries, idempotently). Without this, a failover
    /// would leave the shard refusing every answer until a replica came back.
    pub(crate) async fn wait_replicas(&self, key: &str) -> Result<(), Failure> {
        const OP: &str = "wait replicas";
        let want = u64::from(self.options.wait_replicas);
        if want == 0 {
            return Ok(());
        }
        let slot = self.slot_of(key);
        let short = |f: &mut dyn FnMut(&mut ShortOfReplicas)| {
            let mut map = self
                .short_of_replicas
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut map);
        };
        let mut skip = false;
        short(&mut |m| {
            skip = m.get(&slot).is_some_and(|until| Instant::now() < *until);
        });
        if skip {
            return Ok(());
        }
        // WAIT blocks its reply for up to its timeout: keep that under the response timeout,
        // or the client would give up on the reply first and the shard could never be
        // found short of replicas.
        let bound = self
            .options
            .wait_timeout
            .min(
                self.options
                    .response_timeout
                    .saturating_sub(Duration::from_millis(250)),
            )
            .max(Duration::from_millis(1));
        let timeout_ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
        let mut wait = redis::cmd("WAIT");
        wait.arg(want).arg(timeout_ms);
        let got: u64 = self.on_key_node(OP, key, &wait).await?;
        if got >= want {
            return Ok(());
        }
        let mut info = redis::cmd("INFO");
        info.arg("replication");
        let text: String = self.on_key_node(OP, key, &info).await?;
        let replicas = text
            .lines()
            .find_map(|l| l.strip_prefix("connected_slaves:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if replicas < want {
            short(&mut |m| {
                m.insert(slot, Instant::now() + SHORT_OF_REPLICAS_FOR);
            });
            tracing::warn!(
                replicas,
                wanted = want,
                "the node holding the quiz has fewer replicas than --redis-wait-replicas; \
                 acknowledging with the replicas it has"
            );
            return Ok(());
        }
        Err(Failure::malformed(
            OP,
            format!("{got} of {want} replicas confirmed the write in time"),
        ))
    }

    /// Runs one Lua script by its SHA1 (`EVALSHA`). When the server does not have it cached
    /// (`NOSCRIPT`: first use, a restarted node, a failover) the same call is repeated as
    /// `EVAL` with the source, which caches it on that node. This is what `redis::Script`
    /// does too, except that it reloads with `SCRIPT LOAD`, which a cluster client sends to
    /// every node and which therefore fails while any one node is down; `EVAL` is routed by
    /// key, like the script itself.
    pub(crate) async fn eval<T: FromRedisValue>(
        &self,
        script: &Lua,
        keys: &[String],
        args: &[String],
    ) -> Result<T, Failure> {
        let op = script.name;
        self.bounded(op, async {
            let conn = self.conn(op).await?;
            let call = |verb: &str, body: &str| {
                let mut c = redis::cmd(verb);
                c.arg(body).arg(keys.len()).arg(keys).arg(args);
                c
            };
            let by_sha = call("EVALSHA", script.script.get_hash());
            match conn.query(&by_sha).await {
                Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => conn
                    .query(&call("EVAL", script.source))
                    .await
                    .map_err(|source| Failure::Redis { op, source }),
                other => other.map_err(|source| Failure::Redis { op, source }),
            }
        })
        .await
    }

    async fn bounded<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let timeout = self.options.operation_timeout;
        tokio::time::timeout(timeout, fut)
            .await
            .unwrap_or(Err(Failure::Timeout { op, timeout }))
    }

    /// Opens a dedicated pub/sub connection subscribed to `channel`: to the standalone
    /// server, or to the first cluster node that answers (starting from a different node
    /// each time, so subscribers spread over the cluster).
    pub(crate) async fn subscribe(
        &self,
        channel: &str,
    ) -> Result<(redis::aio::PubSubSink, redis::aio::PubSubStream), Failure> {
        const OP: &str = "SUBSCRIBE";
        let n = self.pubsub_nodes.len();
        let start = self
            .next_node
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut last = Failure::Timeout {
            op: OP,
            timeout: self.options.operation_timeout,
        };
        let deadline = Instant::now() + self.options.operation_timeout;
        for i in 0..n {
            let Some(client) = self.pubsub_nodes.get((start + i) % n) else {
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let attempt = async {
                let pubsub = tokio::time::timeout(
                    self.options.connect_timeout.min(left),
                    client.get_async_pubsub(),
                )
                .await
                .map_err(|_| Failure::Timeout {
                    op: OP,
                    timeout: self.options.connect_timeout,
                })?
                .map_err(|source| Failure::Redis { op: OP, source })?;
                let (mut sink, stream) = pubsub.split();
                tokio::time::timeout(self.options.response_timeout, sink.subscribe(channel))
                    .await
                    .map_err(|_| Failure::Timeout {
                        op: OP,
                        timeout: self.options.response_timeout,
                    })?
                    .map_err(|source| Failure::Redis { op: OP, source })?;
                Ok::<_, Failure>((sink, stream))
            };
            match attempt.await {
                Ok(pair) => return Ok(pair),
                Err(e) => {
                    tracing::debug!(error = %e, "redis pub/sub node did not take the subscription");
                    last = e;
                }
            }
        }
        Err(last)
    }
}

/// One caller's turn at connecting. If the caller is cancelled mid-attempt (its operation
/// timed out), the attempt counts as failed, so the callers queued behind it fail fast
/// instead of each waiting out a connect of their own.
struct Attempt<'a> {
    last_failure: tokio::sync::MutexGuard<'a, Option<(Instant, String)>>,
    finished: bool,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.finished {
            *self.last_failure = Some((
                Instant::now(),
                "a connection attempt was abandoned after the operation timed out".into(),
            ));
        }
    }
}

/// A Lua script: its name (for errors), its source (for `EVAL`) and its SHA1 (for
/// `EVALSHA`), computed once.
pub(crate) struct Lua {
    pub(crate) name: &'static str,
    pub(crate) source: &'static str,
    pub(crate) script: redis::Script,
}

impl Lua {
    pub(crate) fn new(name: &'static str, source: &'static str) -> Self {
        Self {
            name,
            source,
            script: redis::Script::new(source),
        }
    }
}

/// The connection state shared by the scoreboard, the registry and the bus.
pub(crate) type Shared = Arc<Connector>;
