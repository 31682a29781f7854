//! A hosted game (`--hosted`): the players and the host.
//!
//! Each player joins the game's quiz over HTTP, connects, and records when each `phase`
//! frame (by `seq`) reached it; when a question arrives it answers once at a uniformly
//! random moment within the answer window, and it stops at the podium. The host connects
//! with the host key, waits until the lobby holds the players expected and every local
//! player is connected, sends `start`, and after each reveal and board — once every local
//! socket got it (or 15 s passed) and a short dwell for sockets of other processes —
//! sends `next`; a question closes by itself (every player answered, `end_early`).
//! Waiting for delivery before moving on keeps the game from superseding a phase that is
//! still on its way, so a phase a socket never gets is a lost one, not a skipped one.
//!
//! Every time here is wall-clock microseconds (`unix_us`), so the processes of one game
//! on one machine can be merged ([`crate::report::hosted`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::incoming::ws_error_kind;
use super::{Ctx, OpenGuard, Rng, join_and_connect, pause};
use crate::cli::Target;
use crate::net;
use crate::report::hosted::CommandSent;
use crate::stats::record;

/// How long the host waits for every local socket to get a phase before moving on.
const DELIVERY_WAIT: Duration = Duration::from_secs(15);

/// Now, in microseconds since the Unix epoch.
pub fn unix_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The host's side of the game.
#[derive(Debug, Clone)]
pub struct HostCfg {
    /// The quiz's host key.
    pub key: String,
    /// Where the host socket connects.
    pub target: Target,
}

/// One phase's arrivals on this process's player sockets.
#[derive(Debug, Default)]
pub struct SeqRec {
    /// The phase's name.
    pub phase: String,
    /// Its question (0-based), if any.
    pub question: Option<u32>,
    /// Arrival times, µs since the epoch.
    pub arrivals: Vec<u64>,
}

/// What the game's sockets recorded.
#[derive(Debug, Default)]
pub struct Record {
    /// Phases by `seq`.
    pub seqs: BTreeMap<u64, SeqRec>,
    /// Per question: answers sent, the last one's send time (µs since the epoch).
    pub answers: BTreeMap<u32, (u64, u64)>,
    /// Frames received on player sockets by type.
    pub frames: BTreeMap<String, u64>,
    /// Per player socket, the phase `seq`s it received, in order.
    pub seen: Vec<Vec<u64>>,
    /// Host commands.
    pub commands: Vec<CommandSent>,
    /// The lobby's player count when the host started.
    pub players_in_game: Option<u64>,
    /// Server RSS when the host started, KiB.
    pub rss_lobby_kib: Option<u64>,
    /// (server CPU s, own CPU s, at) when `start` was sent.
    pub at_start: Option<(Option<f64>, Option<f64>, Instant)>,
    /// (server CPU s, own CPU s, at) when the podium had reached the sockets.
    pub at_end: Option<(Option<f64>, Option<f64>, Instant)>,
}

/// The game every socket task of this process shares.
pub struct Game {
    /// The quiz id.
    pub quiz: String,
    /// Prefix of this process's player names (unique per process).
    pub names: String,
    /// The answer window.
    pub window: Duration,
    /// Players the host waits for in the lobby.
    pub expect: usize,
    /// Player sockets this process runs.
    pub local_players: usize,
    /// The host's extra wait after local delivery.
    pub dwell: Duration,
    /// When every task gives up.
    pub deadline: Instant,
    /// The server process sampled for CPU and memory.
    pub server_pid: Option<u32>,
    /// Local player sockets connected now (or that left at the podium).
    pub connected: AtomicUsize,
    /// What the sockets recorded.
    pub record: Mutex<Record>,
    /// Set when the game is over (podium delivered, or the host gave up).
    pub over: watch::Sender<bool>,
}

impl Game {
    fn with<R>(&self, f: impl FnOnce(&mut Record) -> R) -> R {
        f(&mut self.record.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn delivered(&self, seq: u64) -> usize {
        self.with(|r| r.seqs.get(&seq).map_or(0, |s| s.arrivals.len()))
    }
}

/// The fields of server frames the game reads.
#[derive(Debug, Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default, borrow)]
    phase: Option<Cow<'a, str>>,
    /// An object in `phase` frames, the question's id in `answer_result`: read as a
    /// value and looked into only for phases ([`Frame::question`]).
    #[serde(default, rename = "question")]
    question_raw: Option<serde_json::Value>,
    #[serde(default)]
    players: Option<u64>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    command: Option<Cow<'a, str>>,
}

/// A phase's question: its index and id.
#[derive(Debug)]
struct QuestionIn {
    index: u32,
    id: String,
}

impl Frame<'_> {
    fn question(&self) -> Option<QuestionIn> {
        let q = self.question_raw.as_ref()?;
        Some(QuestionIn {
            index: u32::try_from(q.get("index")?.as_u64()?).ok()?,
            id: q.get("id")?.as_str()?.to_owned(),
        })
    }
}

