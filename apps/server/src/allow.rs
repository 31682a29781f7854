//! `Allow` headers for 405 responses (RFC 9110 requires them), and routing errors under
//! `/api` in the API's error shape (`no_such_endpoint`, `method_not_allowed`).
//!
//! The router answers an unsupported method with 405 but without `Allow`. The table of
//! methods per path is read from the generated OpenAPI document itself, so it cannot drift
//! from the real routes.

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

/// Methods allowed per path template (relative to the API's base path).
#[derive(Debug, Default)]
pub struct AllowTable(Vec<(Vec<String>, String)>);

impl AllowTable {
    /// Builds the table from an OpenAPI document (JSON).
    pub fn from_spec(spec: &str) -> Self {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(spec) else {
            return Self::default();
        };
        let mut rows = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
            for (path, ops) in paths {
                let Some(ops) = ops.as_object() else { continue };
                let mut methods: Vec<String> = ops.keys().map(|m| m.to_ascii_uppercase()).collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                methods.sort();
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                rows.push((segments, methods.join(", ")));
            }
        }
        Self(rows)
    }

    /// The `Allow` value for a request path, if a template matches it.
    pub fn allow_for(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0
            .iter()
            .find(|(tpl, _)| {
                tpl.len() == parts.len()
                    && tpl
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
            })
            .map(|(_, m)| m.as_str())
    }
}

/// Middleware body: adds `Allow` to 405 responses of `ep`.
pub async fn add_allow<E: Endpoint>(
    table: Arc<AllowTable>,
    ep: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        // Routing errors (no such path, no such method) in the API's error shape.
        Err(e) if e.status() == StatusCode::NOT_FOUND => routing_error(
            StatusCode::NOT_FOUND,
            "no_such_endpoint",
            "no API operation at this path; the operations are listed at /docs",
        ),
        Err(e) if e.status() == StatusCode::METHOD_NOT_ALLOWED => routing_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this path does not take this method; the Allow header lists those it takes",
        ),
        Err(e) => e.into_response(),
    };
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = table.allow_for(&path)
        && let Ok(v) = HeaderValue::from_str(allow)
    {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    Ok(resp)
}

fn routing_error(status: StatusCode, code: &str, message: &str) -> Response {
    poem::web::Json(serde_json::json!({"code": code, "message": message}))
        .with_status(status)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        let t = AllowTable::from_spec(
            r#"{"paths":{"/quizzes":{"get":{},"post":{}},"/quizzes/{quiz}/join":{"post":{}}}}"#,
        );
        assert_eq!(t.allow_for("/quizzes"), Some("GET, HEAD, POST"));
        assert_eq!(t.allow_for("/quizzes/demo/join"), Some("POST"));
        assert_eq!(t.allow_for("/quizzes/demo/nope"), None);
    }
}
