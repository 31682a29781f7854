//! Hosted games in a room: each phase queued to every socket once, the live "answered k
//! of n" and the roster throttled per room, closing removed players' sockets, and the
//! timer that moves the game at its deadline.
//!
//! Every "quiz changed" announcement of a hosted quiz (and every timer) runs a *check*:
//! read the game (which applies a transition that fell due, exactly once across all
//! instances: see `quiz_core::service`'s hosted module) and arm a timer for its deadline.
//! When the phase is new to the room, or a socket has not had it yet (a socket remembers
//! the last phase `seq` it was queued and only ever moves up, so each phase reaches a
//! socket once and in order, and a reconnecting socket gets the current phase), the
//! check queues the phase, built once for all those sockets (`phase`), after the final
//! answer count of the question that just closed. Within a phase it reads the players
//! (closing removed players' sockets) and the answer count at most once per
//! [`COUNT_INTERVAL`](super::state::COUNT_INTERVAL) and queues what changed to every socket; a change inside the
//! interval arms one timer for its end, so the latest count always goes out. Checks of
//! one room run one at a time; a change during a check makes it run once more.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use quiz_contracts::ws::{AnsweredCountMsg, RosterMsg, ServerMessage, close};
use quiz_core::game::{GameState, Phase};
use quiz_core::service::{GameOpError, Unavailable};
use quiz_core::{PlayerId, Quiz, QuizId};
use tokio::time::Instant;

use super::outbound::{Frame, Kind};
use super::phase::{LOBBY_LIST, PhaseContext, lobby_list};
use super::state::AnsweredSent;
use super::{Rooms, SocketEntry};
use crate::clock;

/// Whether a socket of a hosted game has not had phase `seq` yet.
fn behind(s: &SocketEntry, seq: u64) -> bool {
    s.phase
        .as_ref()
        .is_some_and(|sent| sent.load(Ordering::Acquire) <= seq)
        && !s.outbox.is_closed()
}

/// One frame's text for a whole room.
fn shared(msg: &ServerMessage) -> Arc<str> {
    Arc::from(serde_json::to_string(msg).unwrap_or_default())
}