/// The type of a frame without parsing it, for the frequent small ones.
fn quick_type(text: &str) -> Option<&'static str> {
    [
        (r#"{"type":"answered""#, "answered"),
        (r#"{"type":"roster""#, "roster"),
        (r#"{"type":"board""#, "board"),
    ]
    .into_iter()
    .find(|(prefix, _)| text.starts_with(prefix))
    .map(|(_, t)| t)
}

/// One player of the game.
pub async fn player(ctx: Arc<Ctx>, game: Arc<Game>, slot: usize) {
    let src = ctx.src_ips[slot % ctx.src_ips.len()];
    let mut rng = Rng::new(slot as u64 + 1);
    let name = format!("{}{slot}", game.names);
    let mut backoff = Duration::from_millis(200);
    let mut over = game.over.subscribe();
    let mut ws = loop {
        let is_over = *over.borrow();
        if Instant::now() >= game.deadline || is_over {
            return;
        }
        match join_and_connect(&ctx, slot, &game.quiz, &name, src).await {
            Some((_, ws)) => break ws,
            None => {
                pause(Instant::now() + backoff, game.deadline).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    };
    let _open = OpenGuard::new(&ctx, true);
    game.connected.fetch_add(1, Ordering::Relaxed);
    let mut seen: Vec<u64> = Vec::new();
    let mut frames: BTreeMap<String, u64> = BTreeMap::new();
    // (question id, index, when to answer)
    let mut pending: Option<(String, u32, Instant)> = None;
    let mut answered_up_to: Option<u32> = None;
    let mut inflight: Option<Instant> = None;
    let mut at_podium = false;
    loop {
        let answer_at = pending.as_ref().map(|p| p.2);
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map_or(1005, |f| u16::from(f.code));
                        ctx.stats.error(slot, &format!("close:{code}"));
                        break;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        ctx.stats.error(slot, &ws_error_kind(&e));
                        break;
                    }
                    None => {
                        ctx.stats.error(slot, "ws:eof");
                        break;
                    }
                };
                let at = unix_us();
                if let Some(t) = quick_type(text.as_str()) {
                    *frames.entry(t.to_owned()).or_insert(0) += 1;
                    if t == "board" {
                        ctx.stats.with(slot, |w| w.boards += 1);
                    }
                    continue;
                }
                let Ok(f) = serde_json::from_str::<Frame<'_>>(text.as_str()) else {
                    ctx.stats.error(slot, "bad_server_message");
                    continue;
                };
                *frames.entry(f.ty.to_string()).or_insert(0) += 1;
                match f.ty.as_ref() {
                    "phase" => {
                        let (Some(seq), Some(phase)) = (f.seq, f.phase.as_deref()) else {
                            ctx.stats.error(slot, "bad_server_message");
                            continue;
                        };
                        if seen.last().is_some_and(|l| seq <= *l) {
                            continue;
                        }
                        seen.push(seq);
                        let question = f.question();
                        let q = question.as_ref().map(|q| q.index);
                        game.with(|r| {
                            let s = r.seqs.entry(seq).or_default();
                            if s.phase.is_empty() {
                                s.phase = phase.to_owned();
                                s.question = q;
                            }
                            s.arrivals.push(at);
                        });
                        match (phase, question) {
                            ("question", Some(q)) if answered_up_to.is_none_or(|a| q.index > a) => {
                                let delay = game.window.mul_f64(rng.unit());
                                pending = Some((q.id, q.index, Instant::now() + delay));
                            }
                            ("podium", _) => {
                                at_podium = true;
                                break;
                            }
                            _ => pending = None,
                        }
                    }
                    "answer_result" => {
                        if let Some(sent) = inflight.take() {
                            let us = sent.elapsed().as_micros() as u64;
                            ctx.stats.with(slot, |w| {
                                w.acked += 1;
                                record(&mut w.latency, us);
                            });
                        }
                    }
                    "error" => {
                        let code = f.code.as_deref().unwrap_or("unknown");
                        ctx.stats.error(slot, &format!("error:{code}"));
                        inflight = None;
                    }
                    _ => {}
                }
            }
            _ = sleep_until(answer_at.unwrap_or(game.deadline)), if answer_at.is_some() => {
                let Some((id, index, _)) = pending.take() else { continue };
                let c = net::correct_option(index);
                let option = if rng.unit() < ctx.correct_ratio { c } else { (c + 1) % net::OPTIONS };
                let text = format!(
                    r#"{{"type":"answer","answer_id":"q{index}","question":"{id}","option":{option}}}"#
                );
                answered_up_to = Some(index);
                inflight = Some(Instant::now());
                let sent_at = unix_us();
                if ws.send(Message::text(text)).await.is_err() {
                    ctx.stats.error(slot, "ws:write");
                    break;
                }
                ctx.stats.with(slot, |w| w.sent += 1);
                game.with(|r| {
                    let e = r.answers.entry(index).or_insert((0, 0));
                    e.0 += 1;
                    e.1 = e.1.max(sent_at);
                });
            }
            // It only ever turns true (or its sender is gone).
            _ = over.changed() => break,
            _ = sleep_until(game.deadline) => break,
        }
    }
    game.with(|r| {
        r.seen.push(seen);
        for (k, v) in frames {
            *r.frames.entry(k).or_insert(0) += v;
        }
    });
    // A socket that got the podium still counts as connected: the host compares the
    // podium's deliveries with it.
    if !at_podium {
        game.connected.fetch_sub(1, Ordering::Relaxed);
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
}

