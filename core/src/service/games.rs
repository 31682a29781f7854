//! Hosted games as use cases: reading a game (and applying a transition that fell due),
//! the host's commands, removing a player, the roster, the lobby, and the checks an answer
//! in a hosted game goes through.
//!
//! # Where the clock lives, and why a timed transition happens once
//!
//! The state machine ([`crate::game`]) has no clock; the game's state lives behind the
//! [`GameStore`] port, shared by every instance. Whoever reads a game — a player's answer,
//! the host's command, an instance's timer at the phase's deadline — first applies the
//! transition that is due at its `now` ([`GameState::due`]) with a compare-and-set from
//! the `seq` it read. Of any number of instances doing so at once, one succeeds and
//! announces the change on the room bus; the others find the new state on their next
//! read. So a question closes, or a reveal moves on, exactly once, and a read never
//! returns a phase whose time is up.

use std::collections::HashSet;
use std::sync::Arc;

use crate::game::{GameError, GameState, HostCommand, Phase};
use crate::ids::{PlayerId, QuizId};
use crate::model::BoardEntry;
use crate::names::DenyList;
use crate::ports::{GameStore, PlayerRegistry, RoomBus, Scoreboard};
use crate::quiz::{Quiz, QuizMode};
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

use super::{Boards, Library, LookupError, Ports};

/// How often a read or a command retries after losing a compare-and-set race before it
/// reports the store as unavailable (each loss means another instance moved the game).
const MAX_RACES: usize = 16;

/// Errors of the hosted-game operations.
#[derive(Debug, thiserror::Error)]
pub enum GameOpError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// The quiz is self-paced: it has no game.
    #[error("the quiz is self-paced, not hosted")]
    NotHosted,
    /// The command does not apply to the game's phase.
    #[error(transparent)]
    NotNow(#[from] GameError),
    /// The player to remove is not in the quiz.
    #[error("no such player in this quiz")]
    UnknownPlayer,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<LookupError> for GameOpError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => Self::UnknownQuiz,
            LookupError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// What a host asks for: a phase command, or removing a player (the protocol's `kick`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAction {
    /// Move the game (lock, start, next, …).
    Phase(HostCommand),
    /// Remove a player from the game: off the board, their sockets closed, their
    /// answers refused.
    Remove(PlayerId),
}

/// Who is in a hosted game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// Players in the game: joined and not removed.
    pub players: u64,
    /// The players the host removed.
    pub removed: Vec<PlayerId>,
}

/// Hosted games.
#[derive(Clone)]
pub struct Games {
    library: Library,
    boards: Boards,
    registry: Arc<dyn PlayerRegistry>,
    scoreboard: Arc<dyn Scoreboard>,
    store: Arc<dyn GameStore>,
    bus: Arc<dyn RoomBus>,
    /// The names' deny list, which typed answers pass before a reveal shows them.
    deny: Arc<DenyList>,
}

impl Games {
    pub(super) fn new(ports: &Ports, library: Library, boards: Boards) -> Self {
        Self {
            library,
            boards,
            registry: ports.registry.clone(),
            scoreboard: ports.scoreboard.clone(),
            store: ports.games.clone(),
            bus: ports.bus.clone(),
            deny: Arc::new(DenyList::builtin()),
        }
    }

    pub(super) fn with_deny_list(mut self, deny: Arc<DenyList>) -> Self {
        self.deny = deny;
        self
    }

    pub(super) fn deny(&self) -> &DenyList {
        &self.deny
    }

    pub(super) fn store(&self) -> &Arc<dyn GameStore> {
        &self.store
    }

    pub(super) fn library(&self) -> &Library {
        &self.library
    }

    /// A hosted quiz by id.
    async fn hosted_quiz(&self, quiz: &QuizId) -> Result<Quiz, GameOpError> {
        let quiz = self.library.quiz(quiz).await?;
        if quiz.mode() != QuizMode::Hosted {
            return Err(GameOpError::NotHosted);
        }
        Ok(quiz)
    }

