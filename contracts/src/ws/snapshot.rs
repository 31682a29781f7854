//! The snapshot a (re)connecting client gets first.

use quiz_core::quiz::PublicQuestion;
use quiz_core::service::Snapshot;
use quiz_core::{Grade, QuestionType, QuizMode, QuizStatus, ScoringKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BoardMsg, OutcomeName, QuestionTypeName};

/// A question as players see it, with this player's time window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QuestionMsg {
    /// Question id.
    pub id: String,
    /// The question's type; it says which answer field to send.
    #[serde(rename = "type")]
    pub kind: QuestionTypeName,
    /// The question text.
    pub prompt: String,
    /// The options, in order (`["True", "False"]` for true_false; none for type_answer).
    pub options: Vec<String>,
    /// type_answer: the longest answer accepted, in characters (64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Points for a correct answer before weighting (0 for a poll).
    pub points: u32,
    /// Time allowed, ms.
    pub time_limit_ms: u32,
    /// When the question opens for this player (ms since the Unix epoch).
    pub opens_at: u64,
    /// After this, answers are refused (ms since the Unix epoch).
    pub closes_at: u64,
    /// The question's image, where the server serves it (`/media/<sha256>`), if it has
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^/media/[0-9a-f]{64}$"))]
    pub image: Option<String>,
}

impl QuestionMsg {
    /// A question as players see it, open from `opens_at` to `closes_at`.
    pub fn new(q: &PublicQuestion, opens_at: u64, closes_at: u64) -> Self {
        Self {
            id: q.id.to_string(),
            kind: q.kind.into(),
            prompt: q.prompt.clone(),
            options: q.options.clone(),
            max_length: q.kind.max_length(),
            points: q.points,
            time_limit_ms: q.time_limit_ms,
            opens_at,
            closes_at,
            image: q.image.as_ref().map(quiz_core::media::MediaId::url),
        }
    }
}

/// The scoring rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScoringMsg {
    /// `fixed`, `speed_weighted` or `accuracy_only`.
    pub kind: String,
    /// Streak bonus step, when there is a streak bonus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streak_step: Option<u32>,
    /// Streak bonus cap, when there is a streak bonus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streak_cap: Option<u32>,
    /// How multi questions score a set that is not exactly right: `all_or_nothing` or
    /// `partial`.
    pub multi: String,
}

/// The wire name of a multi scoring rule.
pub fn multi_name(m: quiz_core::question::MultiScoring) -> &'static str {
    match m {
        quiz_core::question::MultiScoring::AllOrNothing => "all_or_nothing",
        quiz_core::question::MultiScoring::Partial => "partial",
    }
}

/// One answered question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnsweredMsg {
    /// Question id.
    pub question: String,
    /// Whether it was correct.
    pub correct: bool,
    /// Points awarded.
    pub points: u32,
    /// Streak after it.
    pub streak: u32,
    /// How it was graded (see `answer_result`).
    pub outcome: OutcomeName,
}

/// Everything a (re)connecting client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotMsg {
    /// Quiz id.
    pub quiz: String,
    /// Quiz title.
    pub title: String,
    /// `open` or `closed`.
    pub status: String,
    /// `self_paced` or `hosted`. A hosted quiz's snapshot lists no questions: `phase`
    /// frames show them one at a time.
    pub mode: String,
    /// Scoring rules.
    pub scoring: ScoringMsg,
    /// The largest reachable total.
    pub max_total: u64,
    /// Questions in order, without the answer key.
    pub questions: Vec<QuestionMsg>,
    /// The player's id.
    pub player: String,
    /// The player's display name.
    pub name: String,
    /// Questions already answered.
    pub answered: Vec<AnsweredMsg>,
    /// The board now.
    pub board: BoardMsg,
}

fn kind_name(k: ScoringKind) -> &'static str {
    match k {
        ScoringKind::Fixed => "fixed",
        ScoringKind::SpeedWeighted => "speed_weighted",
        ScoringKind::AccuracyOnly => "accuracy_only",
    }
}

/// The wire name of a quiz mode.
pub fn mode_name(m: QuizMode) -> &'static str {
    match m {
        QuizMode::SelfPaced => "self_paced",
        QuizMode::Hosted => "hosted",
    }
}

/// The wire name of a quiz status.
pub fn status_name(s: QuizStatus) -> &'static str {
    match s {
        QuizStatus::Open => "open",
        QuizStatus::Closed => "closed",
    }
}

impl SnapshotMsg {
    /// Builds the snapshot message; `seq` is the socket's board sequence number.
    pub fn new(s: &Snapshot, seq: u64) -> Self {
        let kind_of = |id: &quiz_core::QuestionId| {
            s.quiz
                .questions
                .iter()
                .find(|q| &q.id == id)
                .map_or(QuestionType::Single, |q| q.kind)
        };
        let mut answered: Vec<AnsweredMsg> = s
            .answered
            .iter()
            .map(|(q, r)| AnsweredMsg {
                question: q.to_string(),
                correct: r.correct,
                points: r.points,
                streak: r.streak,
                outcome: Grade::of(kind_of(q), r).into(),
            })
            .collect();
        answered.sort_by(|a, b| a.question.cmp(&b.question));
        Self {
            quiz: s.quiz.id.to_string(),
            title: s.quiz.title.clone(),
            status: status_name(s.quiz.status).into(),
            mode: mode_name(s.quiz.mode).into(),
            scoring: ScoringMsg {
                kind: kind_name(s.quiz.scoring.kind).into(),
                streak_step: s.quiz.scoring.streak.map(|b| b.step),
                streak_cap: s.quiz.scoring.streak.map(|b| b.cap),
                multi: multi_name(s.quiz.scoring.multi).into(),
            },
            max_total: s.quiz.max_total,
            questions: s
                .quiz
                .questions
                .iter()
                .zip(&s.windows)
                .map(|(q, w)| QuestionMsg::new(q, w.opens_at.0, w.closes_at.0))
                .collect(),
            player: s.player.id.to_string(),
            name: s.player.name.to_string(),
            answered,
            board: BoardMsg::new(&s.board, seq, s.now.0),
        }
    }
}
