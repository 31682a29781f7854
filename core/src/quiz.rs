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
use crate::ids::{IdError, MAX_OPTIONS, MIN_OPTIONS, OptionIndex, QuestionId, QuizId};
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

/// Whether a quiz accepts joins and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuizStatus {
    /// Players may join and answer.
    Open,
    /// No joins, no answers; the board stays readable.
    Closed,
}

/// One question, including its answer key. The key never leaves the server: client-facing
/// views are built with [`Question::public`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Unique within the quiz.
    pub id: QuestionId,
    /// The question text.
    pub prompt: String,
    /// 2 to 6 answer options.
    pub options: Vec<String>,
    /// Index of the correct option.
    pub correct: OptionIndex,
    /// Points for a correct answer (1 to 10,000), before the policy's weighting.
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
    /// The question text.
    pub prompt: String,
    /// Answer options, in order.
    pub options: Vec<String>,
    /// Points for a correct answer before weighting.
    pub points: u32,
    /// Time allowed, in milliseconds.
    pub time_limit_ms: u32,
}

impl Question {
    /// The question without its answer key.
    pub fn public(&self) -> PublicQuestion {
        PublicQuestion {
            id: self.id.clone(),
            prompt: self.prompt.clone(),
            options: self.options.clone(),
            points: self.points,
            time_limit_ms: self.time_limit_ms,
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
    /// The correct option is not one of the question's options.
    #[error("question {id}: the correct option is not one of its options")]
    BadAnswerKey {
        /// Position in `questions`, from 0.
        index: usize,
        /// The question's id.
        id: QuestionId,
    },
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
            Self::BadAnswerKey { index, .. } => at(index, "correct"),
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
    /// The option index is not one of the question's options.
    #[error("option {option} is out of range: the question has {options} options")]
    OptionOutOfRange {
        /// The index the player sent.
        option: usize,
        /// How many options the question has.
        options: usize,
    },
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Whether the chosen option is the correct one.
    pub correct: bool,
    /// Points before any streak bonus.
    pub base_points: u32,
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
            if q.options.len() < MIN_OPTIONS
                || q.options.len() > MAX_OPTIONS
                || !q.options.iter().all(|o| text_ok(o, MAX_OPTION_CHARS))
            {
                return Err(QuizDefError::BadOptions { index, id: id() });
            }
            if q.correct.get() >= q.options.len() {
                return Err(QuizDefError::BadAnswerKey { index, id: id() });
            }
            if q.points == 0 || q.points > MAX_POINTS {
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
        let points: Vec<u32> = d.questions.iter().map(|q| q.points).collect();
        let max = d.scoring.max_total(&points);
        if max > MAX_SCORE {
            return Err(QuizDefError::ScoreTooLarge(max));
        }
        Ok(Self(Arc::new(d)))
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
        let points: Vec<u32> = self.0.questions.iter().map(|q| q.points).collect();
        self.0.scoring.max_total(&points)
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

    /// Checks one answer to question `index` of a hosted game, which is open for everyone
    /// until `closes_at` (the caller has checked that it is open): speed-weighted points use
    /// the time left before `closes_at`, clamped to the question's limit.
    ///
    /// # Errors
    /// [`AnswerError::QuizClosed`], [`AnswerError::UnknownQuestion`] (no question `index`),
    /// [`AnswerError::OptionOutOfRange`].
    pub fn check_hosted(
        &self,
        index: usize,
        option: OptionIndex,
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
        if option.get() >= q.options.len() {
            return Err(AnswerError::OptionOutOfRange {
                option: option.get(),
                options: q.options.len(),
            });
        }
        let remaining = closes_at.since(now).min(u64::from(q.time_limit_ms)) as u32;
        let correct = option == q.correct;
        Ok(Checked {
            correct,
            base_points: self
                .0
                .scoring
                .base_points(correct, q.points, q.time_limit_ms, remaining),
        })
    }

    /// Checks one answer by a player who joined at `joined_at`, arriving at `now`.
    ///
    /// # Errors
    /// [`AnswerError::QuizClosed`] when closed or when `now` is past the ranking clock's
    /// range; [`AnswerError::UnknownQuestion`], [`AnswerError::OptionOutOfRange`],
    /// [`AnswerError::TooLate`] as named.
    pub fn check_answer(
        &self,
        question: &QuestionId,
        option: OptionIndex,
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
        if option.get() >= q.options.len() {
            return Err(AnswerError::OptionOutOfRange {
                option: option.get(),
                options: q.options.len(),
            });
        }
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
        if now > window.closes_at {
            return Err(AnswerError::TooLate {
                closed_at: window.closes_at,
            });
        }
        let remaining = window.closes_at.since(now).min(u64::from(q.time_limit_ms)) as u32;
        let correct = option == q.correct;
        Ok(Checked {
            correct,
            base_points: self
                .0
                .scoring
                .base_points(correct, q.points, q.time_limit_ms, remaining),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scoring::{ScoringKind, StreakBonus};

    pub(crate) fn question(id: &str, correct: u8, points: u32, limit: u32) -> Question {
        Question {
            id: QuestionId::parse(id).unwrap(),
            prompt: format!("prompt {id}"),
            options: vec!["a".into(), "b".into(), "c".into()],
            correct: OptionIndex::new(u64::from(correct)).unwrap(),
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
            scoring: ScoringPolicy { kind, streak: None },
            status: QuizStatus::Open,
            created_at: Timestamp(1_000),
            mode: QuizMode::SelfPaced,
            hosted: HostedOptions::default(),
            names: NameMode::Requested,
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
        d.questions[0].correct = OptionIndex::new(4).unwrap();
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
        let opt = OptionIndex::new(0).unwrap();
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
        let opt = |i| OptionIndex::new(i).unwrap();
        let joined = Timestamp(10_000);
        assert_eq!(
            quiz.check_answer(&QuestionId::parse("zz").unwrap(), opt(0), joined, joined),
            Err(AnswerError::UnknownQuestion)
        );
        assert_eq!(
            quiz.check_answer(&a, opt(3), joined, joined),
            Err(AnswerError::OptionOutOfRange {
                option: 3,
                options: 3
            })
        );
        assert_eq!(
            quiz.check_answer(&a, opt(0), joined, Timestamp(20_001)),
            Err(AnswerError::TooLate {
                closed_at: Timestamp(20_000)
            })
        );
        let closed = quiz.with_status(QuizStatus::Closed);
        assert_eq!(
            closed.check_answer(&a, opt(0), joined, joined),
            Err(AnswerError::QuizClosed)
        );
        assert_eq!(
            quiz.check_answer(&a, opt(0), joined, joined),
            Ok(Checked {
                correct: true,
                base_points: 100
            })
        );
        assert_eq!(
            quiz.check_answer(&a, opt(0), joined, Timestamp(20_000)),
            Ok(Checked {
                correct: true,
                base_points: 50
            })
        );
        assert_eq!(
            quiz.check_answer(&a, opt(1), joined, joined),
            Ok(Checked {
                correct: false,
                base_points: 0
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
