//! Players: joining a quiz, admitting the player a token names, what a (re)connecting
//! player needs, and one player's standing.

use std::sync::Arc;

use crate::game::Phase;
use crate::ids::{PlayerId, PlayerName, QuestionId, QuizId};
use crate::model::{AnswerResult, BoardView, Player};
use crate::names::DenyList;
use crate::ports::{JoinError, PlayerRegistry, RoomBus, Scoreboard};
use crate::quiz::{NameMode, Quiz, QuizMode, QuizStatus, Window};
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

use super::{Boards, Games, Library, LookupError, Ports, QuizView};

/// Errors of [`Players::join`].
#[derive(Debug, thiserror::Error)]
pub enum JoinQuizError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// The quiz is closed.
    #[error("the quiz is closed")]
    QuizClosed,
    /// The name is taken in this quiz.
    #[error("that name is taken in this quiz")]
    NameTaken,
    /// The quiz is full.
    #[error("the quiz is full")]
    QuizFull,
    /// The requested name contains a word of the deny list.
    #[error("that name is not allowed; choose another")]
    NameNotAllowed,
    /// The host locked the hosted game's lobby.
    #[error("the host locked the lobby")]
    LobbyLocked,
    /// The hosted game is over.
    #[error("the game is over")]
    GameOver,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<LookupError> for JoinQuizError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => Self::UnknownQuiz,
            LookupError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// Why the player a token names is not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// No such player in the quiz.
    #[error("unknown player")]
    UnknownPlayer,
    /// The player's id was issued again since the token (their join time differs): the
    /// token is from before a loss of the registry.
    #[error("the token is stale")]
    Stale,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Why a player cannot take their seat in their quiz.
#[derive(Debug, thiserror::Error)]
pub enum SeatError {
    /// The host removed the player from the hosted game.
    #[error("removed by the host")]
    Removed,
    /// The quiz cannot be read.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Everything a player's client needs on (re)connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The quiz, without answer key.
    pub quiz: QuizView,
    /// Who the snapshot is for.
    pub player: Player,
    /// Each question's window for this player, in question order.
    pub windows: Vec<Window>,
    /// The player's answered questions and their results.
    pub answered: Vec<(QuestionId, AnswerResult)>,
    /// The board as this player sees it.
    pub board: BoardView,
    /// The time the snapshot was taken.
    pub now: Timestamp,
}

/// One player's place in a quiz: who, rank, score and how many questions they answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerStanding {
    /// Who stands there, as the registry knows them.
    pub player: Player,
    /// Rank, 1 = first.
    pub rank: u64,
    /// Points so far.
    pub score: u64,
    /// Questions answered.
    pub answers: u64,
}

/// Joining, admitting, reconnecting, standings.
#[derive(Clone)]
pub struct Players {
    library: Library,
    games: Games,
    boards: Boards,
    registry: Arc<dyn PlayerRegistry>,
    scoreboard: Arc<dyn Scoreboard>,
    bus: Arc<dyn RoomBus>,
    max_players: u64,
    /// Words no requested display name may contain.
    deny: Arc<DenyList>,
}

impl Players {
    pub(super) fn new(
        ports: &Ports,
        library: Library,
        games: Games,
        boards: Boards,
        max_players: u64,
        deny: DenyList,
    ) -> Self {
        Self {
            library,
            games,
            boards,
            registry: ports.registry.clone(),
            scoreboard: ports.scoreboard.clone(),
            bus: ports.bus.clone(),
            max_players,
            deny: Arc::new(deny),
        }
    }

    pub(super) fn with_deny_list(mut self, deny: DenyList) -> Self {
        self.deny = Arc::new(deny);
        self
    }

