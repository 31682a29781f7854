//! Serving images: `GET /media/{sha256}`.
//!
//! An image is immutable (its URL is its SHA-256), so it is served with a strong `ETag`
//! (the id), `Cache-Control: public, max-age=31536000, immutable` and `304 Not Modified`
//! for a matching `If-None-Match`. The `Content-Type` is the stored one, which the core
//! checks against the bytes on the way out; `X-Content-Type-Options: nosniff` stops a
//! browser from guessing another, and a `Content-Security-Policy` of `default-src 'none'`
//! keeps anything opened at that URL from running or loading anything. A malformed id is
//! a 404 like an unknown one: nothing is looked up for it.

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use quiz_core::media::MediaId;

use crate::AppState;

/// How long a browser or proxy may keep an image: a year (its URL never changes meaning).
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .body("no such image")
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// `GET /media/{sha256}`.
#[handler]
pub async fn serve(req: &Request, Path(id): Path<String>, state: Data<&Arc<AppState>>) -> Response {
    let Ok(id) = MediaId::parse(id) else {
        return not_found();
    };
    let etag = format!("\"{id}\"");
    let secured = |b: poem::ResponseBuilder| {
        b.header(header::ETAG, etag.as_str())
            .header(header::CACHE_CONTROL, CACHE_CONTROL)
            .header("x-content-type-options", "nosniff")
            .header("content-security-policy", "default-src 'none'")
    };
    if req
        .header(header::IF_NONE_MATCH)
        .is_some_and(|v| matches(v, &etag))
    {
        // Content-addressed: a known id names these bytes forever, but only a stored one
        // is confirmed (an unknown id is a 404 whatever the client holds).
        return match state.service.media().image(&id).await {
            Ok(Some(_)) => secured(Response::builder().status(StatusCode::NOT_MODIFIED)).finish(),
            Ok(None) => not_found(),
            Err(e) => internal(&e),
        };
    }
    match state.service.media().image(&id).await {
        Ok(Some(image)) => secured(Response::builder().status(StatusCode::OK))
            .header(header::CONTENT_TYPE, image.kind.content_type())
            .body(image.bytes),
        Ok(None) => not_found(),
        Err(e) => internal(&e),
    }
}

fn internal(e: &dyn std::error::Error) -> Response {
    let request_id = crate::token::random_hex(8);
    tracing::error!(%request_id, error = %quiz_common::chain(e), "serving an image failed");
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(format!("internal error; request id {request_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_wildcards_match() {
        let etag = "\"abc\"";
        for yes in ["\"abc\"", "\"x\", \"abc\"", "*", "W/\"abc\""] {
            assert!(matches(yes, etag), "{yes}");
        }
        for no in ["\"abd\"", "abc", ""] {
            assert!(!matches(no, etag), "{no}");
        }
    }
}
