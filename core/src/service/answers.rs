//! Submitting an answer: check → record (scoreboard) → publish (event log) → announce
//! (room bus).
//!
//! # When the event log is unavailable
//!
//! The answer is *acknowledged* to the player only after the publish returns, because only
//! then is it durable on its way to the archive. If the publish fails, the player is told
//! [`SubmitError::NotDurable`] ("not accepted yet, try again"), and:
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

use crate::ids::QuestionId;
use crate::model::{AnswerRecord, AnswerResult, Player, Recorded, ScoreEvent};
use crate::ports::{PublishError, RoomBus, ScoreEventLog, Scoreboard};
use crate::question::{Answer, Grade, QuestionType};
use crate::quiz::{AnswerError, Checked, Quiz, QuizMode};
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

use super::game_answers::Check;
use super::{Games, Library, LookupError, Ports};

/// Errors of [`Answers::submit`]. None of them changes a score.
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

impl From<LookupError> for SubmitError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => AnswerError::UnknownQuiz.into(),
            LookupError::Unavailable(u) => u.into(),
        }
    }
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

/// Submitting answers.
#[derive(Clone)]
pub struct Answers {
    library: Library,
    games: Games,
    scoreboard: Arc<dyn Scoreboard>,
    events: Arc<dyn ScoreEventLog>,
    bus: Arc<dyn RoomBus>,
}

impl Answers {
    pub(super) fn new(ports: &Ports, library: Library, games: Games) -> Self {
        Self {
            library,
            games,
            scoreboard: ports.scoreboard.clone(),
            events: ports.events.clone(),
            bus: ports.bus.clone(),
        }
    }

    /// Checks, scores, records, publishes and announces one answer. See the module docs
    /// for what happens when the event log fails.
    ///
    /// # Errors
    /// [`SubmitError`]; a rejected answer changes nothing.
    pub async fn submit(
        &self,
        player: &Player,
        question: &QuestionId,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<AnswerOutcome, SubmitError> {
        let quiz = self.library.quiz(&player.quiz).await?;
        let (checked, open) = match self.check(&quiz, player, question, answer, now).await? {
            Check::Accepted(checked, open) => (checked, open),
            // A retry of an answer accepted in time must still get its original result:
            // record() returns the stored result unchanged.
            Check::Closed(_) if self.answered(player, question).await? => {
                (Checked::already_recorded(now), None)
            }
            Check::Closed(e) | Check::Rejected(e) => return Err(e.into()),
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
            .scoreboard
            .record(&record)
            .await
            .map_err(Unavailable::from)?;
        if let Some(open) = open {
            // Counted before the publish, so a retry after a failed publish counts it again
            // (idempotently) and everyone-answered is never missed.
            let given = (&player.id, &checked.given);
            self.games
                .count_answer(&quiz, &open, given, &rec.result, now)
                .await?;
        }
        self.events
            .publish(&score_event(player, question, &rec))
            .await
            .map_err(SubmitError::NotDurable)?;
        let announced = rec.duplicate || self.bus.announce(&player.quiz).await.is_ok();
        Ok(outcome(&quiz, question, checked.kind, rec, announced))
    }

    /// The check of an answer against the quiz and, for a hosted quiz, its game. An answer
    /// that came too late (`Closed`) may still be the retry of one accepted in time.
    async fn check(
        &self,
        quiz: &Quiz,
        player: &Player,
        question: &QuestionId,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<Check, Unavailable> {
        if quiz.mode() == QuizMode::Hosted {
            return self
                .games
                .check(quiz, &player.id, question, answer, now)
                .await;
        }
        Ok(
            match quiz.check_answer(question, answer, player.joined_at, now) {
                // Self-paced: no game to count the answer in.
                Ok(c) => Check::Accepted(c, None),
                Err(e @ (AnswerError::TooLate { .. } | AnswerError::QuizClosed)) => {
                    Check::Closed(e)
                }
                Err(e) => Check::Rejected(e),
            },
        )
    }

    /// Whether `player` has a recorded answer to `question`.
    async fn answered(&self, player: &Player, question: &QuestionId) -> Result<bool, Unavailable> {
        let answers = self.scoreboard.answers(&player.quiz, &player.id).await?;
        Ok(answers.iter().any(|(q, _)| q == question))
    }
}

fn score_event(player: &Player, question: &QuestionId, rec: &Recorded) -> ScoreEvent {
    ScoreEvent {
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
    }
}

fn outcome(
    quiz: &Quiz,
    question: &QuestionId,
    checked_kind: QuestionType,
    rec: Recorded,
    announced: bool,
) -> AnswerOutcome {
    // A retry after the close was checked without its question: look the type up then
    // only (a linear search of up to 200 questions on every answer would show).
    let kind = if rec.duplicate {
        quiz.questions()
            .iter()
            .find(|q| &q.id == question)
            .map_or(checked_kind, |q| q.kind())
    } else {
        checked_kind
    };
    AnswerOutcome {
        question: question.clone(),
        result: rec.result,
        total: rec.total,
        answers: rec.answers,
        rank: rec.rank,
        duplicate: rec.duplicate,
        announced,
        grade: Grade::of(kind, &rec.result),
        fast: !rec.duplicate && rec.result.elapsed_ms.is_some_and(|ms| quiz.is_fast(ms)),
    }
}
