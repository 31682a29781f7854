//! The API's request and response types. Request bodies are documented by [`QuizIn`] and
//! [`JoinIn`] but read by hand (`super::definition`) through [`Document`], so that every
//! refusal names its field in words; responses are built from the domain's values.

use std::borrow::Cow;
use std::marker::PhantomData;

use poem_openapi::auth::ApiKey;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{Any, ParseFromJSON, ParseResult, Type};
use poem_openapi::{Enum, Object, SecurityScheme};
use quiz_contracts::ws::SnapshotMsg;
use quiz_core::media::MediaId;
use quiz_core::question::MultiScoring;
use quiz_core::service::QuizView;
use quiz_core::{NameMode, QuestionType, QuizMode, QuizStatus, QuizSummary, ScoringKind};
use serde_json::Value;

mod game;
mod library;
mod media;

pub use game::*;
pub use library::*;
pub use media::*;

use crate::pattern::{Matching, NamePattern};
use crate::strict::{Absent, Text, raw_self};

/// A JSON request body whose schema is `T`'s, read by the handler from the JSON value
/// (poem-openapi's own parsing of `T` would answer with its parser's wording, name no
/// field, and check per element before counting).
pub struct Document<T>(pub Value, PhantomData<fn() -> T>);

impl<T: Type> Type for Document<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    raw_self!();
}

impl<T: Type> ParseFromJSON for Document<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(Self(value.unwrap_or_default(), PhantomData))
    }
}

/// The admin key, sent as the `X-Admin-Key` header.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "X-Admin-Key", key_in = "header")]
pub struct AdminKey(pub ApiKey);

/// How correct answers are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ScoringKindDto {
    /// The question's points.
    Fixed,
    /// 50–100% of the question's points, more for faster answers.
    SpeedWeighted,
    /// One point per correct answer.
    AccuracyOnly,
}

/// Scoring rules.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScoringDto {
    /// How correct answers are scored.
    pub kind: ScoringKindDto,
    /// Streak bonus: extra points per correct answer already in the streak.
    #[oai(validator(minimum(value = "0"), maximum(value = "2097151")))]
    pub streak_step: Absent<u32>,
    /// Streak bonus: the largest bonus one answer can earn.
    #[oai(validator(minimum(value = "0"), maximum(value = "2097151")))]
    pub streak_cap: Absent<u32>,
    /// How `multi` questions score a set that is not exactly right: `all_or_nothing`
    /// (the default: only the exact set earns points) or `partial` (points × (right picks
    /// − wrong picks) / correct options, never below 0, rounded half up).
    pub multi: Absent<MultiScoringDto>,
}

/// How `multi` questions score a set that is not exactly right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MultiScoringDto {
    /// Only the exact set of correct options earns points.
    AllOrNothing,
    /// Partial credit for partly right sets.
    Partial,
}

/// A question's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum QuestionTypeDto {
    /// One correct option (`correct`: an index). Answer with `option`.
    Single,
    /// Several correct options (`correct`: a list of distinct indexes, at least one).
    /// Answer with `options`.
    Multi,
    /// The fixed options `True` (0) and `False` (1); no `options`; `correct`: true or
    /// false. Answer with `option`.
    TrueFalse,
    /// A vote: `options`, no `correct`, no `points`; never moves the board. Answer with
    /// `option`.
    Poll,
    /// A typed answer (up to 64 characters) checked against `accepted` after
    /// normalisation; no `options`. Answer with `text`.
    TypeAnswer,
}

