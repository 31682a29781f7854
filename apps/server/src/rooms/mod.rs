//! Rooms: the sockets of each quiz on this instance, and the throttled leaderboard push.
//!
//! Every instance subscribes to the room bus. An announcement "quiz Q changed" (from this
//! instance or another) feeds Q's [`Throttle`]; when it says "broadcast now" the room reads
//! the board once and sends each socket its own view (top N, its line, its neighbours).
//! Each socket holds a `watch` slot with the latest board, so a slow socket skips stale
//! boards instead of queueing them, and the newest one is always delivered: a slot only
//! ever moves to a higher `seq`, even when two broadcasts of a room overlap.
//!
//! A broadcast serializes each board line once (a line reads the same to every viewer)
//! and hands each socket a reference to those lines plus its own view; the socket's
//! writer splices its message from them when it sends. Fanning a board out to 10,000
//! sockets thus costs 10,000 reference handovers in the broadcast and string
//! concatenation in the writers, not 10,000 × 15 entry serializations. The fan-out runs
//! outside the room lock.
//!
//! A large room fans out in staggered slots. Each socket belongs to one of up to
//! [`SLOTS`] slots for its whole life (rooms of up to [`SLOT_SOCKETS`] sockets use one); a
//! broadcast round reads the board afresh for each slot in use and sends slot `s` its
//! boards `s/SLOTS` of a window after the round starts. Every socket still gets at most
//! one board per window, and a change is on every socket within a window of it (while
//! changes keep coming each slot reads the board once per window; after a quiet window
//! the round starts at once and slot `s` follows `s/SLOTS` of a window later); but a
//! 10,000-socket room sends
//! eight bursts of ~1,250 boards instead of one of 10,000, so the sockets served last in
//! a burst wait for ~1,250 sends, not ~10,000, and answers are not stuck behind a fan-out
//! burst. A round costs one board read per slot in use.
//!
//! The room lock is a `std::sync::Mutex`: it guards only in-memory maps and is never held
//! across an `.await`.

mod frame;
mod game;
mod slots;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use quiz_core::board::ViewIndex;
use quiz_core::ports::{BusEvent, Names, RoomBus};
use quiz_core::throttle::{Decision, Throttle};
use quiz_core::{PlayerId, QuizId, QuizService, Timestamp};
use tokio::sync::watch;

pub use self::frame::{Board, SocketBoard};
use self::frame::{Frame, join, line_json};
pub use self::slots::{SLOT_SOCKETS, SLOTS};
use self::slots::{pick_slot, slot_offset};
use crate::clock;
use crate::telemetry;

/// The receiving end of a socket's board slot.
pub type BoardWatch = watch::Receiver<Board>;

struct SocketEntry {
    /// The player, or `None` for a host's socket.
    player: Option<PlayerId>,
    /// The fan-out slot of this socket, fixed for its life.
    slot: usize,
    board: watch::Sender<Board>,
    /// Hosted games: the socket's outgoing queue and the last phase sent on it.
    push: Option<game::Push>,
    /// A player's socket: its outgoing queue, to close it when another socket of the same
    /// player takes over; its id across instances and when it connected.
    closer: Option<Closer>,
}

/// How a player's socket is closed when another one of the same player takes over.
struct Closer {
    out: tokio::sync::mpsc::Sender<crate::ws::Out>,
    /// `<instance>-<conn>`: unique across instances.
    id: String,
    /// When it connected (ms since the epoch).
    since: u64,
    closed: std::sync::atomic::AtomicBool,
}

struct Room {
    sockets: HashMap<u64, Arc<SocketEntry>>,
    /// The sockets of each player that yield to a newer one (take-over), so a take-over
    /// looks at that player's sockets only, not the whole room.
    by_player: HashMap<PlayerId, Vec<u64>>,
    /// Sockets per fan-out slot.
    slot_sizes: [usize; SLOTS],
    throttle: Throttle,
    timer_armed: bool,
    seq: u64,
    /// When the oldest change not yet broadcast happened (for the latency metric).
    pending_since: Option<Instant>,
    /// Names never change, so each room caches them; shared with running broadcasts.
    names: Arc<Names>,
    /// A hosted game's push state (`None` for a self-paced quiz).
    game: Option<game::GameRoom>,
}

