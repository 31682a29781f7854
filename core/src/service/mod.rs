//! Application services: the use cases, written against the ports.
//!
//! # When the event log is unavailable
//!
//! Submitting an answer runs check → record (scoreboard) → publish (event log) → announce
//! (room bus). The answer is *acknowledged* to the player only after the publish returns,
//! because only then is it durable on its way to the archive. If the publish fails, the
//! player is told [`SubmitError::NotDurable`] ("not accepted yet, try again"), and:
//!
//! - the scoreboard keeps the record (it cannot be undone atomically, and undoing it would
//!   race with a concurrent retry); the live board may show the points already;
//! - a retry of the same question finds the record (`duplicate`), returns the original
//!   result and **publishes the event again**. Every duplicate republishes, so one retry
//!   that succeeds is enough for the archive to converge; event ids are deterministic and
//!   the archive is idempotent, so extra copies are harmless.
//!
//! A failed room-bus announce does not fail the answer: the score is recorded and durable;
//! boards catch up on the next change. The outcome reports it in `announced` so the caller
//! can count it.

use std::sync::Arc;

use crate::board::build_view;
use crate::game::HostedOptions;
use crate::ids::{PlayerId, PlayerName, QuestionId, QuizId};
use crate::model::{
    AnswerRecord, AnswerResult, BoardEntry, BoardView, Player, QuizSummary, ScoreEvent,
};
use crate::names::DenyList;
use crate::ports::{
    ArchiveError, BusError, BusSubscription, CatalogError, GameStore, JoinError, Names,
    PlayerRegistry, PublishError, QuizCatalog, RegistryError, RoomBus, ScoreArchive, ScoreEventLog,
    Scoreboard, ScoreboardError, Source,
};
use crate::question::{Answer, Grade};
use crate::quiz::{
    AnswerError, NameMode, PublicQuestion, Quiz, QuizDefError, QuizDraft, QuizMode, QuizStatus,
    Window,
};
use crate::scoring::ScoringPolicy;
use crate::time::Timestamp;

/// Tunables of the services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Most players one quiz accepts.
    pub max_players: u64,
    /// How many lines the top of a board shows.
    pub top_n: u64,
    /// How many neighbours above and below the viewer a board shows.
    pub around_k: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_players: 100_000,
            top_n: 10,
            around_k: 2,
        }
    }
}

/// The ports the services run on.
#[derive(Clone)]
pub struct Ports {
    /// Quiz definitions.
    pub catalog: Arc<dyn QuizCatalog>,
    /// Live scores.
    pub scoreboard: Arc<dyn Scoreboard>,
    /// Players.
    pub registry: Arc<dyn PlayerRegistry>,
    /// Durable score events.
    pub events: Arc<dyn ScoreEventLog>,
    /// Long-term standings.
    pub archive: Arc<dyn ScoreArchive>,
    /// Cross-instance "quiz changed" announcements.
    pub bus: Arc<dyn RoomBus>,
    /// Hosted games' states.
    pub games: Arc<dyn GameStore>,
}

/// The application services.
#[derive(Clone)]
pub struct QuizService {
    ports: Ports,
    config: ServiceConfig,
    /// Words no requested display name may contain.
    deny: Arc<DenyList>,
}

/// An infrastructure failure behind a port, with which port failed.
#[derive(Debug, thiserror::Error)]
#[error("{port} unavailable")]
pub struct Unavailable {
    /// The port that failed.
    pub port: &'static str,
    /// The cause.
    #[source]
    pub source: Source,
}

impl From<CatalogError> for Unavailable {
    fn from(e: CatalogError) -> Self {
        Self {
            port: "quiz catalog",
            source: Box::new(e),
        }
    }
}
impl From<ScoreboardError> for Unavailable {
    fn from(e: ScoreboardError) -> Self {
        Self {
            port: "scoreboard",
            source: Box::new(e),
        }
    }
}
impl From<RegistryError> for Unavailable {
    fn from(e: RegistryError) -> Self {
        Self {
            port: "player registry",
            source: Box::new(e),
        }
    }
}
impl From<BusError> for Unavailable {
    fn from(e: BusError) -> Self {
        Self {
            port: "room bus",
            source: Box::new(e),
        }
    }
}
impl From<ArchiveError> for Unavailable {
    fn from(e: ArchiveError) -> Self {
        Self {
            port: "score archive",
            source: Box::new(e),
        }
    }
}

