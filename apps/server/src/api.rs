//! The HTTP API (poem-openapi), mounted under `/api`. The OpenAPI document is generated
//! from this module and committed as `contracts/openapi.json`.
//!
//! Every operation has its own response enum listing only the statuses it can return.
//! 4xx bodies are `{code, message}` with a machine-readable code; 5xx bodies are generic
//! with a request id, and the cause is logged under that id. Request-parsing failures
//! (malformed JSON, missing fields, wrong content type, missing admin key) are turned into
//! the operation's own 400/401 variant by its bad-request handler.

use std::net::IpAddr;
use std::sync::Arc;

use poem::Request;
use poem_openapi::auth::ApiKey;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::types::Any;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, SecurityScheme};
use quiz_contracts::ws::SnapshotMsg;
use quiz_core::quiz::{Question, QuizDraft};
use quiz_core::service::{
    CreateQuizError, JoinQuizError, LookupError, QuizView, RebuildError, Unavailable,
};
use quiz_core::{
    OptionIndex, PlayerId, PlayerName, QuestionId, QuizId, QuizStatus, QuizSummary, ScoringKind,
    ScoringPolicy, StreakBonus,
};

use crate::pattern::{Matching, NamePattern, Pattern, PlayerIdPattern, QuizIdPattern};
use crate::strict::{Absent, Text};
use crate::token::random_hex;
use crate::{AppState, clock, telemetry};

/// Largest leaderboard page.
const MAX_PAGE: u64 = 100;

/// A client error.
#[derive(Debug, Object)]
pub struct ApiError {
    /// Machine-readable code, e.g. `unknown_quiz`, `name_taken`, `bad_request`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// A server error: generic on purpose; the cause is in the server log under `request_id`.
#[derive(Debug, Object)]
pub struct ServerError {
    /// Always `internal`.
    pub code: String,
    /// Always a generic message.
    pub message: String,
    /// Quote this when reporting the problem.
    pub request_id: String,
}

fn client(code: &str, message: impl Into<String>) -> Json<ApiError> {
    Json(ApiError {
        code: code.into(),
        message: message.into(),
    })
}

fn internal(e: &dyn std::error::Error) -> Json<ServerError> {
    let request_id = random_hex(8);
    let mut chain = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    tracing::error!(%request_id, error = %chain, "request failed");
    Json(ServerError {
        code: "internal".into(),
        message: "internal error; try again later".into(),
        request_id,
    })
}

/// Whether a parse error is a [`Matching`] value failing pattern `P`.
fn mismatch<P: Pattern>(text: &str) -> bool {
    text.contains(&format!("{}: verification failed", P::CODE))
}

/// Turns a request-parsing failure into (status-appropriate code, message).
fn parse_failure(err: &poem::Error) -> (u16, Json<ApiError>) {
    let status = err.status().as_u16();
    let text = err.to_string();
    if status == 401 {
        (
            401,
            client("unauthorized", "a valid X-Admin-Key header is required"),
        )
    } else if mismatch::<QuizIdPattern>(&text) {
        (
            400,
            client(
                "bad_quiz_id",
                "a quiz id is 1-64 characters of A-Z a-z 0-9 _ -",
            ),
        )
    } else if mismatch::<PlayerIdPattern>(&text) {
        (
            400,
            client(
                "bad_player_id",
                "a player id is 1-64 characters of A-Z a-z 0-9 _ -",
            ),
        )
    } else if text.contains("\"JoinIn\": field `name`") || mismatch::<NamePattern>(&text) {
        (
            400,
            client(
                "bad_name",
                "a name is at most 32 characters, not blank, with no control characters",
            ),
        )
    } else if text.contains("\"QuizIn\"") || text.contains("\"QuestionIn\"") {
        (400, client("invalid_quiz", text))
    } else {
        (400, client("bad_request", text))
    }
}

macro_rules! bad_request_handlers {
    ($($fn_name:ident => $resp:ident $(, unauthorized: $unauth:ident)?;)+) => {
        $(
            fn $fn_name(err: poem::Error) -> $resp {
                let (status, body) = parse_failure(&err);
                $( if status == 401 { return $resp::$unauth(body); } )?
                let _ = status;
                $resp::BadRequest(body)
            }
        )+
    };
}

bad_request_handlers! {
    bad_create => CreateQuizResponse, unauthorized: Unauthorized;
    bad_get => GetQuizResponse;
    bad_list => ListQuizzesResponse;
    bad_join => JoinResponse;
    bad_board => LeaderboardResponse;
    bad_standing => StandingResponse;
    bad_results => ResultsJsonResponse;
    bad_csv => ResultsCsvResponse;
    bad_status => SetStatusResponse, unauthorized: Unauthorized;
    bad_rebuild => RebuildResponse, unauthorized: Unauthorized;
}

/// The admin key, sent as the `X-Admin-Key` header.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "X-Admin-Key", key_in = "header")]
pub struct AdminKey(ApiKey);

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
}

