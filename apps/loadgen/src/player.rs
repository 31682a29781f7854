//! The socket tasks: players (join, connect, answer, rotate to the next quiz) and observers
//! (join, connect, watch boards for the staleness measurement).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::cli::{Mode, Target};
use crate::http::HttpClient;
use crate::net::{self, Ws};
use crate::staleness::Staleness;
use crate::stats::{Stats, record};

/// When each socket starts and stops (all relative to the run's clock).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The clock's start.
    pub start: Instant,
    /// Ramp-up length.
    pub ramp_up: Duration,
    /// Steady-state length.
    pub steady: Duration,
    /// Ramp-down length.
    pub ramp_down: Duration,
    /// Player sockets.
    pub players: usize,
}

impl Plan {
    /// When player `i` connects and starts: evenly spaced over the ramp-up.
    pub fn start_of(&self, i: usize) -> Instant {
        self.start + self.ramp_up.mul_f64(i as f64 / self.players.max(1) as f64)
    }

    /// When player `i` stops answering: evenly spaced over the ramp-down.
    pub fn stop_of(&self, i: usize) -> Instant {
        self.start
            + self.ramp_up
            + self.steady
            + self
                .ramp_down
                .mul_f64((i + 1) as f64 / self.players.max(1) as f64)
    }

    /// The end of the ramp-down.
    pub fn end(&self) -> Instant {
        self.start + self.ramp_up + self.steady + self.ramp_down
    }

    /// The phase at `t` seconds after the start.
    pub fn phase_at(&self, t: f64) -> &'static str {
        let up = self.ramp_up.as_secs_f64();
        let steady = up + self.steady.as_secs_f64();
        let down = steady + self.ramp_down.as_secs_f64();
        if t < up {
            "ramp_up"
        } else if t < steady {
            "steady"
        } else if t < down {
            "ramp_down"
        } else {
            "drain"
        }
    }
}

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
    /// When an unacknowledged answer counts as a timeout.
    pub answer_timeout: Duration,
    /// Most sockets open at once.
    pub peak_open: AtomicUsize,
}

/// A small, fast, seedable PRNG (xorshift64*): answer choices and schedule jitter only.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded from `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A uniform float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The fields of server messages the tool reads; everything else is skipped.
#[derive(Debug, Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(default, borrow)]
    answer_id: Option<Cow<'a, str>>,
    #[serde(default)]
    points: Option<u32>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    duplicate: Option<bool>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    top: Vec<EntryIn<'a>>,
    #[serde(default, borrow)]
    around: Vec<EntryIn<'a>>,
    #[serde(default)]
    server_time: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct EntryIn<'a> {
    #[serde(borrow)]
    player: Cow<'a, str>,
    score: u64,
}

/// Why a session ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Every question answered: rotate to the next quiz.
    Finished,
    /// This socket's stop time came.
    Stopped,
    /// The server closed or the connection broke (already counted as an error).
    Broken,
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

/// One player slot for the whole run: join, answer every question, join the next quiz
/// under a new name, … until the slot's stop time.
pub async fn player(ctx: Arc<Ctx>, slot: usize) {
    let start = ctx.plan.start_of(slot);
    let stop = ctx.plan.stop_of(slot);
    sleep_until(start).await;
    let src = ctx.src_ips[slot % ctx.src_ips.len()];
    let mut rng = Rng::new(slot as u64 + 1);
    // Rate mode: this socket's share of the target rate, with a random phase so the
    // sockets do not send in lockstep.
    let interval = match ctx.mode {
        Mode::Rate(r) => Some(Duration::from_secs_f64(ctx.plan.players as f64 / r)),
        _ => None,
    };
    let mut next_send = Instant::now() + interval.map_or(Duration::ZERO, |i| i.mul_f64(rng.unit()));
    let mut cycle = 0usize;
    let mut backoff = Duration::from_millis(200);
    while Instant::now() < stop {
        let quiz_idx = (slot + cycle) % ctx.quizzes.len();
        let name = format!("s{slot}c{cycle}");
        cycle += 1;
        let Some((joined, ws)) =
            join_and_connect(&ctx, slot, &ctx.quizzes[quiz_idx], &name, src).await
        else {
            pause(Instant::now() + backoff, stop).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            continue;
        };
        backoff = Duration::from_millis(200);
        let _open = OpenGuard::new(&ctx, true);
        let mut s = Session {
            ctx: &ctx,
            shard: slot,
            quiz: quiz_idx,
            player_id: joined.player_id,
            ws,
            next_q: 0,
            next_id: 0,
            inflight: VecDeque::new(),
            rng: &mut rng,
            local: Local::default(),
        };
        let end = s.run(stop, interval, &mut next_send).await;
        if end == End::Broken {
            pause(Instant::now() + backoff, stop).await;
        }
    }
}

