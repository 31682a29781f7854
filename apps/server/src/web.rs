//! The web client: static files compiled into the binary, so the server needs nothing on
//! disk and no build step.
//!
//! For work on the client itself, the environment variable `QUIZ_WEB_DIR` (read at
//! startup) names a directory (`apps/server/web`) whose files are served instead, read on
//! every request, so an edited page shows on reload without rebuilding the server. A file
//! that cannot be read there falls back to the compiled-in one.

use std::path::PathBuf;
use std::sync::OnceLock;

use poem::http::header;
use poem::{IntoResponse, Response, handler};

fn web_dir() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| std::env::var_os("QUIZ_WEB_DIR").map(PathBuf::from))
        .as_ref()
}

fn file(name: &str, body: &'static str, content_type: &'static str) -> Response {
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache");
    match web_dir().and_then(|dir| std::fs::read_to_string(dir.join(name)).ok()) {
        Some(text) => builder.body(text),
        None => builder.body(body),
    }
}

/// `/`: the player page.
#[handler]
pub fn index() -> impl IntoResponse {
    file(
        "index.html",
        include_str!("../web/index.html"),
        "text/html; charset=utf-8",
    )
}

/// `/create`: the quiz-creation page.
#[handler]
pub fn create() -> impl IntoResponse {
    file(
        "create.html",
        include_str!("../web/create.html"),
        "text/html; charset=utf-8",
    )
}

/// `/app.js`.
#[handler]
pub fn app_js() -> impl IntoResponse {
    file(
        "app.js",
        include_str!("../web/app.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `/create.js`.
#[handler]
pub fn create_js() -> impl IntoResponse {
    file(
        "create.js",
        include_str!("../web/create.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `/host/{quiz}`: the host console of a hosted game.
#[handler]
pub fn host() -> impl IntoResponse {
    file(
        "host.html",
        include_str!("../web/host.html"),
        "text/html; charset=utf-8",
    )
}

/// `/host.js`.
#[handler]
pub fn host_js() -> impl IntoResponse {
    file(
        "host.js",
        include_str!("../web/host.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `/style.css`.
#[handler]
pub fn style() -> impl IntoResponse {
    file(
        "style.css",
        include_str!("../web/style.css"),
        "text/css; charset=utf-8",
    )
}
