//! Hosted games in a room: pushing each phase to every socket once, the live "answered k
//! of n", closing removed players' sockets, and the timer that moves the game at its
//! deadline.
//!
//! Every "quiz changed" announcement of a hosted quiz (and every timer) runs a *check*:
//! read the game (which applies a transition that fell due, exactly once across all
//! instances: see `quiz_core::service`'s hosted module), close the sockets of removed
//! players, send the current phase to each socket that has not had it (a socket remembers
//! the last phase `seq` it was sent and only ever moves up, so each phase reaches a socket
//! once and in order, and a reconnecting socket gets the current phase), send the answer
//! count when it changed, and arm a timer for the phase's deadline. Checks of one room run
//! one at a time; a change during a check makes it run once more.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use quiz_contracts::ws::{
    AnsweredCountMsg, EntryMsg, LobbyPlayerMsg, MoverMsg, PhaseBoardMsg, PhaseMsg,
    PhaseQuestionMsg, QuestionMsg, RevealMsg, RosterMsg, ServerMessage, TextCountMsg, YouMsg,
    close,
};
use quiz_core::board::{RoomBoards, ViewIndex};
use quiz_core::game::{GameState, Phase};
use quiz_core::ports::Names;
use quiz_core::service::Reveal;
use quiz_core::{BoardEntry, Grade, PlayerId, Quiz, QuizId, QuizService, Timestamp};
use tokio::sync::mpsc;

use super::{BoardWatch, Rooms, SocketEntry};
use crate::clock;
use crate::ws::Out;

/// Most players a lobby frame lists.
pub const LOBBY_LIST: u64 = 200;
/// Most movers a board frame lists.
const MOVERS: usize = 5;

impl Push {
    pub(super) fn new(tx: mpsc::Sender<Out>) -> Self {
        Self {
            tx,
            sent: AtomicU64::new(0),
            removed: AtomicBool::new(false),
        }
    }
}

/// A hosted-game socket's outgoing queue and the last phase sent on it.
pub(crate) struct Push {
    tx: mpsc::Sender<Out>,
    /// One more than the `seq` of the last phase sent (0: none yet).
    sent: AtomicU64,
    removed: AtomicBool,
}

/// A room's hosted-game state.
pub(super) struct GameRoom {
    quiz: Quiz,
    running: bool,
    dirty: bool,
    /// The game `seq` a timer is armed for.
    timer_seq: Option<u64>,
    /// The last answer count sent: (phase seq, count).
    answered: Option<(u64, u64)>,
    /// The last player count sent: (phase seq, players).
    roster: Option<(u64, u64)>,
}

impl GameRoom {
    pub(super) fn new(quiz: Quiz) -> Self {
        Self {
            quiz,
            running: false,
            dirty: false,
            timer_seq: None,
            answered: None,
            roster: None,
        }
    }
}

impl Rooms {
    /// Adds a host's socket to a self-paced quiz's room: it gets the boards and nothing
    /// else (a self-paced quiz has no game).
    pub fn enter_watcher(&self, quiz: &QuizId) -> (u64, BoardWatch) {
        self.enter_socket(quiz, None, None, None::<fn(u64) -> super::Closer>)
    }

    /// Adds the host's socket to a hosted quiz's room (players' sockets enter with
    /// [`Rooms::enter_player`]). Phase frames and closes go out through `out`; call
    /// [`Rooms::game_changed`] once the socket is in, to send it the current phase.
    pub(crate) fn enter_host(&self, quiz: &Quiz, out: mpsc::Sender<Out>) -> (u64, BoardWatch) {
        self.enter_socket(
            quiz.id(),
            None,
            Some((Push::new(out), quiz.clone())),
            None::<fn(u64) -> super::Closer>,
        )
    }