/// Numbers gathered while handling a burst of messages, recorded under one lock.
#[derive(Default)]
struct Local {
    sent: u64,
    acked: u64,
    boards: u64,
    latencies: Vec<u64>,
    stale: Vec<u64>,
}

struct Session<'a> {
    ctx: &'a Ctx,
    shard: usize,
    quiz: usize,
    player_id: String,
    ws: Ws,
    next_q: u32,
    next_id: u64,
    /// Unacknowledged answers: (answer id number, sent at).
    inflight: VecDeque<(u64, Instant)>,
    rng: &'a mut Rng,
    local: Local,
}

impl Session<'_> {
    fn flush_local(&mut self) {
        let l = &mut self.local;
        if l.sent == 0 && l.acked == 0 && l.boards == 0 && l.stale.is_empty() {
            return;
        }
        self.ctx.stats.with(self.shard, |w| {
            w.sent += l.sent;
            w.acked += l.acked;
            w.boards += l.boards;
            for v in l.latencies.drain(..) {
                record(&mut w.latency, v);
            }
            for v in l.stale.drain(..) {
                record(&mut w.staleness, v);
            }
        });
        l.sent = 0;
        l.acked = 0;
        l.boards = 0;
    }

    /// Queues the next answer (not flushed).
    async fn feed_answer(&mut self) -> bool {
        let q = self.next_q;
        let correct = net::correct_option(q);
        let option = if self.rng.unit() < self.ctx.correct_ratio {
            correct
        } else {
            (correct + 1) % net::OPTIONS
        };
        let id = self.next_id;
        let text = format!(
            r#"{{"type":"answer","answer_id":"a{id}","question":"q{q}","option":{option}}}"#
        );
        self.next_q += 1;
        self.next_id += 1;
        self.inflight.push_back((id, Instant::now()));
        self.local.sent += 1;
        self.ws.feed(Message::text(text)).await.is_ok()
    }

    async fn run(
        &mut self,
        stop: Instant,
        interval: Option<Duration>,
        next_send: &mut Instant,
    ) -> End {
        let ctx = self.ctx;
        let questions = ctx.questions;
        let end = loop {
            let now = Instant::now();
            let stopping = now >= stop || ctx.mode == Mode::Idle;
            if self.inflight.is_empty() {
                if now >= stop {
                    break End::Stopped;
                }
                if self.next_q >= questions && ctx.mode != Mode::Idle {
                    break End::Finished;
                }
            }
            if ctx.mode == Mode::Max && !stopping {
                let mut fed = false;
                while self.inflight.len() < ctx.in_flight && self.next_q < questions {
                    if !self.feed_answer().await {
                        break;
                    }
                    fed = true;
                }
                if fed && self.ws.flush().await.is_err() {
                    ctx.stats.error(self.shard, "ws:write");
                    break End::Broken;
                }
            }
            let can_send = interval.is_some()
                && !stopping
                && self.inflight.len() < ctx.in_flight
                && self.next_q < questions;
            let timeout_at = self.inflight.front().map(|(_, t)| *t + ctx.answer_timeout);
            self.flush_local();
            tokio::select! {
                biased;
                msg = self.ws.next() => {
                    if let Some(end) = self.handle(msg) {
                        break end;
                    }
                    // Handle whatever else already arrived before sending more, so a
                    // burst of acks turns into one batch of answers.
                    while let Some(msg) = self.ws.next().now_or_never() {
                        if let Some(end) = self.handle(msg) {
                            self.flush_local();
                            return end;
                        }
                    }
                }
                _ = sleep_until(*next_send), if can_send => {
                    let ok = self.feed_answer().await && self.ws.flush().await.is_ok();
                    if !ok {
                        ctx.stats.error(self.shard, "ws:write");
                        break End::Broken;
                    }
                    if let Some(i) = interval {
                        *next_send += i;
                        // After a stall, resume the schedule instead of bursting to catch up.
                        let now = Instant::now();
                        if *next_send + Duration::from_secs(1) < now {
                            *next_send = now;
                        }
                    }
                }
                _ = sleep_until(timeout_at.unwrap_or(stop)), if timeout_at.is_some() => {
                    if let Some((_, sent)) = self.inflight.front()
                        && sent.elapsed() >= ctx.answer_timeout
                    {
                        self.inflight.pop_front();
                        ctx.stats.error(self.shard, "timeout");
                    }
                }
                _ = sleep_until(stop), if now < stop => {}
            }
        };
        self.flush_local();
        if end != End::Broken {
            // Close politely and wait briefly for the server's close frame.
            let _ = self.ws.close(None).await;
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(_)) = self.ws.next().await {}
            })
            .await;
        }
        end
    }

    /// Handles one incoming item; returns `Some` when the session is over.
    fn handle(
        &mut self,
        msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<End> {
        let ctx = self.ctx;
        let text = match msg {
            None => {
                ctx.stats.error(self.shard, "ws:eof");
                return Some(End::Broken);
            }
            Some(Err(e)) => {
                ctx.stats.error(self.shard, &ws_error_kind(&e));
                return Some(End::Broken);
            }
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map_or(1005, |f| u16::from(f.code));
                ctx.stats.error(self.shard, &format!("close:{code}"));
                return Some(End::Broken);
            }
            Some(Ok(_)) => return None,
        };
        let text = text.as_str();
        if text.starts_with(r#"{"type":"board""#) {
            self.local.boards += 1;
            return None;
        }
        let Ok(m) = serde_json::from_str::<Incoming<'_>>(text) else {
            ctx.stats.error(self.shard, "bad_server_message");
            return None;
        };
        match m.ty.as_ref() {
            "answer_result" => {
                let Some(at) = self.take_inflight(m.answer_id.as_deref()) else {
                    ctx.stats.error(self.shard, "unmatched_ack");
                    return None;
                };
                self.local.acked += 1;
                self.local.latencies.push(at.elapsed().as_micros() as u64);
                if m.duplicate == Some(true) {
                    ctx.stats.error(self.shard, "duplicate_ack");
                } else if m.points.unwrap_or(0) > 0
                    && let (Some(total), Some(tracker)) = (m.total, ctx.trackers.get(self.quiz))
                {
                    let now = ctx.stats.now_us();
                    tracker
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .on_ack(&self.player_id, total, now, &mut self.local.stale);
                }
            }
            "error" => {
                let code = m.code.as_deref().unwrap_or("unknown");
                ctx.stats.error(self.shard, &format!("error:{code}"));
                self.take_inflight(m.answer_id.as_deref());
            }
            "board" => self.local.boards += 1,
            _ => {}
        }
        None
    }

    /// Removes the answer with wire id `a<n>` from the in-flight list; returns when it
    /// was sent.
    fn take_inflight(&mut self, answer_id: Option<&str>) -> Option<Instant> {
        let n: u64 = answer_id?.strip_prefix('a')?.parse().ok()?;
        let pos = self.inflight.iter().position(|(id, _)| *id == n)?;
        self.inflight.remove(pos).map(|(_, at)| at)
    }
}

