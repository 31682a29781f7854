//! Game PINs over the HTTP API in-process: a hosted quiz gets one at creation and keeps it
//! in its game state, `GET /api/pins/{pin}` resolves it (and refuses what is not a PIN or
//! names no live game), lookups are rate-limited per address, and the web client's join
//! routes serve the player page.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use poem::http::StatusCode;
use poem::test::TestClient;
use quiz_server::App;
use quiz_server::config::Config;
use serde_json::{Value, json};

use common::{ADMIN, config, small_quiz};

async fn client_with(config: Config) -> TestClient<poem::endpoint::BoxEndpoint<'static>> {
    let app = App::new(&config, quiz_memory::embedded_adapters()).unwrap();
    app.ensure_demo().await.unwrap();
    TestClient::new(app.endpoint())
}

async fn body(resp: poem::test::TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    let text = resp.0.into_body().into_string().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn create(cli: &TestClient<poem::endpoint::BoxEndpoint<'static>>, quiz: &Value) -> Value {
    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(quiz)
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

fn hosted(id: &str) -> Value {
    let mut q = small_quiz(id, 2);
    q["mode"] = json!("hosted");
    q
}

#[tokio::test]
async fn a_hosted_game_has_a_pin_that_resolves_to_its_quiz() {
    let cli = client_with(config()).await;
    let created = create(&cli, &hosted("pinned")).await;
    let pin = created["pin"]
        .as_str()
        .expect("a hosted quiz's pin")
        .to_owned();
    assert_eq!(pin.len(), 6, "{pin}");
    assert!(pin.bytes().all(|b| b.is_ascii_digit()) && !pin.starts_with('0'));

    let (s, b) = body(cli.get(format!("/api/pins/{pin}")).send().await).await;
    assert_eq!((s, b.clone()), (StatusCode::OK, json!({"quiz": "pinned"})));

    // The game state carries the same PIN, read after read.
    for _ in 0..2 {
        let (s, g) = body(cli.get("/api/quizzes/pinned/game").send().await).await;
        assert_eq!(
            (s, g["pin"].as_str()),
            (StatusCode::OK, Some(pin.as_str())),
            "{g}"
        );
    }
    // Not in the quiz itself, nor for a self-paced quiz.
    let (_, q) = body(cli.get("/api/quizzes/pinned").send().await).await;
    assert!(q.get("pin").is_none(), "{q}");
    let plain = create(&cli, &small_quiz("plain", 1)).await;
    assert!(plain.get("pin").is_none(), "{plain}");

    // Another hosted quiz gets another PIN.
    let other = create(&cli, &hosted("pinned-2")).await;
    assert_ne!(other["pin"].as_str(), Some(pin.as_str()));

    // The game keeps its PIN to the podium (and a grace after it).
    for cmd in ["start", "skip", "next", "next", "skip", "next", "next"] {
        let (s, g) = body(
            cli.post("/api/quizzes/pinned/game")
                .header("X-Host-Key", ADMIN)
                .body_json(&json!({ "command": cmd }))
                .send()
                .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{cmd}: {g}");
        assert_eq!(g["pin"].as_str(), Some(pin.as_str()), "{cmd}: {g}");
    }
    let (_, g) = body(cli.get("/api/quizzes/pinned/game").send().await).await;
    assert_eq!(g["phase"], "podium", "{g}");
    let (s, b) = body(cli.get(format!("/api/pins/{pin}")).send().await).await;
    assert_eq!((s, &b["quiz"]), (StatusCode::OK, &json!("pinned")));
}

#[tokio::test]
async fn what_is_not_a_live_pin_is_refused_with_its_code() {
    let cli = client_with(config()).await;
    let created = create(&cli, &hosted("refusals")).await;
    let pin = created["pin"].as_str().unwrap();
    for bad in ["12345", "12345678", "012345", "12a456", "%20"] {
        let (s, b) = body(cli.get(format!("/api/pins/{bad}")).send().await).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_pin")),
            "{bad}: {b}"
        );
        assert_eq!(b["field"], "pin");
    }
    // A well-formed PIN no live game holds.
    let free = if pin == "999999" { "999998" } else { "999999" };
    let (s, b) = body(cli.get(format!("/api/pins/{free}")).send().await).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_pin")),
        "{b}"
    );
    let (s, b) = body(cli.get("/api/pins/1234567").send().await).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_pin")),
        "{b}"
    );
}

/// Count-based, not timed: past the burst, every lookup from that address is refused,
/// found or not, while another address is served.
#[tokio::test]
async fn pin_lookups_are_rate_limited_per_address() {
    let mut cfg = config();
    cfg.max_joins_per_min = 2;
    cfg.max_joins_burst = 3;
    cfg.trust_forwarded_for = true;
    let cli = client_with(cfg).await;
    let created = create(&cli, &hosted("limited")).await;
    let pin = created["pin"].as_str().unwrap();
    let look = |pin: &str, ip: &str| {
        cli.get(format!("/api/pins/{pin}"))
            .header("X-Forwarded-For", ip)
    };
    assert_eq!(
        look("999990", "10.0.0.1").send().await.0.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        look("999991", "10.0.0.1").send().await.0.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        look(pin, "10.0.0.1").send().await.0.status(),
        StatusCode::OK
    );
    let (s, b) = body(look(pin, "10.0.0.1").send().await).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    // Joins keep their own budget.
    let (s, _) = body(
        cli.post("/api/quizzes/limited/join")
            .header("X-Forwarded-For", "10.0.0.1")
            .body_json(&json!({"name": "Ann"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        look(pin, "10.0.0.2").send().await.0.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn join_links_serve_the_player_page() {
    let cli = client_with(config()).await;
    let index = cli.get("/").send().await;
    index.assert_status_is_ok();
    let page = index.0.into_body().into_string().await.unwrap();
    for path in ["/join/123456", "/?pin=123456"] {
        let resp = cli.get(path).send().await;
        resp.assert_status_is_ok();
        assert_eq!(
            resp.0.into_body().into_string().await.unwrap(),
            page,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_join_link_is_built_from_the_public_url_when_there_is_one() {
    let cli = client_with(config()).await;
    create(&cli, &hosted("no-public")).await;
    let (_, g) = body(cli.get("/api/quizzes/no-public/game").send().await).await;
    assert!(g.get("join_url").is_none(), "{g}");

    let mut cfg = config();
    cfg.public_url = Some("http://192.168.1.20:3000".into());
    let cli = client_with(cfg).await;
    let created = create(&cli, &hosted("public")).await;
    let pin = created["pin"].as_str().unwrap();
    let (_, g) = body(cli.get("/api/quizzes/public/game").send().await).await;
    assert_eq!(
        g["join_url"].as_str(),
        Some(format!("http://192.168.1.20:3000/join/{pin}").as_str()),
        "{g}"
    );
}

#[test]
fn the_public_url_flag_is_checked_and_trimmed() {
    use clap::Parser;
    let parsed =
        Config::try_parse_from(["quiz-server", "--public-url", "https://quiz.example.org/"])
            .unwrap();
    assert_eq!(
        parsed.public_url.as_deref(),
        Some("https://quiz.example.org")
    );
    assert!(Config::try_parse_from(["quiz-server", "--public-url", "quiz.example.org"]).is_err());
}
