//! The player socket's state machine: one slot joins a quiz, answers every question at
//! the mode's pace while tracking unacknowledged answers, then rotates to the next quiz
//! under a new name, until its stop time.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::incoming::{Incoming, ws_error_kind};
use super::{Ctx, OpenGuard, Rng, join_and_connect, pause};
use crate::cli::Mode;
use crate::net::{self, Ws};
use crate::stats::record;

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

/// One connection of a player slot, from the handshake to the end of its quiz or its
/// stop time; the slot starts a new session for each quiz it joins.
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
        let right = self.rng.unit() < self.ctx.correct_ratio;
        let fields = net::answer_fields(q, self.ctx.question_mix, right);
        let id = self.next_id;
        let text = format!(r#"{{"type":"answer","answer_id":"a{id}","question":"q{q}",{fields}}}"#);
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