/// What a throttle decision asks the caller to do once the lock is released.
enum Action {
    Broadcast,
    Timer(Timestamp),
    Nothing,
}

/// All rooms of this instance.
pub struct Rooms {
    /// This instance's random id, the prefix of its sockets' ids.
    instance: String,
    rooms: Mutex<HashMap<QuizId, Room>>,
    service: QuizService,
    window_ms: u64,
    slot_sockets: usize,
    next_conn: AtomicU64,
}

impl Rooms {
    /// Rooms that push boards at most once per `window_ms`.
    pub fn new(service: QuizService, window_ms: u64) -> Arc<Self> {
        Self::with_slot_sockets(service, window_ms, SLOT_SOCKETS)
    }

    /// Like [`Rooms::new`], with a room taking one more fan-out slot into use per
    /// `slot_sockets` sockets (tests use small rooms).
    fn with_slot_sockets(service: QuizService, window_ms: u64, slot_sockets: usize) -> Arc<Self> {
        Arc::new(Self {
            instance: crate::token::random_hex(6),
            rooms: Mutex::new(HashMap::new()),
            service,
            window_ms,
            slot_sockets,
            next_conn: AtomicU64::new(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<QuizId, Room>> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a socket of `player` to `quiz`'s room; returns its id and board slot.
    pub fn enter(&self, quiz: &QuizId, player: &PlayerId) -> (u64, BoardWatch) {
        self.enter_socket(quiz, Some(player.clone()), None, None::<fn(u64) -> Closer>)
    }

    /// Adds a player's socket that yields to a newer socket of the same player (see
    /// [`Rooms::taken_over`]); returns its id, board slot, id across instances and
    /// connection time, which the caller announces with `QuizService::take_over`.
    pub(crate) fn enter_player(
        &self,
        quiz: &quiz_core::Quiz,
        player: &PlayerId,
        out: tokio::sync::mpsc::Sender<crate::ws::Out>,
        hosted: bool,
    ) -> (u64, BoardWatch, String, u64) {
        let since = clock::now().0;
        let push = hosted.then(|| (game::Push::new(out.clone()), quiz.clone()));
        let closer = |conn: u64| Closer {
            out,
            id: format!("{}-{conn}", self.instance),
            since,
            closed: std::sync::atomic::AtomicBool::new(false),
        };
        let (conn, board) = self.enter_socket(quiz.id(), Some(player.clone()), push, Some(closer));
        (conn, board, format!("{}-{conn}", self.instance), since)
    }

    /// Another socket of `player` (`socket`, connected at `since`) took over: this
    /// instance's older sockets of that player close with 4010. Sockets that connected
    /// later are left alone, whatever order the announcements arrive in.
    pub fn taken_over(&self, quiz: &QuizId, player: &PlayerId, socket: &str, since: u64) {
        let rooms = self.lock();
        let Some(room) = rooms.get(quiz) else {
            return;
        };
        let Some(conns) = room.by_player.get(player) else {
            return;
        };
        for s in conns.iter().filter_map(|c| room.sockets.get(c)) {
            let Some(c) = &s.closer else { continue };
            let older = (c.since, c.id.as_str()) < (since, socket);
            if s.player.as_ref() == Some(player)
                && c.id != socket
                && older
                && !c.closed.swap(true, Ordering::AcqRel)
            {
                let _ = c.out.try_send(crate::ws::Out::Close(
                    quiz_contracts::ws::close::TAKEN_OVER,
                    "another connection of this player took over".into(),
                ));
            }
        }
    }

    fn enter_socket(
        &self,
        quiz: &QuizId,
        player: Option<PlayerId>,
        push: Option<(game::Push, quiz_core::Quiz)>,
        closer: Option<impl FnOnce(u64) -> Closer>,
    ) -> (u64, BoardWatch) {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(None);
        let mut rooms = self.lock();
        let room = rooms.entry(quiz.clone()).or_insert_with(|| Room {
            sockets: HashMap::new(),
            slot_sizes: [0; SLOTS],
            throttle: Throttle::new(self.window_ms),
            timer_armed: false,
            seq: 0,
            pending_since: None,
            names: Arc::new(Names::new()),
            game: None,
            by_player: HashMap::new(),
        });
        let (push, def) = match push {
            Some((p, def)) => (Some(p), Some(def)),
            None => (None, None),
        };
        if let Some(def) = def {
            room.game.get_or_insert_with(|| game::GameRoom::new(def));
        }
        let slot = pick_slot(&room.slot_sizes, self.slot_sockets);
        room.slot_sizes[slot] += 1;
        let closer = closer.map(|c| c(id));
        if let (Some(p), Some(_)) = (&player, &closer) {
            room.by_player.entry(p.clone()).or_default().push(id);
        }
        room.sockets.insert(
            id,
            Arc::new(SocketEntry {
                player,
                slot,
                board: tx,
                push,
                closer,
            }),
        );
        (id, rx)
    }

    /// Removes a socket; an empty room is dropped.
    pub fn leave(&self, quiz: &QuizId, conn: u64) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(quiz) {
            if let Some(gone) = room.sockets.remove(&conn) {
                room.slot_sizes[gone.slot] -= 1;
                if let (Some(p), Some(_)) = (&gone.player, &gone.closer)
                    && let Some(conns) = room.by_player.get_mut(p)
                {
                    conns.retain(|c| *c != conn);
                    if conns.is_empty() {
                        room.by_player.remove(p);
                    }
                }
            }
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

    /// Turns a throttle decision into an action, arming the room's timer at most once.
    fn plan(room: &mut Room, decision: Decision) -> Action {
        match decision {
            Decision::BroadcastNow => Action::Broadcast,
            Decision::WaitUntil(at) if !room.timer_armed => {
                room.timer_armed = true;
                Action::Timer(at)
            }
            Decision::WaitUntil(_) | Decision::Idle => Action::Nothing,
        }
    }

    /// Feeds "quiz changed" into the room's throttle. This runs once per accepted answer,
    /// so it takes the lock once and usually only marks the room pending.
    pub fn changed(self: &Arc<Self>, quiz: &QuizId) {
        let action = {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(quiz) else {
                return; // nobody here watches this quiz
            };
            room.pending_since.get_or_insert_with(Instant::now);
            let decision = room.throttle.changed(clock::now());
            (Self::plan(room, decision), room.game.is_some())
        };
        let (action, hosted) = action;
        self.act(quiz, action);
        if hosted {
            self.game_changed(quiz);
        }
    }

    fn tick(self: &Arc<Self>, quiz: &QuizId) {
        let action = {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(quiz) else {
                return;
            };
            room.timer_armed = false;
            let decision = room.throttle.tick(clock::now());
            Self::plan(room, decision)
        };
        self.act(quiz, action);
    }

    fn act(self: &Arc<Self>, quiz: &QuizId, action: Action) {
        match action {
            Action::Broadcast => {
                let rooms = self.clone();
                let quiz = quiz.clone();
                tokio::spawn(async move { rooms.round(&quiz).await });
            }
            Action::Timer(at) => {
                let wait = Duration::from_millis(at.since(clock::now()));
                let rooms = self.clone();
                let quiz = quiz.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    rooms.tick(&quiz);
                });
            }
            Action::Nothing => {}
        }
    }

    /// One broadcast round: each slot in use, in slot order, at its offset in the window.
    async fn round(&self, quiz: &QuizId) {
        let start = tokio::time::Instant::now();
        let window = Duration::from_millis(self.window_ms);
        for slot in 0..SLOTS {
            let used = {
                let rooms = self.lock();
                let Some(room) = rooms.get(quiz) else { return };
                room.slot_sizes[slot] > 0
            };
            if used {
                tokio::time::sleep_until(start + slot_offset(slot, window)).await;
                self.broadcast(quiz, slot).await;
            }
        }
    }

    /// Reads the board and sends every socket of the room's `slot` its view.
    async fn broadcast(&self, quiz: &QuizId, slot: usize) {
        let started = Instant::now();
        let (sockets, known) = {
            let rooms = self.lock();
            let Some(room) = rooms.get(quiz) else { return };
            let sockets: Vec<Arc<SocketEntry>> = room
                .sockets
                .values()
                .filter(|s| s.slot == slot)
                .cloned()
                .collect();
            (sockets, room.names.clone())
        };
        let viewers: Vec<PlayerId> = sockets.iter().filter_map(|s| s.player.clone()).collect();
        let boards = match self.service.boards().room(quiz, &viewers, &known).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%quiz, error = %e, "board read failed; the next change retries");
                return;
            }
        };
        if let Some(e) = &boards.names_failed {
            tracing::warn!(%quiz, error = %e, "name lookup failed; showing ids");
        }
        let fetched = boards.new_names;
        let now = clock::now();
        let (seq, names, since) = {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(quiz) else {
                return;
            };
            if !fetched.is_empty() {
                Arc::make_mut(&mut room.names).extend(fetched);
            }
            room.seq += 1;
            (room.seq, room.names.clone(), room.pending_since.take())
        };
        // Each shown line serialized once.
        let json: Vec<String> = boards
            .lines
            .iter()
            .zip(&boards.shown)
            .map(|(r, shown)| {
                if *shown {
                    line_json(r, &names)
                } else {
                    String::new()
                }
            })
            .collect();
        let frame = Arc::new(Frame {
            seq,
            top_json: join(&json[boards.top.clone()]),
            lines: json,
            players: boards.players,
            server_time: now.0,
        });
        let mut sent = 0u64;
        // Views are in viewer order; a host's socket (no player) sees the top only.
        let mut views = boards.views.into_iter();
        for socket in &sockets {
            let view = match socket.player {
                Some(_) => views.next().unwrap_or(ViewIndex::EMPTY),
                None => ViewIndex::EMPTY,
            };
            let delivered = socket.board.send_if_modified(|latest| {
                if latest.as_ref().is_some_and(|b| b.seq() >= seq) {
                    return false; // a newer board got there first
                }
                *latest = Some(SocketBoard {
                    frame: frame.clone(),
                    view,
                });
                true
            });
            sent += u64::from(delivered);
        }
        metrics::counter!(telemetry::BOARDS_SENT).increment(sent);
        metrics::histogram!(telemetry::BROADCAST_DURATION).record(started.elapsed().as_secs_f64());
        if let Some(since) = since {
            metrics::histogram!(telemetry::BROADCAST_LATENCY).record(since.elapsed().as_secs_f64());
        }
    }
}

