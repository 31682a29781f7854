//! Rooms: the sockets of each quiz on this instance, the throttled leaderboard push, and a
//! hosted game's phases and counts (`game`).
//!
//! A socket enters its room with [`Rooms::enter`] and leaves when the returned
//! [`Membership`] is dropped. The membership holds the socket's [`Outbox`] (`outbound`):
//! the one way anything reaches the socket — the rooms queue state there (boards, phases,
//! counts), the session its replies, and either side a close; the socket's writer drains
//! it. The rooms know nothing of the WebSocket itself.
//!
//! Every instance subscribes to the room bus. An announcement "quiz Q changed" (from this
//! instance or another) feeds Q's [`Throttle`]; when it says "broadcast now" the room reads
//! the board once and queues each socket its own view (top N, its line, its neighbours).
//! A board is state: a newer one replaces one not yet written, so a slow socket skips
//! stale boards instead of queueing them, and the newest one is always delivered; a
//! socket's board only ever moves to a higher `seq`, even when two broadcasts of a room
//! overlap.
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
mod movers;
mod outbound;
mod phase;
mod slots;
mod state;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use quiz_core::board::ViewIndex;
use quiz_core::ports::{BusEvent, Names, RoomBus};
use quiz_core::throttle::{Decision, Throttle};
use quiz_core::{PlayerId, Quiz, QuizId, QuizMode, QuizService, Timestamp};

pub use self::frame::SocketBoard;
use self::frame::{BoardFrame, join, line_json};
pub use self::outbound::{Closed, EVENT_BACKLOG, End, Frame, Kind, Outbox, PHASE_BACKLOG, Splice};
pub use self::slots::{SLOT_SOCKETS, SLOTS};
use self::slots::{pick_slot, slot_offset};
use self::state::GameRoom;
use crate::clock;
use crate::telemetry;

/// One socket in a room.
struct SocketEntry {
    /// The player, or `None` for a host's socket.
    player: Option<PlayerId>,
    /// The fan-out slot of this socket, fixed for its life.
    slot: usize,
    /// What waits to be written to the socket.
    outbox: Arc<Outbox>,
    /// A hosted game's socket: one more than the `seq` of the last phase queued on it (0:
    /// none yet). `None` for a socket of a self-paced quiz.
    phase: Option<AtomicU64>,
    /// A player's socket, which yields to a newer socket of the same player: its id across
    /// instances (`<instance>-<conn>`) and when it connected (ms since the epoch).
    yields: Option<(String, u64)>,
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
    game: Option<GameRoom>,
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

/// A socket's place in its room, from [`Rooms::enter`] until it is dropped (which leaves
/// the room). It holds the socket's [`Outbox`]: the one handle through which the room and
/// the session send to the socket, and close it.
pub struct Membership {
    rooms: Arc<Rooms>,
    quiz: QuizId,
    conn: u64,
    outbox: Arc<Outbox>,
    socket: String,
    since: u64,
}

impl Membership {
    /// What waits to be written to the socket.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// The socket's id across instances and when it connected (ms since the epoch): what
    /// `QuizService::take_over` announces for a player's socket.
    pub fn socket(&self) -> (&str, u64) {
        (&self.socket, self.since)
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.rooms.leave(&self.quiz, self.conn);
    }
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

    /// Adds a socket to `quiz`'s room: a player's (`player`) or the host's (`None`). Every
    /// socket gets the boards; in a hosted quiz also the phases and counts (call
    /// [`Rooms::game_changed`] once the socket is ready for its first phase). A player's
    /// socket yields to a newer socket of the same player ([`Rooms::taken_over`]).
    pub fn enter(self: &Arc<Self>, quiz: &Quiz, player: Option<&PlayerId>) -> Membership {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let since = clock::now().0;
        let socket = format!("{}-{conn}", self.instance);
        let outbox = Outbox::new();
        let hosted = quiz.mode() == QuizMode::Hosted;
        let mut rooms = self.lock();
        let room = rooms.entry(quiz.id().clone()).or_insert_with(|| Room {
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
        if hosted {
            let game = room.game.get_or_insert_with(|| GameRoom::new(quiz.clone()));
            game.entered += 1;
        }
        let slot = pick_slot(&room.slot_sizes, self.slot_sockets);
        room.slot_sizes[slot] += 1;
        if let Some(p) = player {
            room.by_player.entry(p.clone()).or_default().push(conn);
        }
        room.sockets.insert(
            conn,
            Arc::new(SocketEntry {
                player: player.cloned(),
                slot,
                outbox: outbox.clone(),
                phase: hosted.then(|| AtomicU64::new(0)),
                yields: player.map(|_| (socket.clone(), since)),
            }),
        );
        drop(rooms);
        Membership {
            rooms: self.clone(),
            quiz: quiz.id().clone(),
            conn,
            outbox,
            socket,
            since,
        }
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
            let Some((id, at)) = &s.yields else { continue };
            let older = (*at, id.as_str()) < (since, socket);
            if s.player.as_ref() == Some(player) && id != socket && older {
                s.outbox.close(
                    quiz_contracts::ws::close::TAKEN_OVER,
                    "another connection of this player took over",
                );
            }
        }
    }

    /// Removes a socket; an empty room is dropped.
    fn leave(&self, quiz: &QuizId, conn: u64) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(quiz) {
            if let Some(gone) = room.sockets.remove(&conn) {
                room.slot_sizes[gone.slot] -= 1;
                if let Some(p) = &gone.player
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

    /// A quiz was replaced in place (the library's update of a quiz nobody has played): a
    /// hosted room here keeps the new definition for the frames it builds from now on.
    pub fn replaced(&self, quiz: &Quiz) {
        if let Some(game) = self.lock().get_mut(quiz.id()).and_then(|r| r.game.as_mut()) {
            game.quiz = quiz.clone();
        }
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
        let frame = Arc::new(BoardFrame {
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
            let delivered = socket.outbox.board(SocketBoard {
                frame: frame.clone(),
                view,
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
    async fn next_boards(outboxes: &[Arc<Outbox>]) -> Vec<BoardMsg> {
        let mut out = Vec::new();
        let mut batch = Vec::new();
        for o in outboxes {
            tokio::time::timeout(Duration::from_secs(5), o.wait())
                .await
                .expect("a board within 5 s");
            o.take(&mut batch);
            let json = batch.pop().map(outbound::Frame::into_text);
            assert!(batch.is_empty(), "one board per socket per round");
            match serde_json::from_str(&json.expect("a board")).unwrap() {
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
        let mut members = Vec::new();
        for i in 0..5 {
            let name = quiz_core::PlayerName::parse(format!("p{i}")).unwrap();
            let p = svc
                .players()
                .join(quiz.id(), &name, clock::now())
                .await
                .unwrap();
            members.push(rooms.enter(&quiz, Some(&p.id)));
            players.push(p);
        }
        let outboxes: Vec<Arc<Outbox>> = members.iter().map(|m| m.outbox().clone()).collect();
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
        let first = next_boards(&outboxes).await;
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
        let second = next_boards(&outboxes).await;
        for (before, after) in first.iter().zip(&second) {
            assert!(after.seq > before.seq);
            let leader = after.top.first().expect("a top line");
            assert_eq!(leader.player, players[3].id.as_str());
            assert_eq!(leader.score, outcome.total);
        }
        // One board per socket per round: nothing else arrives without a change.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let mut batch = Vec::new();
        for o in &outboxes {
            o.take(&mut batch);
            assert!(batch.is_empty());
        }
        // Leaving: a dropped membership takes its socket out of the room.
        drop(members);
        assert_eq!(rooms.socket_count(), 0);
    }
}