/// A question in a new quiz, with its answer key.
#[derive(Debug, Object)]
pub struct QuestionIn {
    /// Unique within the quiz: 1–64 characters of `[A-Za-z0-9_-]`.
    #[oai(validator(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub id: Text,
    /// The question text (1–500 characters, not blank).
    #[oai(validator(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub prompt: Text,
    /// 2 to 6 options (1–200 characters each, not blank).
    #[oai(validator(
        min_items = 2,
        max_items = 6,
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    ))]
    pub options: Vec<Text>,
    /// Index of the correct option (0-based); must be one of the question's options.
    #[oai(validator(minimum(value = "0"), maximum(value = "5")))]
    pub correct: u32,
    /// Points for a correct answer (1–10,000).
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub points: u32,
    /// Time allowed in milliseconds (1,000–600,000).
    #[oai(validator(minimum(value = "1000"), maximum(value = "600000")))]
    pub time_limit_ms: u32,
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
}

/// A question as players see it (no answer key).
#[derive(Debug, Object)]
pub struct QuestionOut {
    /// Question id.
    pub id: String,
    /// The question text.
    pub prompt: String,
    /// The options.
    pub options: Vec<String>,
    /// Points before weighting.
    pub points: u32,
    /// Time allowed in milliseconds.
    pub time_limit_ms: u32,
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
}

