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
use crate::ids::{IdError, MAX_OPTIONS, MIN_OPTIONS, QuestionId, QuizId};
use crate::model::Opened;
pub use crate::model::QuizStatus;
pub use crate::question::{
    Answer, AnswerKey, Given, Grade, MAX_ACCEPTED, MAX_TEXT_ANSWER_CHARS, MultiScoring, OptionSet,
    QuestionType, ShapeError, TRUE_FALSE_OPTIONS,
};
use crate::question::{Match, QuestionRepr, ReprError, judge, partial_points};
use crate::ranking::{MAX_ELAPSED_MS, MAX_SCORE};
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
        }
    }
}

/// The unvalidated shape of a quiz, as a creator submits it or as storage returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizDraft {
    /// The quiz id.
    pub id: QuizId,
    /// The title shown to players.
    pub title: String,
    /// The questions, in play order.
    pub questions: Vec<Question>,
    /// How answers are scored.
    #[serde(default)]
    pub scoring: ScoringPolicy,
    /// Open or closed.
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
            Self::BadAdvance(field) => format!("hosted.{field}"),
            Self::ScoreTooLarge(_) => "scoring".into(),
            Self::Id(_) => "id".into(),
        }
    }
}

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
fn scored_points(questions: &[Question]) -> Vec<u32> {
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

impl Quiz {
    /// The quiz id.
    pub fn id(&self) -> &QuizId {
        &self.0.id
    }
    /// The title.
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
    /// Open or closed.
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
pub(crate) mod tests {
    use super::*;
    use crate::ids::OptionIndex;
    use crate::scoring::{ScoringKind, StreakBonus};

    pub(crate) fn question(id: &str, correct: u8, points: u32, limit: u32) -> Question {
        Question {
            id: QuestionId::parse(id).unwrap(),
            prompt: format!("prompt {id}"),
            options: vec!["a".into(), "b".into(), "c".into()],
            key: AnswerKey::Single(OptionIndex::new(u64::from(correct)).unwrap()),
            points,
            time_limit_ms: limit,
            explanation: None,
        }
    }

    pub(crate) fn draft(kind: ScoringKind) -> QuizDraft {
        QuizDraft {
            id: QuizId::parse("q1").unwrap(),
            title: "Test quiz".into(),
            questions: vec![question("a", 0, 100, 10_000), question("b", 1, 200, 20_000)],
            scoring: ScoringPolicy {
                kind,
                streak: None,
                multi: MultiScoring::AllOrNothing,
            },
            status: QuizStatus::Open,
            created_at: Timestamp(1_000),
            mode: QuizMode::SelfPaced,
            hosted: HostedOptions::default(),
            names: NameMode::Requested,
            min_answer_ms: DEFAULT_MIN_ANSWER_MS,
        }
    }

    #[test]
    fn valid_quiz_is_accepted_and_round_trips_through_serde() {
        let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
        let json = serde_json::to_string(&quiz).unwrap();
        let back: Quiz = serde_json::from_str(&json).unwrap();
        assert_eq!(back, quiz);
    }

    #[test]
    fn invalid_quizzes_are_refused_with_the_rule_they_break() {
        let mut d = draft(ScoringKind::Fixed);
        d.questions[1].id = d.questions[0].id.clone();
        assert!(matches!(
            Quiz::try_from(d),
            Err(QuizDefError::DuplicateQuestion { .. })
        ));

        let mut d = draft(ScoringKind::Fixed);
        d.questions[0].key = AnswerKey::Single(OptionIndex::new(4).unwrap());
        assert!(matches!(
            Quiz::try_from(d),
            Err(QuizDefError::BadAnswerKey { .. })
        ));

        let mut d = draft(ScoringKind::Fixed);
        d.questions[0].options = vec!["only".into()];
        assert!(matches!(
            Quiz::try_from(d),
            Err(QuizDefError::BadOptions { .. })
        ));

        let mut d = draft(ScoringKind::Fixed);
        d.questions[0].time_limit_ms = 10;
        assert!(matches!(
            Quiz::try_from(d),
            Err(QuizDefError::BadTimeLimit { .. })
        ));

        let mut d = draft(ScoringKind::Fixed);
        d.title = "  ".into();
        assert_eq!(Quiz::try_from(d), Err(QuizDefError::BadTitle));

        let mut d = draft(ScoringKind::Fixed);
        d.questions = (0..200)
            .map(|i| question(&format!("q{i}"), 0, 10_000, 10_000))
            .collect();
        d.scoring.streak = Some(StreakBonus {
            step: 1000,
            cap: 10_000,
        });
        assert!(matches!(
            Quiz::try_from(d),
            Err(QuizDefError::ScoreTooLarge(_))
        ));

        // Serde goes through the same validation.
        let mut d = draft(ScoringKind::Fixed);
        d.questions.clear();
        let json = serde_json::to_string(&d).unwrap();
        assert!(serde_json::from_str::<Quiz>(&json).is_err());
    }

    #[test]
    fn windows_form_a_time_bank_from_join() {
        let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
        let w = quiz.windows(Timestamp(5_000));
        assert_eq!(w[0].opens_at, Timestamp(5_000));
        assert_eq!(w[0].closes_at, Timestamp(15_000));
        assert_eq!(w[1].opens_at, Timestamp(15_000));
        assert_eq!(w[1].closes_at, Timestamp(35_000));
    }

    #[test]
    fn check_answer_uses_the_same_windows_for_every_question() {
        let mut d = draft(ScoringKind::Fixed);
        d.questions = (0..7u32)
            .map(|i| question(&format!("q{i}"), 0, 10, 1_000 + 700 * i))
            .collect();
        let quiz = Quiz::try_from(d).unwrap();
        let joined = Timestamp(3_000);
        let opt = &Answer::Option(0);
        for (q, w) in quiz.questions().iter().zip(quiz.windows(joined)) {
            assert!(quiz.check_answer(&q.id, opt, joined, w.closes_at).is_ok());
            assert_eq!(
                quiz.check_answer(&q.id, opt, joined, w.closes_at.plus_ms(1)),
                Err(AnswerError::TooLate {
                    closed_at: w.closes_at
                }),
                "{}",
                q.id
            );
        }
    }

    #[test]
    fn clones_share_one_definition() {
        let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
        let copy = quiz.clone();
        assert!(std::ptr::eq(quiz.questions(), copy.questions()));
        let closed = quiz.with_status(QuizStatus::Closed);
        assert_eq!(quiz.status(), QuizStatus::Open);
        assert_eq!(closed.status(), QuizStatus::Closed);
    }

    #[test]
    fn check_answer_reports_each_refusal_distinctly() {
        let quiz = Quiz::try_from(draft(ScoringKind::SpeedWeighted)).unwrap();
        let a = QuestionId::parse("a").unwrap();
        let opt = |i| Answer::Option(i);
        let joined = Timestamp(10_000);
        assert_eq!(
            quiz.check_answer(&QuestionId::parse("zz").unwrap(), &opt(0), joined, joined),
            Err(AnswerError::UnknownQuestion)
        );
        assert_eq!(
            quiz.check_answer(&a, &opt(3), joined, joined),
            Err(AnswerError::Shape(ShapeError::OutOfRange {
                option: 3,
                options: 3
            }))
        );
        assert_eq!(
            quiz.check_answer(&a, &opt(0), joined, Timestamp(20_001)),
            Err(AnswerError::TooLate {
                closed_at: Timestamp(20_000)
            })
        );
        let closed = quiz.with_status(QuizStatus::Closed);
        assert_eq!(
            closed.check_answer(&a, &opt(0), joined, joined),
            Err(AnswerError::QuizClosed)
        );
        assert_eq!(
            quiz.check_answer(&a, &opt(0), joined, joined),
            Ok(Checked {
                kind: QuestionType::Single,
                grade: Grade::Correct,
                base_points: 100,
                given: Given::Picks(OptionSet::one(OptionIndex::new(0).unwrap())),
                opened: Opened {
                    at: joined,
                    after: None
                },
            })
        );
        assert_eq!(
            quiz.check_answer(&a, &opt(0), joined, Timestamp(20_000))
                .map(|c| c.base_points),
            Ok(50)
        );
        assert_eq!(
            quiz.check_answer(&a, &opt(1), joined, joined)
                .map(|c| (c.grade, c.base_points)),
            Ok((Grade::Wrong, 0))
        );
    }

    fn typed(id: &str, key: AnswerKey, options: &[&str], points: u32) -> Question {
        Question {
            id: QuestionId::parse(id).unwrap(),
            prompt: format!("prompt {id}"),
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            key,
            points,
            time_limit_ms: 10_000,
            explanation: None,
        }
    }

    fn idx(i: u8) -> OptionIndex {
        OptionIndex::try_from(i).unwrap()
    }

    fn every_type() -> Vec<Question> {
        vec![
            typed("s", AnswerKey::Single(idx(1)), &["a", "b"], 100),
            typed(
                "m",
                AnswerKey::Multi(OptionSet::of([idx(0), idx(2)])),
                &["a", "b", "c", "d"],
                300,
            ),
            typed("t", AnswerKey::TrueFalse(false), &TRUE_FALSE_OPTIONS, 50),
            typed("p", AnswerKey::Poll, &["x", "y", "z"], 0),
            typed(
                "w",
                AnswerKey::TypeAnswer {
                    accepted: vec!["Paris".into(), "Lutèce".into()],
                    ignore_accents: true,
                },
                &[],
                200,
            ),
        ]
    }

    #[test]
    fn questions_stored_before_types_read_as_single_and_every_type_round_trips() {
        let old = r#"{"id":"a","prompt":"P","options":["x","y"],"correct":1,"points":10,"time_limit_ms":1000}"#;
        let q: Question = serde_json::from_str(old).unwrap();
        assert_eq!(q.key, AnswerKey::Single(idx(1)));
        assert_eq!(serde_json::to_string(&q).unwrap(), old);
        for q in every_type() {
            let json = serde_json::to_string(&q).unwrap();
            let back: Question = serde_json::from_str(&json).unwrap();
            assert_eq!(back, q, "{json}");
        }
        // A key that does not fit the type is refused.
        let bad = r#"{"id":"a","prompt":"P","type":"multi","options":["x","y"],"correct":1,"points":10,"time_limit_ms":1000}"#;
        assert!(serde_json::from_str::<Question>(bad).is_err());
    }

    #[test]
    fn each_type_is_validated_with_its_own_rules() {
        let mut d = draft(ScoringKind::Fixed);
        d.questions = every_type();
        let quiz = Quiz::try_from(d.clone()).unwrap();
        // Polls add nothing to the largest total.
        assert_eq!(quiz.max_total(), 650);

        let refuse = |i: usize, change: &dyn Fn(&mut Question), field: &str| {
            let mut d = d.clone();
            change(&mut d.questions[i]);
            let e = Quiz::try_from(d).unwrap_err();
            assert_eq!(e.field(), format!("questions[{i}].{field}"), "{e}");
            e.to_string()
        };
        refuse(
            1,
            &|q| q.key = AnswerKey::Multi(OptionSet::EMPTY),
            "correct",
        );
        refuse(
            1,
            &|q| q.key = AnswerKey::Multi(OptionSet::of([idx(5)])),
            "correct",
        );
        refuse(1, &|q| q.options.truncate(1), "options");
        let m = refuse(
            2,
            &|q| q.options = vec!["Yes".into(), "No".into()],
            "options",
        );
        assert!(m.contains("question t: a true_false question"), "{m}");
        let m = refuse(3, &|q| q.points = 10, "points");
        assert!(m.contains("a poll has no points"), "{m}");
        refuse(3, &|q| q.options.clear(), "options");
        refuse(4, &|q| q.options = vec!["a".into(), "b".into()], "options");
        refuse(
            4,
            &|q| {
                q.key = AnswerKey::TypeAnswer {
                    accepted: vec![],
                    ignore_accents: false,
                }
            },
            "accepted",
        );
        refuse(
            4,
            &|q| {
                q.key = AnswerKey::TypeAnswer {
                    accepted: vec!["x".repeat(65)],
                    ignore_accents: false,
                }
            },
            "accepted",
        );
        refuse(4, &|q| q.points = 0, "points");
        let mut bad = d.clone();
        bad.min_answer_ms = 10_001;
        assert_eq!(Quiz::try_from(bad), Err(QuizDefError::BadMinAnswer));
    }

    #[test]
    fn every_type_is_graded_and_partial_credit_is_a_quiz_choice() {
        let mut d = draft(ScoringKind::Fixed);
        d.questions = every_type();
        let strict = Quiz::try_from(d.clone()).unwrap();
        d.scoring.multi = MultiScoring::Partial;
        let partial = Quiz::try_from(d).unwrap();
        let joined = Timestamp(10_000);
        let q = |s: &str| QuestionId::parse(s).unwrap();
        let check = |quiz: &Quiz, id: &str, a: Answer| {
            quiz.check_answer(&q(id), &a, joined, joined)
                .map(|c| (c.grade, c.base_points))
        };
        assert_eq!(
            check(&strict, "s", Answer::Option(1)),
            Ok((Grade::Correct, 100))
        );
        assert_eq!(
            check(&strict, "m", Answer::Options(vec![2, 0])),
            Ok((Grade::Correct, 300))
        );
        assert_eq!(
            check(&strict, "m", Answer::Options(vec![0])),
            Ok((Grade::Wrong, 0))
        );
        assert_eq!(
            check(&partial, "m", Answer::Options(vec![0])),
            Ok((Grade::Partial, 150))
        );
        assert_eq!(
            check(&partial, "m", Answer::Options(vec![0, 1])),
            Ok((Grade::Wrong, 0))
        );
        assert_eq!(
            check(&strict, "t", Answer::Option(1)),
            Ok((Grade::Correct, 50))
        );
        assert_eq!(
            check(&strict, "t", Answer::Option(0)),
            Ok((Grade::Wrong, 0))
        );
        assert_eq!(
            check(&strict, "p", Answer::Option(2)),
            Ok((Grade::Counted, 0))
        );
        assert_eq!(
            check(&strict, "w", Answer::Text(" LUTECE ".into())),
            Ok((Grade::Correct, 200))
        );
        assert_eq!(
            check(&strict, "w", Answer::Text("Rome".into())),
            Ok((Grade::Wrong, 0))
        );
        assert!(matches!(
            check(&strict, "w", Answer::Option(0)),
            Err(AnswerError::Shape(ShapeError::WrongType { .. }))
        ));
        // Each question opened when the one before was answered, or at its window.
        let opened = strict.check_answer(&q("m"), &Answer::Options(vec![0]), joined, joined);
        assert_eq!(
            opened.map(|c| c.opened),
            Ok(Opened {
                at: Timestamp(20_000),
                after: Some(q("s"))
            })
        );
    }

    #[test]
    fn public_questions_carry_no_answer_key() {
        let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
        let json = serde_json::to_string(&quiz.public_questions()).unwrap();
        assert!(!json.contains("correct"));
    }
}
