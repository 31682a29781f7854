//! The web client's pages and files in-process (poem's `TestClient`): every one is served
//! with its content type and the defences of `web.rs` (a strict Content-Security-Policy,
//! framing forbidden, `nosniff`, `no-referrer`); a path outside the list is a 404 with the
//! same headers; the ES modules a page loads are all in the list; every message catalogue
//! has every key of the English one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::collections::BTreeSet;

use poem::http::StatusCode;
use poem::test::TestClient;
use quiz_server::App;
use quiz_server::web::{ASSETS, CONTENT_SECURITY_POLICY, PAGES, SECURITY_HEADERS};

async fn client() -> TestClient<poem::endpoint::BoxEndpoint<'static>> {
    let app = App::new(&common::config(), quiz_memory::embedded_adapters()).unwrap();
    TestClient::new(app.endpoint())
}

fn every_path() -> Vec<String> {
    PAGES
        .iter()
        .map(|(path, _, _)| (*path).to_string())
        .chain(ASSETS.iter().map(|(name, _)| format!("/static/{name}")))
        .collect()
}

#[tokio::test]
async fn every_page_and_file_carries_the_security_headers() {
    let cli = client().await;
    let paths = every_path();
    assert!(paths.len() > 10, "{paths:?}");
    for path in paths {
        let resp = cli.get(&path).send().await;
        assert_eq!(resp.0.status(), StatusCode::OK, "{path}");
        let headers = resp.0.headers();
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(
                headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{path}: {name}"
            );
        }
        let ty = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let want = if path.ends_with(".css") {
            "text/css; charset=utf-8"
        } else if path.ends_with(".js") || path.ends_with(".mjs") {
            "text/javascript; charset=utf-8"
        } else {
            "text/html; charset=utf-8"
        };
        assert_eq!(ty, want, "{path}");
    }
}

#[test]
fn the_policy_is_strict() {
    let directives: Vec<&str> = CONTENT_SECURITY_POLICY.split(';').map(str::trim).collect();
    for want in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(directives.contains(&want), "{want} in {directives:?}");
    }
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    assert!(!CONTENT_SECURITY_POLICY.contains('*'));
}

#[tokio::test]
async fn unknown_static_paths_are_404_with_the_headers() {
    let cli = client().await;
    for path in [
        "/static/nope.js",
        "/static/../Cargo.toml",
        "/static/js/../../src/web.rs",
        "/static/",
        "/app.js",
    ] {
        let resp = cli.get(path).send().await;
        assert_eq!(resp.0.status(), StatusCode::NOT_FOUND, "{path}");
        if path == "/static/nope.js" {
            assert_eq!(
                resp.0
                    .headers()
                    .get("x-frame-options")
                    .and_then(|v| v.to_str().ok()),
                Some("DENY"),
                "{path}"
            );
        }
    }
}

/// The pages use no inline script, no inline style and no `style=` attribute (the policy
/// would block them), and every file they and the modules load is served.
#[test]
fn pages_and_modules_load_only_listed_files() {
    let served: BTreeSet<String> = ASSETS.iter().map(|(n, _)| format!("/static/{n}")).collect();
    for (path, _, html) in PAGES {
        assert!(!html.contains("style="), "{path} has a style attribute");
        assert!(!html.contains("<style"), "{path} has a <style> element");
        for part in html.split("<script").skip(1) {
            let tag = part.split('>').next().unwrap_or_default();
            assert!(tag.contains("src="), "{path} has an inline script");
        }
        for part in html.split(['"', '\'']) {
            if part.starts_with("/static/") {
                assert!(served.contains(part), "{path} loads {part}, not served");
            }
        }
    }
    for (name, text) in ASSETS {
        if !name.ends_with(".js") {
            continue;
        }
        let dir = std::path::Path::new("/static").join(name);
        let dir = dir.parent().unwrap();
        for line in text.lines() {
            let line = line.trim_start();
            if !(line.starts_with("import ") || line.starts_with("} from ")) {
                continue;
            }
            let Some(spec) = line.split(['\'', '"']).nth(1) else {
                continue;
            };
            let joined = dir.join(spec);
            let mut parts: Vec<&str> = Vec::new();
            for seg in joined.to_str().unwrap().split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            let target = format!("/{}", parts.join("/"));
            assert!(
                served.contains(&target),
                "{name} imports {target}, not served"
            );
        }
        for sink in [
            ".innerHTML",
            ".outerHTML",
            "insertAdjacentHTML",
            "document.write",
        ] {
            assert!(!text.contains(sink), "{name} uses {sink}");
        }
        assert!(
            text.lines().count() <= 500 || name.starts_with("vendor/"),
            "{name} is over 500 lines"
        );
    }
}

fn keys(catalogue: &str) -> BTreeSet<String> {
    catalogue
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            l.strip_prefix('"')
                .and_then(|rest| rest.split_once("\":"))
                .map(|(k, _)| k.to_string())
        })
        .collect()
}

#[test]
fn every_catalogue_has_every_english_key() {
    let text = |name: &str| {
        ASSETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .unwrap()
    };
    let en = keys(text("js/locales/en.js"));
    assert!(en.len() > 200, "{}", en.len());
    for lang in ["es", "de"] {
        let other = keys(text(&format!("js/locales/{lang}.js")));
        let missing: Vec<_> = en.difference(&other).collect();
        let extra: Vec<_> = other.difference(&en).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}, extra {extra:?}"
        );
    }
}

/// The modules a module imports, as served paths (`/static/js/…`).
fn imports(name: &str, text: &str) -> Vec<String> {
    let path = std::path::Path::new("/static").join(name);
    let dir = path.parent().unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if !(line.starts_with("import ") || line.starts_with("} from ")) {
            continue;
        }
        let Some(spec) = line.split(['\'', '"']).nth(1) else {
            continue;
        };
        let mut parts: Vec<&str> = Vec::new();
        let joined = dir.join(spec);
        for seg in joined.to_str().unwrap().split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        out.push(format!("/{}", parts.join("/")));
    }
    out
}

/// No two modules import each other, directly or round a longer circle: shared pieces sit
/// in a module both import (`player/state.js`, `host/state.js`), and calls back up go
/// through their `hub`.
#[test]
fn modules_import_one_another_in_one_direction_only() {
    let graph: std::collections::BTreeMap<String, Vec<String>> = ASSETS
        .iter()
        .filter(|(n, _)| n.ends_with(".js") || n.ends_with(".mjs"))
        .map(|(n, text)| (format!("/static/{n}"), imports(n, text)))
        .collect();
    assert!(graph.len() > 10, "the modules were found");
    // Depth-first, colouring each module: 1 on the current path, 2 done.
    fn visit(
        at: &str,
        graph: &std::collections::BTreeMap<String, Vec<String>>,
        colour: &mut std::collections::BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) {
        colour.insert(at.to_owned(), 1);
        path.push(at.to_owned());
        for next in graph.get(at).into_iter().flatten() {
            match colour.get(next) {
                Some(1) => {
                    let from = path.iter().position(|p| p == next).unwrap();
                    panic!("import circle: {} -> {next}", path[from..].join(" -> "));
                }
                Some(_) => {}
                None => visit(next, graph, colour, path),
            }
        }
        path.pop();
        colour.insert(at.to_owned(), 2);
    }
    let mut colour = std::collections::BTreeMap::new();
    for module in graph.keys() {
        if !colour.contains_key(module) {
            visit(module, &graph, &mut colour, &mut Vec::new());
        }
    }
}