fn ws_error_kind(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::ConnectionClosed | Error::AlreadyClosed => "ws:closed".into(),
        Error::Io(io) => format!("ws:io:{:?}", io.kind()),
        Error::Protocol(_) => "ws:protocol".into(),
        Error::Capacity(_) => "ws:capacity".into(),
        _ => "ws:other".into(),
    }
}

/// One observer: joins quiz `quiz` and feeds every board into the quiz's staleness
/// tracker as observer `index`, until the end of the run (reconnecting if dropped).
pub async fn observer(ctx: Arc<Ctx>, quiz: usize, index: usize, shard: usize) {
    let until = ctx.plan.end() + Duration::from_secs(1);
    let mut cycle = 0usize;
    while Instant::now() < until {
        let name = format!("o{quiz}x{index}c{cycle}");
        cycle += 1;
        let Some((_, mut ws)) =
            join_and_connect(&ctx, shard, &ctx.quizzes[quiz], &name, ctx.src_ips[0]).await
        else {
            pause(Instant::now() + Duration::from_secs(1), until).await;
            continue;
        };
        let _open = OpenGuard::new(&ctx, false);
        let mut samples = Vec::new();
        loop {
            let msg = tokio::select! {
                m = ws.next() => m,
                _ = sleep_until(until) => break,
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |f| u16::from(f.code));
                    ctx.stats.error(shard, &format!("close:{code}"));
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    ctx.stats.error(shard, &ws_error_kind(&e));
                    break;
                }
                None => {
                    ctx.stats.error(shard, "ws:eof");
                    break;
                }
            };
            let Ok(m) = serde_json::from_str::<Incoming<'_>>(text.as_str()) else {
                ctx.stats.error(shard, "bad_server_message");
                continue;
            };
            if m.ty != "board" {
                continue;
            }
            let now = ctx.stats.now_us();
            if let Some(tracker) = ctx.trackers.get(quiz) {
                tracker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .on_board(
                        index,
                        m.top
                            .iter()
                            .chain(&m.around)
                            .map(|e| (e.player.as_ref(), e.score)),
                        now,
                        &mut samples,
                    );
            }
            let delivery = m
                .server_time
                .map(|stamp_ms| unix_us().saturating_sub(stamp_ms.saturating_mul(1000)));
            ctx.stats.with(shard, |w| {
                w.boards += 1;
                for v in samples.drain(..) {
                    record(&mut w.staleness, v);
                }
                if let Some(d) = delivery {
                    record(&mut w.delivery, d);
                }
            });
        }
        let _ = ws.close(Some(tungstenite_close())).await;
    }
}