impl From<QuestionType> for QuestionTypeDto {
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

/// A question in a new quiz, with its answer key. Which fields a question has depends on
/// its `type` (any other field is refused with `invalid_quiz` naming it):
///
/// | type | options | correct | also | points |
/// |---|---|---|---|---|
/// | `single` (default) | required | an option index | | required |
/// | `multi` | required | a list of distinct option indexes (≥ 1) | | required |
/// | `true_false` | none (fixed: `True`, `False`) | `true` or `false` | | required |
/// | `poll` | required | none | | none |
/// | `type_answer` | none | none | `accepted` (required), `ignore_accents` | required |
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuestionIn {
    /// Unique within the quiz: 1–64 characters of `[A-Za-z0-9_-]`.
    #[oai(validator(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub id: Text,
    /// The question's type; `single` when absent.
    #[oai(rename = "type")]
    pub kind: Absent<QuestionTypeDto>,
    /// The question text (1–500 characters, not blank).
    #[oai(validator(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub prompt: Text,
    /// single, multi and poll: 2 to 6 options (1–200 characters each, not blank).
    #[oai(validator(
        min_items = 2,
        max_items = 6,
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    ))]
    pub options: Absent<Vec<Text>>,
    /// The answer key: single, an option index (0-based, one of the question's options);
    /// multi, a list of distinct option indexes, at least one; true_false, `true` or
    /// `false`. Absent for poll and type_answer.
    pub correct: Absent<Any<Value>>,
    /// type_answer: 1 to 20 accepted answers (1–64 characters each, not blank). A typed
    /// answer is right when it equals one after normalisation (Unicode NFKC, case-folded,
    /// surrounding and repeated whitespace collapsed).
    #[oai(validator(min_items = 1, max_items = 20, min_length = 1, max_length = 64))]
    pub accepted: Absent<Vec<Text>>,
    /// type_answer: compare without accents too (`Zurich` = `Zürich`); false when absent.
    pub ignore_accents: Absent<bool>,
    /// Points for a correct answer (1–10,000); required except for a poll, which has none.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub points: Absent<u32>,
    /// Time allowed in milliseconds (1,000–600,000).
    #[oai(validator(minimum(value = "1000"), maximum(value = "600000")))]
    pub time_limit_ms: u32,
    /// Shown with the answer at a hosted game's reveal (1–500 characters, not blank).
    #[oai(validator(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub explanation: Absent<Text>,
    /// An image shown with the question: the `id` `POST /media` returned (64 lowercase
    /// hex digits, the image's SHA-256); the image must be stored.
    #[oai(validator(pattern = "^[0-9a-f]{64}$"))]
    pub image: Absent<Text>,
}

/// How a quiz is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ModeDto {
    /// Each player's clock starts when they join.
    SelfPaced,
    /// A host moves everyone through the questions together.
    Hosted,
}

/// How a hosted game runs (every field optional).
#[derive(Debug, Object)]
pub struct HostedIn {
    /// Close a question as soon as every player in the game has answered (default true).
    pub end_early: Absent<bool>,
    /// Move from a reveal to the board by itself after this many seconds (1–600); the host
    /// presses next when absent.
    #[oai(validator(minimum(value = "1"), maximum(value = "600")))]
    pub reveal_secs: Absent<u32>,
    /// Move from a board to the next question (or the podium) by itself after this many
    /// seconds (1–600); the host presses next when absent.
    #[oai(validator(minimum(value = "1"), maximum(value = "600")))]
    pub board_secs: Absent<u32>,
}

/// How a hosted game runs.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HostedOut {
    /// Whether a question closes as soon as every player in the game has answered.
    pub end_early: bool,
    /// Seconds after which a reveal moves on by itself.
    pub reveal_secs: Absent<u32>,
    /// Seconds after which a board moves on by itself.
    pub board_secs: Absent<u32>,
}

/// A new quiz.
#[derive(Debug, Object)]
pub struct QuizIn {
    /// The quiz id (1–64 characters of `[A-Za-z0-9_-]`); generated when absent.
    #[oai(validator(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub id: Absent<Text>,
    /// The title (1–500 characters, not blank).
    #[oai(validator(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub title: Text,
    /// Scoring rules; fixed points without streak bonus when absent. `streak_step` and
    /// `streak_cap` go together. The largest reachable total (points plus streak bonuses)
    /// must not exceed 2,097,151.
    pub scoring: Absent<ScoringDto>,
    /// The questions in play order (1–200), with distinct ids.
    #[oai(validator(min_items = 1, max_items = 200))]
    pub questions: Vec<QuestionIn>,
    /// `self_paced` (the default) or `hosted`.
    pub mode: Absent<ModeDto>,
    /// Options of a hosted game (only with `mode` `hosted`).
    pub hosted: Absent<HostedIn>,
    /// `requested` (the default: players choose their display names, checked against the
    /// deny list) or `generated` (the server gives each a friendly adjective-and-animal
    /// name and ignores the one asked for).
    pub names: Absent<NamesDto>,
    /// Answers faster than this many milliseconds after their question opened for the
    /// player are flagged in the results export (still scored); 0 flags none. 150 when
    /// absent.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub min_answer_ms: Absent<u32>,
}

