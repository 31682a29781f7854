//! Quizzes and questions: definition, validation, and checking one answer.
//!
//! # Timing: the per-player time bank
//!
//! Each player's clock starts when they join. Question `i` *opens* for a player at
//! `joined_at + Σ_{j<i} limit_j` and *closes* at `opens + limit_i`. A player may answer any
//! question before it closes, including ahead of its opening (running ahead banks time);
//! an answer after it closes is refused. Speed-weighted points use the time left before
//! the close, clamped to the question's limit. The rule is a pure function of the quiz and
//! the join time, so it needs no extra state and reconnecting cannot restart a clock.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::game::HostedOptions;
use crate::ids::{QuestionId, QuizId};
use crate::media::MediaId;
use crate::model::Opened;
pub use crate::model::QuizStatus;
pub use crate::question::{
    Answer, AnswerKey, Given, Grade, MAX_ACCEPTED, MAX_TEXT_ANSWER_CHARS, MultiScoring, OptionSet,
    QuestionType, ShapeError, TRUE_FALSE_OPTIONS,
};
use crate::question::{Match, QuestionRepr, ReprError, judge, partial_points};
use crate::ranking::MAX_ELAPSED_MS;
use crate::scoring::ScoringPolicy;
use crate::time::Timestamp;

/// Most questions a quiz may have.
pub const MAX_QUESTIONS: usize = 200;
/// Most points one question may be worth.
pub const MAX_POINTS: u32 = 10_000;
/// Shortest question time limit, in milliseconds.
pub const MIN_TIME_LIMIT_MS: u32 = 1_000;
/// Longest question time limit, in milliseconds (10 minutes).
pub const MAX_TIME_LIMIT_MS: u32 = 600_000;
/// Longest quiz title and question prompt, in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest option text, in characters.
pub const MAX_OPTION_CHARS: usize = 200;

/// One question, including its answer key. The key never leaves the server: client-facing
/// views are built with [`Question::public`].
///
/// Stored (and serialised) in the definition's shape: `type` (absent for `single`),
/// `options`, `correct` (an index, a list of indexes or a boolean), `accepted`,
/// `ignore_accents`, so questions stored before question types existed read unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "QuestionRepr", into = "QuestionRepr")]
pub struct Question {
    /// Unique within the quiz.
    pub id: QuestionId,
    /// The question text.
    pub prompt: String,
    /// The answer options: 2 to 6 (single, multi, poll), the fixed
    /// [`TRUE_FALSE_OPTIONS`] (true/false), none (type_answer).
    pub options: Vec<String>,
    /// The answer key, which also says the question's type.
    pub key: AnswerKey,
    /// Points for a correct answer (1 to 10,000), before the policy's weighting; 0 for a
    /// poll.
    pub points: u32,
    /// Time allowed, in milliseconds (1 s to 10 min).
    pub time_limit_ms: u32,
    /// Shown with the answer at a hosted game's reveal (1 to 500 characters, not blank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// An image shown with the question: the id of a stored image (the library checks it
    /// exists when the quiz is saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaId>,
}

/// How a quiz is played.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuizMode {
    /// Each player's clock starts when they join (the per-player time bank above).
    #[default]
    SelfPaced,
    /// A host moves everyone through the questions together ([`crate::game`]).
    Hosted,
}

/// Where players' display names come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMode {
    /// The name the player asks for (checked against the deny list).
    #[default]
    Requested,
    /// A friendly adjective-and-animal name the server picks; the requested one is
    /// ignored ([`crate::names::generated`]).
    Generated,
}

/// Longest auto-advance of a hosted game's reveal or board, in seconds.
pub const MAX_ADVANCE_SECS: u32 = 600;

/// A question as players see it: no answer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicQuestion {
    /// Unique within the quiz.
    pub id: QuestionId,
    /// The question's type.
    pub kind: QuestionType,
    /// The question text.
    pub prompt: String,
    /// Answer options, in order (none for type_answer).
    pub options: Vec<String>,
    /// Points for a correct answer before weighting (0 for a poll).
    pub points: u32,
    /// Time allowed, in milliseconds.
    pub time_limit_ms: u32,
    /// The question's image, if it has one.
    pub image: Option<MediaId>,
}