/// Where the host is in the game.
enum Step {
    /// Waiting for the players to join and connect.
    Lobby { until: Instant },
    /// A command is out; waiting for the phase it leads to.
    Sent,
    /// Phase `seq` is out: waiting until every local socket has it, then the dwell.
    Deliver {
        seq: u64,
        since: Instant,
        ready_at: Option<Instant>,
        last: bool,
    },
}

/// The host of the game: drives it from the lobby to the podium.
///
/// # Errors
/// A message when the host socket cannot connect or breaks.
pub async fn host(ctx: Arc<Ctx>, game: Arc<Game>, cfg: HostCfg) -> Result<(), String> {
    let path = format!("/ws/{}?host_key={}", game.quiz, cfg.key);
    let mut ws = net::connect(
        cfg.target.addr,
        &cfg.target.authority,
        None,
        &path,
        ctx.ws_config,
    )
    .await
    .map_err(|e| format!("the host socket: {}", e.kind()))?;
    let result = drive(&ctx, &game, &mut ws).await;
    let _ = game.over.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    result
}

async fn drive(ctx: &Ctx, game: &Game, ws: &mut net::Ws) -> Result<(), String> {
    let join_budget = Duration::from_secs_f64((game.expect as f64 / 50.0).max(60.0));
    let mut step = Step::Lobby {
        until: Instant::now() + join_budget,
    };
    let mut players = 0u64;
    let mut last_seq: Option<u64> = None;
    let mut sent: Option<(String, u64)> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(f))) => {
                        return Err(format!("the host socket was closed ({:?})", f.map(|f| f.code)));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(format!("the host socket broke: {e}")),
                    None => return Err("the host socket ended".into()),
                };
                if text.as_str().starts_with(r#"{"type":"answered""#) {
                    continue;
                }
                let Ok(f) = serde_json::from_str::<Frame<'_>>(text.as_str()) else { continue };
                match f.ty.as_ref() {
                    "phase" | "roster" => {
                        if let Some(n) = f.players {
                            players = n;
                        }
                        let (Some(seq), Some(phase)) = (f.seq, f.phase.as_deref()) else { continue };
                        if last_seq.is_some_and(|l| seq <= l) {
                            continue;
                        }
                        last_seq = Some(seq);
                        if matches!(phase, "reveal" | "board" | "podium") {
                            step = Step::Deliver {
                                seq,
                                since: Instant::now(),
                                ready_at: None,
                                last: phase == "podium",
                            };
                        }
                    }
                    "host_ok" => {
                        if let (Some((command, at)), Some(seq)) = (sent.take(), f.seq) {
                            game.with(|r| r.commands.push(CommandSent { command, seq, sent_unix_us: at }));
                        }
                    }
                    "error" => {
                        let code = f.code.as_deref().unwrap_or("unknown");
                        ctx.stats.error(0, &format!("host:error:{code}"));
                        if let Some(c) = f.command.as_deref() {
                            return Err(format!("the host's {c} was refused: {code}"));
                        }
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                if now >= game.deadline {
                    return Err("the run's time bound came before the podium".into());
                }
                let command = match &mut step {
                    Step::Lobby { until } => {
                        let all_in = players >= game.expect as u64
                            && game.connected.load(Ordering::Relaxed) >= game.local_players;
                        if !(all_in || now >= *until) {
                            continue;
                        }
                        if !all_in {
                            eprintln!(
                                "quiz-loadgen: starting with {players} of {} players in the lobby",
                                game.expect
                            );
                        }
                        tokio::time::sleep(game.dwell).await;
                        let rss = game.server_pid.and_then(crate::procfs::rss_kib);
                        let cpu = sample(game.server_pid);
                        game.with(|r| {
                            r.players_in_game = Some(players);
                            r.rss_lobby_kib = rss;
                            r.at_start = Some(cpu);
                        });
                        "start"
                    }
                    Step::Sent => continue,
                    Step::Deliver { seq, since, ready_at, last } => {
                        match ready_at {
                            None => {
                                let local = game.connected.load(Ordering::Relaxed);
                                if game.delivered(*seq) >= local || since.elapsed() >= DELIVERY_WAIT {
                                    *ready_at = Some(now + game.dwell);
                                }
                                continue;
                            }
                            Some(t) if now < *t => continue,
                            Some(_) if *last => {
                                let cpu = sample(game.server_pid);
                                game.with(|r| r.at_end = Some(cpu));
                                return Ok(());
                            }
                            Some(_) => "next",
                        }
                    }
                };
                let at = unix_us();
                let frame = format!(r#"{{"type":"host","command":"{command}"}}"#);
                ws.send(Message::text(frame))
                    .await
                    .map_err(|e| format!("the host's {command}: {e}"))?;
                sent = Some((command.to_owned(), at));
                step = Step::Sent;
            }
        }
    }
}