    /// Runs a check of the room's game now (or once more after the running one).
    pub fn game_changed(self: &Arc<Self>, quiz: &QuizId) {
        let start = {
            let mut rooms = self.lock();
            let Some(game) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) else {
                return;
            };
            if game.running {
                game.dirty = true;
                false
            } else {
                game.running = true;
                game.dirty = false;
                true
            }
        };
        if start {
            let rooms = self.clone();
            let quiz = quiz.clone();
            tokio::spawn(async move { rooms.game_checks(&quiz).await });
        }
    }

    async fn game_checks(self: &Arc<Self>, quiz: &QuizId) {
        loop {
            let def = {
                let rooms = self.lock();
                match rooms.get(quiz).and_then(|r| r.game.as_ref()) {
                    Some(g) => g.quiz.clone(),
                    None => return,
                }
            };
            self.game_check(&def).await;
            let mut rooms = self.lock();
            let Some(game) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) else {
                return;
            };
            if game.dirty {
                game.dirty = false;
            } else {
                game.running = false;
                return;
            }
        }
    }

    fn game_sockets(&self, quiz: &QuizId) -> Vec<Arc<SocketEntry>> {
        self.lock()
            .get(quiz)
            .map(|r| {
                r.sockets
                    .values()
                    .filter(|s| s.push.is_some())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn game_check(self: &Arc<Self>, def: &Quiz) {
        let quiz = def.id();
        let svc = &self.service;
        let state = match svc.games().current(def, clock::now()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%quiz, error = %e, "game read failed; the next change retries");
                return;
            }
        };
        let sockets = self.game_sockets(quiz);
        let (players, removed) = match svc.games().roster(quiz).await {
            Ok(r) => (r.players, r.removed),
            Err(e) => {
                tracing::warn!(%quiz, error = %e, "player count failed; the next change retries");
                return;
            }
        };
        if !removed.is_empty() {
            let removed: HashSet<PlayerId> = removed.into_iter().collect();
            for s in &sockets {
                if let (Some(p), Some(push)) = (&s.player, &s.push)
                    && removed.contains(p)
                    && !push.removed.swap(true, Ordering::AcqRel)
                {
                    let _ = push
                        .tx
                        .try_send(Out::Close(close::REMOVED, "removed by the host".into()));
                }
            }
        }
        self.arm_game_timer(def, &state);
        let stale: Vec<&Arc<SocketEntry>> = sockets
            .iter()
            .filter(|s| {
                s.push.as_ref().is_some_and(|p| {
                    p.sent.load(Ordering::Acquire) <= state.seq
                        && !p.removed.load(Ordering::Acquire)
                })
            })
            .collect();
        let answered = match svc.games().answered(quiz, &state).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(%quiz, error = %e, "answer count read failed");
                None
            }
        };
        if !stale.is_empty() {
            let viewers: Vec<PlayerId> = stale.iter().filter_map(|s| s.player.clone()).collect();
            let ctx = match PhaseContext::read(svc, def, &state, &viewers, answered, players).await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(%quiz, error = %e, "phase read failed; the next change retries");
                    return;
                }
            };
            for s in stale {
                let Some(push) = &s.push else { continue };
                let json = ctx.frame_json(s.player.as_ref());
                if push.sent.fetch_max(state.seq + 1, Ordering::AcqRel) <= state.seq {
                    // A full queue means the client is far behind; it gets the next phase.
                    let _ = push.tx.try_send(Out::Text(json));
                }
            }
        }
        self.push_counts(quiz, &state, &sockets, players, answered)
            .await;
    }

    /// Within a phase, sends what changed since its phase frame: the roster (a join, a
    /// removal) and the answer count.
    async fn push_counts(
        &self,
        quiz: &QuizId,
        state: &GameState,
        sockets: &[Arc<SocketEntry>],
        players: u64,
        answered: Option<u64>,
    ) {
        let expected = state.phase.expected().map(|e| e.min(players));
        let (roster, count) = {
            let mut rooms = self.lock();
            let Some(g) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) else {
                return;
            };
            // The phase frame of a new phase carried both: nothing to send for it.
            let changed = |last: &mut Option<(u64, u64)>, now: u64| {
                let send = last.is_some_and(|(seq, n)| seq == state.seq && n != now);
                if last.is_none_or(|(seq, n)| seq != state.seq || n != now) {
                    *last = Some((state.seq, now));
                }
                send
            };
            let roster = changed(&mut g.roster, players);
            let count = answered.is_some_and(|n| changed(&mut g.answered, n));
            (roster, count)
        };
        let mut frames = Vec::new();
        if roster {
            let lobby = if matches!(state.phase, Phase::Lobby { .. }) {
                match self.service.games().lobby(quiz, LOBBY_LIST).await {
                    Ok(l) => Some(lobby_list(&l)),
                    Err(e) => {
                        tracing::warn!(%quiz, error = %e, "lobby read failed");
                        None
                    }
                }
            } else {
                None
            };
            frames.push(ServerMessage::Roster(RosterMsg {
                seq: state.seq,
                players,
                lobby,
                expected,
            }));
        }
        if let (true, Some(n), Some(expected)) = (count, answered, expected) {
            frames.push(ServerMessage::Answered(AnsweredCountMsg {
                seq: state.seq,
                answered: n,
                expected,
            }));
        }
        for msg in frames {
            let json = serde_json::to_string(&msg).unwrap_or_default();
            for s in sockets {
                if let Some(push) = &s.push
                    && !push.removed.load(Ordering::Acquire)
                {
                    let _ = push.tx.try_send(Out::Text(json.clone()));
                }
            }
        }
    }

    /// Arms one timer per game state with a deadline: when it fires, a check applies the
    /// transition that fell due (once across every instance, by compare-and-set).
    fn arm_game_timer(self: &Arc<Self>, def: &Quiz, state: &GameState) {
        let Some(at) = state.next_deadline(&def.hosted()) else {
            return;
        };
        {
            let mut rooms = self.lock();
            let Some(game) = rooms.get_mut(def.id()).and_then(|r| r.game.as_mut()) else {
                return;
            };
            if game.timer_seq == Some(state.seq) {
                return;
            }
            game.timer_seq = Some(state.seq);
        }
        // A few milliseconds late, so the deadline has passed on this clock when it fires.
        let wait = Duration::from_millis(at.since(clock::now()) + 5);
        let rooms = self.clone();
        let quiz = def.id().clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            rooms.game_changed(&quiz);
        });
    }
}

