//! Hosted games: the phase of a quiz run by a host, as a pure state machine. Time is always
//! passed in; nothing here reads a clock or stores anything.
//!
//! A hosted game moves `lobby → question(0) → reveal(0) → board(0) → question(1) → … →
//! podium`, and may be paused from a question, a reveal or a board and resumed with the
//! time that was left. Every state carries a sequence number (`seq`) that grows by one with
//! each transition: the store behind the [`crate::ports::GameStore`] port moves a game only
//! from the `seq` the caller read (compare-and-set), so a transition that several instances
//! attempt at once — a question's time running out, everyone having answered, an
//! auto-advance — happens exactly once, and every client can drop a phase older than the
//! one it shows.
//!
//! The rules, each a property test below:
//!
//! 1. Phases only move forward (a later question, or from question to reveal to board), or
//!    into and out of a pause; the podium is final.
//! 2. An answer is accepted only while a question is open (`opens_at ≤ now < closes_at`),
//!    and only for that question.
//! 3. "Everyone answered" closes a question once: the transition it yields starts from the
//!    question's own `seq`, so of any number of racing closers one wins the compare-and-set.
//! 4. Joins and reconnects never reopen a closed question: nothing but the host's `next`
//!    (from a board) opens a question, and it opens the next one.
//! 5. A question closes early exactly when everyone it waits for has answered: the players
//!    in the game when it opened, less those the host removed while it showed. A removal
//!    counts once however many kicks race (the question remembers who left), and a removed
//!    player's answer no longer counts towards the bar whether it came before or after
//!    the kick, so no answer racing a kick can close a question one answer early. Late
//!    joiners never raise the bar (a kicked player back under a new name is one).
//! 6. An answer's time is measured on the question's own clock: paused time is not in it.

use serde::{Deserialize, Serialize};

use crate::ids::PlayerId;
use crate::time::Timestamp;

/// How a hosted quiz runs, from its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostedOptions {
    /// Close a question as soon as every player connected when it opened has answered.
    pub end_early: bool,
    /// Move from a reveal to the board by itself after this many seconds.
    pub reveal_secs: Option<u32>,
    /// Move from a board to the next question (or the podium) after this many seconds.
    pub board_secs: Option<u32>,
}

impl Default for HostedOptions {
    fn default() -> Self {
        Self {
            end_early: true,
            reveal_secs: None,
            board_secs: None,
        }
    }
}

/// Where a hosted game is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Players join; nobody answers.
    Lobby {
        /// New players are refused while locked.
        locked: bool,
    },
    /// Question `index` is open for everyone.
    Question {
        /// Which question (0-based).
        index: usize,
        /// When it opened; speed-weighted points count from here.
        opens_at: Timestamp,
        /// When it closes by itself.
        closes_at: Timestamp,
        /// Players in the game when it opened, less those the host removed since
        /// ([`GameState::player_left`]): when that many players not removed have answered,
        /// it may close early. Players who join later are never counted.
        expected: u64,
        /// The players the host removed while it showed, each once: a second kick of one
        /// changes nothing, and their answers do not count towards `expected`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left: Vec<PlayerId>,
    },
    /// The answer of question `index` is shown.
    Reveal {
        /// Which question.
        index: usize,
        /// When the reveal began (auto-advance counts from here).
        since: Timestamp,
    },
    /// The board after question `index`.
    Board {
        /// Which question was last.
        index: usize,
        /// When the board began.
        since: Timestamp,
    },
    /// Paused from a question, a reveal or a board.
    Paused {
        /// The phase to resume.
        from: Box<Phase>,
        /// Milliseconds the paused question had left (`None` for a reveal or a board).
        remaining_ms: Option<u64>,
        /// When the pause began: a resumed reveal or board moves its auto-advance on by the
        /// time spent paused.
        paused_at: Timestamp,
    },
    /// The game is over.
    Podium,
}

/// A hosted game's state: its phase and the number of transitions so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameState {
    /// Grows by one with every transition; 0 in the lobby when it opens.
    pub seq: u64,
    /// The phase.
    pub phase: Phase,
}