/// In a process without the host: ends the game for this process's sockets once the
/// podium reached one of them and the others had `DELIVERY_WAIT` to get it too (a
/// socket that lost the podium would otherwise wait for the run's time bound).
pub async fn end_after_podium(game: Arc<Game>) {
    loop {
        let podium = game.with(|r| r.seqs.values().any(|s| s.phase == "podium"));
        if podium {
            let local = game.connected.load(Ordering::Relaxed);
            let since = Instant::now();
            while since.elapsed() < DELIVERY_WAIT {
                let got = game.with(|r| {
                    r.seqs
                        .values()
                        .find(|s| s.phase == "podium")
                        .map_or(0, |s| s.arrivals.len())
                });
                if got >= local {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = game.over.send(true);
            return;
        }
        if Instant::now() >= game.deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (server CPU s, own CPU s, now).
fn sample(server: Option<u32>) -> (Option<f64>, Option<f64>, Instant) {
    (
        server.and_then(crate::procfs::cpu_seconds),
        crate::procfs::cpu_seconds(std::process::id()),
        Instant::now(),
    )
}

/// Counts, for each socket, the phases from its first to the game's last that it never
/// received: (phases missed, sockets that missed any).
pub fn missed(seen: &[Vec<u64>]) -> (u64, u64) {
    let Some(last) = seen.iter().filter_map(|s| s.last().copied()).max() else {
        return (0, 0);
    };
    let mut total = 0;
    let mut sockets = 0;
    for s in seen {
        let Some(&first) = s.first() else { continue };
        let expected = last - first + 1;
        let m = expected.saturating_sub(s.len() as u64);
        total += m;
        sockets += u64::from(m > 0);
    }
    (total, sockets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_phases_are_the_gaps_up_to_the_last_phase() {
        assert_eq!(missed(&[]), (0, 0));
        assert_eq!(missed(&[vec![0, 1, 2, 3], vec![1, 2, 3]]), (0, 0));
        // One socket lost the reveal (2), another everything after the question (1).
        assert_eq!(
            missed(&[vec![0, 1, 2, 3], vec![0, 1, 3], vec![0, 1]]),
            (3, 2)
        );
    }

    #[test]
    fn frequent_frames_are_typed_without_parsing() {
        assert_eq!(
            quick_type(r#"{"type":"answered","seq":2,"answered":1}"#),
            Some("answered")
        );
        assert_eq!(quick_type(r#"{"type":"phase","seq":2}"#), None);
    }

    #[test]
    fn phase_frames_parse_with_the_fields_the_game_needs() {
        let f: Frame<'_> = serde_json::from_str(
            r#"{"type":"phase","seq":1,"phase":"question","players":3,"question":{"index":0,"id":"q0","prompt":"x","options":["a"]},"server_time":1}"#,
        )
        .unwrap();
        assert_eq!((f.seq, f.players), (Some(1), Some(3)));
        let q = f.question().unwrap();
        assert_eq!((q.index, q.id.as_str()), (0, "q0"));
        let ack: Frame<'_> = serde_json::from_str(
            r#"{"type":"answer_result","answer_id":"q0","question":"q0","correct":true,"points":100}"#,
        )
        .unwrap();
        assert_eq!(ack.ty, "answer_result");
        assert!(ack.question().is_none());
    }
}
