//! Rooms: the sockets of each quiz on this instance, and the throttled leaderboard push.
//!
//! Every instance subscribes to the room bus. An announcement "quiz Q changed" (from this
//! instance or another) feeds Q's [`Throttle`]; when it says "broadcast now" the room reads
//! the board once and sends each socket its own view (top N, its line, its neighbours).
//! Each socket holds a `watch` slot with the latest board, so a slow socket skips stale
//! boards instead of queueing them, and the newest one is always delivered.
//!
//! The room lock is a `std::sync::Mutex`: it guards only in-memory maps and is never held
//! across an `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use quiz_contracts::ws::{BoardMsg, ServerMessage};
use quiz_core::board::build_view;
use quiz_core::ports::Names;
use quiz_core::throttle::{Decision, Throttle};
use quiz_core::{PlayerId, QuizId, QuizService, Ranked};
use tokio::sync::watch;

use crate::clock;
use crate::telemetry;

/// Boards of rooms with at most this many players are computed from one full read; larger
/// rooms read each socket's neighbourhood separately.
const FULL_READ_LIMIT: u64 = 50_000;

/// The latest board for one socket, serialized once.
pub type BoardSlot = watch::Receiver<Option<Arc<str>>>;

struct SocketEntry {
    player: PlayerId,
    board: watch::Sender<Option<Arc<str>>>,
}

struct Room {
    sockets: HashMap<u64, SocketEntry>,
    throttle: Throttle,
    timer_armed: bool,
    seq: u64,
    /// When the oldest change not yet broadcast happened (for the latency metric).
    pending_since: Option<Instant>,
    names: Names,
}

/// All rooms of this instance.
pub struct Rooms {
    rooms: Mutex<HashMap<QuizId, Room>>,
    service: QuizService,
    window_ms: u64,
    next_conn: AtomicU64,
}

