//! A quiz named in a request's path that cannot be used, and the responses that say so.

use poem_openapi::payload::Json;
use quiz_core::QuizId;
use quiz_core::service::LookupError;

use super::errors::{ApiError, ServerError, at_field, client, internal};
use super::responses::{
    DeleteQuizResponse, DuplicateQuizResponse, ExportQuizResponse, GetGameResponse,
    GetQuizResponse, HostCommandResponse, LeaderboardResponse, RebuildResponse, ReportResponse,
    ResultsCsvResponse, ResultsJsonResponse, SetStatusResponse, StandingResponse,
    UpdateQuizResponse,
};

/// Why a quiz named in a path could not be used.
pub(super) enum Missing {
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
    GetGameResponse,
    HostCommandResponse,
    ReportResponse,
    LeaderboardResponse,
    StandingResponse,
    ResultsJsonResponse,
    ResultsCsvResponse,
    SetStatusResponse,
    RebuildResponse,
    ExportQuizResponse,
    UpdateQuizResponse,
    DuplicateQuizResponse,
    DeleteQuizResponse
);

impl From<LookupError> for Missing {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => Self::NotFound(client("unknown_quiz", "no such quiz")),
            LookupError::Unavailable(u) => Self::Internal(internal(&u)),
        }
    }
}

pub(super) fn quiz_id(raw: &str) -> Result<QuizId, Missing> {
    QuizId::parse(raw).map_err(|e| Missing::BadId(at_field("bad_quiz_id", "quiz", e.to_string())))
}