impl Question {
    /// The question's type.
    pub fn kind(&self) -> QuestionType {
        self.key.kind()
    }

    /// The question without its answer key.
    pub fn public(&self) -> PublicQuestion {
        PublicQuestion {
            id: self.id.clone(),
            kind: self.kind(),
            prompt: self.prompt.clone(),
            options: self.options.clone(),
            points: self.points,
            time_limit_ms: self.time_limit_ms,
            image: self.image.clone(),
        }
    }
}

impl TryFrom<QuestionRepr> for Question {
    type Error = ReprError;

    fn try_from(r: QuestionRepr) -> Result<Self, ReprError> {
        let key = r.key()?;
        let options = if r.kind == QuestionType::TrueFalse && r.options.is_empty() {
            TRUE_FALSE_OPTIONS.map(str::to_owned).to_vec()
        } else {
            r.options
        };
        Ok(Self {
            id: r.id,
            prompt: r.prompt,
            options,
            key,
            points: r.points,
            time_limit_ms: r.time_limit_ms,
            explanation: r.explanation,
            image: r.image,
        })
    }
}

impl From<Question> for QuestionRepr {
    fn from(q: Question) -> Self {
        let kind = q.kind();
        let (accepted, ignore_accents) = match &q.key {
            AnswerKey::TypeAnswer {
                accepted,
                ignore_accents,
            } => (accepted.clone(), *ignore_accents),
            _ => (Vec::new(), false),
        };
        Self {
            correct: QuestionRepr::correct_of(&q.key),
            id: q.id,
            prompt: q.prompt,
            kind,
            options: if kind == QuestionType::TrueFalse {
                Vec::new()
            } else {
                q.options
            },
            accepted,
            ignore_accents,
            points: q.points,
            time_limit_ms: q.time_limit_ms,
            explanation: q.explanation,
            image: q.image,
        }
    }
}

mod definition;

use definition::scored_points;
pub use definition::{DEFAULT_MIN_ANSWER_MS, MAX_MIN_ANSWER_MS, QuizDefError, QuizDraft};

/// A validated quiz. Fields are read through accessors so an invalid quiz cannot be built.
///
/// The definition is immutable and shared: cloning a `Quiz` is a reference-count
/// increment, not a copy of its questions. The hot path fetches the quiz for every answer,
/// and a deep copy of 200 questions with their strings was most of the server's CPU time
/// (see BENCHMARKS.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "QuizDraft", into = "QuizDraft")]
pub struct Quiz(Arc<QuizDraft>);

/// Why an answer was refused. A refused answer changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The quiz does not exist.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// The quiz has no question with that id.
    #[error("unknown question")]
    UnknownQuestion,
    /// The answer's payload does not fit the question (wrong field for its type, an
    /// empty or repeated set, an option it does not have, an over-long text).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The question's deadline for this player has passed.
    #[error("too late: the question closed at {closed_at:?}")]
    TooLate {
        /// When the question closed for this player.
        closed_at: Timestamp,
    },
    /// The quiz is closed (or past the longest lifetime the ranking encoding allows).
    #[error("the quiz is closed")]
    QuizClosed,
    /// A hosted game has no question open now (lobby, reveal, board, pause, podium).
    #[error("no question is open now")]
    NoOpenQuestion,
    /// A hosted game has another question open.
    #[error("question {open} is open, not this one")]
    NotTheOpenQuestion {
        /// The open question's id.
        open: QuestionId,
    },
    /// The host removed this player from the game.
    #[error("the host removed this player from the game")]
    Removed,
}

/// The result of checking an answer against the key, before it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The question's type.
    pub kind: QuestionType,
    /// How the answer was graded.
    pub grade: Grade,
    /// Points before any streak bonus.
    pub base_points: u32,
    /// The answer as statistics keep it.
    pub given: Given,
    /// When the question opened for the player (what "answer time" counts from).
    pub opened: Opened,
}