    /// Who is in a game, from one read of the registry and one of the removed players.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn roster(&self, quiz: &QuizId) -> Result<Roster, Unavailable> {
        let joined = self.registry.count(quiz).await?;
        let removed = self.store.removed_players(quiz).await?;
        Ok(Roster {
            players: joined.saturating_sub(removed.len() as u64),
            removed,
        })
    }

    /// Whether the host removed `player` from the game of `quiz`.
    pub(super) async fn is_removed(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<bool, Unavailable> {
        Ok(self.store.removed_players(quiz).await?.contains(player))
    }

    /// The game of `quiz` at `now`, with any transition that fell due applied (see the
    /// module docs); a game is created in its lobby on first read.
    ///
    /// # Errors
    /// [`GameOpError::NotHosted`] for a self-paced quiz, [`GameOpError::Unavailable`].
    pub async fn current(&self, quiz: &Quiz, now: Timestamp) -> Result<GameState, GameOpError> {
        if quiz.mode() != QuizMode::Hosted {
            return Err(GameOpError::NotHosted);
        }
        Ok(self.read(quiz, now).await?)
    }

    /// [`Games::current`] of a quiz known to be hosted.
    pub(super) async fn read(&self, quiz: &Quiz, now: Timestamp) -> Result<GameState, Unavailable> {
        let id = quiz.id();
        let limits = quiz.time_limits_ms();
        let options = quiz.hosted();
        for _ in 0..MAX_RACES {
            let Some(state) = self.store.get(id).await? else {
                self.store
                    .compare_and_set(id, None, &GameState::lobby())
                    .await?;
                continue;
            };
            // Only a board moving on opens a question, and only then are players counted.
            let connected = match state.phase {
                Phase::Board { .. } if state.due(&options, &limits, 0, now).is_some() => {
                    self.roster(id).await?.players
                }
                _ => 0,
            };
            let Some(next) = state.due(&options, &limits, connected, now) else {
                return Ok(state);
            };
            if self
                .store
                .compare_and_set(id, Some(state.seq), &next)
                .await?
            {
                let _ = self.bus.announce(id).await;
            }
        }
        Err(contention())
    }

    /// Runs a host's command at `now` and returns the game after it. A phase change is
    /// announced on the room bus, and so is a removal (each instance then closes the
    /// removed player's sockets).
    ///
    /// # Errors
    /// [`GameOpError`] naming why; on error nothing changed.
    pub async fn host(
        &self,
        quiz: &QuizId,
        action: HostAction,
        now: Timestamp,
    ) -> Result<GameState, GameOpError> {
        let quiz = self.hosted_quiz(quiz).await?;
        match action {
            HostAction::Remove(player) => Ok(self.remove(&quiz, &player, now).await?),
            HostAction::Phase(command) => self.command(&quiz, command, now).await,
        }
    }

    async fn command(
        &self,
        quiz: &Quiz,
        command: HostCommand,
        now: Timestamp,
    ) -> Result<GameState, GameOpError> {
        let id = quiz.id();
        let limits = quiz.time_limits_ms();
        for _ in 0..MAX_RACES {
            let state = self.read(quiz, now).await?;
            let connected = match command {
                HostCommand::Start | HostCommand::Next => self.roster(id).await?.players,
                _ => 0,
            };
            let next = state.command(command, &limits, connected, now)?;
            if self
                .store
                .compare_and_set(id, Some(state.seq), &next)
                .await
                .map_err(Unavailable::from)?
            {
                let _ = self.bus.announce(id).await;
                return Ok(next);
            }
        }
        Err(contention().into())
    }

    async fn remove(
        &self,
        quiz: &Quiz,
        player: &PlayerId,
        now: Timestamp,
    ) -> Result<GameState, GameOpError> {
        let id = quiz.id();
        let Some(joined) = self
            .registry
            .get(id, player)
            .await
            .map_err(Unavailable::from)?
        else {
            return Err(GameOpError::UnknownPlayer);
        };
        let again = self.is_removed(id, player).await?;
        self.store
            .remove_player(id, player)
            .await
            .map_err(Unavailable::from)?;
        if !again {
            self.left(quiz, (player, joined.joined_at), now).await?;
        }
        // Off the board too: a removed name is not shown to the room.
        self.scoreboard
            .remove(id, player)
            .await
            .map_err(Unavailable::from)?;
        let _ = self.bus.announce(id).await;
        // Without them, everyone left may have answered already.
        let state = self.read(quiz, now).await?;
        let Some(index) = state.phase.open_question() else {
            return Ok(state);
        };
        let answered = self
            .store
            .answer_count(id, index)
            .await
            .map_err(Unavailable::from)?;
        self.close_if_everyone_answered(quiz, &state, answered, now)
            .await?;
        Ok(self.read(quiz, now).await?)
    }

    /// The open (or paused) question remembers the removed `player`, who joined at
    /// `joined_at`, as gone: their answer no longer counts and, when they were in the game
    /// as it opened, it waits for one player fewer ([`GameState::player_left`]). Nothing is
    /// read from the answers, so an answer racing the kick cannot slip between a read and
    /// the compare-and-set; a second kick of the same player, racing or not, finds them
    /// among those who left and changes nothing.
    async fn left(
        &self,
        quiz: &Quiz,
        (player, joined_at): (&PlayerId, Timestamp),
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        let id = quiz.id();
        for _ in 0..MAX_RACES {
            let state = self.read(quiz, now).await?;
            let Some(next) = state.player_left(player, joined_at) else {
                return Ok(());
            };
            if self
                .store
                .compare_and_set(id, Some(state.seq), &next)
                .await?
            {
                let _ = self.bus.announce(id).await;
                return Ok(());
            }
        }
        Err(contention())
    }

    /// How many players have answered the question `state` shows ([`Phase::question`]): the
    /// open (or paused) question, or the one revealed or on the board — there it is the
    /// count the question closed with; `None` in the lobby and on the podium.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn answered(
        &self,
        quiz: &QuizId,
        state: &GameState,
    ) -> Result<Option<u64>, Unavailable> {
        match state.phase.question() {
            Some(index) => {
                let all = self.store.answer_count(quiz, index).await?;
                Ok(Some(self.counted(quiz, state, index, all).await?))
            }
            None => Ok(None),
        }
    }

    /// Of `all` answers to question `index` (the store's count), those that count towards
    /// the bar of the question `state` holds open: without the answers of players removed
    /// while it showed ([`crate::game::Phase::counted`]). Reads the answers only when
    /// someone left.
    async fn counted(
        &self,
        quiz: &QuizId,
        state: &GameState,
        index: usize,
        all: u64,
    ) -> Result<u64, Unavailable> {
        if state.phase.left().is_empty() {
            return Ok(all);
        }
        let answers = self.store.answers(quiz, index).await?;
        Ok(state.phase.counted(answers.iter().map(|a| &a.player)))
    }

    /// The players in a game's lobby, in join order, up to `limit`, without removed ones.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn lobby(&self, quiz: &QuizId, limit: u64) -> Result<Vec<BoardEntry>, Unavailable> {
        let removed: HashSet<PlayerId> = self
            .store
            .removed_players(quiz)
            .await?
            .into_iter()
            .collect();
        let mut page = self
            .boards
            .entries(quiz, 0, limit + removed.len() as u64)
            .await?;
        page.retain(|e| !removed.contains(&e.player));
        page.sort_by_key(|e| e.player.issued_number());
        page.truncate(limit as usize);
        Ok(page)
    }

    /// Closes the open question of `state` when the `answered` players (the store's count,
    /// read after `state`) are everyone it waits for. Answers of players removed while it
    /// showed do not count: when someone left and the count reaches the bar, the answers
    /// are read (after `state`) to leave theirs out. Answers only grow, so a
    /// compare-and-set from `state` that succeeds closes a question whose bar was met. When
    /// the game moved meanwhile (a kick, a pause), it tries again on the state it finds.
    pub(super) async fn close_if_everyone_answered(
        &self,
        quiz: &Quiz,
        state: &GameState,
        answered: u64,
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        let id = quiz.id();
        let (mut state, mut answered) = (state.clone(), answered);
        for _ in 0..MAX_RACES {
            let Some(index) = state.phase.open_question() else {
                return Ok(());
            };
            let below = state.phase.expected().is_some_and(|e| answered < e);
            if below {
                return Ok(());
            }
            let counted = self.counted(id, &state, index, answered).await?;
            let Some(next) = state.everyone_answered(&quiz.hosted(), counted, now) else {
                return Ok(());
            };
            if self
                .store
                .compare_and_set(id, Some(state.seq), &next)
                .await?
            {
                let _ = self.bus.announce(id).await;
                return Ok(());
            }
            state = self.read(quiz, now).await?;
            let Some(index) = state.phase.open_question() else {
                return Ok(());
            };
            answered = self.store.answer_count(id, index).await?;
        }
        Err(contention())
    }
}

fn contention() -> Unavailable {
    Unavailable::new("game store", "the game kept changing under this operation")
}