fn lobby_list(entries: &[BoardEntry]) -> Vec<LobbyPlayerMsg> {
    entries
        .iter()
        .map(|e| LobbyPlayerMsg {
            player: e.player.to_string(),
            name: e.name.clone(),
        })
        .collect()
}

/// Everything the phase frames of one check need, read once for all sockets.
struct PhaseContext<'a> {
    def: &'a Quiz,
    state: &'a GameState,
    now: u64,
    players: u64,
    answered: Option<u64>,
    lobby: Vec<BoardEntry>,
    reveal: Option<Reveal>,
    boards: Option<(RoomBoards, HashMap<PlayerId, ViewIndex>)>,
    movers: Vec<MoverMsg>,
}

impl<'a> PhaseContext<'a> {
    async fn read(
        svc: &QuizService,
        def: &'a Quiz,
        state: &'a GameState,
        viewers: &[PlayerId],
        answered: Option<u64>,
        players: u64,
    ) -> Result<Self, quiz_core::service::Unavailable> {
        let quiz = def.id();
        let phase = state.phase.unpaused();
        let mut ctx = Self {
            def,
            state,
            now: clock::now().0,
            players,
            answered,
            lobby: Vec::new(),
            reveal: None,
            boards: None,
            movers: Vec::new(),
        };
        match phase {
            Phase::Lobby { .. } => ctx.lobby = svc.games().lobby(quiz, LOBBY_LIST).await?,
            Phase::Reveal { index, .. } | Phase::Board { index, .. } => {
                ctx.reveal = Some(svc.games().reveal(def, *index).await?);
                ctx.boards = Some(read_boards(svc, quiz, viewers).await?);
            }
            Phase::Podium => ctx.boards = Some(read_boards(svc, quiz, viewers).await?),
            _ => {}
        }
        if matches!(phase, Phase::Board { .. })
            && let (Some(r), Some((b, _))) = (&ctx.reveal, &ctx.boards)
        {
            ctx.movers = movers(b, r);
        }
        Ok(ctx)
    }

    fn entry(&self, i: usize) -> Option<EntryMsg> {
        let (b, _) = self.boards.as_ref()?;
        let r = b.lines.get(i)?;
        Some(EntryMsg::from(&quiz_core::board::entry(r, &b.new_names)))
    }

    fn frame_json(&self, viewer: Option<&PlayerId>) -> String {
        let msg = ServerMessage::Phase(Box::new(self.frame(viewer)));
        serde_json::to_string(&msg).unwrap_or_default()
    }

    fn frame(&self, viewer: Option<&PlayerId>) -> PhaseMsg {
        let state = self.state;
        let def = self.def;
        let phase = state.phase.unpaused();
        let view = state.view(Timestamp(self.now), self.players);
        let mut msg = PhaseMsg {
            seq: state.seq,
            phase: state.phase.name().to_owned(),
            server_time: self.now,
            quiz: def.id().to_string(),
            title: def.title().to_owned(),
            question_count: def.questions().len() as u64,
            players: self.players,
            locked: view.locked,
            lobby: None,
            question: None,
            remaining_ms: None,
            answered: None,
            expected: None,
            paused_from: view.paused_from.map(str::to_owned),
            reveal: None,
            board: None,
            podium: None,
        };
        match phase {
            Phase::Lobby { .. } => {
                msg.lobby = Some(lobby_list(&self.lobby));
            }
            Phase::Question { index, .. } => {
                if let Some(open) = view.open {
                    msg.question = self.question(*index, open.opens_at.0, open.closes_at.0);
                    msg.remaining_ms = Some(open.remaining_ms);
                    msg.expected = Some(open.expected);
                }
                msg.answered = self.answered.or(Some(0));
            }
            Phase::Reveal { index, .. } | Phase::Board { index, .. } => {
                let (opens, closes) = (0, 0);
                msg.question = self.question(*index, opens, closes);
                if matches!(phase, Phase::Reveal { .. }) {
                    msg.reveal = self.reveal_msg(*index, viewer);
                } else {
                    msg.board = self.board_msg(viewer);
                }
            }
            Phase::Podium => {
                msg.board = self.board_msg(viewer);
                msg.podium = self.boards.as_ref().map(|(b, _)| {
                    (0..b.lines.len().min(3))
                        .filter_map(|i| self.entry(i))
                        .collect()
                });
            }
            Phase::Paused { .. } => {}
        }
        msg
    }

