//! Answers in a hosted game: checked against the game (the question must be the one
//! open, the player not removed), then counted in their question, which closes when
//! everyone in the game has answered.

use crate::game::{GameState, HostedAnswerError, Phase};
use crate::ids::{PlayerId, QuestionId};
use crate::model::AnswerResult;
use crate::ports::GameAnswer;
use crate::question::{Answer, Given};
use crate::quiz::{AnswerError, Checked, Quiz};
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

use super::Games;

/// The question an accepted hosted answer belongs to, to count the answer in afterwards.
pub(super) struct OpenQuestion {
    pub index: usize,
    pub opens_at: Timestamp,
    /// The game state the answer was accepted in.
    pub state: GameState,
}

/// How an answer fared against the quiz's rules and, in a hosted quiz, its game.
pub(super) enum Check {
    /// Accepted: the check, and in a hosted game the question to count the answer in.
    Accepted(Checked, Option<OpenQuestion>),
    /// The question is no longer open: refused, unless it retries an answer accepted in
    /// time (which still gets its result).
    Closed(AnswerError),
    /// Refused by the rules.
    Rejected(AnswerError),
}

impl Games {
    /// Checks an answer to a hosted game's question at `now`: the question must be the
    /// one open and the player not removed.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub(super) async fn check(
        &self,
        quiz: &Quiz,
        player: &PlayerId,
        question: &QuestionId,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<Check, Unavailable> {
        let Some(index) = quiz.question_index(question) else {
            return Ok(Check::Rejected(AnswerError::UnknownQuestion));
        };
        if self.is_removed(quiz.id(), player).await? {
            return Ok(Check::Rejected(AnswerError::Removed));
        }
        let state = self.read(quiz, now).await?;
        let closed = match state.accepts(index, now) {
            Ok(opens_at) => {
                let Phase::Question { closes_at, .. } = state.phase else {
                    return Ok(Check::Rejected(AnswerError::NoOpenQuestion));
                };
                return Ok(
                    match quiz.check_hosted(index, answer, opens_at, closes_at, now) {
                        Ok(checked) => Check::Accepted(
                            checked,
                            Some(OpenQuestion {
                                index,
                                opens_at,
                                state,
                            }),
                        ),
                        Err(e) => Check::Rejected(e),
                    },
                );
            }
            Err(HostedAnswerError::NoOpenQuestion) => AnswerError::NoOpenQuestion,
            Err(HostedAnswerError::NotTheOpenQuestion { open }) => match quiz.questions().get(open)
            {
                Some(q) => AnswerError::NotTheOpenQuestion { open: q.id.clone() },
                None => AnswerError::NoOpenQuestion,
            },
        };
        Ok(Check::Closed(closed))
    }

    /// Counts `player`'s accepted answer `given`, recorded as `result`, in its question,
    /// and closes the question when everyone in the game has answered (once, whoever else
    /// races to do the same).
    pub(super) async fn count_answer(
        &self,
        quiz: &Quiz,
        open: &OpenQuestion,
        (player, given): (&PlayerId, &Given),
        result: &AnswerResult,
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        let answer = GameAnswer {
            player: player.clone(),
            given: given.clone(),
            correct: result.correct,
            points: result.points,
            // On the question's own clock: time paused does not count.
            elapsed_ms: quiz
                .questions()
                .get(open.index)
                .and_then(|q| open.state.phase.question_clock_ms(q.time_limit_ms, now))
                .unwrap_or_else(|| now.since(open.opens_at)),
        };
        let answered = self
            .store()
            .record_answer(quiz.id(), open.index, &answer)
            .await?;
        self.close_if_everyone_answered(quiz, &open.state, answered, now)
            .await
    }
}