impl Checked {
    /// What a retry of an answer already recorded is checked as: the scoreboard returns
    /// the stored result and ignores these values.
    pub fn already_recorded(at: Timestamp) -> Self {
        Self {
            kind: QuestionType::Single,
            grade: Grade::Wrong,
            base_points: 0,
            given: Given::Picks(OptionSet::EMPTY),
            opened: Opened { at, after: None },
        }
    }
}

/// When one question opens and closes for one player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The question opens (speed-weighting counts from here).
    pub opens_at: Timestamp,
    /// Answers after this are refused.
    pub closes_at: Timestamp,
}

impl Quiz {
    /// The id players join by.
    pub fn id(&self) -> &QuizId {
        &self.0.id
    }
    /// The title shown above the questions.
    pub fn title(&self) -> &str {
        &self.0.title
    }
    /// The questions in play order, with answer keys.
    pub fn questions(&self) -> &[Question] {
        &self.0.questions
    }
    /// The questions without answer keys.
    pub fn public_questions(&self) -> Vec<PublicQuestion> {
        self.0.questions.iter().map(Question::public).collect()
    }
    /// The scoring policy.
    pub fn scoring(&self) -> ScoringPolicy {
        self.0.scoring
    }
    /// Whether the quiz accepts joins and answers.
    pub fn status(&self) -> QuizStatus {
        self.0.status
    }
    /// Self-paced or hosted.
    pub fn mode(&self) -> QuizMode {
        self.0.mode
    }
    /// How a hosted game runs.
    pub fn hosted(&self) -> HostedOptions {
        self.0.hosted
    }
    /// Where players' display names come from.
    pub fn names(&self) -> NameMode {
        self.0.names
    }
    /// Answers faster than this (ms after their question opened for the player) are
    /// flagged; 0 flags none.
    pub fn min_answer_ms(&self) -> u32 {
        self.0.min_answer_ms
    }
    /// Whether an answer `elapsed_ms` after its question opened is suspiciously fast.
    pub fn is_fast(&self, elapsed_ms: u64) -> bool {
        elapsed_ms < u64::from(self.0.min_answer_ms)
    }
    /// Each question's time limit in milliseconds, in play order (what a hosted game's
    /// state machine needs).
    pub fn time_limits_ms(&self) -> Vec<u32> {
        self.0.questions.iter().map(|q| q.time_limit_ms).collect()
    }
    /// Creation time; the ranking clock's zero.
    pub fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// The largest total a player can reach.
    pub fn max_total(&self) -> u64 {
        self.0.scoring.max_total(&scored_points(&self.0.questions))
    }
    /// The same quiz with another status.
    pub fn with_status(&self, status: QuizStatus) -> Quiz {
        let mut d = QuizDraft::clone(&self.0);
        d.status = status;
        Quiz(Arc::new(d))
    }

    /// Each question's window for a player who joined at `joined_at` (see the module docs).
    pub fn windows(&self, joined_at: Timestamp) -> Vec<Window> {
        let mut t = joined_at;
        self.0
            .questions
            .iter()
            .map(|q| {
                let opens_at = t;
                let closes_at = t.plus_ms(u64::from(q.time_limit_ms));
                t = closes_at;
                Window {
                    opens_at,
                    closes_at,
                }
            })
            .collect()
    }

    /// The position of a question in play order.
    pub fn question_index(&self, question: &QuestionId) -> Option<usize> {
        self.0.questions.iter().position(|q| &q.id == question)
    }