    /// A question of the quiz as everyone sees it; `opens_at`/`closes_at` are 0 after it
    /// closed.
    fn question(&self, index: usize, opens_at: u64, closes_at: u64) -> Option<PhaseQuestionMsg> {
        let q = self.def.questions().get(index)?.public();
        let question = QuestionMsg::new(&q, opens_at, closes_at);
        Some(PhaseQuestionMsg::new(index, question))
    }

    fn reveal_msg(&self, index: usize, viewer: Option<&PlayerId>) -> Option<RevealMsg> {
        let r = self.reveal.as_ref()?;
        let q = self.def.questions().get(index)?;
        let you = viewer.map(|p| {
            let total = self
                .boards
                .as_ref()
                .and_then(|(b, views)| views.get(p)?.me.and_then(|i| b.lines.get(i)))
                .map_or(0, |r| r.score());
            match r.answers.iter().find(|a| &a.player == p) {
                Some(a) => {
                    let grade = Grade::recorded(q.kind(), a.correct, a.points);
                    YouMsg::answered(&a.given, q.kind(), grade, a.correct, a.points, total)
                }
                None => YouMsg::unanswered(total),
            }
        });
        Some(RevealMsg {
            kind: r.kind.into(),
            correct: r.correct_option.map(|i| i as u64),
            correct_options: r.correct_options.iter().map(|i| i as u64).collect(),
            accepted: r.accepted.clone(),
            texts: r
                .texts
                .iter()
                .map(|t| TextCountMsg {
                    text: t.text.clone(),
                    count: t.count,
                    correct: t.correct,
                })
                .collect(),
            counts: r.counts.clone(),
            answered: r.answers.len() as u64,
            explanation: q.explanation.clone(),
            you,
        })
    }

    fn board_msg(&self, viewer: Option<&PlayerId>) -> Option<PhaseBoardMsg> {
        let (b, views) = self.boards.as_ref()?;
        let view = viewer.and_then(|p| views.get(p));
        Some(PhaseBoardMsg {
            top: b.top.clone().filter_map(|i| self.entry(i)).collect(),
            me: view.and_then(|v| v.me).and_then(|i| self.entry(i)),
            around: view
                .map(|v| v.around.clone().filter_map(|i| self.entry(i)).collect())
                .unwrap_or_default(),
            players: b.players,
            movers: self.movers.clone(),
        })
    }
}

async fn read_boards(
    svc: &QuizService,
    quiz: &QuizId,
    viewers: &[PlayerId],
) -> Result<(RoomBoards, HashMap<PlayerId, ViewIndex>), quiz_core::service::Unavailable> {
    let boards = svc.boards().room(quiz, viewers, &Names::new()).await?;
    let views = viewers
        .iter()
        .cloned()
        .zip(boards.views.iter().cloned())
        .collect();
    Ok((boards, views))
}

/// Who moved up with the question of `reveal`: each player's rank on the board now against
/// their rank by the score they had before it (the board minus that question's points).
/// Only a board read in full (every line) is compared.
fn movers(b: &RoomBoards, reveal: &Reveal) -> Vec<MoverMsg> {
    if b.lines.len() as u64 != b.players {
        return Vec::new();
    }
    let gained: HashMap<&PlayerId, u64> = reveal
        .answers
        .iter()
        .map(|a| (&a.player, u64::from(a.points)))
        .collect();
    // Before: sorted by the earlier score, ties kept in today's order.
    let mut before: Vec<(usize, u64)> = b
        .lines
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let g = gained.get(&r.player).copied().unwrap_or(0);
            (i, r.score().saturating_sub(g))
        })
        .collect();
    before.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let mut moved: Vec<MoverMsg> = before
        .iter()
        .enumerate()
        .filter_map(|(old, (i, _))| {
            let r = &b.lines[*i];
            // Only players some view shows have their names read.
            if !b.shown.get(*i).copied().unwrap_or(false) {
                return None;
            }
            let (from, to) = (old as u64 + 1, r.standing.rank);
            (to < from).then(|| MoverMsg {
                player: r.player.to_string(),
                name: b
                    .new_names
                    .get(&r.player)
                    .map_or_else(|| r.player.to_string(), |n| n.to_string()),
                from,
                to,
            })
        })
        .collect();
    moved.sort_by(|x, y| (y.from - y.to).cmp(&(x.from - x.to)).then(x.to.cmp(&y.to)));
    moved.truncate(MOVERS);
    moved
}