/// What a host can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostCommand {
    /// Refuse new players.
    Lock,
    /// Accept new players again.
    Unlock,
    /// Open the first question.
    Start,
    /// From a reveal to the board; from a board to the next question or the podium.
    Next,
    /// Close the open question now.
    Skip,
    /// Stop the clock.
    Pause,
    /// Restart the clock with the time that was left.
    Resume,
    /// Go to the podium.
    End,
}

/// Why a command does not apply to the current phase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GameError {
    /// The command makes no sense in this phase (`next` during a question, `start` twice…).
    #[error("{command:?} does not apply while the game is in {phase}")]
    NotNow {
        /// The command.
        command: HostCommand,
        /// The phase's name.
        phase: &'static str,
    },
}

/// Why an answer is refused in a hosted game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostedAnswerError {
    /// No question is open (lobby, reveal, board, pause, podium).
    #[error("no question is open")]
    NoOpenQuestion,
    /// Another question is open.
    #[error("question {open} is open, not this one")]
    NotTheOpenQuestion {
        /// The open question's index.
        open: usize,
    },
}

impl Phase {
    /// The phase's name, as the protocol spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Lobby { .. } => "lobby",
            Phase::Question { .. } => "question",
            Phase::Reveal { .. } => "reveal",
            Phase::Board { .. } => "board",
            Phase::Paused { .. } => "paused",
            Phase::Podium => "podium",
        }
    }

    /// The phase a pause holds, or this phase when it is not a pause: what a paused game
    /// shows (its question, its reveal, its board) under the pause.
    pub fn unpaused(&self) -> &Phase {
        match self {
            Phase::Paused { from, .. } => from,
            p => p,
        }
    }

    /// The index of the question this phase holds open for answers: `Some` only for a
    /// running question (a paused one takes no answers; see [`Phase::unpaused`]).
    pub fn open_question(&self) -> Option<usize> {
        match self {
            Phase::Question { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The index of the question this phase shows, paused or not: the open question, or the
    /// one it reveals or whose board it shows; `None` in the lobby and on the podium.
    pub fn question(&self) -> Option<usize> {
        match self.unpaused() {
            Phase::Question { index, .. }
            | Phase::Reveal { index, .. }
            | Phase::Board { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// Milliseconds on the clock of the question this phase holds open at `now`, for a
    /// question whose limit is `limit_ms`: the time since it opened less every pause (a
    /// resume moves its close on by the pause, so the clock is what its limit has spent).
    /// `None` unless a question is running. How long an answer took, as the per-question
    /// report averages it.
    pub fn question_clock_ms(&self, limit_ms: u32, now: Timestamp) -> Option<u64> {
        match self {
            Phase::Question { closes_at, .. } => {
                Some(u64::from(limit_ms).saturating_sub(closes_at.since(now)))
            }
            _ => None,
        }
    }

    /// The players a question (running or paused) waited for when it opened.
    pub fn expected(&self) -> Option<u64> {
        match self.unpaused() {
            Phase::Question { expected, .. } => Some(*expected),
            _ => None,
        }
    }

    /// The players the host removed while the question this phase holds open (running or
    /// paused) showed; empty otherwise.
    pub fn left(&self) -> &[PlayerId] {
        match self.unpaused() {
            Phase::Question { left, .. } => left,
            _ => &[],
        }
    }

    /// How many of `answered` (the players who answered the open question) count towards
    /// its bar: those the host has not removed while it showed.
    pub fn counted<'a>(&self, answered: impl IntoIterator<Item = &'a PlayerId>) -> u64 {
        let left = self.left();
        answered.into_iter().filter(|p| !left.contains(p)).count() as u64
    }
}

/// What a game's phase shows at one moment, whoever shows it (the WebSocket phase frame,
/// the HTTP read of a game): a pause shows the phase it holds, with its clock stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseView {
    /// Paused: the name of the phase the pause holds.
    pub paused_from: Option<&'static str>,
    /// Whether the lobby refuses new players.
    pub locked: bool,
    /// Question, reveal and board (paused or not): the question's index.
    pub question: Option<usize>,
    /// A question, running or paused: its clock and who it waits for.
    pub open: Option<OpenView>,
}

/// The clock of a question, running or paused, and who it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenView {
    /// When it opened for everyone.
    pub opens_at: Timestamp,
    /// When it closes by itself (moved on by a pause when it resumes).
    pub closes_at: Timestamp,
    /// Milliseconds left: frozen while paused.
    pub remaining_ms: u64,
    /// The players it waits for: those in the game when it opened, less those removed
    /// since ([`GameState::player_left`]).
    pub expected: u64,
}

impl GameState {
    /// What the game shows at `now`.
    pub fn view(&self, now: Timestamp) -> PhaseView {
        let shown = self.phase.unpaused();
        let paused = match &self.phase {
            Phase::Paused { remaining_ms, .. } => Some(remaining_ms.unwrap_or(0)),
            _ => None,
        };
        let question = self.phase.question();
        let open = match shown {
            Phase::Question {
                opens_at,
                closes_at,
                expected,
                ..
            } => Some(OpenView {
                opens_at: *opens_at,
                closes_at: *closes_at,
                remaining_ms: paused.unwrap_or_else(|| closes_at.0.saturating_sub(now.0)),
                expected: *expected,
            }),
            _ => None,
        };
        PhaseView {
            paused_from: paused.map(|_| shown.name()),
            locked: matches!(shown, Phase::Lobby { locked: true }),
            question,
            open,
        }
    }

    /// A game whose lobby just opened.
    pub fn lobby() -> Self {
        Self {
            seq: 0,
            phase: Phase::Lobby { locked: false },
        }
    }

    fn next(&self, phase: Phase) -> Self {
        Self {
            seq: self.seq + 1,
            phase,
        }
    }

    fn not_now(&self, command: HostCommand) -> GameError {
        GameError::NotNow {
            command,
            phase: self.phase.name(),
        }
    }

    /// The state after a host's command at `now`, for a quiz whose questions have the
    /// time limits `limits_ms` and `connected` players right now.
    ///
    /// # Errors
    /// [`GameError::NotNow`] when the command does not apply to the current phase; the
    /// state is unchanged.
    pub fn command(
        &self,
        command: HostCommand,
        limits_ms: &[u32],
        connected: u64,
        now: Timestamp,
    ) -> Result<GameState, GameError> {
        let open = |index: usize| self.open(index, limits_ms, connected, now);
        match (&self.phase, command) {
            (Phase::Lobby { locked }, HostCommand::Lock | HostCommand::Unlock) => {
                let want = command == HostCommand::Lock;
                if *locked == want {
                    return Err(self.not_now(command));
                }
                Ok(self.next(Phase::Lobby { locked: want }))
            }
            (Phase::Lobby { .. }, HostCommand::Start) if !limits_ms.is_empty() => {
                Ok(self.next(open(0)))
            }
            (Phase::Question { index, .. }, HostCommand::Skip) => Ok(self.next(Phase::Reveal {
                index: *index,
                since: now,
            })),
            (Phase::Reveal { index, .. }, HostCommand::Next) => Ok(self.next(Phase::Board {
                index: *index,
                since: now,
            })),
            (Phase::Board { index, .. }, HostCommand::Next) => {
                if index + 1 < limits_ms.len() {
                    Ok(self.next(open(index + 1)))
                } else {
                    Ok(self.next(Phase::Podium))
                }
            }
            (
                Phase::Question { .. } | Phase::Reveal { .. } | Phase::Board { .. },
                HostCommand::Pause,
            ) => Ok(self.next(Phase::Paused {
                from: Box::new(self.phase.clone()),
                remaining_ms: self.remaining_ms(now),
                paused_at: now,
            })),
            (
                Phase::Paused {
                    from,
                    remaining_ms,
                    paused_at,
                },
                HostCommand::Resume,
            ) => Ok(self.next(resume(from, *remaining_ms, *paused_at, now))),
            (Phase::Podium, _) => Err(self.not_now(command)),
            (_, HostCommand::End) => Ok(self.next(Phase::Podium)),
            _ => Err(self.not_now(command)),
        }
    }

    /// Question `index`, opening now for the `connected` players.
    fn open(&self, index: usize, limits_ms: &[u32], connected: u64, now: Timestamp) -> Phase {
        let limit = u64::from(limits_ms.get(index).copied().unwrap_or(0));
        Phase::Question {
            index,
            opens_at: now,
            closes_at: now.plus_ms(limit),
            expected: connected,
            left: Vec::new(),
        }
    }

    /// Milliseconds left of the running clock: a question's limit, or an auto-advance.
    fn remaining_ms(&self, now: Timestamp) -> Option<u64> {
        match &self.phase {
            Phase::Question { closes_at, .. } => Some(closes_at.since(now)),
            _ => None,
        }
    }

    /// The transition that is due at `now` without anyone asking: a question whose time is
    /// up closes; a reveal or a board with an auto-advance moves on. `None` when nothing is
    /// due (the caller tries again at [`GameState::next_deadline`]). A question opened by
    /// an auto-advance gets its limit from `limits_ms` and counts the `connected` players.
    pub fn due(
        &self,
        options: &HostedOptions,
        limits_ms: &[u32],
        connected: u64,
        now: Timestamp,
    ) -> Option<GameState> {
        let after = |since: Timestamp, secs: Option<u32>| {
            secs.is_some_and(|s| now >= since.plus_ms(u64::from(s) * 1000))
        };
        match &self.phase {
            Phase::Question {
                index, closes_at, ..
            } if now >= *closes_at => Some(self.next(Phase::Reveal {
                index: *index,
                since: now,
            })),
            Phase::Reveal { index, since } if after(*since, options.reveal_secs) => {
                Some(self.next(Phase::Board {
                    index: *index,
                    since: now,
                }))
            }
            Phase::Board { index, since } if after(*since, options.board_secs) => {
                if index + 1 < limits_ms.len() {
                    Some(self.next(self.open(index + 1, limits_ms, connected, now)))
                } else {
                    Some(self.next(Phase::Podium))
                }
            }
            _ => None,
        }
    }

    /// When the next timed transition falls due, if one will.
    pub fn next_deadline(&self, options: &HostedOptions) -> Option<Timestamp> {
        let plus =
            |since: Timestamp, secs: Option<u32>| secs.map(|s| since.plus_ms(u64::from(s) * 1000));
        match &self.phase {
            Phase::Question { closes_at, .. } => Some(*closes_at),
            Phase::Reveal { since, .. } => plus(*since, options.reveal_secs),
            Phase::Board { since, .. } => plus(*since, options.board_secs),
            _ => None,
        }
    }

    /// The reveal that closes the open question early once `answered` players not removed
    /// since it opened ([`Phase::left`], [`Phase::counted`]) have answered it and that is
    /// everyone it waits for — the players in the game when it opened, less those removed
    /// since ([`GameState::player_left`]) — when the quiz closes questions early; `None`
    /// otherwise. Late joiners never raise the
    /// bar: a kicked player who joins again under another name is one. The result starts
    /// from this state's `seq`, so racing closers succeed once.
    pub fn everyone_answered(
        &self,
        options: &HostedOptions,
        answered: u64,
        now: Timestamp,
    ) -> Option<GameState> {
        match &self.phase {
            Phase::Question {
                index, expected, ..
            } if options.end_early && *expected > 0 && answered >= *expected => {
                Some(self.next(Phase::Reveal {
                    index: *index,
                    since: now,
                }))
            }
            _ => None,
        }
    }

    /// Whether an answer to question `index` at `now` counts, and from when its speed is
    /// measured (the question's opening for everyone).
    ///
    /// # Errors
    /// [`HostedAnswerError`] naming why not.
    pub fn accepts(&self, index: usize, now: Timestamp) -> Result<Timestamp, HostedAnswerError> {
        match &self.phase {
            Phase::Question {
                index: open,
                opens_at,
                closes_at,
                ..
            } => {
                if *open != index {
                    Err(HostedAnswerError::NotTheOpenQuestion { open: *open })
                } else if now < *opens_at || now >= *closes_at {
                    Err(HostedAnswerError::NoOpenQuestion)
                } else {
                    Ok(*opens_at)
                }
            }
            _ => Err(HostedAnswerError::NoOpenQuestion),
        }
    }

    /// The state after the host removed `player`, who joined at `joined_at`, while this
    /// phase shows a question (running or paused): the question remembers them among those
    /// who left, so their answer, given or still to come, no longer counts towards its bar,
    /// and, when they were in the game as it opened, it waits for one player fewer.
    /// Whether they had answered does not matter, so nothing needs reading at the same
    /// moment as the answers: an answer racing the kick cannot be counted while the bar
    /// drops. `None` when nothing changes: no question shows, or `player` already left it
    /// (a second kick, from another console or instance, racing or not). Applied through
    /// the store's compare-and-set, a removal lowers the bar once.
    pub fn player_left(&self, player: &PlayerId, joined_at: Timestamp) -> Option<GameState> {
        let lower = |q: &Phase| match q {
            Phase::Question {
                index,
                opens_at,
                closes_at,
                expected,
                left,
            } if !left.contains(player) => {
                let mut left = left.clone();
                left.push(player.clone());
                let waited = joined_at <= *opens_at && *expected > 0;
                Some(Phase::Question {
                    index: *index,
                    opens_at: *opens_at,
                    closes_at: *closes_at,
                    expected: if waited { expected - 1 } else { *expected },
                    left,
                })
            }
            _ => None,
        };
        let phase = match &self.phase {
            Phase::Paused {
                from,
                remaining_ms,
                paused_at,
            } => Phase::Paused {
                from: Box::new(lower(from)?),
                remaining_ms: *remaining_ms,
                paused_at: *paused_at,
            },
            p => lower(p)?,
        };
        Some(self.next(phase))
    }

    /// Whether new players may join now.
    pub fn accepts_joins(&self) -> bool {
        !matches!(self.phase, Phase::Lobby { locked: true } | Phase::Podium)
    }
}

/// The phase a pause (begun at `paused_at`) resumes into at `now`: a question with the time
/// it had left, a reveal or board with its auto-advance moved on by the pause.
fn resume(from: &Phase, remaining_ms: Option<u64>, paused_at: Timestamp, now: Timestamp) -> Phase {
    let paused_for = now.since(paused_at);
    match from {
        Phase::Question {
            index,
            opens_at,
            expected,
            left,
            ..
        } => Phase::Question {
            index: *index,
            // Still the opening for everyone (speed counts from it); the close moves on.
            opens_at: *opens_at,
            closes_at: now.plus_ms(remaining_ms.unwrap_or(0)),
            expected: *expected,
            left: left.clone(),
        },
        Phase::Reveal { index, since } => Phase::Reveal {
            index: *index,
            since: since.plus_ms(paused_for),
        },
        Phase::Board { index, since } => Phase::Board {
            index: *index,
            since: since.plus_ms(paused_for),
        },
        other => other.clone(),
    }
}

/// Where a phase stands in the game's order: (question index, step within it), with the
/// lobby first and the podium last. A pause stands where the phase it paused stands.
pub fn order(phase: &Phase) -> (u64, u8) {
    match phase.unpaused() {
        Phase::Lobby { .. } => (0, 0),
        Phase::Question { index, .. } => (*index as u64 + 1, 1),
        Phase::Reveal { index, .. } => (*index as u64 + 1, 2),
        Phase::Board { index, .. } => (*index as u64 + 1, 3),
        // A pause never holds a pause.
        Phase::Paused { .. } => (0, 0),
        Phase::Podium => (u64::MAX, 0),
    }
}

#[cfg(test)]
mod tests;
