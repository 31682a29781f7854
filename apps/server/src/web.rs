//! The web client: static files compiled into the binary, so the server needs nothing on
//! disk and no build step.

use poem::http::header;
use poem::{IntoResponse, Response, handler};

fn file(body: &'static str, content_type: &'static str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

/// `/`: the player page.
#[handler]
pub fn index() -> impl IntoResponse {
    file(
        include_str!("../web/index.html"),
        "text/html; charset=utf-8",
    )
}

/// `/create`: the quiz-creation page.
#[handler]
pub fn create() -> impl IntoResponse {
    file(
        include_str!("../web/create.html"),
        "text/html; charset=utf-8",
    )
}

/// `/app.js`.
#[handler]
pub fn app_js() -> impl IntoResponse {
    file(
        include_str!("../web/app.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `/create.js`.
#[handler]
pub fn create_js() -> impl IntoResponse {
    file(
        include_str!("../web/create.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `/host/{quiz}`: the host console of a hosted game.
#[handler]
pub fn host() -> impl IntoResponse {
    file(include_str!("../web/host.html"), "text/html; charset=utf-8")
}

/// `/host.js`.
#[handler]
pub fn host_js() -> impl IntoResponse {
    file(
        include_str!("../web/host.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `/style.css`.
#[handler]
pub fn style() -> impl IntoResponse {
    file(include_str!("../web/style.css"), "text/css; charset=utf-8")
}
