//! Question types: what a question asks, its answer key, what a player may send, and how
//! one answer is graded.
//!
//! | type | options | answer key | a player sends | graded |
//! |---|---|---|---|---|
//! | `single` | 2–6 | one index | `option` | right or wrong |
//! | `multi` | 2–6 | a non-empty set of indexes | `options` (a set) | all or nothing, or partial ([`MultiScoring`]) |
//! | `true_false` | the fixed `True`, `False` | `true`/`false` | `option` (0 = true) | right or wrong |
//! | `poll` | 2–6 | none | `option` | counted: no points, the streak is kept |
//! | `type_answer` | none | 1–20 accepted texts | `text` (≤ 64 characters) | right or wrong, after [`normalize`](crate::names::normalize) |
//!
//! Typed answers and accepted answers are compared under the same normalisation as
//! display names ([`crate::names::normalize`]: NFKC, case-folded, whitespace collapsed),
//! and without accents when the question sets `ignore_accents`.

use serde::{Deserialize, Serialize};

use crate::ids::{MAX_OPTIONS, OptionIndex, QuestionId};
use crate::model::AnswerResult;
pub use crate::model::Grade;
pub use crate::scoring::MultiScoring;

/// Longest typed answer, and longest accepted answer, in characters.
pub const MAX_TEXT_ANSWER_CHARS: usize = 64;
/// Most accepted answers a `type_answer` question may list.
pub const MAX_ACCEPTED: usize = 20;
/// The options of every `true_false` question: option 0 is "true", option 1 "false".
pub const TRUE_FALSE_OPTIONS: [&str; 2] = ["True", "False"];

/// The kind of a question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// One correct option.
    #[default]
    Single,
    /// Several correct options; the player picks a set.
    Multi,
    /// The fixed options True and False.
    TrueFalse,
    /// No correct answer and no points: a vote. It never moves the board.
    Poll,
    /// A short typed answer checked against accepted answers.
    TypeAnswer,
}

impl QuestionType {
    /// Every type, in documentation order.
    pub const ALL: [QuestionType; 5] = [
        Self::Single,
        Self::Multi,
        Self::TrueFalse,
        Self::Poll,
        Self::TypeAnswer,
    ];

    /// The wire name (`single`, `multi`, `true_false`, `poll`, `type_answer`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multi => "multi",
            Self::TrueFalse => "true_false",
            Self::Poll => "poll",
            Self::TypeAnswer => "type_answer",
        }
    }

    /// The type with wire name `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == s)
    }

    /// The longest answer a player may type, in characters: [`MAX_TEXT_ANSWER_CHARS`] for
    /// type_answer, `None` for the other types.
    pub fn max_length(self) -> Option<u32> {
        (self == Self::TypeAnswer).then_some(MAX_TEXT_ANSWER_CHARS as u32)
    }

    /// The answer field a player sends for this type: `option`, `options` or `text`.
    pub fn answer_field(self) -> &'static str {
        match self {
            Self::Single | Self::TrueFalse | Self::Poll => "option",
            Self::Multi => "options",
            Self::TypeAnswer => "text",
        }
    }
}

/// A set of option indexes (each below [`MAX_OPTIONS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OptionSet(u8);

impl OptionSet {
    /// The empty set.
    pub const EMPTY: OptionSet = OptionSet(0);

    /// The set with the single option `i`.
    pub fn one(i: OptionIndex) -> Self {
        Self(1 << i.get())
    }

    /// The set of `indexes` (repeats collapse).
    pub fn of(indexes: impl IntoIterator<Item = OptionIndex>) -> Self {
        Self(indexes.into_iter().fold(0, |acc, i| acc | (1 << i.get())))
    }

    /// The set from its bits (bit `i` = option `i`); bits from [`MAX_OPTIONS`] up are dropped.
    pub fn from_bits(bits: u32) -> Self {
        Self((bits & ((1 << MAX_OPTIONS) - 1)) as u8)
    }

    /// Adds option `i`; returns whether it was not in the set yet.
    pub fn insert(&mut self, i: OptionIndex) -> bool {
        let bit = 1 << i.get();
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }

    /// The bits (bit `i` = option `i`).
    pub fn bits(self) -> u32 {
        u32::from(self.0)
    }

    /// Whether option `i` is in the set.
    pub fn contains(self, i: usize) -> bool {
        i < MAX_OPTIONS && self.0 & (1 << i) != 0
    }

    /// How many options are in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The indexes in the set, ascending.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..MAX_OPTIONS).filter(move |i| self.contains(*i))
    }
}

impl Serialize for OptionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|i| i as u8))
    }
}

impl<'de> Deserialize<'de> for OptionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<OptionIndex>::deserialize(d)?;
        Ok(Self::of(v))
    }
}

/// A question's answer key. It never reaches a client before a hosted game's reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerKey {
    /// The one correct option.
    Single(OptionIndex),
    /// The correct options.
    Multi(OptionSet),
    /// Whether the statement is true (option 0) or false (option 1).
    TrueFalse(bool),
    /// No correct answer.
    Poll,
    /// The accepted typed answers (as the author wrote them).
    TypeAnswer {
        /// Accepted answers, compared after normalisation.
        accepted: Vec<String>,
        /// Compare without accents too (`é` = `e`).
        ignore_accents: bool,
    },
}