/// Where players' display names come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum NamesDto {
    /// The name the player asks for.
    Requested,
    /// A name the server picks.
    Generated,
}

/// A question as players see it (no answer key).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuestionOut {
    /// Question id.
    pub id: String,
    /// The question's type; it says which answer field a player sends.
    #[oai(rename = "type")]
    pub kind: QuestionTypeDto,
    /// The question text.
    pub prompt: String,
    /// The options (`True`, `False` for true_false; none for type_answer).
    pub options: Vec<String>,
    /// type_answer: the longest answer accepted, in characters (64).
    pub max_length: Absent<u32>,
    /// Points before weighting (0 for a poll).
    pub points: u32,
    /// Time allowed in milliseconds.
    pub time_limit_ms: u32,
    /// The question's image, where the server serves it (`/media/<sha256>`), if it has one.
    pub image: Absent<String>,
}

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StatusDto {
    /// Accepting joins and answers.
    Open,
    /// Not accepting joins or answers.
    Closed,
}

impl From<QuizStatus> for StatusDto {
    fn from(s: QuizStatus) -> Self {
        match s {
            QuizStatus::Open => Self::Open,
            QuizStatus::Closed => Self::Closed,
        }
    }
}

/// A quiz as players see it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuizOut {
    /// Quiz id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Open or closed.
    pub status: StatusDto,
    /// Scoring rules.
    pub scoring: ScoringDto,
    /// The largest reachable total.
    pub max_total: u64,
    /// Questions in play order, without answer key.
    pub questions: Vec<QuestionOut>,
    /// `self_paced` or `hosted`.
    pub mode: ModeDto,
    /// `requested` or `generated` display names.
    pub names: NamesDto,
    /// How a hosted game runs (hosted quizzes only).
    pub hosted: Absent<HostedOut>,
    /// The host key of a hosted quiz: only in the response that creates it. Send it as
    /// `X-Host-Key` or `?host_key=` on the WebSocket; keep it secret.
    pub host_key: Absent<String>,
    /// The host console of a hosted quiz, key included: only in the response that
    /// creates it.
    pub host_url: Absent<String>,
    /// The game PIN players may type instead of the quiz id (a hosted quiz, only in the
    /// response that creates it; `GET /api/quizzes/{quiz}/game` gives it later).
    pub pin: Absent<String>,
}

