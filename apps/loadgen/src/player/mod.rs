//! The socket tasks: players (join, connect, answer, rotate to the next quiz) and observers
//! (join, connect, watch boards for the staleness measurement).
//!
//! This file holds what both kinds of socket share: the [`Ctx`] every task reads, the
//! count of open sockets and the join-then-connect step. The rest is split by idea: the
//! run's timing ([`Plan`], `plan.rs`), the answer-choosing PRNG ([`Rng`], `rng.rs`), the
//! parsing of what the server sends (`incoming.rs`), the player's answering state
//! machine ([`player()`], `session.rs`), the observer's board watching ([`observer()`],
//! `observer.rs`) and a hosted game's players and host ([`hosted`]).

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cli::{Mode, Target};
use crate::http::HttpClient;
use crate::net::{self, Ws};
use crate::staleness::Staleness;
use crate::stats::Stats;

pub mod hosted;
mod incoming;
mod observer;
mod plan;
mod rng;
mod session;

pub use observer::observer;
pub use plan::Plan;
pub use rng::Rng;
pub use session::player;

/// Everything the socket tasks share.
pub struct Ctx {
    /// Answering mode.
    pub mode: Mode,
    /// Where to connect.
    pub target: Target,
    /// HTTP pool for joins.
    pub http: HttpClient,
    /// Measurements.
    pub stats: Arc<Stats>,
    /// Timing.
    pub plan: Plan,
    /// Ids of the quizzes in play.
    pub quizzes: Vec<String>,
    /// Questions per quiz.
    pub questions: u32,
    /// Staleness bookkeeping, one per quiz (empty without observers).
    pub trackers: Vec<Mutex<Staleness>>,
    /// Limits joins + handshakes in progress.
    pub connect_slots: Semaphore,
    /// Source addresses for client sockets.
    pub src_ips: Vec<IpAddr>,
    /// Client WebSocket settings.
    pub ws_config: WebSocketConfig,
    /// Most unacknowledged answers per socket.
    pub in_flight: usize,
    /// Share of correct answers.
    pub correct_ratio: f64,
    /// Question types of the quizzes.
    pub question_mix: crate::cli::QuestionMix,
    /// When an unacknowledged answer counts as a timeout.
    pub answer_timeout: Duration,
    /// Most sockets open at once.
    pub peak_open: AtomicUsize,
}

/// Counts a socket as open while it lives.
struct OpenGuard<'a> {
    ctx: &'a Ctx,
    player: bool,
}

impl<'a> OpenGuard<'a> {
    fn new(ctx: &'a Ctx, player: bool) -> Self {
        let now = ctx.stats.open.fetch_add(1, Ordering::Relaxed) + 1;
        ctx.peak_open.fetch_max(now, Ordering::Relaxed);
        if player {
            ctx.stats.open_players.fetch_add(1, Ordering::Relaxed);
        }
        Self { ctx, player }
    }
}

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.ctx.stats.open.fetch_sub(1, Ordering::Relaxed);
        if self.player {
            self.ctx.stats.open_players.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Joins `quiz` as `name` and opens its WebSocket, holding a connect slot meanwhile.
async fn join_and_connect(
    ctx: &Ctx,
    shard: usize,
    quiz: &str,
    name: &str,
    src: IpAddr,
) -> Option<(net::Joined, Ws)> {
    let _slot = ctx.connect_slots.acquire().await.ok()?;
    let joined = match net::join(&ctx.http, quiz, name).await {
        Ok(j) => j,
        Err(e) => {
            ctx.stats.error(shard, &e.kind());
            return None;
        }
    };
    match net::connect(
        ctx.target.addr,
        &ctx.target.authority,
        Some(src),
        &joined.ws_path,
        ctx.ws_config,
    )
    .await
    {
        Ok(ws) => {
            ctx.stats.with(shard, |w| {
                w.joins += 1;
                w.connects += 1;
            });
            Some((joined, ws))
        }
        Err(e) => {
            ctx.stats.with(shard, |w| {
                w.joins += 1;
                w.error(&e.kind());
            });
            None
        }
    }
}

/// Sleeps until `at` or `limit`, whichever is first.
async fn pause(at: Instant, limit: Instant) {
    sleep_until(at.min(limit)).await;
}