impl Rooms {
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
            if let Err(e) = self.game_check(&def).await {
                tracing::warn!(%quiz, error = %e, "game check failed; the next change retries");
            }
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
                    .filter(|s| s.phase.is_some())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn game_check(self: &Arc<Self>, def: &Quiz) -> Result<(), Unavailable> {
        let quiz = def.id();
        let svc = &self.service;
        let state = match svc.games().current(def, clock::now()).await {
            Ok(state) => state,
            Err(GameOpError::Unavailable(u)) => return Err(u),
            // A room's game is of a hosted quiz that exists: nothing else is refused.
            Err(_) => return Ok(()),
        };
        self.arm_game_timer(def, &state);
        let now = Instant::now();
        let (new_phase, due, entered) = {
            let mut rooms = self.lock();
            let Some(g) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) else {
                return Ok(());
            };
            let new_phase = g.phase_seq != Some(state.seq);
            let due = g.counts.due(now);
            if !new_phase && g.entered == g.seen && due.is_err() {
                // Nothing to queue now; counts and removals are read at the end of the
                // interval.
                drop(rooms);
                if let Err(at) = due {
                    self.arm_count_timer(quiz, at);
                }
                return Ok(());
            }
            if due.is_ok() {
                g.counts.read_at(now);
            }
            (new_phase, due, g.entered)
        };
        let sockets = self.game_sockets(quiz);
        let stale: Vec<&Arc<SocketEntry>> =
            sockets.iter().filter(|s| behind(s, state.seq)).collect();
        let roster = svc.games().roster(quiz).await?;
        let (players, removed) = (roster.players, roster.removed);
        close_removed(&sockets, removed);
        let answered = svc.games().answered(quiz, &state).await?;
        if new_phase {
            self.final_count(quiz, &state, answered, &sockets);
        }
        if !stale.is_empty() {
            self.push_phase(def, &state, &stale, (answered, players))
                .await?;
        }
        if let Some(g) = self.lock().get_mut(quiz).and_then(|r| r.game.as_mut()) {
            g.seen = g.seen.max(entered);
        }
        let expected = state.phase.expected();
        if new_phase {
            // The phase frame carried the counts.
            let mut rooms = self.lock();
            if let Some(g) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) {
                g.phase_seq = Some(state.seq);
                g.counts.roster = Some((state.seq, players));
                g.counts.answered = state
                    .phase
                    .unpaused()
                    .open_question()
                    .zip(answered)
                    .zip(expected)
                    .map(|((index, answered), expected)| AnsweredSent {
                        seq: state.seq,
                        index,
                        answered,
                        expected,
                    });
            }
            return Ok(());
        }
        match due {
            Ok(()) => {
                self.push_counts(quiz, &state, &sockets, players, answered)
                    .await
            }
            Err(at) => {
                self.arm_count_timer(quiz, at);
                Ok(())
            }
        }
    }

    /// Queues the phase of `state` to the sockets that have not had it, built once.
    async fn push_phase(
        &self,
        def: &Quiz,
        state: &GameState,
        stale: &[&Arc<SocketEntry>],
        counts: (Option<u64>, u64),
    ) -> Result<(), Unavailable> {
        let viewers: Vec<PlayerId> = stale.iter().filter_map(|s| s.player.clone()).collect();
        let previous = match state.phase.unpaused() {
            Phase::Board { index, .. } => self
                .lock()
                .get(def.id())
                .and_then(|r| r.game.as_ref())
                .and_then(|g| g.shown_board(index.checked_sub(1)?)),
            _ => None,
        };
        let ctx = PhaseContext::read(
            &self.service,
            (def, state),
            &viewers,
            counts,
            clock::now().0,
            previous.as_deref(),
        )
        .await?;
        if let Some((index, positions)) = ctx.board_positions()
            && let Some(g) = self.lock().get_mut(def.id()).and_then(|r| r.game.as_mut())
        {
            g.board_shown(index, positions);
        }
        let frames = ctx.frames();
        let answers = frames.answers();
        for s in stale {
            let Some(sent) = &s.phase else { continue };
            if sent.fetch_max(state.seq + 1, Ordering::AcqRel) <= state.seq {
                let frame = frames.for_viewer(s.player.as_ref(), &answers);
                s.outbox.state(Kind::Phase(state.seq), frame);
            }
        }
        Ok(())
    }

    /// Before a new phase that still shows the question the sockets last had (its reveal,
    /// its board, a pause): that question's final answer count, `answered` as read for the
    /// new phase, when it moved since they last got it (the last count of a question comes
    /// before its reveal, whatever the throttle held back).
    fn final_count(
        &self,
        quiz: &QuizId,
        state: &GameState,
        answered: Option<u64>,
        sockets: &[Arc<SocketEntry>],
    ) {
        let last = {
            let rooms = self.lock();
            rooms
                .get(quiz)
                .and_then(|r| r.game.as_ref())
                .and_then(|g| g.counts.answered)
        };
        let Some(last) = last.filter(|l| l.seq != state.seq) else {
            return;
        };
        let Some(answered) = answered.filter(|_| state.phase.question() == Some(last.index)) else {
            return;
        };
        if answered == last.answered {
            return;
        }
        let frame = ServerMessage::Answered(AnsweredCountMsg {
            seq: last.seq,
            answered,
            expected: last.expected,
        });
        let json = shared(&frame);
        for s in sockets {
            // Only the sockets whose last phase was that question.
            if s.phase
                .as_ref()
                .is_some_and(|p| p.load(Ordering::Acquire) == last.seq + 1)
            {
                s.outbox
                    .state(Kind::Answered(last.seq), Frame::Shared(json.clone()));
            }
        }
    }

    /// Within a phase, queues what changed since the sockets last got it: the roster (a
    /// join, a removal) and the answer count.
    async fn push_counts(
        &self,
        quiz: &QuizId,
        state: &GameState,
        sockets: &[Arc<SocketEntry>],
        players: u64,
        answered: Option<u64>,
    ) -> Result<(), Unavailable> {
        let seq = state.seq;
        let expected = state.phase.expected();
        let (roster, count) = {
            let mut rooms = self.lock();
            let Some(g) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) else {
                return Ok(());
            };
            let roster = g.counts.roster != Some((seq, players));
            g.counts.roster = Some((seq, players));
            let now = state
                .phase
                .unpaused()
                .open_question()
                .zip(answered)
                .zip(expected)
                .map(|((index, answered), expected)| AnsweredSent {
                    seq,
                    index,
                    answered,
                    expected,
                });
            let count = now.is_some() && g.counts.answered != now;
            if now.is_some() {
                g.counts.answered = now;
            }
            (roster, count.then_some(now).flatten())
        };
        let mut frames = Vec::new();
        if roster {
            let lobby = if matches!(state.phase.unpaused(), Phase::Lobby { .. }) {
                Some(lobby_list(
                    &self.service.games().lobby(quiz, LOBBY_LIST).await?,
                ))
            } else {
                None
            };
            let msg = ServerMessage::Roster(RosterMsg {
                seq,
                players,
                lobby,
                expected,
            });
            frames.push((Kind::Roster(seq), shared(&msg)));
        }
        if let Some(c) = count {
            let msg = ServerMessage::Answered(AnsweredCountMsg {
                seq,
                answered: c.answered,
                expected: c.expected,
            });
            frames.push((Kind::Answered(seq), shared(&msg)));
        }
        for (kind, json) in frames {
            for s in sockets {
                s.outbox.state(kind, Frame::Shared(json.clone()));
            }
        }
        Ok(())
    }

    /// Arms the room's count timer for `at`, unless one is armed.
    fn arm_count_timer(self: &Arc<Self>, quiz: &QuizId, at: Instant) {
        {
            let mut rooms = self.lock();
            let Some(g) = rooms.get_mut(quiz).and_then(|r| r.game.as_mut()) else {
                return;
            };
            if !g.counts.arm() {
                return;
            }
        }
        let rooms = self.clone();
        let quiz = quiz.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            if let Some(g) = rooms.lock().get_mut(&quiz).and_then(|r| r.game.as_mut()) {
                g.counts.fired();
            }
            rooms.game_changed(&quiz);
        });
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

/// Closes the sockets of removed players (4009); the first close of a socket wins.
fn close_removed(sockets: &[Arc<SocketEntry>], removed: Vec<PlayerId>) {
    if removed.is_empty() {
        return;
    }
    let removed: HashSet<PlayerId> = removed.into_iter().collect();
    for s in sockets {
        if s.player.as_ref().is_some_and(|p| removed.contains(p)) {
            s.outbox.close(close::REMOVED, "removed by the host");
        }
    }
}
