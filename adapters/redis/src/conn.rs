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
}

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