/// Errors of [`QuizService::create_quiz`].
#[derive(Debug, thiserror::Error)]
pub enum CreateQuizError {
    /// The definition breaks a rule.
    #[error(transparent)]
    Invalid(#[from] QuizDefError),
    /// The id is taken.
    #[error("a quiz with that id already exists")]
    AlreadyExists,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Errors of lookups by quiz id.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Errors of [`QuizService::join`].
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

/// Errors of [`QuizService::submit_answer`]. None of them changes a score.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The answer was refused by the quiz's rules.
    #[error(transparent)]
    Rejected(#[from] AnswerError),
    /// Recorded but not yet durable: the player must retry (see the module docs).
    #[error("the answer could not be made durable; try again")]
    NotDurable(#[source] PublishError),
    /// Infrastructure failure before anything was recorded.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// The acknowledged outcome of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerOutcome {
    /// The question answered.
    pub question: QuestionId,
    /// The (first) result for this question.
    pub result: AnswerResult,
    /// The player's total now.
    pub total: u64,
    /// Questions answered now.
    pub answers: u32,
    /// Rank now (1 = first).
    pub rank: u64,
    /// True when this repeats an earlier answer to the same question (nothing changed).
    pub duplicate: bool,
    /// Whether the room bus took the "quiz changed" announcement.
    pub announced: bool,
    /// How the (first) answer was graded.
    pub grade: Grade,
    /// Whether this answer (new, not a duplicate) came faster than the quiz's
    /// `min_answer_ms` after its question opened for the player: scored, but flagged.
    pub fast: bool,
}

/// A quiz as players see it: no answer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizView {
    /// Id.
    pub id: QuizId,
    /// Title.
    pub title: String,
    /// Open or closed.
    pub status: QuizStatus,
    /// Scoring rules.
    pub scoring: ScoringPolicy,
    /// Questions without the key.
    pub questions: Vec<PublicQuestion>,
    /// The largest reachable total.
    pub max_total: u64,
    /// Self-paced or hosted.
    pub mode: QuizMode,
    /// How a hosted game runs.
    pub hosted: HostedOptions,
    /// Where players' display names come from.
    pub names: NameMode,
}

impl From<&Quiz> for QuizView {
    fn from(q: &Quiz) -> Self {
        Self {
            id: q.id().clone(),
            title: q.title().to_owned(),
            status: q.status(),
            scoring: q.scoring(),
            questions: q.public_questions(),
            max_total: q.max_total(),
            mode: q.mode(),
            hosted: q.hosted(),
            names: q.names(),
        }
    }
}

/// Everything a player's client needs on (re)connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The quiz, without answer key.
    pub quiz: QuizView,
    /// The player.
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
    /// The player.
    pub player: Player,
    /// Rank, 1 = first.
    pub rank: u64,
    /// Score.
    pub score: u64,
    /// Questions answered.
    pub answers: u64,
}

/// Errors of [`QuizService::rebuild_scoreboard`].
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl QuizService {
    /// Services over `ports`, refusing display names with a word of the built-in deny list.
    pub fn new(ports: Ports, config: ServiceConfig) -> Self {
        Self {
            ports,
            config,
            deny: Arc::new(DenyList::builtin()),
        }
    }

    /// The same services with another deny list for display names.
    #[must_use]
    pub fn with_deny_list(mut self, deny: DenyList) -> Self {
        self.deny = Arc::new(deny);
        self
    }

    /// The configuration.
    pub fn config(&self) -> ServiceConfig {
        self.config
    }

    /// Validates and stores a new quiz.
    ///
    /// # Errors
    /// [`CreateQuizError::Invalid`] naming the broken rule, [`CreateQuizError::AlreadyExists`],
    /// [`CreateQuizError::Unavailable`].
    pub async fn create_quiz(&self, draft: QuizDraft) -> Result<Quiz, CreateQuizError> {
        let quiz = Quiz::try_from(draft)?;
        match self.ports.catalog.create(&quiz).await {
            Ok(()) => Ok(quiz),
            Err(CatalogError::AlreadyExists) => Err(CreateQuizError::AlreadyExists),
            Err(e) => Err(Unavailable::from(e).into()),
        }
    }

    /// Fetches a quiz (with key: for server-side use).
    ///
    /// # Errors
    /// [`LookupError::UnknownQuiz`], [`LookupError::Unavailable`].
    pub async fn quiz(&self, id: &QuizId) -> Result<Quiz, LookupError> {
        self.ports
            .catalog
            .get(id)
            .await
            .map_err(Unavailable::from)?
            .ok_or(LookupError::UnknownQuiz)
    }

    /// Lists quizzes.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn list_quizzes(&self) -> Result<Vec<QuizSummary>, Unavailable> {
        Ok(self.ports.catalog.list().await?)
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
        let quiz = match self.quiz(quiz_id).await {
            Ok(q) => q,
            Err(LookupError::UnknownQuiz) => return Err(JoinQuizError::UnknownQuiz),
            Err(LookupError::Unavailable(u)) => return Err(u.into()),
        };
        if quiz.status() == QuizStatus::Closed {
            return Err(JoinQuizError::QuizClosed);
        }
        if quiz.mode() == QuizMode::Hosted {
            let game = self.current_game(&quiz, now).await?;
            if !game.accepts_joins() {
                return Err(match game.phase {
                    crate::game::Phase::Podium => JoinQuizError::GameOver,
                    _ => JoinQuizError::LobbyLocked,
                });
            }
        }
        let player = match quiz.names() {
            NameMode::Requested if self.deny.denies(name.as_str()) => {
                return Err(JoinQuizError::NameNotAllowed);
            }
            NameMode::Requested => {
                self.ports
                    .registry
                    .join(quiz_id, name, now, self.config.max_players)
                    .await
            }
            NameMode::Generated => self.join_generated(quiz_id, now).await,
        };
        let player = match player {
            Ok(p) => p,
            Err(JoinError::NameTaken) => return Err(JoinQuizError::NameTaken),
            Err(JoinError::QuizFull) => return Err(JoinQuizError::QuizFull),
            Err(e @ JoinError::Unavailable(_)) => {
                return Err(Unavailable {
                    port: "player registry",
                    source: Box::new(e),
                }
                .into());
            }
        };
        self.ports
            .scoreboard
            .enroll(quiz_id, quiz.created_at(), &player.id, now)
            .await
            .map_err(Unavailable::from)?;
        // A new line on the board is a change the room should see.
        let _ = self.ports.bus.announce(quiz_id).await;
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
            match self
                .ports
                .registry
                .join(quiz, &name, now, self.config.max_players)
                .await
            {
                Err(JoinError::NameTaken) => continue,
                other => return other,
            }
        }
        Err(JoinError::NameTaken)
    }

    /// Looks a player up.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn player(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Option<Player>, Unavailable> {
        Ok(self.ports.registry.get(quiz, player).await?)
    }

    /// Checks, scores, records, publishes and announces one answer. See the module docs
    /// for what happens when the event log fails.
    ///
    /// # Errors
    /// [`SubmitError`]; a rejected answer changes nothing.
    pub async fn submit_answer(
        &self,
        player: &Player,
        question: &QuestionId,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<AnswerOutcome, SubmitError> {
        let quiz = match self.quiz(&player.quiz).await {
            Ok(q) => q,
            Err(LookupError::UnknownQuiz) => return Err(AnswerError::UnknownQuiz.into()),
            Err(LookupError::Unavailable(u)) => return Err(u.into()),
        };
        let mut hosted = None;
        let checked = if quiz.mode() == QuizMode::Hosted {
            use hosted::HostedCheckError;
            match self
                .check_hosted_answer(&quiz, &player.id, question, answer, now)
                .await
            {
                Ok((c, open)) => {
                    hosted = open;
                    c
                }
                Err(HostedCheckError::Closed(e)) => {
                    if self.already_answered(player, question).await? {
                        crate::quiz::Checked::already_recorded(now)
                    } else {
                        return Err(e.into());
                    }
                }
                Err(HostedCheckError::Rejected(e)) => return Err(e.into()),
                Err(HostedCheckError::Unavailable(u)) => return Err(u.into()),
            }
        } else {
            match quiz.check_answer(question, answer, player.joined_at, now) {
                Ok(c) => c,
                Err(e @ (AnswerError::TooLate { .. } | AnswerError::QuizClosed)) => {
                    // A retry of an answer accepted in time must still get its original result.
                    if self.already_answered(player, question).await? {
                        // Fall through to record(), which returns the stored result unchanged.
                        crate::quiz::Checked::already_recorded(now)
                    } else {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        };
        let record = AnswerRecord {
            quiz: player.quiz.clone(),
            quiz_created_at: quiz.created_at(),
            player: player.id.clone(),
            question: question.clone(),
            grade: checked.grade,
            base_points: checked.base_points,
            streak: quiz.scoring().streak,
            at: now,
            opened: checked.opened,
        };
        let rec = self
            .ports
            .scoreboard
            .record(&record)
            .await
            .map_err(Unavailable::from)?;
        if let Some((index, opens_at, state)) = hosted {
            // Counted before the publish, so a retry after a failed publish counts it again
            // (idempotently) and everyone-answered is never missed.
            let answer = crate::ports::GameAnswer {
                player: player.id.clone(),
                given: checked.given.clone(),
                correct: rec.result.correct,
                points: rec.result.points,
                elapsed_ms: now.since(opens_at),
            };
            self.count_hosted_answer(&quiz, index, &state, &answer, now)
                .await?;
        }
        let event = ScoreEvent {
            event_id: ScoreEvent::id_for(&player.quiz, &player.id, question),
            quiz: player.quiz.clone(),
            player: player.id.clone(),
            player_name: player.name.clone(),
            joined_at: player.joined_at,
            question: question.clone(),
            result: rec.result,
            total: rec.total,
            answers: rec.answers,
            reached_at: rec.reached_at,
        };
        self.ports
            .events
            .publish(&event)
            .await
            .map_err(SubmitError::NotDurable)?;
        let announced = if rec.duplicate {
            true
        } else {
            self.ports.bus.announce(&player.quiz).await.is_ok()
        };
        // A retry after the close was checked without its question: look the type up then
        // only (a linear search of up to 200 questions on every answer would show).
        let kind = if rec.duplicate {
            quiz.questions()
                .iter()
                .find(|q| &q.id == question)
                .map_or(checked.kind, |q| q.kind())
        } else {
            checked.kind
        };
        Ok(AnswerOutcome {
            question: question.clone(),
            result: rec.result,
            total: rec.total,
            answers: rec.answers,
            rank: rec.rank,
            duplicate: rec.duplicate,
            announced,
            grade: Grade::of(kind, &rec.result),
            fast: !rec.duplicate && rec.result.elapsed_ms.is_some_and(|ms| quiz.is_fast(ms)),
        })
    }

    async fn already_answered(
        &self,
        player: &Player,
        question: &QuestionId,
    ) -> Result<bool, Unavailable> {
        let answers = self
            .ports
            .scoreboard
            .answers(&player.quiz, &player.id)
            .await?;
        Ok(answers.iter().any(|(q, _)| q == question))
    }

    /// The board as `viewer` sees it (top N, their line, their neighbours), or the plain
    /// top N when `viewer` is `None`.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn board(
        &self,
        quiz: &QuizId,
        viewer: Option<&PlayerId>,
    ) -> Result<BoardView, Unavailable> {
        let sb = &self.ports.scoreboard;
        let top = sb.top(quiz, 0, self.config.top_n).await?;
        let players = sb.count(quiz).await?;
        let (me, around) = match viewer {
            Some(p) => {
                let around = sb.around(quiz, p, self.config.around_k).await?;
                let me = around.iter().find(|r| &r.player == p).cloned();
                (me, around)
            }
            None => (None, Vec::new()),
        };
        let mut ids: Vec<PlayerId> = top
            .iter()
            .chain(around.iter())
            .map(|r| r.player.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let names = self.ports.registry.names(quiz, &ids).await?;
        Ok(build_view(&top, me.as_ref(), &around, players, &names))
    }

    /// One page of the board: up to `limit` lines from rank `offset + 1`.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn board_page(
        &self,
        quiz: &QuizId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<BoardEntry>, Unavailable> {
        let page = self.ports.scoreboard.top(quiz, offset, limit).await?;
        let ids: Vec<PlayerId> = page.iter().map(|r| r.player.clone()).collect();
        let names = self.ports.registry.names(quiz, &ids).await?;
        Ok(page
            .iter()
            .map(|r| crate::board::entry(r, &names))
            .collect())
    }

    /// Everything a (re)connecting player needs.
    ///
    /// # Errors
    /// [`LookupError`].
    pub async fn snapshot(&self, player: &Player, now: Timestamp) -> Result<Snapshot, LookupError> {
        let quiz = self.quiz(&player.quiz).await?;
        let answered = self
            .ports
            .scoreboard
            .answers(&player.quiz, &player.id)
            .await
            .map_err(Unavailable::from)?;
        let board = self.board(&player.quiz, Some(&player.id)).await?;
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

    /// Restores a quiz's live board and its player registry from the long-term archive
    /// (after losing the store behind the scoreboard and the registry). Returns how many
    /// players were restored.
    ///
    /// Every archived player is re-registered with their id, name and join time, so they
    /// can reconnect with the token they hold, then the board is replaced by the archived
    /// standings (totals, tie-break times, answered questions, streaks). Players who joined
    /// but never answered have no archived standing and are not restored; standings
    /// archived before score events carried the join time restore with join time 0, so
    /// those players' names come back but their old tokens are refused as stale.
    ///
    /// # Order and failures
    /// The registry is restored first, then the board. If the registry restore fails, the
    /// board is untouched; if the board restore fails after it, the players are registered
    /// but the board is not rebuilt yet. Both steps are idempotent, so after any failure
    /// the remedy is to run the rebuild again.
    ///
    /// # Errors
    /// [`RebuildError`].
    pub async fn rebuild_scoreboard(&self, quiz_id: &QuizId) -> Result<usize, RebuildError> {
        let quiz = match self.quiz(quiz_id).await {
            Ok(q) => q,
            Err(LookupError::UnknownQuiz) => return Err(RebuildError::UnknownQuiz),
            Err(LookupError::Unavailable(u)) => return Err(u.into()),
        };
        let standings = self
            .ports
            .archive
            .standings(quiz_id)
            .await
            .map_err(Unavailable::from)?;
        let players: Vec<Player> = standings
            .iter()
            .map(|s| Player {
                quiz: quiz_id.clone(),
                id: s.player.clone(),
                name: s.name.clone(),
                joined_at: s.joined_at,
            })
            .collect();
        self.ports
            .registry
            .restore(quiz_id, &players)
            .await
            .map_err(Unavailable::from)?;
        self.ports
            .scoreboard
            .restore(quiz_id, quiz.created_at(), &standings)
            .await
            .map_err(Unavailable::from)?;
        let _ = self.ports.bus.announce(quiz_id).await;
        Ok(standings.len())
    }

    /// How many players are on a quiz's board.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn player_count(&self, quiz: &QuizId) -> Result<u64, Unavailable> {
        Ok(self.ports.scoreboard.count(quiz).await?)
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
        let Some(p) = self.ports.registry.get(quiz, player).await? else {
            return Ok(None);
        };
        let Some(standing) = self.ports.scoreboard.standing(quiz, player).await? else {
            return Ok(None);
        };
        let answers = self.ports.scoreboard.answers(quiz, player).await?.len() as u64;
        Ok(Some(PlayerStanding {
            player: p,
            rank: standing.rank,
            score: standing.key.score(),
            answers,
        }))
    }

    /// Opens or closes a quiz for joins and answers, and returns it with its new status.
    ///
    /// # Errors
    /// [`LookupError::UnknownQuiz`], [`LookupError::Unavailable`].
    pub async fn set_status(&self, quiz: &QuizId, status: QuizStatus) -> Result<Quiz, LookupError> {
        match self.ports.catalog.set_status(quiz, status).await {
            Ok(()) => {}
            Err(CatalogError::NotFound) => return Err(LookupError::UnknownQuiz),
            Err(e) => return Err(Unavailable::from(e).into()),
        }
        self.quiz(quiz).await
    }

    /// The boards of a room's `viewers` from one read of the board (see
    /// [`crate::board::RoomBoards`]); names in `known` are not read again.
    ///
    /// # Errors
    /// [`Unavailable`] when the board cannot be read; a failed name lookup is reported in
    /// [`RoomBoards::names_failed`](crate::board::RoomBoards) instead (lines show ids).
    pub async fn room_boards(
        &self,
        quiz: &QuizId,
        viewers: &[PlayerId],
        known: &Names,
    ) -> Result<crate::board::RoomBoards, Unavailable> {
        use crate::board::{FULL_READ_LIMIT, ViewIndex, full_board_views, shown_lines};
        let sb = &self.ports.scoreboard;
        let players = sb.count(quiz).await?;
        let full = players <= FULL_READ_LIMIT;
        let mut lines = sb
            .top(quiz, 0, if full { players } else { self.config.top_n })
            .await?;
        let top = 0..lines.len().min(self.config.top_n as usize);
        let k = self.config.around_k;
        let views = if full {
            full_board_views(&lines, viewers, k as usize)
        } else {
            let mut views = Vec::with_capacity(viewers.len());
            for v in viewers {
                views.push(match sb.around(quiz, v, k).await {
                    Ok(a) => {
                        let start = lines.len();
                        let me = a.iter().position(|r| &r.player == v);
                        lines.extend(a);
                        ViewIndex {
                            me: me.map(|p| start + p),
                            around: start..lines.len(),
                        }
                    }
                    Err(_) => ViewIndex::EMPTY,
                });
            }
            views
        };
        let shown = shown_lines(lines.len(), &top, &views);
        let mut missing: Vec<PlayerId> = lines
            .iter()
            .zip(&shown)
            .filter(|(r, shown)| **shown && !known.contains_key(&r.player))
            .map(|(r, _)| r.player.clone())
            .collect();
        missing.sort();
        missing.dedup();
        let (new_names, names_failed) = if missing.is_empty() {
            (Names::new(), None)
        } else {
            match self.ports.registry.names(quiz, &missing).await {
                Ok(n) => (n, None),
                Err(e) => (Names::new(), Some(Unavailable::from(e))),
            }
        };
        Ok(crate::board::RoomBoards {
            lines,
            shown,
            top,
            views,
            players,
            new_names,
            names_failed,
        })
    }

    /// Announces that `player` connected socket `socket` at `since` (ms): their older
    /// sockets on every instance yield to it (one live socket per player).
    ///
    /// # Errors
    /// [`Unavailable`] when the room bus cannot be reached.
    pub async fn take_over(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        socket: &str,
        since: u64,
    ) -> Result<(), Unavailable> {
        Ok(self
            .ports
            .bus
            .take_over(quiz, player, socket, since)
            .await?)
    }

    /// Subscribes to "quiz changed" announcements from every instance.
    ///
    /// # Errors
    /// [`Unavailable`] when the room bus cannot be reached.
    pub async fn subscribe_changes(&self) -> Result<Box<dyn BusSubscription>, Unavailable> {
        Ok(self.ports.bus.subscribe().await?)
    }

    /// Which parts cannot serve now, by name: `quiz catalog`, `scoreboard` (unreachable),
    /// `scoreboard lost its data` (until a rebuild), `player registry`, `score archive`,
    /// `event log` (cannot take events); empty when all can. Each check is one cheap round
    /// trip whatever the data size (no query that grows with the archive).
    pub async fn unreachable_parts(&self) -> Vec<&'static str> {
        // Read only, never created.
        let probe = QuizId::parse("readyz-probe").unwrap_or_else(|_| unreachable!("valid id"));
        let mut failing = Vec::new();
        if self.ports.catalog.get(&probe).await.is_err() {
            failing.push("quiz catalog");
        }
        match self.ports.scoreboard.intact().await {
            Ok(true) => {}
            Ok(false) => failing.push("scoreboard lost its data"),
            Err(_) => failing.push("scoreboard"),
        }
        if self.ports.registry.count(&probe).await.is_err() {
            failing.push("player registry");
        }
        if self.ports.archive.ping().await.is_err() {
            failing.push("score archive");
        }
        if self.ports.events.ready().await.is_err() {
            failing.push("event log");
        }
        failing
    }
}

mod hosted;

pub use hosted::{GameOpError, HostAction, QuestionReport, Reveal};

#[cfg(test)]
mod tests;
