//! The API's error bodies and the mapping from request-parsing failures to them.
//!
//! Every 4xx body has one shape: `{code, message, field?}` — a machine-readable code (one
//! per cause, all listed in README.md), a sentence for people, and where one applies the
//! path of the field that broke the rule (`questions[3].points`, `limit`, `X-Admin-Key`).
//! 5xx bodies are generic with a request id; the cause is logged under it.

use poem_openapi::Object;
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use poem_openapi::payload::Json;

use crate::token::random_hex;

/// A client error.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApiError {
    /// Machine-readable code, e.g. `invalid_quiz`, `unknown_quiz`, `name_taken`.
    pub code: String,
    /// What is wrong and what is allowed, for people.
    pub message: String,
    /// The request field that broke the rule, as a path (`questions[3].points`, `name`,
    /// `limit`, `X-Admin-Key`), when one did.
    pub field: Option<String>,
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

/// A client error without a field.
pub fn client(code: &str, message: impl Into<String>) -> Json<ApiError> {
    Json(ApiError {
        code: code.into(),
        message: message.into(),
        field: None,
    })
}

/// A client error naming the field that broke the rule.
pub fn at_field(
    code: &str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Json<ApiError> {
    Json(ApiError {
        code: code.into(),
        message: message.into(),
        field: Some(field.into()),
    })
}

/// The error for a quiz id that names no quiz.
pub fn unknown_quiz(id: impl std::fmt::Display) -> Json<ApiError> {
    at_field("unknown_quiz", "quiz", format!("no quiz with id {id}"))
}

/// A server error: logged with its cause under a fresh request id.
pub fn internal(e: &dyn std::error::Error) -> Json<ServerError> {
    let request_id = random_hex(8);
    tracing::error!(%request_id, error = %quiz_common::chain(e), "request failed");
    Json(ServerError {
        code: "internal".into(),
        message: "internal error; try again later".into(),
        request_id,
    })
}

/// What a parameter's own type said, without poem-openapi's `failed to parse "type": `
/// prefix (the types in `crate::pattern` and `params` write sentences for people).
fn reason(text: &str) -> String {
    match text.strip_prefix("failed to parse \"") {
        Some(rest) => rest
            .split_once("\": ")
            .map_or(rest, |(_, msg)| msg)
            .to_owned(),
        None => text.to_owned(),
    }
}

/// The code for a malformed parameter, by its name.
fn param_code(name: &str) -> &'static str {
    match name {
        "quiz" => "bad_quiz_id",
        "player" => "bad_player_id",
        _ => "bad_parameter",
    }
}

/// The name of a path parameter: poem-openapi names them by position in its errors
/// (`param0`, `param1`), and every route of this API has the quiz first and the player
/// second.
fn path_name(name: &'static str) -> &'static str {
    match name {
        "param0" => "quiz",
        "param1" => "player",
        other => other,
    }
}

/// Turns a failure poem-openapi met before the handler ran into (status, error body): 401
/// for a missing admin key, 400 for everything else.
pub fn parse_failure(err: &poem::Error) -> (u16, Json<ApiError>) {
    if err.is::<AuthorizationError>() {
        return (
            401,
            at_field(
                "unauthorized",
                "X-Admin-Key",
                "a valid X-Admin-Key header is required",
            ),
        );
    }
    let body = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        at_field(param_code(e.name), e.name, reason(&e.reason))
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        let name = path_name(e.name);
        at_field(param_code(name), name, reason(&e.reason))
    } else if err.is::<ContentTypeError>() {
        client(
            "bad_content_type",
            "send the request body as JSON with Content-Type: application/json",
        )
    } else if err.is::<ParseRequestPayloadError>() {
        client("bad_json", "the request body must be a JSON object")
    } else {
        client("bad_request", err.to_string())
    };
    (400, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_failures_name_the_parameter_in_words() {
        let err: poem::Error = ParseParamError {
            name: "limit",
            reason: "failed to parse \"integer\": must be a whole number from 1 to 100".into(),
        }
        .into();
        let (status, Json(body)) = parse_failure(&err);
        assert_eq!(status, 400);
        assert_eq!(body.code, "bad_parameter");
        assert_eq!(body.field.as_deref(), Some("limit"));
        assert_eq!(body.message, "must be a whole number from 1 to 100");
    }

    #[test]
    fn a_missing_key_is_401_naming_the_header() {
        let (status, Json(body)) = parse_failure(&AuthorizationError.into());
        assert_eq!((status, body.code.as_str()), (401, "unauthorized"));
        assert_eq!(body.field.as_deref(), Some("X-Admin-Key"));
    }

    #[test]
    fn path_parameters_get_their_own_codes() {
        for (name, code) in [("param0", "bad_quiz_id"), ("param1", "bad_player_id")] {
            let err: poem::Error = ParsePathError {
                name,
                reason: "x".into(),
            }
            .into();
            assert_eq!(parse_failure(&err).1.code, code);
        }
    }
}
