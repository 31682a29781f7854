//! Resolving a game PIN to its quiz: `GET /api/pins/{pin}`.
//!
//! A 6-digit space can be scanned, so every lookup — found or not — spends a token of a
//! per-address limiter with the join limiter's quota (`--max-joins-per-min`,
//! `--max-joins-burst`), kept apart from it so a class behind one address that looks up
//! its PIN and then joins is not counted twice. A PIN gives only what the public quiz id
//! gives (the quiz list names every quiz already).

use std::sync::{Arc, LazyLock};

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use quiz_core::pins::GamePin;
use regex::Regex;

use super::errors::{ApiError, ServerError, at_field, client, internal};
use crate::pattern::{Matching, Pattern};
use crate::{AppState, clock, telemetry};

/// What a PIN looks like, stated in the schema (the core's [`GamePin`] rule).
pub struct PinPattern;

impl Pattern for PinPattern {
    const PATTERN: &'static str = "^[1-9][0-9]{5,6}$";
    const MESSAGE: &'static str = "a game PIN is 6 or 7 digits, not starting with 0";
    fn regex() -> &'static Regex {
        static RE: LazyLock<Regex> = LazyLock::new(|| {
            // A constant expression, checked by this module's test: cannot fail at run time.
            #[allow(clippy::expect_used)]
            Regex::new(PinPattern::PATTERN).expect("a valid constant pattern")
        });
        &RE
    }
}

/// Responses of the ResolvePin operation (with the statuses every operation can return,
/// as `super::responses` declares them).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_pin_request")]
pub enum ResolvePinResponse {
    /// The quiz whose live game has this PIN.
    #[oai(status = 200)]
    Ok(Json<PinOut>),
    /// Not a PIN: 6 or 7 digits, not starting with 0 (`bad_pin`).
    #[oai(status = 400)]
    BadRequest(Json<ApiError>),
    /// No live game has this PIN (`unknown_pin`).
    #[oai(status = 404)]
    NotFound(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The request body is over the size limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many PIN lookups (`rate_limited`) or open connections (`too_many_connections`)
    /// from this address.
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`); try
    /// again shortly.
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

fn not_a_pin() -> Json<ApiError> {
    at_field("bad_pin", "pin", PinPattern::MESSAGE)
}

/// Every request-parsing failure of this operation is its path's: `bad_pin`.
fn bad_pin_request(_err: poem::Error) -> ResolvePinResponse {
    ResolvePinResponse::BadRequest(not_a_pin())
}

/// The quiz a PIN names.
#[derive(Debug, Object)]
pub struct PinOut {
    /// The quiz id: join with `POST /api/quizzes/{quiz}/join`.
    pub quiz: String,
}

/// The PIN operation.
#[derive(Clone)]
pub struct PinsApi {
    pub(crate) state: Arc<AppState>,
}

#[OpenApi]
impl PinsApi {
    /// The quiz of a live hosted game, by its PIN (rate-limited per address like joins).
    #[oai(path = "/pins/:pin", method = "get")]
    async fn resolve_pin(
        &self,
        req: &Request,
        pin: Path<Matching<PinPattern>>,
    ) -> ResolvePinResponse {
        let Ok(pin) = GamePin::parse(&pin.0) else {
            return ResolvePinResponse::BadRequest(not_a_pin());
        };
        if let Some(ip) = super::client_ip(req, self.state.limits.trust_forwarded_for)
            && self.state.pin_limiter.check_key(&ip).is_err()
        {
            metrics::counter!(telemetry::PIN_LOOKUPS, "outcome" => "rate_limited").increment(1);
            return ResolvePinResponse::TooManyRequests(client(
                "rate_limited",
                format!(
                    "at most {} PIN lookups at once, then {} per minute, from one address",
                    self.state.limits.max_joins_burst, self.state.limits.max_joins_per_min
                ),
            ));
        }
        match self.state.service.pins().resolve(&pin, clock::now()).await {
            Ok(Some(quiz)) => {
                metrics::counter!(telemetry::PIN_LOOKUPS, "outcome" => "found").increment(1);
                ResolvePinResponse::Ok(Json(PinOut {
                    quiz: quiz.to_string(),
                }))
            }
            Ok(None) => {
                metrics::counter!(telemetry::PIN_LOOKUPS, "outcome" => "unknown").increment(1);
                ResolvePinResponse::NotFound(at_field(
                    "unknown_pin",
                    "pin",
                    "no live game has this PIN; check the number on the screen",
                ))
            }
            Err(u) => ResolvePinResponse::Internal(internal(&u)),
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ParseFromParameter;

    use super::*;

    #[test]
    fn the_schemas_pin_pattern_is_the_cores_rule() {
        for raw in [
            "123456", "1234567", "012345", "12345", "12345678", "12a456", " 123456",
        ] {
            assert_eq!(
                Matching::<PinPattern>::parse_from_parameter(raw).is_ok(),
                GamePin::parse(raw).is_ok(),
                "{raw}"
            );
        }
    }
}
