//! One response enum per operation, listing every status it can return (the limits of
//! `crate::body` and `crate::serve` included, so the contract names them), and the
//! bad-request handler of each: request-parsing failures become the operation's own 400 or
//! 401 with the shared error shape.

use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, PlainText};

use super::errors::{ApiError, ServerError, parse_failure};
use super::types::{
    EntryOut, JoinOut, LeaderboardOut, QuizOut, QuizSummaryOut, RebuildOut, StandingOut,
};
/// Turns a request-parsing failure of CreateQuiz into its own 400 or 401.
fn bad_create_quiz(err: poem::Error) -> CreateQuizResponse {
    let (status, body) = parse_failure(&err);
    if status == 401 {
        return CreateQuizResponse::Unauthorized(body);
    }
    CreateQuizResponse::BadRequest(body)
}

/// Responses of the CreateQuiz operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_create_quiz")]
pub enum CreateQuizResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<QuizOut>),
    /// The definition breaks a rule (`invalid_quiz`, with the field), or the body is not a JSON object (`bad_json`, `bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// A quiz with that id exists (`quiz_exists`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of ListQuizzes into its own 400 or 401.
fn bad_list(err: poem::Error) -> ListQuizzesResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    ListQuizzesResponse::BadRequest(body)
}

/// Responses of the ListQuizzes operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_list")]
pub enum ListQuizzesResponse {
    /// All quizzes, ordered by id.
    #[oai(status = 200)]
    Ok(Json<Vec<QuizSummaryOut>>),
    /// Malformed request (`bad_request`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of GetQuiz into its own 400 or 401.
fn bad_get(err: poem::Error) -> GetQuizResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    GetQuizResponse::BadRequest(body)
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
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of Join into its own 400 or 401.
fn bad_join(err: poem::Error) -> JoinResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    JoinResponse::BadRequest(body)
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
    /// Malformed quiz id (`bad_quiz_id`), name (`bad_name`), unknown body field (`unknown_field`), or a body that is not a JSON object (`bad_json`, `bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// `name_taken`, `quiz_closed` or `quiz_full`.
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of Leaderboard into its own 400 or 401.
fn bad_board(err: poem::Error) -> LeaderboardResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    LeaderboardResponse::BadRequest(body)
}

/// Responses of the Leaderboard operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_board")]
pub enum LeaderboardResponse {
    /// A page of the board.
    #[oai(status = 200)]
    Ok(Json<LeaderboardOut>),
    /// Malformed quiz id (`bad_quiz_id`) or paging (`bad_parameter`, naming `offset` or `limit`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of Standing into its own 400 or 401.
fn bad_standing(err: poem::Error) -> StandingResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    StandingResponse::BadRequest(body)
}

/// Responses of the Standing operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_standing")]
pub enum StandingResponse {
    /// The player's standing.
    #[oai(status = 200)]
    Ok(Json<StandingOut>),
    /// Malformed quiz id (`bad_quiz_id`) or player id (`bad_player_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz or player (`unknown_quiz`, `unknown_player`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of ResultsJson into its own 400 or 401.
fn bad_results(err: poem::Error) -> ResultsJsonResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    ResultsJsonResponse::BadRequest(body)
}

/// Responses of the ResultsJson operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_results")]
pub enum ResultsJsonResponse {
    /// Every player's final line, best first.
    #[oai(status = 200)]
    Ok(Json<Vec<EntryOut>>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of ResultsCsv into its own 400 or 401.
fn bad_csv(err: poem::Error) -> ResultsCsvResponse {
    let (status, body) = parse_failure(&err);
    let _ = status;
    ResultsCsvResponse::BadRequest(body)
}

/// Responses of the ResultsCsv operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_csv")]
pub enum ResultsCsvResponse {
    /// CSV with header `rank,player,name,score`, best first.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(PlainText<String>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of SetStatus into its own 400 or 401.
fn bad_status(err: poem::Error) -> SetStatusResponse {
    let (status, body) = parse_failure(&err);
    if status == 401 {
        return SetStatusResponse::Unauthorized(body);
    }
    SetStatusResponse::BadRequest(body)
}

/// Responses of the SetStatus operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_status")]
pub enum SetStatusResponse {
    /// The quiz with its new status.
    #[oai(status = 200)]
    Ok(Json<QuizSummaryOut>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

/// Turns a request-parsing failure of Rebuild into its own 400 or 401.
fn bad_rebuild(err: poem::Error) -> RebuildResponse {
    let (status, body) = parse_failure(&err);
    if status == 401 {
        return RebuildResponse::Unauthorized(body);
    }
    RebuildResponse::BadRequest(body)
}

/// Responses of the Rebuild operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_rebuild")]
pub enum RebuildResponse {
    /// The live board was rebuilt from the archive.
    #[oai(status = 200)]
    Ok(Json<RebuildOut>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many joins (`rate_limited`, join only) or open connections (`too_many_connections`) from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}
