//! A quiz's definition as submitted, and the rules that turn it into a [`Quiz`]: each
//! refusal names its field.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    MAX_ADVANCE_SECS, MAX_OPTION_CHARS, MAX_POINTS, MAX_QUESTIONS, MAX_TEXT_CHARS,
    MAX_TIME_LIMIT_MS, MIN_TIME_LIMIT_MS, NameMode, Question, Quiz, QuizMode,
};
use crate::game::HostedOptions;
use crate::ids::{IdError, MAX_OPTIONS, MIN_OPTIONS, QuestionId, QuizId};
use crate::model::QuizStatus;
use crate::question::{
    AnswerKey, MAX_ACCEPTED, MAX_TEXT_ANSWER_CHARS, QuestionType, TRUE_FALSE_OPTIONS,
};
use crate::ranking::MAX_SCORE;
use crate::scoring::ScoringPolicy;
use crate::time::Timestamp;

/// The unvalidated shape of a quiz, as a creator submits it or as storage returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizDraft {
    /// The id players join by (1–64 of `[A-Za-z0-9_-]`).
    pub id: QuizId,
    /// The title shown to players.
    pub title: String,
    /// The questions, in play order.
    pub questions: Vec<Question>,
    /// How answers are scored.
    #[serde(default)]
    pub scoring: ScoringPolicy,
    /// Whether the quiz accepts joins and answers.
    pub status: QuizStatus,
    /// When the quiz was created; the ranking clock counts from here.
    pub created_at: Timestamp,
    /// Self-paced (the default) or hosted.
    #[serde(default)]
    pub mode: QuizMode,
    /// How a hosted game runs (ignored for a self-paced quiz).
    #[serde(default)]
    pub hosted: HostedOptions,
    /// Where players' display names come from.
    #[serde(default)]
    pub names: NameMode,
    /// Answers faster than this many milliseconds after their question opened for the
    /// player are flagged for review (still scored); 0 flags none.
    #[serde(default = "default_min_answer_ms")]
    pub min_answer_ms: u32,
}

/// The default of [`QuizDraft::min_answer_ms`].
pub const DEFAULT_MIN_ANSWER_MS: u32 = 150;
/// The largest [`QuizDraft::min_answer_ms`].
pub const MAX_MIN_ANSWER_MS: u32 = 10_000;

fn default_min_answer_ms() -> u32 {
    DEFAULT_MIN_ANSWER_MS
}