/// Now, in microseconds since the Unix epoch (the server stamps boards from the same clock).
fn unix_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn tungstenite_close() -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
    tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: CloseCode::Normal,
        reason: "load test over".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_spreads_starts_and_stops() {
        let start = Instant::now();
        let p = Plan {
            start,
            ramp_up: Duration::from_secs(10),
            steady: Duration::from_secs(20),
            ramp_down: Duration::from_secs(5),
            players: 10,
        };
        assert_eq!(p.start_of(0), start);
        assert_eq!(p.start_of(5), start + Duration::from_secs(5));
        assert_eq!(p.stop_of(9), p.end());
        assert_eq!(
            p.stop_of(0),
            start + Duration::from_secs(30) + Duration::from_millis(500)
        );
        assert_eq!(p.phase_at(0.5), "ramp_up");
        assert_eq!(p.phase_at(10.5), "steady");
        assert_eq!(p.phase_at(30.5), "ramp_down");
        assert_eq!(p.phase_at(35.5), "drain");
    }

    #[test]
    fn the_rng_stays_in_range() {
        let mut r = Rng::new(0);
        for _ in 0..10_000 {
            let v = r.unit();
            assert!((0.0..1.0).contains(&v));
        }
    }

    #[test]
    fn server_messages_parse_with_only_the_needed_fields() {
        let ack = r#"{"type":"answer_result","answer_id":"a7","question":"q1","correct":true,"points":100,"streak":1,"total":300,"answers":3,"rank":2,"duplicate":false}"#;
        let m: Incoming<'_> = serde_json::from_str(ack).unwrap();
        assert_eq!(m.ty, "answer_result");
        assert_eq!(m.answer_id.as_deref(), Some("a7"));
        assert_eq!(m.total, Some(300));
        let board = r#"{"type":"board","seq":3,"top":[{"rank":1,"player":"p1","name":"x","score":5}],"around":[],"players":1,"server_time":1}"#;
        let m: Incoming<'_> = serde_json::from_str(board).unwrap();
        assert_eq!(m.top[0].player, "p1");
        let err = r#"{"type":"error","code":"rate_limited","message":"slow down"}"#;
        let m: Incoming<'_> = serde_json::from_str(err).unwrap();
        assert_eq!(m.code.as_deref(), Some("rate_limited"));
    }
}