/// Runs forever: feeds every bus announcement into the rooms, resubscribing after a
/// failure with a capped backoff.
pub async fn follow_bus(rooms: Arc<Rooms>, bus: Arc<dyn RoomBus>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match bus.subscribe().await {
            Ok(mut sub) => {
                backoff = Duration::from_millis(100);
                while let Some(event) = sub.next().await {
                    match event {
                        BusEvent::Changed(quiz) => rooms.changed(&quiz),
                        BusEvent::TakenOver {
                            quiz,
                            player,
                            socket,
                            since,
                        } => rooms.taken_over(&quiz, &player, &socket, since),
                    }
                }
                tracing::warn!("room bus subscription ended; resubscribing");
            }
            Err(e) => tracing::warn!(error = %e, "room bus unavailable; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use quiz_contracts::ws::{BoardMsg, ServerMessage};

    use super::*;

    /// The next board of every socket, within a bound, as the message it parses to.
    async fn next_boards(slots: &mut [BoardWatch]) -> Vec<BoardMsg> {
        let mut out = Vec::new();
        for slot in slots.iter_mut() {
            tokio::time::timeout(Duration::from_secs(5), slot.changed())
                .await
                .expect("a board within 5 s")
                .expect("the room is alive");
            let json = slot.borrow_and_update().as_ref().map(SocketBoard::to_json);
            match serde_json::from_str(&json.expect("a board, not none")).unwrap() {
                ServerMessage::Board(b) => out.push(b),
                other => panic!("not a board: {other:?}"),
            }
        }
        out
    }

    /// A room of five sockets with a slot per two sockets fans out in three slots: each
    /// slot reads the board afresh (its own `seq`, in offset order), every socket gets one
    /// board per round showing its own line, and nothing more until the next change.
    #[tokio::test]
    async fn a_large_room_fans_out_in_slots_one_board_per_socket_per_round() {
        let svc = QuizService::new(
            quiz_memory::embedded_adapters(),
            quiz_core::ServiceConfig::default(),
        );
        let quiz = svc
            .library()
            .create(crate::demo::demo_quiz(clock::now()))
            .await
            .unwrap();
        let rooms = Rooms::with_slot_sockets(svc.clone(), 100, 2);
        let mut players = Vec::new();
        let mut slots = Vec::new();
        for i in 0..5 {
            let name = quiz_core::PlayerName::parse(format!("p{i}")).unwrap();
            let p = svc
                .players()
                .join(quiz.id(), &name, clock::now())
                .await
                .unwrap();
            let (_, slot) = rooms.enter(quiz.id(), &p.id);
            players.push(p);
            slots.push(slot);
        }
        let placed: Vec<usize> = {
            let all = rooms.lock();
            let room = &all[quiz.id()];
            let by_player: HashMap<&PlayerId, usize> = room
                .sockets
                .values()
                .filter_map(|s| Some((s.player.as_ref()?, s.slot)))
                .collect();
            players.iter().map(|p| by_player[&p.id]).collect()
        };
        assert_eq!(placed, [0, 0, 4, 4, 2]);

        rooms.changed(quiz.id());
        let first = next_boards(&mut slots).await;
        let seq: Vec<u64> = first.iter().map(|b| b.seq).collect();
        // Slots 0 (sockets 0, 1), 2 (socket 4) and 4 (sockets 2, 3) go out in that order.
        assert_eq!(seq[0], seq[1]);
        assert_eq!(seq[2], seq[3]);
        assert!(seq[0] < seq[4] && seq[4] < seq[2], "{seq:?}");
        for (b, p) in first.iter().zip(&players) {
            assert_eq!(b.players, 5);
            assert_eq!(
                b.me.as_ref().map(|e| e.player.as_str()),
                Some(p.id.as_str())
            );
        }

        // An answer scores; the next round shows it on every socket, with a higher seq.
        let q = &quiz.questions()[0];
        let outcome = svc
            .answers()
            .submit(
                &players[3],
                &q.id,
                &quiz_core::Answer::Option(
                    q.key.correct_options().iter().next().unwrap_or(0) as u32
                ),
                clock::now(),
            )
            .await
            .unwrap();
        rooms.changed(quiz.id());
        let second = next_boards(&mut slots).await;
        for (before, after) in first.iter().zip(&second) {
            assert!(after.seq > before.seq);
            let leader = after.top.first().expect("a top line");
            assert_eq!(leader.player, players[3].id.as_str());
            assert_eq!(leader.score, outcome.total);
        }
        // One board per socket per round: nothing else arrives without a change.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(slots.iter().all(|s| !s.has_changed().unwrap_or(true)));
    }
}