impl AnswerKey {
    /// The question type this key belongs to.
    pub fn kind(&self) -> QuestionType {
        match self {
            Self::Single(_) => QuestionType::Single,
            Self::Multi(_) => QuestionType::Multi,
            Self::TrueFalse(_) => QuestionType::TrueFalse,
            Self::Poll => QuestionType::Poll,
            Self::TypeAnswer { .. } => QuestionType::TypeAnswer,
        }
    }

    /// The one correct option of a single or true/false question (`None` for the other
    /// types, multi included).
    pub fn correct_option(&self) -> Option<usize> {
        match self {
            Self::Single(_) | Self::TrueFalse(_) => self.correct_options().iter().next(),
            _ => None,
        }
    }

    /// The correct options (single, true/false, multi); empty for polls and typed answers.
    pub fn correct_options(&self) -> OptionSet {
        match self {
            Self::Single(i) => OptionSet::one(*i),
            Self::Multi(set) => *set,
            Self::TrueFalse(true) => OptionSet(1),
            Self::TrueFalse(false) => OptionSet(2),
            Self::Poll | Self::TypeAnswer { .. } => OptionSet::EMPTY,
        }
    }

    /// The accepted answers of a `type_answer` question (empty for the other types).
    pub fn accepted(&self) -> &[String] {
        match self {
            Self::TypeAnswer { accepted, .. } => accepted,
            _ => &[],
        }
    }

    /// Whether a normalised typed answer (see [`AnswerKey::normalize_text`]) is accepted.
    pub fn accepts_text(&self, normalized: &str) -> bool {
        match self {
            Self::TypeAnswer { accepted, .. } => accepted
                .iter()
                .any(|a| self.normalize_text(a) == normalized),
            _ => false,
        }
    }

    /// `text` as this question compares typed answers: normalised, without accents when the
    /// question ignores them.
    pub fn normalize_text(&self, text: &str) -> String {
        match self {
            Self::TypeAnswer {
                ignore_accents: true,
                ..
            } => crate::names::without_accents(text),
            _ => crate::names::normalize(text),
        }
    }
}

/// What a player sends for one question, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// One option (single, true/false, poll).
    Option(u32),
    /// A set of options (multi).
    Options(Vec<u32>),
    /// A typed answer (type_answer).
    Text(String),
}

impl Answer {
    /// The answer field this was sent in: `option`, `options` or `text`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Option(_) => "option",
            Self::Options(_) => "options",
            Self::Text(_) => "text",
        }
    }
}

/// A well-formed answer as hosted-game statistics keep it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Given {
    /// The options picked (one for single, true/false and poll).
    Picks(OptionSet),
    /// The typed answer, normalised as the question compares it.
    Text(String),
}

impl Grade {
    /// The wire name (`correct`, `partial`, `wrong`, `counted`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Correct => "correct",
            Self::Partial => "partial",
            Self::Wrong => "wrong",
            Self::Counted => "counted",
        }
    }

    /// The grade of a stored result to a question of type `kind`.
    pub fn of(kind: QuestionType, r: &AnswerResult) -> Self {
        Self::recorded(kind, r.correct, r.points)
    }

    /// The grade of an answer to a question of type `kind` recorded as `correct` with
    /// `points` (a stored result, or a hosted game's kept answer).
    pub fn recorded(kind: QuestionType, correct: bool, points: u32) -> Self {
        if kind == QuestionType::Poll {
            Self::Counted
        } else if correct {
            Self::Correct
        } else if points > 0 {
            Self::Partial
        } else {
            Self::Wrong
        }
    }
}

/// How an answer compares with the key, before any points are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// Exactly right.
    Right,
    /// Not right.
    Wrong,
    /// A poll vote.
    Vote,
    /// A `multi` set that is not exactly right: `right` correct picks, `wrong` wrong ones,
    /// of `of` correct options.
    Some { right: u32, wrong: u32, of: u32 },
}

/// Points for a partly right `multi` answer: `full × (right − wrong) / of`, never below 0,
/// rounded half up. `full` is what a correct answer would earn now.
pub fn partial_points(full: u32, right: u32, wrong: u32, of: u32) -> u32 {
    let net = u64::from(right.saturating_sub(wrong));
    let of = u64::from(of.max(1));
    let num = u64::from(full) * net.min(of);
    ((2 * num + of) / (2 * of)) as u32
}

/// Why an answer's payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// The answer field does not fit the question's type.
    #[error("this is a {} question: send {}", .expected.name(), .expected.answer_field())]
    WrongType {
        /// The question's type.
        expected: QuestionType,
        /// The field that was sent.
        sent: &'static str,
    },
    /// An empty set of options, or a blank typed answer.
    #[error("the answer is empty")]
    Empty,
    /// An option appears twice in the set.
    #[error("option {0} appears more than once")]
    Duplicate(u32),
    /// An option the question does not have.
    #[error("option {option} is out of range: the question has {options} options")]
    OutOfRange {
        /// The index sent.
        option: u32,
        /// How many options the question has.
        options: usize,
    },
    /// A typed answer longer than [`MAX_TEXT_ANSWER_CHARS`].
    #[error("the answer is longer than {MAX_TEXT_ANSWER_CHARS} characters")]
    TooLong,
}

