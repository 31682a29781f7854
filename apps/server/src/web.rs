//! The web client: static files compiled into the binary, so the server needs nothing on
//! disk and no build step.
//!
//! Five pages (`/`, `/create`, `/host/{quiz}`, the quiz library `/library` and the quiz
//! editor `/edit`) and the files they load under
//! `/static/` (the stylesheet, the ES modules of the client, the message catalogues and the
//! vendored libraries, listed in [`ASSETS`]). A path that is not in the list is a 404:
//! nothing is read from a path a client names.
//!
//! Every response carries the same defences ([`SECURITY_HEADERS`]): a strict
//! `Content-Security-Policy` (scripts, styles, images and connections from this origin only;
//! no inline script or style, no plugins, no `<base>`), framing forbidden
//! (`frame-ancestors 'none'` and `X-Frame-Options: DENY`, so the host console that holds the
//! host key cannot be framed by another site), `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer`.
//!
//! For work on the client itself, the environment variable `QUIZ_WEB_DIR` (read at
//! startup) names a directory (`apps/server/web`) whose files are served instead, read on
//! every request, so an edited page shows on reload without rebuilding the server. A file
//! that cannot be read there falls back to the compiled-in one.

use std::path::PathBuf;
use std::sync::OnceLock;

use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{IntoResponse, Response, handler};

/// The policy every page and file is served with. `connect-src 'self'` covers the
/// WebSocket to the same host and port (CSP level 3). `img-src 'self'` keeps images to
/// this origin (the server's own media); the QR code is drawn on a canvas.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
     media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The headers every response of the web client carries.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

/// The pages: a path that serves it (tests request them all), the file, its compiled-in text.
pub const PAGES: [(&str, &str, &str); 5] = [
    ("/", "index.html", include_str!("../web/index.html")),
    ("/create", "create.html", include_str!("../web/create.html")),
    ("/host/demo", "host.html", include_str!("../web/host.html")),
    (
        "/library",
        "library.html",
        include_str!("../web/library.html"),
    ),
    ("/edit", "edit.html", include_str!("../web/edit.html")),
];

/// Every file under `/static/`: its path there (and under `apps/server/web/`) and its
/// compiled-in text.
pub const ASSETS: &[(&str, &str)] = &[
    ("style.css", include_str!("../web/style.css")),
    ("host.css", include_str!("../web/host.css")),
    ("game.css", include_str!("../web/game.css")),
    ("js/i18n.js", include_str!("../web/js/i18n.js")),
    ("js/locales/en.js", include_str!("../web/js/locales/en.js")),
    ("js/locales/es.js", include_str!("../web/js/locales/es.js")),
    ("js/locales/de.js", include_str!("../web/js/locales/de.js")),
    ("js/net.js", include_str!("../web/js/net.js")),
    ("js/common.js", include_str!("../web/js/common.js")),
    ("js/sound.js", include_str!("../web/js/sound.js")),
    (
        "js/player/state.js",
        include_str!("../web/js/player/state.js"),
    ),
    (
        "js/player/main.js",
        include_str!("../web/js/player/main.js"),
    ),
    (
        "js/player/answers.js",
        include_str!("../web/js/player/answers.js"),
    ),
    (
        "js/player/hosted.js",
        include_str!("../web/js/player/hosted.js"),
    ),
    (
        "js/player/view.js",
        include_str!("../web/js/player/view.js"),
    ),
    ("js/host/state.js", include_str!("../web/js/host/state.js")),
    ("js/host/main.js", include_str!("../web/js/host/main.js")),
    ("js/host/stage.js", include_str!("../web/js/host/stage.js")),
    (
        "js/host/control.js",
        include_str!("../web/js/host/control.js"),
    ),
    ("js/create.js", include_str!("../web/js/create.js")),
    ("editor.css", include_str!("../web/editor.css")),
    ("js/admin.js", include_str!("../web/js/admin.js")),
    ("js/media.js", include_str!("../web/js/media.js")),
    ("js/library.js", include_str!("../web/js/library.js")),
    (
        "js/editor/main.js",
        include_str!("../web/js/editor/main.js"),
    ),
    (
        "js/editor/model.js",
        include_str!("../web/js/editor/model.js"),
    ),
    (
        "js/editor/form.js",
        include_str!("../web/js/editor/form.js"),
    ),
    (
        "js/editor/errors.js",
        include_str!("../web/js/editor/errors.js"),
    ),
    (
        "vendor/qrcode-generator-2.0.4.mjs",
        include_str!("../web/vendor/qrcode-generator-2.0.4.mjs"),
    ),
];

fn web_dir() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| std::env::var_os("QUIZ_WEB_DIR").map(PathBuf::from))
        .as_ref()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

fn secured(mut builder: poem::ResponseBuilder) -> poem::ResponseBuilder {
    for (name, value) in SECURITY_HEADERS {
        builder = builder.header(name, value);
    }
    builder
}

/// `name` (a path from [`PAGES`] or [`ASSETS`], never one a client typed) with its type.
fn file(name: &str, body: &'static str) -> Response {
    let builder = secured(
        Response::builder()
            .header(header::CONTENT_TYPE, content_type(name))
            .header(header::CACHE_CONTROL, "no-cache"),
    );
    match web_dir().and_then(|dir| std::fs::read_to_string(dir.join(name)).ok()) {
        Some(text) => builder.body(text),
        None => builder.body(body),
    }
}

fn page(file_name: &str) -> Response {
    match PAGES.iter().find(|(_, f, _)| *f == file_name) {
        Some((_, f, body)) => file(f, body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/`: the player page.
#[handler]
pub fn index() -> impl IntoResponse {
    page("index.html")
}

/// `/create`: the quiz-creation page.
#[handler]
pub fn create() -> impl IntoResponse {
    page("create.html")
}

/// `/library`: the quiz library (the admin's quizzes, import).
#[handler]
pub fn library() -> impl IntoResponse {
    page("library.html")
}

/// `/edit`: the quiz editor (`?quiz=ID` edits a saved quiz, `?import=1` an imported one).
#[handler]
pub fn edit() -> impl IntoResponse {
    page("edit.html")
}

/// `/host/{quiz}`: the host console of a hosted game (presenter view and control panel;
/// `?view=present` or `?view=control` shows one of them).
#[handler]
pub fn host() -> impl IntoResponse {
    page("host.html")
}

/// `/static/{path}`: one of [`ASSETS`], else 404 (with the same headers).
#[handler]
pub fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _)| *name == path) {
        Some((name, body)) => file(name, body),
        None => secured(Response::builder().status(StatusCode::NOT_FOUND))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body("not found"),
    }
}
