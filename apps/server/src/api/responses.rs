//! One response enum per operation, listing every status it can return (the limits of
//! `crate::body` and `crate::serve` included, so the contract names them), and the
//! bad-request handler of each: request-parsing failures become the operation's own 400 or
//! 401 with the shared error shape.

use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::types::Any;
use serde_json::Value;

use super::errors::{ApiError, ServerError, parse_failure};
use super::types::{
    GameOut, JoinOut, LeaderboardOut, LibraryOut, MediaOut, QuizOut, QuizSummaryOut, RebuildOut,
    ReportOut, ResultOut, SavedOut, StandingOut,
};

/// Declares an operation's response enum with the statuses every operation can return
/// besides its own: 408 and 413 (`crate::body`), 429 and 503 (`crate::serve`'s connection
/// caps; 429 is also the join rate limit), 500.
macro_rules! operation {
    ($(#[$doc:meta])* $name:ident, $handler:ident = $handler_name:literal, $auth:ident; $($variants:tt)*) => {
        $(#[$doc])*
        #[derive(ApiResponse)]
        #[oai(bad_request_handler = $handler_name)]
        pub enum $name {
            $($variants)*
            /// The request body did not arrive in time (`request_timeout`).
            #[oai(status = 408)]
            RequestTimeout(Json<ApiError>),
            /// The request body is over the size limit (`payload_too_large`).
            #[oai(status = 413)]
            PayloadTooLarge(Json<ApiError>),
            /// Too many joins or image uploads (`rate_limited`, join and upload only) or open connections
            /// (`too_many_connections`) from this address.
            #[oai(status = 429)]
            TooManyRequests(Json<ApiError>),
            /// Server error (`internal`, with a request id).
            #[oai(status = 500)]
            Internal(Json<ServerError>),
            /// The server holds as many connections as it accepts (`too_many_connections`);
            /// try again shortly.
            #[oai(status = 503)]
            Unavailable(Json<ApiError>),
        }

        /// Turns a request-parsing failure into the operation's own 400 (or 401).
        fn $handler(err: poem::Error) -> $name {
            let (status, body) = parse_failure(&err);
            operation!(@refuse $auth, $name, status, body)
        }
    };
    (@refuse with_401, $name:ident, $status:ident, $body:ident) => {
        if $status == 401 {
            $name::Unauthorized($body)
        } else {
            $name::BadRequest($body)
        }
    };
    (@refuse without_401, $name:ident, $status:ident, $body:ident) => {{
        let _ = $status;
        $name::BadRequest($body)
    }};
}

operation! {
    /// Responses of the CreateQuiz operation.
    CreateQuizResponse, bad_create_quiz = "bad_create_quiz", with_401;
    /// Created.
    #[oai(status = 201)]
    Created(Json<QuizOut>),
    /// The definition breaks a rule (`invalid_quiz`, with the field), or the body is not a JSON object (`bad_json`, `bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// A quiz with that id exists (`quiz_exists`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the ListQuizzes operation.
    ListQuizzesResponse, bad_list = "bad_list", without_401;
    /// All quizzes, ordered by id.
    #[oai(status = 200)]
    Ok(Json<Vec<QuizSummaryOut>>),
    /// Malformed request (`bad_request`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
}

operation! {
    /// Responses of the Library operation.
    LibraryResponse, bad_library = "bad_library", with_401;
    /// A page of the library.
    #[oai(status = 200)]
    Ok(Json<LibraryOut>),
    /// Paging out of range (`bad_parameter`, naming `offset` or `limit`) or a search text
    /// over 200 characters (`bad_parameter`, naming `q`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
}

operation! {
    /// Responses of the ExportQuiz operation.
    ExportQuizResponse, bad_export = "bad_export", with_401;
    /// The quiz's full definition, answer key included, exactly as `POST /quizzes` accepts
    /// it.
    #[oai(status = 200)]
    Ok(
        Json<Any<Value>>,
        /// `attachment; filename="{quiz}.json"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Neither the admin key (`X-Admin-Key`) nor the quiz's host key (`X-Host-Key`)
    /// (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
}

operation! {
    /// Responses of the UpdateQuiz operation.
    UpdateQuizResponse, bad_update = "bad_update", with_401;
    /// Nobody had played the quiz: replaced in place (`copied: false`).
    #[oai(status = 200)]
    Ok(Json<SavedOut>),
    /// The quiz had been played: saved as a new quiz `{quiz}-vN` (`copied: true`), the old
    /// one and its results unchanged.
    #[oai(status = 201)]
    Created(Json<SavedOut>),
    /// Malformed quiz id (`bad_quiz_id`), the definition breaks a rule (`invalid_quiz`,
    /// with the field; an `id` other than the path's too), or the body is not a JSON object
    /// (`bad_json`, `bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Neither the admin key (`X-Admin-Key`) nor the quiz's host key (`X-Host-Key`)
    /// (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// No `-vN` id is free for the new version (`quiz_exists`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the DuplicateQuiz operation.
    DuplicateQuizResponse, bad_duplicate = "bad_duplicate", with_401;
    /// The copy, shaped like the create response (with `host_key` and `host_url` for a
    /// hosted quiz).
    #[oai(status = 201)]
    Created(Json<QuizOut>),
    /// Malformed quiz id (`bad_quiz_id`), a body field that breaks a rule (`invalid_quiz`,
    /// with the field), or a body that is not a JSON object (`bad_json`,
    /// `bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Neither the admin key (`X-Admin-Key`) nor the quiz's host key (`X-Host-Key`)
    /// (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The id asked for is taken, or no `-copy-N` id is free (`quiz_exists`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the DeleteQuiz operation.
    DeleteQuizResponse, bad_delete = "bad_delete", with_401;
    /// Deleted. The id stays taken.
    #[oai(status = 204)]
    NoContent,
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Neither the admin key (`X-Admin-Key`) nor the quiz's host key (`X-Host-Key`)
    /// (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// A hosted game of the quiz is past its lobby and before its podium (`game_live`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the UploadMedia operation.
    UploadMediaResponse, bad_upload = "bad_upload", with_401;
    /// Stored now.
    #[oai(status = 201)]
    Created(Json<MediaOut>),
    /// The same image was stored already (same id).
    #[oai(status = 200)]
    Ok(Json<MediaOut>),
    /// The image's header is truncated or unreadable (`bad_image`), its dimensions are
    /// over the limits (`image_too_large`), or no `Content-Type` was sent
    /// (`bad_content_type`; any type will do, the bytes decide).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// Not a PNG, JPEG, GIF or WebP image, SVG included (`unsupported_media`).
    #[oai(status = 415)]
    UnsupportedMedia(Json<ApiError>),
}

operation! {
    /// Responses of the GetQuiz operation.
    GetQuizResponse, bad_get = "bad_get", without_401;
    /// The quiz, without answer key.
    #[oai(status = 200)]
    Ok(Json<QuizOut>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
}

operation! {
    /// Responses of the Join operation.
    // One value per request, moved once: boxing the large variant would buy nothing.
    #[allow(clippy::large_enum_variant)]
    JoinResponse, bad_join = "bad_join", without_401;
    /// Joined.
    #[oai(status = 200)]
    Ok(Json<JoinOut>),
    /// Malformed quiz id (`bad_quiz_id`), name (`bad_name`), unknown body field (`unknown_field`), or a body that is not a JSON object (`bad_json`, `bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// `name_taken`, `quiz_closed`, `quiz_full`, or for a hosted game `lobby_locked` (the host locked the lobby) or `game_over` (the game reached its podium).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the Leaderboard operation.
    LeaderboardResponse, bad_board = "bad_board", without_401;
    /// A page of the board.
    #[oai(status = 200)]
    Ok(Json<LeaderboardOut>),
    /// Malformed quiz id (`bad_quiz_id`) or paging (`bad_parameter`, naming `offset` or `limit`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
}

operation! {
    /// Responses of the Standing operation.
    StandingResponse, bad_standing = "bad_standing", without_401;
    /// The player's standing.
    #[oai(status = 200)]
    Ok(Json<StandingOut>),
    /// Malformed quiz id (`bad_quiz_id`) or player id (`bad_player_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz or player (`unknown_quiz`, `unknown_player`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
}

operation! {
    /// Responses of the ResultsJson operation.
    ResultsJsonResponse, bad_results = "bad_results", without_401;
    /// Every player's final line, best first, with their number of correct answers.
    #[oai(status = 200)]
    Ok(Json<Vec<ResultOut>>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
}

operation! {
    /// Responses of the GetGame operation.
    GetGameResponse, bad_game = "bad_game", without_401;
    /// The game's phase now.
    #[oai(status = 200)]
    Ok(Json<GameOut>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The quiz is self-paced (`not_hosted`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the HostCommand operation.
    HostCommandResponse, bad_host_command = "bad_host_command", with_401;
    /// The game after the command.
    #[oai(status = 200)]
    Ok(Json<GameOut>),
    /// Malformed quiz id (`bad_quiz_id`), body not a JSON object (`bad_json`,
    /// `bad_content_type`), an unknown command or a `player` where it does not belong or
    /// missing for `kick` (`invalid_command`, with the field).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// Missing or wrong host key (`unauthorized`, field `X-Host-Key`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// No such quiz (`unknown_quiz`) or, for `kick`, no such player (`unknown_player`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The quiz is self-paced (`not_hosted`), or the command does not apply to the
    /// game's phase (`not_now`: `next` during a question, `start` twice…).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the Report operation.
    ReportResponse, bad_report = "bad_report", without_401;
    /// Each question closed so far.
    #[oai(status = 200)]
    Ok(Json<ReportOut>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The quiz is self-paced (`not_hosted`).
    #[oai(status = 409)]
    Conflict(Json<ApiError>),
}

operation! {
    /// Responses of the ResultsCsv operation.
    ResultsCsvResponse, bad_csv = "bad_csv", without_401;
    /// CSV with header `rank,player,name,score,correct,fast_answers,fast_questions`, best first; `fast_questions` holds question ids separated by spaces.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(PlainText<String>),
    /// Malformed quiz id (`bad_quiz_id`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No such quiz (`unknown_quiz`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
}

operation! {
    /// Responses of the SetStatus operation.
    SetStatusResponse, bad_status = "bad_status", with_401;
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
}

operation! {
    /// Responses of the Rebuild operation.
    RebuildResponse, bad_rebuild = "bad_rebuild", with_401;
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
}