impl From<QuizView> for QuizOut {
    fn from(v: QuizView) -> Self {
        Self {
            id: v.id.to_string(),
            title: v.title,
            status: v.status.into(),
            scoring: ScoringDto {
                kind: match v.scoring.kind {
                    ScoringKind::Fixed => ScoringKindDto::Fixed,
                    ScoringKind::SpeedWeighted => ScoringKindDto::SpeedWeighted,
                    ScoringKind::AccuracyOnly => ScoringKindDto::AccuracyOnly,
                },
                streak_step: Absent(v.scoring.streak.map(|s| s.step)),
                streak_cap: Absent(v.scoring.streak.map(|s| s.cap)),
            },
            max_total: v.max_total,
            questions: v
                .questions
                .into_iter()
                .map(|q| QuestionOut {
                    id: q.id.to_string(),
                    prompt: q.prompt,
                    options: q.options,
                    points: q.points,
                    time_limit_ms: q.time_limit_ms,
                })
                .collect(),
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

/// Responses of the CreateQuiz operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_create")]
pub enum CreateQuizResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<QuizOut>),
    /// The definition breaks a rule (`invalid_quiz`) or the request is malformed.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key.
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// A quiz with that id exists (`quiz_exists`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the ListQuizzes operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_list")]
pub enum ListQuizzesResponse {
    /// All quizzes, ordered by id.
    #[oai(status = 200)]
    Ok(Json<Vec<QuizSummaryOut>>),
    /// Malformed request.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the GetQuiz operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_get")]
pub enum GetQuizResponse {
    /// The quiz, without answer key.
    #[oai(status = 200)]
    Ok(Json<QuizOut>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the Join operation.
// One value per request, moved once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_join")]
pub enum JoinResponse {
    /// Joined.
    #[oai(status = 200)]
    Ok(Json<JoinOut>),
    /// Malformed quiz id (`bad_quiz_id`) or name (`bad_name`), or malformed request.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// `name_taken`, `quiz_closed` or `quiz_full`.
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
    /// Too many joins from this address (`rate_limited`).
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the Leaderboard operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_board")]
pub enum LeaderboardResponse {
    /// A page of the board.
    #[oai(status = 200)]
    Ok(Json<LeaderboardOut>),
    /// Malformed quiz id or paging.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the Standing operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_standing")]
pub enum StandingResponse {
    /// The player's standing.
    #[oai(status = 200)]
    Ok(Json<StandingOut>),
    /// Malformed id.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz or player (`unknown_quiz`, `unknown_player`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the ResultsJson operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_results")]
pub enum ResultsJsonResponse {
    /// Every player's final line, best first.
    #[oai(status = 200)]
    Ok(Json<Vec<EntryOut>>),
    /// Malformed quiz id.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz.
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the ResultsCsv operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_csv")]
pub enum ResultsCsvResponse {
    /// CSV with header `rank,player,name,score`, best first.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(PlainText<String>),
    /// Malformed quiz id.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz.
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the SetStatus operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_status")]
pub enum SetStatusResponse {
    /// The quiz with its new status.
    #[oai(status = 200)]
    Ok(Json<QuizSummaryOut>),
    /// Malformed quiz id.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key.
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz.
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Responses of the Rebuild operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_rebuild")]
pub enum RebuildResponse {
    /// The live board was rebuilt from the archive.
    #[oai(status = 200)]
    Ok(Json<RebuildOut>),
    /// Malformed quiz id.
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key.
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz.
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// Server error.
    #[oai(status = 500)]
    Internal(Json<ServerError>),
}

/// Why a quiz named in a path could not be used.
enum Missing {
    /// Malformed id (400).
    BadId(Json<ApiError>),
    /// No such quiz (404).
    NotFound(Json<ApiError>),
    /// The catalog failed (500).
    Internal(Json<ServerError>),
}

macro_rules! from_missing {
    ($($resp:ident),+) => {
        $(
            impl From<Missing> for $resp {
                fn from(m: Missing) -> Self {
                    match m {
                        Missing::BadId(e) => Self::BadRequest(e),
                        Missing::NotFound(e) => Self::NotFound(e),
                        Missing::Internal(e) => Self::Internal(e),
                    }
                }
            }
        )+
    };
}

from_missing!(
    GetQuizResponse,
    LeaderboardResponse,
    StandingResponse,
    ResultsJsonResponse,
    ResultsCsvResponse
);

/// The API's operations.
#[derive(Clone)]
pub struct Api {
    pub(crate) state: Arc<AppState>,
}

fn quiz_id(raw: &str) -> Result<QuizId, Json<ApiError>> {
    QuizId::parse(raw).map_err(|e| client("bad_quiz_id", e.to_string()))
}

fn draft_from(body: QuizIn, created_at: quiz_core::Timestamp) -> Result<QuizDraft, String> {
    let id = match body.id.0 {
        Some(id) => QuizId::parse(id.0).map_err(|e| e.to_string())?,
        None => QuizId::parse(format!("q{}", random_hex(5))).map_err(|e| e.to_string())?,
    };
    let scoring = match body.scoring.0 {
        None => ScoringPolicy::default(),
        Some(s) => ScoringPolicy {
            kind: match s.kind {
                ScoringKindDto::Fixed => ScoringKind::Fixed,
                ScoringKindDto::SpeedWeighted => ScoringKind::SpeedWeighted,
                ScoringKindDto::AccuracyOnly => ScoringKind::AccuracyOnly,
            },
            streak: match (s.streak_step.0, s.streak_cap.0) {
                (None, None) => None,
                (Some(step), Some(cap)) => Some(StreakBonus { step, cap }),
                _ => return Err("streak_step and streak_cap go together".into()),
            },
        },
    };
    let questions = body
        .questions
        .into_iter()
        .map(|q| {
            Ok(Question {
                id: QuestionId::parse(&q.id.0).map_err(|e| e.to_string())?,
                correct: OptionIndex::new(u64::from(q.correct)).map_err(|_| {
                    format!(
                        "question {}: the correct option is not one of its options",
                        q.id.0
                    )
                })?,
                prompt: q.prompt.0,
                options: q.options.into_iter().map(|o| o.0).collect(),
                points: q.points,
                time_limit_ms: q.time_limit_ms,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(QuizDraft {
        id,
        title: body.title.0,
        questions,
        scoring,
        status: QuizStatus::Open,
        created_at,
    })
}

fn client_ip(req: &Request, trust_forwarded: bool) -> Option<IpAddr> {
    if trust_forwarded
        && let Some(ip) = req
            .header("x-forwarded-for")
            .and_then(|h| h.split(',').next())
            .and_then(|s| s.trim().parse().ok())
    {
        return Some(ip);
    }
    req.remote_addr().as_socket_addr().map(|a| a.ip())
}

impl Api {
    fn admin_ok(&self, key: &AdminKey) -> bool {
        // Constant-time comparison, so the key cannot be guessed byte by byte from timing.
        let a = key.0.key.as_bytes();
        let b = self.state.admin_key.as_bytes();
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    async fn lookup(&self, raw: &str) -> Result<quiz_core::Quiz, Missing> {
        let id = quiz_id(raw).map_err(Missing::BadId)?;
        match self.state.service.quiz(&id).await {
            Ok(q) => Ok(q),
            Err(LookupError::UnknownQuiz) => Err(Missing::NotFound(client(
                "unknown_quiz",
                format!("no quiz with id {id}"),
            ))),
            Err(LookupError::Unavailable(u)) => Err(Missing::Internal(internal(&u))),
        }
    }

    async fn all_entries(&self, quiz: &QuizId) -> Result<Vec<EntryOut>, Unavailable> {
        let svc = &self.state.service;
        let count = svc.ports().scoreboard.count(quiz).await?;
        Ok(svc
            .board_page(quiz, 0, count)
            .await?
            .into_iter()
            .map(|e| EntryOut {
                rank: e.rank,
                player: e.player.to_string(),
                name: e.name,
                score: e.score,
            })
            .collect())
    }
}

/// Guards a CSV cell against spreadsheet formula injection.
fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

#[OpenApi]
impl Api {
    /// Create a quiz (admin).
    #[oai(path = "/quizzes", method = "post")]
    async fn create_quiz(&self, auth: AdminKey, body: Json<QuizIn>) -> CreateQuizResponse {
        if !self.admin_ok(&auth) {
            return CreateQuizResponse::Unauthorized(client("unauthorized", "wrong admin key"));
        }
        let draft = match draft_from(body.0, clock::now()) {
            Ok(d) => d,
            Err(m) => return CreateQuizResponse::BadRequest(client("invalid_quiz", m)),
        };
        match self.state.service.create_quiz(draft).await {
            Ok(q) => CreateQuizResponse::Created(Json(QuizView::from(&q).into())),
            Err(CreateQuizError::Invalid(e)) => {
                CreateQuizResponse::BadRequest(client("invalid_quiz", e.to_string()))
            }
            Err(CreateQuizError::AlreadyExists) => CreateQuizResponse::Conflict(client(
                "quiz_exists",
                "a quiz with that id already exists",
            )),
            Err(CreateQuizError::Unavailable(u)) => CreateQuizResponse::Internal(internal(&u)),
        }
    }

    /// List quizzes.
    #[oai(path = "/quizzes", method = "get")]
    async fn list_quizzes(&self) -> ListQuizzesResponse {
        match self.state.service.list_quizzes().await {
            Ok(l) => ListQuizzesResponse::Ok(Json(l.into_iter().map(Into::into).collect())),
            Err(u) => ListQuizzesResponse::Internal(internal(&u)),
        }
    }

    /// Get a quiz (never its answer key).
    #[oai(path = "/quizzes/:quiz", method = "get")]
    async fn get_quiz(&self, quiz: Path<Matching<QuizIdPattern>>) -> GetQuizResponse {
        match self.lookup(&quiz.0).await {
            Ok(q) => GetQuizResponse::Ok(Json(QuizView::from(&q).into())),
            Err(m) => m.into(),
        }
    }

    /// Join a quiz under a display name.
    #[oai(path = "/quizzes/:quiz/join", method = "post")]
    async fn join(
        &self,
        req: &Request,
        quiz: Path<Matching<QuizIdPattern>>,
        body: Json<JoinIn>,
    ) -> JoinResponse {
        let id = match quiz_id(&quiz.0) {
            Ok(id) => id,
            Err(e) => return JoinResponse::BadRequest(e),
        };
        let name = match PlayerName::parse(&body.0.name.0) {
            Ok(n) => n,
            Err(e) => return JoinResponse::BadRequest(client("bad_name", e.to_string())),
        };
        if let Some(ip) = client_ip(req, self.state.limits.trust_forwarded_for)
            && self.state.join_limiter.check_key(&ip).is_err()
        {
            metrics::counter!(telemetry::JOINS, "outcome" => "rate_limited").increment(1);
            return JoinResponse::TooManyRequests(client(
                "rate_limited",
                format!(
                    "at most {} joins per minute from one address",
                    self.state.limits.max_joins_per_min
                ),
            ));
        }
        let svc = &self.state.service;
        let now = clock::now();
        let player = match svc.join(&id, &name, now).await {
            Ok(p) => p,
            Err(e) => {
                let (outcome, resp) = match e {
                    JoinQuizError::UnknownQuiz => (
                        "unknown_quiz",
                        JoinResponse::NotFound(client(
                            "unknown_quiz",
                            format!("no quiz with id {id}"),
                        )),
                    ),
                    JoinQuizError::QuizClosed => (
                        "quiz_closed",
                        JoinResponse::Conflict(client("quiz_closed", "the quiz is closed")),
                    ),
                    JoinQuizError::NameTaken => (
                        "name_taken",
                        JoinResponse::Conflict(client(
                            "name_taken",
                            "that name is taken in this quiz",
                        )),
                    ),
                    JoinQuizError::QuizFull => (
                        "quiz_full",
                        JoinResponse::Conflict(client("quiz_full", "the quiz is full")),
                    ),
                    JoinQuizError::Unavailable(u) => {
                        ("error", JoinResponse::Internal(internal(&u)))
                    }
                };
                metrics::counter!(telemetry::JOINS, "outcome" => outcome).increment(1);
                return resp;
            }
        };
        metrics::counter!(telemetry::JOINS, "outcome" => "joined").increment(1);
        let snapshot = match svc.snapshot(&player, now).await {
            Ok(s) => s,
            Err(LookupError::UnknownQuiz) => {
                return JoinResponse::NotFound(client(
                    "unknown_quiz",
                    format!("no quiz with id {id}"),
                ));
            }
            Err(LookupError::Unavailable(u)) => return JoinResponse::Internal(internal(&u)),
        };
        let token = self.state.tokens.issue(&id, &player.id, player.joined_at);
        JoinResponse::Ok(Json(JoinOut {
            quiz: id.to_string(),
            player_id: player.id.to_string(),
            name: player.name.to_string(),
            joined_at: player.joined_at.0,
            ws_path: format!("/ws/{id}?token={token}"),
            token,
            snapshot: Any(SnapshotMsg::new(&snapshot, self.state.rooms.seq(&id))),
        }))
    }

    /// A page of the leaderboard.
    #[oai(path = "/quizzes/:quiz/leaderboard", method = "get")]
    async fn leaderboard(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        /// Lines to skip (default 0).
        #[oai(
            default,
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: Query<u64>,
        /// Lines to return, 1–100 (default 10).
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<u64>,
    ) -> LeaderboardResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        let svc = &self.state.service;
        let limit = limit.0.min(MAX_PAGE);
        let page = svc.board_page(q.id(), offset.0, limit).await;
        let players = svc.ports().scoreboard.count(q.id()).await;
        match (page, players) {
            (Ok(entries), Ok(players)) => LeaderboardResponse::Ok(Json(LeaderboardOut {
                quiz: q.id().to_string(),
                players,
                offset: offset.0,
                entries: entries
                    .into_iter()
                    .map(|e| EntryOut {
                        rank: e.rank,
                        player: e.player.to_string(),
                        name: e.name,
                        score: e.score,
                    })
                    .collect(),
            })),
            (Err(u), _) => LeaderboardResponse::Internal(internal(&u)),
            (_, Err(e)) => LeaderboardResponse::Internal(internal(&e)),
        }
    }

    /// One player's standing.
    #[oai(path = "/quizzes/:quiz/players/:player", method = "get")]
    async fn standing(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        player: Path<Matching<PlayerIdPattern>>,
    ) -> StandingResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        let Ok(pid) = PlayerId::parse(&*player.0) else {
            return StandingResponse::BadRequest(client("bad_player_id", "malformed player id"));
        };
        let svc = &self.state.service;
        let unknown =
            || StandingResponse::NotFound(client("unknown_player", "no such player in this quiz"));
        let p = match svc.player(q.id(), &pid).await {
            Ok(Some(p)) => p,
            Ok(None) => return unknown(),
            Err(u) => return StandingResponse::Internal(internal(&u)),
        };
        let sb = &svc.ports().scoreboard;
        let standing = match sb.standing(q.id(), &pid).await {
            Ok(Some(s)) => s,
            Ok(None) => return unknown(),
            Err(e) => return StandingResponse::Internal(internal(&e)),
        };
        let answers = match sb.answers(q.id(), &pid).await {
            Ok(a) => a.len() as u64,
            Err(e) => return StandingResponse::Internal(internal(&e)),
        };
        StandingResponse::Ok(Json(StandingOut {
            player: pid.to_string(),
            name: p.name.to_string(),
            rank: standing.rank,
            score: standing.key.score(),
            answers,
        }))
    }

    /// Every player's result as JSON, best first.
    #[oai(path = "/quizzes/:quiz/results.json", method = "get")]
    async fn results_json(&self, quiz: Path<Matching<QuizIdPattern>>) -> ResultsJsonResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        match self.all_entries(q.id()).await {
            Ok(e) => ResultsJsonResponse::Ok(Json(e)),
            Err(u) => ResultsJsonResponse::Internal(internal(&u)),
        }
    }

    /// Every player's result as CSV, best first.
    #[oai(path = "/quizzes/:quiz/results.csv", method = "get")]
    async fn results_csv(&self, quiz: Path<Matching<QuizIdPattern>>) -> ResultsCsvResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        let entries = match self.all_entries(q.id()).await {
            Ok(e) => e,
            Err(u) => return ResultsCsvResponse::Internal(internal(&u)),
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut rows = vec![[
            "rank".to_owned(),
            "player".into(),
            "name".into(),
            "score".into(),
        ]];
        rows.extend(entries.into_iter().map(|e| {
            [
                e.rank.to_string(),
                e.player,
                csv_safe(&e.name),
                e.score.to_string(),
            ]
        }));
        for row in rows {
            if let Err(e) = w.write_record(&row) {
                return ResultsCsvResponse::Internal(internal(&e));
            }
        }
        match w.into_inner() {
            Ok(bytes) => {
                ResultsCsvResponse::Ok(PlainText(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Err(e) => ResultsCsvResponse::Internal(internal(e.error())),
        }
    }

    /// Close a quiz: no more joins or answers (admin).
    #[oai(path = "/quizzes/:quiz/close", method = "post")]
    async fn close_quiz(
        &self,
        auth: AdminKey,
        quiz: Path<Matching<QuizIdPattern>>,
    ) -> SetStatusResponse {
        self.set_status(auth, &quiz.0, QuizStatus::Closed).await
    }

    /// Reopen a closed quiz (admin).
    #[oai(path = "/quizzes/:quiz/open", method = "post")]
    async fn open_quiz(
        &self,
        auth: AdminKey,
        quiz: Path<Matching<QuizIdPattern>>,
    ) -> SetStatusResponse {
        self.set_status(auth, &quiz.0, QuizStatus::Open).await
    }

    /// Rebuild a quiz's live leaderboard from the long-term archive (admin).
    #[oai(path = "/quizzes/:quiz/rebuild-leaderboard", method = "post")]
    async fn rebuild(
        &self,
        auth: AdminKey,
        quiz: Path<Matching<QuizIdPattern>>,
    ) -> RebuildResponse {
        if !self.admin_ok(&auth) {
            return RebuildResponse::Unauthorized(client("unauthorized", "wrong admin key"));
        }
        let id = match quiz_id(&quiz.0) {
            Ok(id) => id,
            Err(e) => return RebuildResponse::BadRequest(e),
        };
        match self.state.service.rebuild_scoreboard(&id).await {
            Ok(n) => RebuildResponse::Ok(Json(RebuildOut { players: n as u64 })),
            Err(RebuildError::UnknownQuiz) => {
                RebuildResponse::NotFound(client("unknown_quiz", format!("no quiz with id {id}")))
            }
            Err(RebuildError::Unavailable(u)) => RebuildResponse::Internal(internal(&u)),
        }
    }
}

fn default_limit() -> u64 {
    10
}

impl Api {
    async fn set_status(&self, auth: AdminKey, raw: &str, status: QuizStatus) -> SetStatusResponse {
        if !self.admin_ok(&auth) {
            return SetStatusResponse::Unauthorized(client("unauthorized", "wrong admin key"));
        }
        let id = match quiz_id(raw) {
            Ok(id) => id,
            Err(e) => return SetStatusResponse::BadRequest(e),
        };
        let catalog = &self.state.service.ports().catalog;
        match catalog.set_status(&id, status).await {
            Ok(()) => {}
            Err(quiz_core::ports::CatalogError::NotFound) => {
                return SetStatusResponse::NotFound(client(
                    "unknown_quiz",
                    format!("no quiz with id {id}"),
                ));
            }
            Err(e) => return SetStatusResponse::Internal(internal(&e)),
        }
        match self.state.service.quiz(&id).await {
            Ok(q) => SetStatusResponse::Ok(Json(QuizSummaryOut {
                id: id.to_string(),
                title: q.title().to_owned(),
                questions: q.questions().len() as u64,
                status: q.status().into(),
            })),
            Err(LookupError::UnknownQuiz) => {
                SetStatusResponse::NotFound(client("unknown_quiz", format!("no quiz with id {id}")))
            }
            Err(LookupError::Unavailable(u)) => SetStatusResponse::Internal(internal(&u)),
        }
    }
}
