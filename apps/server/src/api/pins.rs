//! Resolving a game PIN to its quiz: `GET /api/pins/{pin}`.
//!
//! A 6-digit space can be scanned, so every lookup — found or not — spends a token of a
//! per-address limiter with the join limiter's quota (`--max-joins-per-min`,
//! `--max-joins-burst`), kept apart from it so a class behind one address that looks up
//! its PIN and then joins is not counted twice. A PIN gives only what the public quiz id
//! gives (the quiz list names every quiz already).

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use quiz_core::pins::GamePin;

use super::errors::{at_field, client, internal};
use super::responses::ResolvePinResponse;
use crate::{AppState, clock, telemetry};

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
    async fn resolve_pin(&self, req: &Request, pin: Path<String>) -> ResolvePinResponse {
        let Ok(pin) = GamePin::parse(pin.0.trim()) else {
            return ResolvePinResponse::BadRequest(at_field(
                "bad_pin",
                "pin",
                "a game PIN is 6 or 7 digits, not starting with 0",
            ));
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
