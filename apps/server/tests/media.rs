//! Images over a real socket: uploading (each format, each refusal and its code, both
//! ways of the admin key), serving (type, `nosniff`, strong `ETag`, immutable caching,
//! 304), and a question's `image` (checked to exist at create and update, shown in the
//! quiz, the export and the question frames).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;
#[path = "media_support/mod.rs"]
mod media_support;

use serde_json::{Value, json};

use common::{ADMIN, TestServer, config, small_quiz, start};
use media_support::{SVG_WITH_SCRIPT, exchange, executable, gif, jpeg, png, sha256, upload, webp};

#[tokio::test]
async fn an_upload_is_stored_under_its_sha256_and_served_immutable() {
    let srv = start(config()).await;
    let image = png(640, 480, 5000);
    let id = sha256(&image);
    // Any declared type: the bytes decide.
    let r = upload(srv.addr, ADMIN, &image, "application/octet-stream").await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(
        r.json(),
        json!({"id": id, "url": format!("/media/{id}"), "content_type": "image/png",
               "width": 640, "height": 480, "bytes": image.len()})
    );
    // The same bytes again, declared as something else: already stored.
    let again = upload(srv.addr, ADMIN, &image, "text/plain").await;
    assert_eq!((again.status, &again.json()["id"]), (200, &json!(id)));

    let got = exchange(srv.addr, "GET", &format!("/media/{id}"), None, &[]).await;
    assert_eq!(got.status, 200);
    assert!(got.body == image, "the served bytes differ");
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        got.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = format!("\"{id}\"");
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    let cached = exchange(
        srv.addr,
        "GET",
        &format!("/media/{id}"),
        None,
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!((cached.status, cached.body.len()), (304, 0));
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    let other = exchange(
        srv.addr,
        "GET",
        &format!("/media/{id}"),
        None,
        &[("If-None-Match", "\"something-else\"")],
    )
    .await;
    assert_eq!(other.status, 200);

    let unknown = sha256(b"never uploaded");
    for path in [
        format!("/media/{unknown}"),
        "/media/not-an-id".to_owned(),
        format!("/media/{}", id.to_uppercase()),
        "/media/..%2F..%2Fetc%2Fpasswd".to_owned(),
    ] {
        let r = exchange(srv.addr, "GET", &path, None, &[]).await;
        assert_eq!(r.status, 404, "{path}");
    }
}

#[tokio::test]
async fn every_accepted_format_reads_its_type_and_size_from_the_bytes() {
    let srv = start(config()).await;
    for (bytes, content_type, w, h) in [
        (jpeg(800, 600), "image/jpeg", 800, 600),
        (gif(32, 16), "image/gif", 32, 16),
        (webp(300, 200), "image/webp", 300, 200),
        (png(4096, 3906, 10), "image/png", 4096, 3906),
    ] {
        let r = upload(srv.addr, ADMIN, &bytes, "image/png").await;
        assert_eq!(r.status, 201, "{content_type}: {:?}", r.json());
        let out = r.json();
        assert_eq!(
            (&out["content_type"], &out["width"], &out["height"]),
            (&json!(content_type), &json!(w), &json!(h))
        );
        let got = exchange(srv.addr, "GET", out["url"].as_str().unwrap(), None, &[]).await;
        assert_eq!(got.header("content-type"), Some(content_type));
    }
}

#[tokio::test]
async fn refused_uploads_have_their_codes_and_store_nothing() {
    let srv = start(config()).await;
    let image = png(10, 10, 10);
    let r = exchange(
        srv.addr,
        "POST",
        "/api/media",
        Some(&image),
        &[("Content-Type", "image/png")],
    )
    .await;
    assert_eq!((r.status, r.code()), (401, "unauthorized".into()));
    let r = upload(srv.addr, "wrong-key", &image, "image/png").await;
    assert_eq!((r.status, r.code()), (401, "unauthorized".into()));

    let truncated = &png(10, 10, 100)[..60];
    let huge = png(30_000, 30_000, 10);
    let over_size = png(100, 100, 2 * 1024 * 1024);
    for (bytes, status, code) in [
        (SVG_WITH_SCRIPT.to_vec(), 415, "unsupported_media"),
        (executable(), 415, "unsupported_media"),
        (b"just text".to_vec(), 415, "unsupported_media"),
        (truncated.to_vec(), 400, "bad_image"),
        (huge, 400, "image_too_large"),
        (over_size, 413, "payload_too_large"),
    ] {
        let r = upload(srv.addr, ADMIN, &bytes, "image/png").await;
        assert_eq!(
            (r.status, r.code()),
            (status, code.into()),
            "{:?}",
            r.json()
        );
        let stored = exchange(
            srv.addr,
            "GET",
            &format!("/media/{}", sha256(&bytes)),
            None,
            &[],
        )
        .await;
        assert_eq!(stored.status, 404, "{code}: nothing stored");
    }
    // No Content-Type at all: the one thing the bytes cannot decide.
    let r = exchange(
        srv.addr,
        "POST",
        "/api/media",
        Some(&image),
        &[("X-Admin-Key", ADMIN)],
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "bad_content_type".into()));
}