    /// Joins a quiz under a display name and puts the player on the board with 0 points.
    ///
    /// # Errors
    /// [`JoinQuizError`] naming why; on error nobody was registered, except after an
    /// `Unavailable` from the scoreboard, when the player exists but is not yet on the
    /// board (they appear with their first answer).
    pub async fn join(
        &self,
        quiz_id: &QuizId,
        name: &PlayerName,
        now: Timestamp,
    ) -> Result<Player, JoinQuizError> {
        let quiz = self.library.quiz(quiz_id).await?;
        if quiz.status() == QuizStatus::Closed {
            return Err(JoinQuizError::QuizClosed);
        }
        if quiz.mode() == QuizMode::Hosted {
            let game = self.games.read(&quiz, now).await?;
            if !game.accepts_joins() {
                return Err(match game.phase {
                    Phase::Podium => JoinQuizError::GameOver,
                    _ => JoinQuizError::LobbyLocked,
                });
            }
        }
        let player = match quiz.names() {
            NameMode::Requested if self.deny.denies(name.as_str()) => {
                return Err(JoinQuizError::NameNotAllowed);
            }
            NameMode::Requested => {
                self.registry
                    .join(quiz_id, name, now, self.max_players)
                    .await
            }
            NameMode::Generated => self.join_generated(quiz_id, now).await,
        };
        let player = match player {
            Ok(p) => p,
            Err(JoinError::NameTaken) => return Err(JoinQuizError::NameTaken),
            Err(JoinError::QuizFull) => return Err(JoinQuizError::QuizFull),
            Err(e @ JoinError::Unavailable(_)) => {
                return Err(Unavailable::new("player registry", e).into());
            }
        };
        self.scoreboard
            .enroll(quiz_id, quiz.created_at(), &player.id, now)
            .await
            .map_err(Unavailable::from)?;
        // A new line on the board is a change the room should see.
        let _ = self.bus.announce(quiz_id).await;
        Ok(player)
    }

    /// Joins under a generated name, trying other names while they are taken (then with a
    /// number added).
    async fn join_generated(&self, quiz: &QuizId, now: Timestamp) -> Result<Player, JoinError> {
        const TRIES: u64 = 8;
        for attempt in 0..TRIES + 1 {
            let base = crate::names::generated(now.0.wrapping_add(attempt));
            let text = if attempt < TRIES {
                base
            } else {
                format!("{base} {}", now.0 % 1000)
            };
            let name = PlayerName::parse(&text).map_err(|e| JoinError::Unavailable(Box::new(e)))?;
            match self.registry.join(quiz, &name, now, self.max_players).await {
                Err(JoinError::NameTaken) => continue,
                other => return other,
            }
        }
        Err(JoinError::NameTaken)
    }

    /// The player a token names — `player` of `quiz`, who joined at `joined_at` — if the
    /// registry still knows them as that player.
    ///
    /// # Errors
    /// [`AdmitError`] naming why not.
    pub async fn admit(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        joined_at: Timestamp,
    ) -> Result<Player, AdmitError> {
        let found = self
            .registry
            .get(quiz, player)
            .await
            .map_err(Unavailable::from)?;
        match found {
            None => Err(AdmitError::UnknownPlayer),
            Some(p) if p.joined_at != joined_at => Err(AdmitError::Stale),
            Some(p) => Ok(p),
        }
    }

    /// The quiz `player` plays, unless the host removed them from its game.
    ///
    /// # Errors
    /// [`SeatError`] naming why not.
    pub async fn seat(&self, player: &Player) -> Result<Quiz, SeatError> {
        let quiz = self.library.quiz(&player.quiz).await?;
        if quiz.mode() == QuizMode::Hosted
            && self.games.is_removed(&player.quiz, &player.id).await?
        {
            return Err(SeatError::Removed);
        }
        Ok(quiz)
    }

    /// Everything a (re)connecting player needs.
    ///
    /// # Errors
    /// [`LookupError`].
    pub async fn snapshot(&self, player: &Player, now: Timestamp) -> Result<Snapshot, LookupError> {
        let quiz = self.library.quiz(&player.quiz).await?;
        let answered = self
            .scoreboard
            .answers(&player.quiz, &player.id)
            .await
            .map_err(Unavailable::from)?;
        let board = self.boards.view(&player.quiz, Some(&player.id)).await?;
        let mut view = QuizView::from(&quiz);
        let windows = if quiz.mode() == QuizMode::Hosted {
            // A hosted game shows its questions one at a time, as they open.
            view.questions.clear();
            Vec::new()
        } else {
            quiz.windows(player.joined_at)
        };
        Ok(Snapshot {
            quiz: view,
            windows,
            player: player.clone(),
            answered,
            board,
            now,
        })
    }

    /// A player's standing; `None` when the player is not registered in the quiz or not on
    /// its board.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn standing(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Option<PlayerStanding>, Unavailable> {
        let Some(p) = self.registry.get(quiz, player).await? else {
            return Ok(None);
        };
        let Some(standing) = self.scoreboard.standing(quiz, player).await? else {
            return Ok(None);
        };
        let answers = self.scoreboard.answers(quiz, player).await?.len() as u64;
        Ok(Some(PlayerStanding {
            player: p,
            rank: standing.rank,
            score: standing.key.score(),
            answers,
        }))
    }
}