impl Rooms {
    /// Rooms that push boards at most once per `window_ms`.
    pub fn new(service: QuizService, window_ms: u64) -> Arc<Self> {
        Arc::new(Self {
            rooms: Mutex::new(HashMap::new()),
            service,
            window_ms,
            next_conn: AtomicU64::new(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<QuizId, Room>> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a socket of `player` to `quiz`'s room; returns its id and board slot.
    pub fn enter(&self, quiz: &QuizId, player: &PlayerId) -> (u64, BoardSlot) {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(None);
        let mut rooms = self.lock();
        let room = rooms.entry(quiz.clone()).or_insert_with(|| Room {
            sockets: HashMap::new(),
            throttle: Throttle::new(self.window_ms),
            timer_armed: false,
            seq: 0,
            pending_since: None,
            names: Names::new(),
        });
        room.sockets.insert(
            id,
            SocketEntry {
                player: player.clone(),
                board: tx,
            },
        );
        (id, rx)
    }

    /// Removes a socket; an empty room is dropped.
    pub fn leave(&self, quiz: &QuizId, conn: u64) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(quiz) {
            room.sockets.remove(&conn);
            if room.sockets.is_empty() {
                rooms.remove(quiz);
            }
        }
    }

    /// The current board sequence number of a room (0 when it has none).
    pub fn seq(&self, quiz: &QuizId) -> u64 {
        self.lock().get(quiz).map_or(0, |r| r.seq)
    }

    /// How many sockets this instance holds.
    pub fn socket_count(&self) -> usize {
        self.lock().values().map(|r| r.sockets.len()).sum()
    }

    /// Feeds "quiz changed" into the room's throttle.
    pub fn changed(self: &Arc<Self>, quiz: &QuizId) {
        let decision = {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(quiz) else {
                return; // nobody here watches this quiz
            };
            room.pending_since.get_or_insert_with(Instant::now);
            room.throttle.changed(clock::now())
        };
        self.act(quiz, decision);
    }

    fn tick(self: &Arc<Self>, quiz: &QuizId) {
        let decision = {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(quiz) else {
                return;
            };
            room.timer_armed = false;
            room.throttle.tick(clock::now())
        };
        self.act(quiz, decision);
    }

    fn act(self: &Arc<Self>, quiz: &QuizId, decision: Decision) {
        match decision {
            Decision::BroadcastNow => {
                let rooms = self.clone();
                let quiz = quiz.clone();
                tokio::spawn(async move { rooms.broadcast(&quiz).await });
            }
            Decision::WaitUntil(at) => {
                {
                    let mut map = self.lock();
                    let Some(room) = map.get_mut(quiz) else {
                        return;
                    };
                    if room.timer_armed {
                        return;
                    }
                    room.timer_armed = true;
                }
                let wait = Duration::from_millis(at.since(clock::now()));
                let rooms = self.clone();
                let quiz = quiz.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    rooms.tick(&quiz);
                });
            }
            Decision::Idle => {}
        }
    }

    /// Reads the board and sends every socket of the room its view.
    async fn broadcast(&self, quiz: &QuizId) {
        let svc = &self.service;
        let sb = &svc.ports().scoreboard;
        let cfg = svc.config();
        let count = match sb.count(quiz).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(%quiz, error = %e, "board read failed; the next change retries");
                return;
            }
        };
        let full = count <= FULL_READ_LIMIT;
        let board = if full {
            sb.top(quiz, 0, count).await
        } else {
            sb.top(quiz, 0, cfg.top_n).await
        };
        let board = match board {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%quiz, error = %e, "board read failed; the next change retries");
                return;
            }
        };
        // Neighbourhoods: from the full read, or one query per socket for huge rooms.
        let players: Vec<(u64, PlayerId)> = {
            let rooms = self.lock();
            let Some(room) = rooms.get(quiz) else { return };
            room.sockets
                .iter()
                .map(|(id, s)| (*id, s.player.clone()))
                .collect()
        };
        let mut around: HashMap<u64, Vec<Ranked>> = HashMap::with_capacity(players.len());
        if full {
            let pos: HashMap<&PlayerId, usize> = board
                .iter()
                .enumerate()
                .map(|(i, r)| (&r.player, i))
                .collect();
            let k = cfg.around_k as usize;
            for (id, p) in &players {
                if let Some(&i) = pos.get(p) {
                    let from = i.saturating_sub(k);
                    let to = (i + k + 1).min(board.len());
                    around.insert(*id, board[from..to].to_vec());
                }
            }
        } else {
            for (id, p) in &players {
                if let Ok(a) = sb.around(quiz, p, cfg.around_k).await {
                    around.insert(*id, a);
                }
            }
        }
        let top: Vec<Ranked> = board.iter().take(cfg.top_n as usize).cloned().collect();
        // Names never change, so each room caches them.
        let missing: Vec<PlayerId> = {
            let rooms = self.lock();
            let Some(room) = rooms.get(quiz) else { return };
            top.iter()
                .chain(around.values().flatten())
                .map(|r| &r.player)
                .filter(|p| !room.names.contains_key(*p))
                .cloned()
                .collect::<std::collections::HashSet<_>>()
                .into_iter()
                .collect()
        };
        let fetched = if missing.is_empty() {
            Names::new()
        } else {
            match svc.ports().registry.names(quiz, &missing).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(%quiz, error = %e, "name lookup failed; showing ids");
                    Names::new()
                }
            }
        };
        let now = clock::now();
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(quiz) else {
            return;
        };
        room.names.extend(fetched);
        room.seq += 1;
        let seq = room.seq;
        let mut sent = 0u64;
        for (id, socket) in &room.sockets {
            let mine = around.get(id).map(Vec::as_slice).unwrap_or_default();
            let me = mine.iter().find(|r| r.player == socket.player);
            let view = build_view(&top, me, mine, count, &room.names);
            let msg = ServerMessage::Board(BoardMsg::new(&view, seq, now.0));
            if let Ok(json) = serde_json::to_string(&msg) {
                socket.board.send_replace(Some(Arc::from(json)));
                sent += 1;
            }
        }
        metrics::counter!(telemetry::BOARDS_SENT).increment(sent);
        if let Some(since) = room.pending_since.take() {
            metrics::histogram!(telemetry::BROADCAST_LATENCY).record(since.elapsed().as_secs_f64());
        }
    }
}

/// Runs forever: feeds every bus announcement into the rooms, resubscribing after a
/// failure with a capped backoff.
pub async fn follow_bus(rooms: Arc<Rooms>, service: QuizService) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match service.ports().bus.subscribe().await {
            Ok(mut sub) => {
                backoff = Duration::from_millis(100);
                while let Some(quiz) = sub.next().await {
                    rooms.changed(&quiz);
                }
                tracing::warn!("room bus subscription ended; resubscribing");
            }
            Err(e) => tracing::warn!(error = %e, "room bus unavailable; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