impl ScoringKindDto {
    /// The wire names, in the order of the schema.
    pub const WIRE: [&'static str; 3] = ["fixed", "speed_weighted", "accuracy_only"];

    /// The kind with this wire name.
    pub fn from_wire(name: &str) -> Option<Self> {
        match name {
            "fixed" => Some(Self::Fixed),
            "speed_weighted" => Some(Self::SpeedWeighted),
            "accuracy_only" => Some(Self::AccuracyOnly),
            _ => None,
        }
    }
}

impl From<ScoringKindDto> for ScoringKind {
    fn from(k: ScoringKindDto) -> Self {
        match k {
            ScoringKindDto::Fixed => Self::Fixed,
            ScoringKindDto::SpeedWeighted => Self::SpeedWeighted,
            ScoringKindDto::AccuracyOnly => Self::AccuracyOnly,
        }
    }
}

impl From<ScoringKind> for ScoringKindDto {
    fn from(k: ScoringKind) -> Self {
        match k {
            ScoringKind::Fixed => Self::Fixed,
            ScoringKind::SpeedWeighted => Self::SpeedWeighted,
            ScoringKind::AccuracyOnly => Self::AccuracyOnly,
        }
    }
}

impl From<QuizView> for QuizOut {
    fn from(v: QuizView) -> Self {
        Self {
            id: v.id.to_string(),
            title: v.title,
            status: v.status.into(),
            scoring: ScoringDto {
                kind: v.scoring.kind.into(),
                streak_step: Absent(v.scoring.streak.map(|s| s.step)),
                streak_cap: Absent(v.scoring.streak.map(|s| s.cap)),
                multi: Absent(Some(match v.scoring.multi {
                    MultiScoring::AllOrNothing => MultiScoringDto::AllOrNothing,
                    MultiScoring::Partial => MultiScoringDto::Partial,
                })),
            },
            max_total: v.max_total,
            questions: v
                .questions
                .into_iter()
                .map(|q| QuestionOut {
                    id: q.id.to_string(),
                    kind: q.kind.into(),
                    prompt: q.prompt,
                    options: q.options,
                    max_length: Absent(q.kind.max_length()),
                    points: q.points,
                    time_limit_ms: q.time_limit_ms,
                    image: Absent(q.image.as_ref().map(MediaId::url)),
                })
                .collect(),
            names: match v.names {
                NameMode::Requested => NamesDto::Requested,
                NameMode::Generated => NamesDto::Generated,
            },
            mode: match v.mode {
                QuizMode::SelfPaced => ModeDto::SelfPaced,
                QuizMode::Hosted => ModeDto::Hosted,
            },
            hosted: Absent((v.mode == QuizMode::Hosted).then_some(HostedOut {
                end_early: v.hosted.end_early,
                reveal_secs: Absent(v.hosted.reveal_secs),
                board_secs: Absent(v.hosted.board_secs),
            })),
            host_key: Absent(None),
            host_url: Absent(None),
            pin: Absent(None),
        }
    }
}

/// A quiz in the list.
#[derive(Debug, Object)]
pub struct QuizSummaryOut {
    /// Quiz id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Number of questions.
    pub questions: u64,
    /// Open or closed.
    pub status: StatusDto,
}

impl From<QuizSummary> for QuizSummaryOut {
    fn from(s: QuizSummary) -> Self {
        Self {
            id: s.id.to_string(),
            title: s.title,
            questions: s.questions as u64,
            status: s.status.into(),
        }
    }
}

/// Joining a quiz.
#[derive(Debug, Object)]
pub struct JoinIn {
    /// Display name: at most 32 characters, not blank, no control characters; leading and
    /// trailing spaces are trimmed; unique in the quiz (case-insensitively).
    #[oai(validator(max_length = 32))]
    pub name: Matching<NamePattern>,
}

/// A joined player: keep the token; it binds the WebSocket to this player.
#[derive(Debug, Object)]
pub struct JoinOut {
    /// Quiz id.
    pub quiz: String,
    /// Server-issued player id.
    pub player_id: String,
    /// The display name as stored (trimmed).
    pub name: String,
    /// When the player joined (ms since the Unix epoch); their question clock starts here.
    pub joined_at: u64,
    /// Signed player token.
    pub token: String,
    /// Where to open the WebSocket (relative URL, token included).
    pub ws_path: String,
    /// The same snapshot the WebSocket sends first (see `ws-server-message.schema.json`,
    /// message type `snapshot`).
    pub snapshot: Any<SnapshotMsg>,
}

/// One leaderboard line.
#[derive(Debug, Object)]
pub struct EntryOut {
    /// Rank, 1 = first.
    pub rank: u64,
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
    /// Score.
    pub score: u64,
}

/// A page of the leaderboard.
#[derive(Debug, Object)]
pub struct LeaderboardOut {
    /// Quiz id.
    pub quiz: String,
    /// Players on the board.
    pub players: u64,
    /// Lines skipped.
    pub offset: u64,
    /// Lines from rank `offset + 1`.
    pub entries: Vec<EntryOut>,
}

/// One player's standing.
#[derive(Debug, Object)]
pub struct StandingOut {
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
    /// Rank, 1 = first.
    pub rank: u64,
    /// Score.
    pub score: u64,
    /// Questions answered.
    pub answers: u64,
}

/// Result of a rebuild.
#[derive(Debug, Object)]
pub struct RebuildOut {
    /// Players restored from the archive.
    pub players: u64,
}

/// One line of the results.
#[derive(Debug, Object)]
pub struct ResultOut {
    /// Rank, 1 = first.
    pub rank: u64,
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
    /// Score.
    pub score: u64,
    /// How many answers were correct.
    pub correct: u64,
    /// How many answers came faster than the quiz's `min_answer_ms` after their question
    /// opened for the player (scored, flagged for review).
    pub fast_answers: u64,
    /// The questions answered that fast, in quiz order.
    pub fast_questions: Vec<String>,
}
