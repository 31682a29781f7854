//! Request bodies of the API: read with a size cap and a deadline whatever the transfer
//! encoding, and checked as strict JSON before any handler sees them.
//!
//! A declared `Content-Length` over the cap is refused before a byte of the body is read;
//! a chunked or unframed body is counted while it is read and refused (413) the moment it
//! passes the cap, so at most the cap is ever buffered. A body that does not arrive within
//! the deadline is refused with 408 (a slow sender cannot hold a request open). A JSON body
//! must be strict JSON ([`crate::json`]): no repeated keys, bounded nesting. Refusing costs
//! at most reading the cap, whatever the content.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use poem::http::StatusCode;
use poem::web::Json;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::json;
use crate::telemetry;

/// Limits on request bodies.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    /// Largest body, bytes.
    pub max_bytes: usize,
    /// Largest body of an image upload (`POST /api/media`), bytes.
    pub max_media_bytes: usize,
    /// Longest time to receive the whole body.
    pub timeout: Duration,
    /// Deepest JSON nesting.
    pub max_json_depth: usize,
}

/// A refusal in the API's error shape.
fn refuse(status: StatusCode, code: &'static str, message: String) -> Response {
    metrics::counter!(telemetry::HTTP_REFUSED, "code" => code).increment(1);
    Json(serde_json::json!({"code": code, "message": message}))
        .with_status(status)
        .into_response()
}

fn too_large(cap: usize) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("this request's body is limited to {cap} bytes"),
    )
}

/// The body cap of `req`: an image upload's, or every other request's.
fn cap(req: &Request, limits: &BodyLimits) -> usize {
    let path = req.uri().path().trim_end_matches('/');
    if req.method() == poem::http::Method::POST && (path == "/media" || path == "/api/media") {
        limits.max_media_bytes
    } else {
        limits.max_bytes
    }
}

/// Whether a `Content-Type` is one the API parses as JSON: `application/json` or any
/// `application/…+json` (poem-openapi takes both).
fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// Reads the body within the limits, checks JSON bodies, and hands the request on with the
/// body it read.
pub async fn limit<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    limits: Arc<BodyLimits>,
) -> poem::Result<Response> {
    let declared = req
        .header(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    let cap = cap(&req, &limits);
    if declared.is_some_and(|n| n > cap as u64) {
        return Ok(too_large(cap));
    }
    let mut stream = req.take_body().into_bytes_stream();
    // What a client declares is only a claim: reserve at most 64 KiB up front.
    let mut body: Vec<u8> = Vec::with_capacity(declared.map_or(0, |n| n.min(64 * 1024) as usize));
    let read = tokio::time::timeout(limits.timeout, async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ())?;
            if body.len() + chunk.len() > cap {
                return Ok(false);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(true)
    })
    .await;
    match read {
        Err(_) => {
            return Ok(refuse(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} s",
                    limits.timeout.as_secs()
                ),
            ));
        }
        // The client went away mid-body: nobody is left to answer.
        Ok(Err(())) => return Err(poem::Error::from_status(StatusCode::BAD_REQUEST)),
        Ok(Ok(false)) => return Ok(too_large(cap)),
        Ok(Ok(true)) => {}
    }
    let is_json = req.content_type().is_some_and(is_json_media_type);
    if is_json
        && !body.is_empty()
        && let Err(e) = json::check(&body, limits.max_json_depth)
    {
        return Ok(refuse(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the request body is not acceptable JSON: {e}"),
        ));
    }
    req.set_body(body);
    ep.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_media_type_is_checked() {
        for t in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(t), "{t}");
        }
        for t in ["text/plain", "application/xml", "application/jsonx", ""] {
            assert!(!is_json_media_type(t), "{t}");
        }
    }
}