/// Why a quiz definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuizDefError {
    /// The title is blank or longer than 500 characters.
    #[error("the title must be 1 to {MAX_TEXT_CHARS} characters")]
    BadTitle,
    /// No questions, or more than 200.
    #[error("a quiz needs 1 to {MAX_QUESTIONS} questions")]
    QuestionCount,
    /// Two questions share an id (`index` is the second one's position).
    #[error("question {id}: the id is used twice")]
    DuplicateQuestion {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// A question's prompt is blank or too long.
    #[error("question {id}: the prompt must be 1 to {MAX_TEXT_CHARS} characters, not blank")]
    BadPrompt {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// A question has too few or too many options, or a blank or over-long one.
    #[error(
        "question {id}: needs {MIN_OPTIONS} to {MAX_OPTIONS} options of 1 to {MAX_OPTION_CHARS} characters, none blank"
    )]
    BadOptions {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// The answer key does not fit the question (`rule` says how).
    #[error("question {id}: {rule}")]
    BadAnswerKey {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
        /// The field at fault (`correct` or `accepted`).
        field: &'static str,
        /// The rule broken, in words.
        rule: &'static str,
    },
    /// A question of a type that has no options was given some, or a true/false
    /// question's options are not the fixed two.
    #[error("question {id}: {rule}")]
    OptionsNotAllowed {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
        /// The rule broken, in words.
        rule: &'static str,
    },
    /// A poll was given points.
    #[error("question {id}: a poll has no points; leave points out")]
    PollPoints {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// `min_answer_ms` above 10,000.
    #[error("min_answer_ms must be 0 to {MAX_MIN_ANSWER_MS}")]
    BadMinAnswer,
    /// Points outside 1 to 10,000.
    #[error("question {id}: points must be 1 to {MAX_POINTS}")]
    BadPoints {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// Time limit outside 1 s to 10 min.
    #[error("question {id}: the time limit must be {MIN_TIME_LIMIT_MS} to {MAX_TIME_LIMIT_MS} ms")]
    BadTimeLimit {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// A question's explanation is blank or longer than 500 characters.
    #[error("question {id}: the explanation must be 1 to {MAX_TEXT_CHARS} characters, not blank")]
    BadExplanation {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// A question names an image that is not stored (checked by the library when it saves
    /// a quiz: the rule needs the media store).
    #[error("question {id}: no image with this id is stored; upload it first (POST /api/media)")]
    UnknownImage {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
    /// A hosted game's auto-advance (`hosted.reveal_secs` or `hosted.board_secs`) is outside
    /// 1 to 600 seconds.
    #[error("hosted.{0} must be 1 to {MAX_ADVANCE_SECS} seconds")]
    BadAdvance(&'static str),
    /// The largest reachable total would not fit the ranking encoding.
    #[error("the largest possible total ({0}) exceeds the maximum score {MAX_SCORE}")]
    ScoreTooLarge(u64),
    /// An identifier was invalid.
    #[error(transparent)]
    Id(#[from] IdError),
}

impl QuizDefError {
    /// The path of the definition field that breaks the rule, as a client wrote it
    /// (`questions[3].points`), so an API can point at it.
    pub fn field(&self) -> String {
        let at = |index: &usize, field: &str| format!("questions[{index}].{field}");
        match self {
            Self::BadTitle => "title".into(),
            Self::QuestionCount => "questions".into(),
            Self::DuplicateQuestion { index, .. } => at(index, "id"),
            Self::BadPrompt { index, .. } => at(index, "prompt"),
            Self::BadOptions { index, .. } => at(index, "options"),
            Self::BadAnswerKey { index, field, .. } => at(index, field),
            Self::OptionsNotAllowed { index, .. } => at(index, "options"),
            Self::PollPoints { index, .. } => at(index, "points"),
            Self::BadMinAnswer => "min_answer_ms".into(),
            Self::BadPoints { index, .. } => at(index, "points"),
            Self::BadTimeLimit { index, .. } => at(index, "time_limit_ms"),
            Self::BadExplanation { index, .. } => at(index, "explanation"),
            Self::UnknownImage { index, .. } => at(index, "image"),
            Self::BadAdvance(field) => format!("hosted.{field}"),
            Self::ScoreTooLarge(_) => "scoring".into(),
            Self::Id(_) => "id".into(),
        }
    }
}

fn text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max
}

impl TryFrom<QuizDraft> for Quiz {
    type Error = QuizDefError;

    fn try_from(d: QuizDraft) -> Result<Self, QuizDefError> {
        if !text_ok(&d.title, MAX_TEXT_CHARS) {
            return Err(QuizDefError::BadTitle);
        }
        if d.questions.is_empty() || d.questions.len() > MAX_QUESTIONS {
            return Err(QuizDefError::QuestionCount);
        }
        let mut seen = std::collections::HashSet::new();
        for (index, q) in d.questions.iter().enumerate() {
            let id = || q.id.clone();
            if !seen.insert(&q.id) {
                return Err(QuizDefError::DuplicateQuestion { index, id: id() });
            }
            if !text_ok(&q.prompt, MAX_TEXT_CHARS) {
                return Err(QuizDefError::BadPrompt { index, id: id() });
            }
            check_key(index, q)?;
            if q.kind() == QuestionType::Poll {
                if q.points != 0 {
                    return Err(QuizDefError::PollPoints { index, id: id() });
                }
            } else if q.points == 0 || q.points > MAX_POINTS {
                return Err(QuizDefError::BadPoints { index, id: id() });
            }
            if !(MIN_TIME_LIMIT_MS..=MAX_TIME_LIMIT_MS).contains(&q.time_limit_ms) {
                return Err(QuizDefError::BadTimeLimit { index, id: id() });
            }
            if q.explanation
                .as_deref()
                .is_some_and(|e| !text_ok(e, MAX_TEXT_CHARS))
            {
                return Err(QuizDefError::BadExplanation { index, id: id() });
            }
        }
        for (field, secs) in [
            ("reveal_secs", d.hosted.reveal_secs),
            ("board_secs", d.hosted.board_secs),
        ] {
            if secs.is_some_and(|s| !(1..=MAX_ADVANCE_SECS).contains(&s)) {
                return Err(QuizDefError::BadAdvance(field));
            }
        }
        if d.min_answer_ms > MAX_MIN_ANSWER_MS {
            return Err(QuizDefError::BadMinAnswer);
        }
        let max = d.scoring.max_total(&scored_points(&d.questions));
        if max > MAX_SCORE {
            return Err(QuizDefError::ScoreTooLarge(max));
        }
        Ok(Self(Arc::new(d)))
    }
}

/// The points of the questions that can score (every type but polls).
pub(super) fn scored_points(questions: &[Question]) -> Vec<u32> {
    questions
        .iter()
        .filter(|q| q.kind() != QuestionType::Poll)
        .map(|q| q.points)
        .collect()
}

/// The options and answer key of question `index` against its type's rules.
fn check_key(index: usize, q: &Question) -> Result<(), QuizDefError> {
    let id = || q.id.clone();
    let options_ok = || {
        (MIN_OPTIONS..=MAX_OPTIONS).contains(&q.options.len())
            && q.options.iter().all(|o| text_ok(o, MAX_OPTION_CHARS))
    };
    let no_options = |rule| QuizDefError::OptionsNotAllowed {
        index,
        id: id(),
        rule,
    };
    let key = |field, rule| QuizDefError::BadAnswerKey {
        index,
        id: id(),
        field,
        rule,
    };
    match &q.key {
        AnswerKey::Single(_) | AnswerKey::Multi(_) | AnswerKey::Poll if !options_ok() => {
            Err(QuizDefError::BadOptions { index, id: id() })
        }
        AnswerKey::Single(i) if i.get() >= q.options.len() => Err(key(
            "correct",
            "the correct option is not one of its options",
        )),
        AnswerKey::Multi(set) if set.is_empty() => Err(key(
            "correct",
            "a multi question needs at least one correct option",
        )),
        AnswerKey::Multi(set) if set.iter().any(|i| i >= q.options.len()) => Err(key(
            "correct",
            "every correct option must be one of its options",
        )),
        AnswerKey::TrueFalse(_) if q.options != TRUE_FALSE_OPTIONS => Err(no_options(
            "a true_false question has the fixed options True and False; leave options out",
        )),
        AnswerKey::TypeAnswer { .. } if !q.options.is_empty() => Err(no_options(
            "a type_answer question has no options; list the accepted answers in accepted",
        )),
        AnswerKey::TypeAnswer { accepted, .. }
            if accepted.is_empty() || accepted.len() > MAX_ACCEPTED =>
        {
            Err(key(
                "accepted",
                "a type_answer question needs 1 to 20 accepted answers",
            ))
        }
        AnswerKey::TypeAnswer { accepted, .. }
            if !accepted.iter().all(|a| text_ok(a, MAX_TEXT_ANSWER_CHARS)) =>
        {
            Err(key(
                "accepted",
                "each accepted answer must be 1 to 64 characters, not blank",
            ))
        }
        _ => Ok(()),
    }
}

impl From<Quiz> for QuizDraft {
    fn from(q: Quiz) -> QuizDraft {
        Arc::unwrap_or_clone(q.0)
    }
}