/// Creates `body`; returns (status, response).
async fn create(srv: &TestServer, body: &Value) -> (u16, Value) {
    srv.http(
        "POST",
        "/api/quizzes",
        Some(body),
        &[("X-Admin-Key", ADMIN)],
    )
    .await
}

#[tokio::test]
async fn a_question_image_must_exist_and_is_shown_with_the_question() {
    let srv = start(config()).await;
    let image = png(200, 100, 50);
    let id = upload(srv.addr, ADMIN, &image, "image/png").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = sha256(b"not stored");

    let mut quiz = small_quiz("pics", 2);
    quiz["questions"][1]["image"] = json!(missing);
    let (s, b) = create(&srv, &quiz).await;
    assert_eq!(
        (s, &b["code"], &b["field"]),
        (400, &json!("invalid_quiz"), &json!("questions[1].image")),
        "{b}"
    );
    for bad in [json!("ABC"), json!(7), json!(id.to_uppercase())] {
        quiz["questions"][1]["image"] = bad.clone();
        let (s, b) = create(&srv, &quiz).await;
        assert_eq!(
            (s, &b["field"]),
            (400, &json!("questions[1].image")),
            "{bad}: {b}"
        );
    }
    quiz["questions"][1]["image"] = json!(id);
    let (s, b) = create(&srv, &quiz).await;
    assert_eq!(s, 201, "{b}");
    let url = format!("/media/{id}");
    assert_eq!(b["questions"][1]["image"], url);
    assert!(b["questions"][0].get("image").is_none(), "{b}");
    let (_, got) = srv.http("GET", "/api/quizzes/pics", None, &[]).await;
    assert_eq!(got["questions"][1]["image"], url);
    let (_, def) = srv
        .http(
            "GET",
            "/api/quizzes/pics/export",
            None,
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(def["questions"][1]["image"], id);

    // An update is checked the same way, and changes nothing when refused.
    let mut changed = quiz.clone();
    changed["questions"][0]["image"] = json!(missing);
    let (s, b) = srv
        .http(
            "PUT",
            "/api/quizzes/pics",
            Some(&changed),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!((s, &b["field"]), (400, &json!("questions[0].image")), "{b}");
    let (_, got) = srv.http("GET", "/api/quizzes/pics", None, &[]).await;
    assert!(got["questions"][0].get("image").is_none());

    // The self-paced questions a player gets carry it (every frame is checked against the
    // committed schema by the test client).
    let (_ann, _, snapshot) = srv.player("pics", "Ann").await;
    let questions = snapshot["questions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let with_image: Vec<&Value> = questions
        .iter()
        .filter(|q| q.get("image").is_some())
        .collect();
    assert_eq!(with_image.len(), 1, "{snapshot}");
    assert_eq!(
        (&with_image[0]["id"], &with_image[0]["image"]),
        (&json!("q1"), &json!(url))
    );
}

/// Sends a host command over HTTP with the admin key.
async fn command(srv: &TestServer, quiz: &str, cmd: &str) {
    let (s, g) = srv
        .http(
            "POST",
            &format!("/api/quizzes/{quiz}/game"),
            Some(&json!({"command": cmd})),
            &[("X-Host-Key", ADMIN)],
        )
        .await;
    assert_eq!(s, 200, "{cmd}: {g}");
}

#[tokio::test]
async fn a_hosted_question_and_its_reveal_carry_the_image() {
    let srv = start(config()).await;
    let image = jpeg(320, 240);
    let id = upload(srv.addr, ADMIN, &image, "image/jpeg").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut quiz = small_quiz("live-pic", 1);
    quiz["mode"] = json!("hosted");
    quiz["questions"][0]["image"] = json!(id);
    let (s, b) = create(&srv, &quiz).await;
    assert_eq!(s, 201, "{b}");
    let (mut ann, _, _) = srv.player("live-pic", "Ann").await;
    command(&srv, "live-pic", "start").await;
    let url = format!("/media/{id}");
    let mut seen: Vec<String> = Vec::new();
    while seen.len() < 2 {
        let f = ann.recv_type("phase").await;
        if let Some(p @ ("question" | "reveal")) = f["phase"].as_str() {
            assert_eq!(f["question"]["image"], url, "{f}");
            if !seen.iter().any(|s| s == p) {
                seen.push(p.to_owned());
                if p == "question" {
                    command(&srv, "live-pic", "skip").await;
                }
            }
        }
    }
    assert_eq!(seen, ["question", "reveal"]);
}