    /// Grades `answer` to `q` with `remaining_ms` left before its close.
    fn grade(
        &self,
        q: &Question,
        answer: &Answer,
        remaining_ms: u32,
    ) -> Result<(Grade, u32, Given), AnswerError> {
        let (m, given) = judge(&q.key, q.options.len(), answer)?;
        let policy = self.0.scoring;
        let full = || policy.base_points(true, q.points, q.time_limit_ms, remaining_ms);
        let (grade, points) = match m {
            Match::Right => (Grade::Correct, full()),
            Match::Wrong => (Grade::Wrong, 0),
            Match::Vote => (Grade::Counted, 0),
            Match::Some { right, wrong, of } => match policy.multi {
                MultiScoring::AllOrNothing => (Grade::Wrong, 0),
                MultiScoring::Partial => match partial_points(full(), right, wrong, of) {
                    0 => (Grade::Wrong, 0),
                    p => (Grade::Partial, p),
                },
            },
        };
        Ok((grade, points, given))
    }

    /// Checks one answer to question `index` of a hosted game, which opened for everyone
    /// at `opens_at` and is open until `closes_at` (the caller has checked that it is
    /// open): speed-weighted points use the time left before `closes_at`, clamped to the
    /// question's limit.
    ///
    /// # Errors
    /// [`AnswerError::QuizClosed`], [`AnswerError::UnknownQuestion`] (no question `index`),
    /// [`AnswerError::Shape`].
    pub fn check_hosted(
        &self,
        index: usize,
        answer: &Answer,
        opens_at: Timestamp,
        closes_at: Timestamp,
        now: Timestamp,
    ) -> Result<Checked, AnswerError> {
        if self.0.status == QuizStatus::Closed || now.since(self.0.created_at) > MAX_ELAPSED_MS {
            return Err(AnswerError::QuizClosed);
        }
        let q = self
            .0
            .questions
            .get(index)
            .ok_or(AnswerError::UnknownQuestion)?;
        let remaining = closes_at.since(now).min(u64::from(q.time_limit_ms)) as u32;
        let (grade, base_points, given) = self.grade(q, answer, remaining)?;
        Ok(Checked {
            kind: q.kind(),
            grade,
            base_points,
            given,
            opened: Opened {
                at: opens_at,
                after: None,
            },
        })
    }

    /// Checks one answer by a player who joined at `joined_at`, arriving at `now`.
    ///
    /// The question counts as opened for the player when they answered the question
    /// before it (the client shows the next question then), or at its window's opening if
    /// they did not answer that one: [`Opened`] says which, and the scoreboard resolves it.
    ///
    /// # Errors
    /// [`AnswerError::QuizClosed`] when closed or when `now` is past the ranking clock's
    /// range; [`AnswerError::UnknownQuestion`], [`AnswerError::Shape`],
    /// [`AnswerError::TooLate`] as named.
    pub fn check_answer(
        &self,
        question: &QuestionId,
        answer: &Answer,
        joined_at: Timestamp,
        now: Timestamp,
    ) -> Result<Checked, AnswerError> {
        if self.0.status == QuizStatus::Closed || now.since(self.0.created_at) > MAX_ELAPSED_MS {
            return Err(AnswerError::QuizClosed);
        }
        let (idx, q) = self
            .0
            .questions
            .iter()
            .enumerate()
            .find(|(_, q)| &q.id == question)
            .ok_or(AnswerError::UnknownQuestion)?;
        // The window of question `idx` ends after the time limits of questions 0..=idx.
        let opened_ms: u64 = self.0.questions[..idx]
            .iter()
            .map(|q| u64::from(q.time_limit_ms))
            .sum();
        let opens_at = joined_at.plus_ms(opened_ms);
        let window = Window {
            opens_at,
            closes_at: opens_at.plus_ms(u64::from(q.time_limit_ms)),
        };
        let remaining = window.closes_at.since(now).min(u64::from(q.time_limit_ms)) as u32;
        let (grade, base_points, given) = self.grade(q, answer, remaining)?;
        if now > window.closes_at {
            return Err(AnswerError::TooLate {
                closed_at: window.closes_at,
            });
        }
        Ok(Checked {
            kind: q.kind(),
            grade,
            base_points,
            given,
            opened: Opened {
                at: opens_at,
                after: idx
                    .checked_sub(1)
                    .and_then(|i| self.0.questions.get(i))
                    .map(|p| p.id.clone()),
            },
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
