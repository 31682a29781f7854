//! Answers: the reply to an `answer`, and how grades and question types are spelled.

use quiz_core::service::AnswerOutcome;
use quiz_core::{Grade, QuestionType};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The result of one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnswerResultMsg {
    /// Echo of the client's `answer_id`.
    pub answer_id: String,
    /// The question answered.
    pub question: String,
    /// Whether the (first) answer was correct.
    pub correct: bool,
    /// Points awarded, streak bonus included.
    pub points: u32,
    /// The streak after this answer.
    pub streak: u32,
    /// The player's total now.
    pub total: u64,
    /// Questions answered now.
    pub answers: u32,
    /// The player's rank now (1 = first).
    pub rank: u64,
    /// True when this repeated an earlier answer to the same question: nothing changed.
    pub duplicate: bool,
    /// How the (first) answer was graded: `correct`, `partial` (a multi answer partly
    /// right under partial scoring: some points), `wrong`, or `counted` (a poll vote: no
    /// points, score, rank and streak unchanged).
    pub outcome: OutcomeName,
}

/// How an answer was graded, as the protocol spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeName {
    /// Right.
    Correct,
    /// Partly right (multi, partial scoring): some points, the streak ends.
    Partial,
    /// Wrong.
    Wrong,
    /// A poll vote.
    Counted,
}

impl From<Grade> for OutcomeName {
    fn from(g: Grade) -> Self {
        match g {
            Grade::Correct => Self::Correct,
            Grade::Partial => Self::Partial,
            Grade::Wrong => Self::Wrong,
            Grade::Counted => Self::Counted,
        }
    }
}

/// A question's type, as the protocol spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionTypeName {
    /// One correct option; answer with `option`.
    Single,
    /// Several correct options; answer with `options` (a set).
    Multi,
    /// The options `True` (0) and `False` (1); answer with `option`.
    TrueFalse,
    /// A vote: no correct option, no points; answer with `option`.
    Poll,
    /// A typed answer of up to 64 characters; answer with `text`.
    TypeAnswer,
}

impl From<QuestionType> for QuestionTypeName {
    fn from(t: QuestionType) -> Self {
        match t {
            QuestionType::Single => Self::Single,
            QuestionType::Multi => Self::Multi,
            QuestionType::TrueFalse => Self::TrueFalse,
            QuestionType::Poll => Self::Poll,
            QuestionType::TypeAnswer => Self::TypeAnswer,
        }
    }
}

impl AnswerResultMsg {
    /// Builds the reply from the service's outcome.
    pub fn new(answer_id: String, o: &AnswerOutcome) -> Self {
        Self {
            answer_id,
            question: o.question.to_string(),
            correct: o.result.correct,
            points: o.result.points,
            streak: o.result.streak,
            total: o.total,
            answers: o.answers,
            rank: o.rank,
            duplicate: o.duplicate,
            outcome: o.grade.into(),
        }
    }
}