/// Checks `answer` against a question with `options` options and key `key`.
pub(crate) fn judge(
    key: &AnswerKey,
    options: usize,
    answer: &Answer,
) -> Result<(Match, Given), ShapeError> {
    let kind = key.kind();
    let wrong_type = || ShapeError::WrongType {
        expected: kind,
        sent: answer.field(),
    };
    let index = |o: u32| -> Result<usize, ShapeError> {
        match usize::try_from(o) {
            Ok(i) if i < options => Ok(i),
            _ => Err(ShapeError::OutOfRange { option: o, options }),
        }
    };
    match (key, answer) {
        (AnswerKey::Single(_) | AnswerKey::TrueFalse(_) | AnswerKey::Poll, Answer::Option(o)) => {
            let i = index(*o)?;
            let picks = OptionSet(1 << i);
            let m = if matches!(key, AnswerKey::Poll) {
                Match::Vote
            } else if picks == key.correct_options() {
                Match::Right
            } else {
                Match::Wrong
            };
            Ok((m, Given::Picks(picks)))
        }
        (AnswerKey::Multi(correct), Answer::Options(list)) => {
            if list.is_empty() {
                return Err(ShapeError::Empty);
            }
            let mut picks = OptionSet::EMPTY;
            for o in list {
                let i = index(*o)?;
                if picks.contains(i) {
                    return Err(ShapeError::Duplicate(*o));
                }
                picks.0 |= 1 << i;
            }
            let m = if picks == *correct {
                Match::Right
            } else {
                let right = (picks.0 & correct.0).count_ones();
                let wrong = (picks.0 & !correct.0).count_ones();
                Match::Some {
                    right,
                    wrong,
                    of: correct.len() as u32,
                }
            };
            Ok((m, Given::Picks(picks)))
        }
        (AnswerKey::TypeAnswer { .. }, Answer::Text(text)) => {
            if text.chars().count() > MAX_TEXT_ANSWER_CHARS {
                return Err(ShapeError::TooLong);
            }
            let normalized = key.normalize_text(text);
            if normalized.is_empty() {
                return Err(ShapeError::Empty);
            }
            let m = if key.accepts_text(&normalized) {
                Match::Right
            } else {
                Match::Wrong
            };
            Ok((m, Given::Text(normalized)))
        }
        _ => Err(wrong_type()),
    }
}

/// The stored and wire shape of a question (see [`crate::quiz::Question`]): the answer key
/// spread over `type`, `correct`, `accepted` and `ignore_accents`, so a question stored
/// before question types existed (no `type`, a numeric `correct`) still reads as `single`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct QuestionRepr {
    pub id: QuestionId,
    pub prompt: String,
    #[serde(rename = "type", default, skip_serializing_if = "is_single")]
    pub kind: QuestionType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<CorrectRepr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_accents: bool,
    #[serde(default)]
    pub points: u32,
    pub time_limit_ms: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<crate::media::MediaId>,
}

fn is_single(t: &QuestionType) -> bool {
    *t == QuestionType::Single
}

/// `correct` as stored: an index (single), a list of indexes (multi) or a boolean
/// (true/false).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum CorrectRepr {
    Index(OptionIndex),
    Set(OptionSet),
    Bool(bool),
}

/// Why a stored question does not have its type's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("question {0}: the answer key does not fit the question's type")]
pub(crate) struct ReprError(pub QuestionId);

impl QuestionRepr {
    pub(crate) fn key(&self) -> Result<AnswerKey, ReprError> {
        let bad = || ReprError(self.id.clone());
        Ok(match (self.kind, &self.correct) {
            (QuestionType::Single, Some(CorrectRepr::Index(i))) => AnswerKey::Single(*i),
            (QuestionType::Multi, Some(CorrectRepr::Set(s))) => AnswerKey::Multi(*s),
            (QuestionType::TrueFalse, Some(CorrectRepr::Bool(b))) => AnswerKey::TrueFalse(*b),
            (QuestionType::Poll, None) => AnswerKey::Poll,
            (QuestionType::TypeAnswer, None) => AnswerKey::TypeAnswer {
                accepted: self.accepted.clone(),
                ignore_accents: self.ignore_accents,
            },
            _ => return Err(bad()),
        })
    }

    pub(crate) fn correct_of(key: &AnswerKey) -> Option<CorrectRepr> {
        match key {
            AnswerKey::Single(i) => Some(CorrectRepr::Index(*i)),
            AnswerKey::Multi(s) => Some(CorrectRepr::Set(*s)),
            AnswerKey::TrueFalse(b) => Some(CorrectRepr::Bool(*b)),
            AnswerKey::Poll | AnswerKey::TypeAnswer { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests;
