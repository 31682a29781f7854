//! The HTTP API in-process (poem's `TestClient`): every operation's success and each of
//! its 4xx paths, the generic 5xx body, health, readiness and metrics.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use poem::http::StatusCode;
use poem::test::TestClient;
use quiz_core::ports::{CatalogError, MockQuizCatalog};
use quiz_server::App;
use quiz_server::config::Config;
use serde_json::{Value, json};

use common::{ADMIN, config, small_quiz};

async fn client_with(config: Config) -> TestClient<poem::endpoint::BoxEndpoint<'static>> {
    let app = App::new(&config, quiz_memory::embedded_adapters()).unwrap();
    app.ensure_demo().await.unwrap();
    TestClient::new(app.endpoint())
}

async fn client() -> TestClient<poem::endpoint::BoxEndpoint<'static>> {
    client_with(config()).await
}

async fn body(resp: poem::test::TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    let text = resp.0.into_body().into_string().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn create_quiz_requires_the_admin_key_and_a_valid_definition() {
    let cli = client().await;
    let quiz = small_quiz("q-create", 3);

    let (s, b) = body(cli.post("/api/quizzes").body_json(&quiz).send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "unauthorized"));

    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", "wrong-key")
            .body_json(&quiz)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "unauthorized"));

    let bad = json!({"id": "q-bad", "title": "Bad", "questions": []});
    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&bad)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_quiz"));
    assert_eq!(b["field"], "questions", "{b}");
    assert!(b["message"].as_str().unwrap().contains("1 to 200"), "{b}");

    let mut key_out_of_range = small_quiz("q-key", 1);
    key_out_of_range["questions"][0]["correct"] = json!(5);
    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&key_out_of_range)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_quiz"));
    assert_eq!(b["field"], "questions[0].correct", "{b}");

    let mut half_streak = small_quiz("q-streak", 1);
    half_streak["scoring"] = json!({"kind": "fixed", "streak_step": 5});
    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&half_streak)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_quiz"));
    assert_eq!(b["field"], "scoring.streak_cap", "{b}");

    let mut negative = small_quiz("q-neg", 2);
    negative["questions"][1]["points"] = json!(-5);
    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&negative)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_quiz"));
    assert_eq!(b["field"], "questions[1].points", "{b}");
    assert_eq!(
        b["message"], "must be a whole number from 1 to 10000",
        "{b}"
    );

    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&json!([1, 2]))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "bad_json"),
        "a body that is not an object is bad JSON on every operation"
    );
    let (s, b) = body(
        cli.post("/api/quizzes/demo/join")
            .body_json(&json!(["Ann"]))
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_json"), "{b}");
    let (s, b) = body(cli.get("/api/nope").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "no_such_endpoint"));
    let (s, b) = body(cli.delete("/api/quizzes").send().await).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );

    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .content_type("application/json")
            .body("{not json")
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_json"));

    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .content_type("application/json")
            .body(r#"{"title":"A","title":"B","questions":[]}"#)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_json"));
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("\"title\" appears twice"),
        "{b}"
    );

    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&quiz)
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["id"], "q-create");
    assert!(
        !b.to_string().contains("correct"),
        "the answer key leaked: {b}"
    );

    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&quiz)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "quiz_exists"));

    // Without an id, one is generated.
    let mut anon = small_quiz("x", 1);
    anon.as_object_mut().unwrap().remove("id");
    let (s, b) = body(
        cli.post("/api/quizzes")
            .header("X-Admin-Key", ADMIN)
            .body_json(&anon)
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(b["id"].as_str().unwrap().starts_with('q'));
}

#[tokio::test]
async fn get_and_list_quizzes_never_show_the_answer_key() {
    let cli = client().await;
    let (s, b) = body(cli.get("/api/quizzes/demo").send().await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["questions"].as_array().unwrap().len(), 12);
    assert!(!b.to_string().contains("correct"));
    assert_eq!(b["scoring"]["kind"], "speed_weighted");

    let (s, b) = body(cli.get("/api/quizzes/nope").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "unknown_quiz"));
    let (s, b) = body(cli.get("/api/quizzes/bad%20id").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_quiz_id"));

    let (s, b) = body(cli.get("/api/quizzes").send().await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b[0]["id"], "demo");
    assert_eq!(b[0]["questions"], 12);
}

#[tokio::test]
async fn join_validates_the_name_and_reports_each_refusal() {
    let mut cfg = config();
    cfg.max_players = 2;
    let cli = client_with(cfg).await;
    let join = |name: Value| {
        cli.post("/api/quizzes/demo/join")
            .body_json(&json!({ "name": name }))
    };

    let (s, b) = body(join(json!("  Ann  ")).send().await).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["name"], "Ann");
    assert!(
        b["ws_path"]
            .as_str()
            .unwrap()
            .starts_with("/ws/demo?token=")
    );
    assert_eq!(b["snapshot"]["board"]["players"], 1);
    assert!(
        !b["snapshot"].to_string().contains("correct\":"),
        "no answer key in the snapshot"
    );

    for bad in [
        json!(""),
        json!("   "),
        json!("a\u{0007}b"),
        json!("x".repeat(33)),
    ] {
        let (s, b) = body(join(bad.clone()).send().await).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::BAD_REQUEST, "bad_name"),
            "{bad}"
        );
    }
    let (s, b) = body(
        cli.post("/api/quizzes/demo/join")
            .body_json(&json!({}))
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_name"));
    assert_eq!(b["field"], "name");
    let (s, b) = body(
        cli.post("/api/quizzes/demo/join")
            .body_json(&json!({"name": 7}))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "bad_name"),
        "a wrong type is a bad name"
    );
    let (s, b) = body(
        cli.post("/api/quizzes/demo/join")
            .body_json(&json!({"name": "Zed", "team": "x"}))
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "unknown_field"));
    assert_eq!(b["field"], "team");

    let (s, b) = body(join(json!("ANN")).send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "name_taken"));

    let (s, _) = body(join(json!("Bo")).send().await).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = body(join(json!("Cy")).send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "quiz_full"));

    let (s, b) = body(
        cli.post("/api/quizzes/nope/join")
            .body_json(&json!({"name": "Ann"}))
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "unknown_quiz"));
    let (s, b) = body(
        cli.post("/api/quizzes/no%2Fpe/join")
            .body_json(&json!({"name": "Ann"}))
            .send()
            .await,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_quiz_id"));

    let (s, _) = body(
        cli.post("/api/quizzes/demo/close")
            .header("X-Admin-Key", ADMIN)
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = body(join(json!("Dee")).send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "quiz_closed"));
}

#[tokio::test]
async fn joins_are_rate_limited_per_client_address() {
    let mut cfg = config();
    cfg.max_joins_per_min = 2;
    cfg.max_joins_burst = 2;
    cfg.trust_forwarded_for = true;
    let cli = client_with(cfg).await;
    let join = |name: &str, ip: &str| {
        cli.post("/api/quizzes/demo/join")
            .header("X-Forwarded-For", ip)
            .body_json(&json!({ "name": name }))
    };
    assert_eq!(
        join("a", "10.0.0.1").send().await.0.status(),
        StatusCode::OK
    );
    assert_eq!(
        join("b", "10.0.0.1").send().await.0.status(),
        StatusCode::OK
    );
    let (s, b) = body(join("c", "10.0.0.1").send().await).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // Another address is not affected.
    assert_eq!(
        join("c", "10.0.0.2").send().await.0.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn leaderboard_standing_and_results() {
    let cli = client().await;
    let mut ids = Vec::new();
    for name in ["Ann", "=cmd()"] {
        let (_, b) = body(
            cli.post("/api/quizzes/demo/join")
                .body_json(&json!({ "name": name }))
                .send()
                .await,
        )
        .await;
        ids.push(b["player_id"].as_str().unwrap().to_owned());
    }
    let (s, b) = body(
        cli.get("/api/quizzes/demo/leaderboard")
            .query("limit", &1)
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            b["players"].as_u64(),
            b["entries"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    let (s, b) = body(
        cli.get("/api/quizzes/demo/leaderboard")
            .query("offset", &1)
            .query("limit", &5)
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["entries"][0]["rank"], 2);
    for bad in ["0", "101", "x", "-1"] {
        let (s, b) = body(
            cli.get("/api/quizzes/demo/leaderboard")
                .query("limit", &bad)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::BAD_REQUEST, "bad_parameter"),
            "limit={bad}"
        );
        assert_eq!(b["field"], "limit");
        assert_eq!(b["message"], "must be a whole number from 1 to 100");
    }
    let (s, b) = body(cli.get("/api/quizzes/nope/leaderboard").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "unknown_quiz"));

    let (s, b) = body(
        cli.get(format!("/api/quizzes/demo/players/{}", ids[0]))
            .send()
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (b["name"].as_str(), b["rank"].as_u64(), b["score"].as_u64()),
        (Some("Ann"), Some(1), Some(0))
    );
    let (s, b) = body(cli.get("/api/quizzes/demo/players/p999").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "unknown_player"));
    let (s, b) = body(cli.get("/api/quizzes/demo/players/a%20b").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_player_id"));

    let (s, b) = body(cli.get("/api/quizzes/demo/results.json").send().await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b.as_array().unwrap().len(), 2);
    assert!(
        b.as_array().unwrap().iter().all(|e| e["correct"].is_u64()),
        "{b}"
    );
    let resp = cli.get("/api/quizzes/demo/results.csv").send().await;
    assert_eq!(resp.0.status(), StatusCode::OK);
    assert!(
        resp.0.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = resp.0.into_body().into_string().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // Issue 12 added the number of correct answers to the results; issue 13 the answers
    // faster than the quiz's min_answer_ms.
    assert_eq!(
        lines[0],
        "rank,player,name,score,correct,fast_answers,fast_questions"
    );
    assert_eq!(lines.len(), 3);
    assert!(
        csv.contains("'=cmd()"),
        "formula-like names are neutralised: {csv}"
    );
    let (s, b) = body(cli.get("/api/quizzes/nope/results.csv").send().await).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "unknown_quiz"));
}

#[tokio::test]
async fn admin_operations_check_key_and_quiz() {
    let cli = client().await;
    for op in ["close", "open", "rebuild-leaderboard"] {
        let (s, b) = body(cli.post(format!("/api/quizzes/demo/{op}")).send().await).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{op}"
        );
        let (s, b) = body(
            cli.post(format!("/api/quizzes/nope/{op}"))
                .header("X-Admin-Key", ADMIN)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::NOT_FOUND, "unknown_quiz"),
            "{op}"
        );
    }
    let (s, b) = body(
        cli.post("/api/quizzes/demo/close")
            .header("X-Admin-Key", ADMIN)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("closed")));
    let (s, b) = body(
        cli.post("/api/quizzes/demo/open")
            .header("X-Admin-Key", ADMIN)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("open")));
    let (s, b) = body(
        cli.post("/api/quizzes/demo/rebuild-leaderboard")
            .header("X-Admin-Key", ADMIN)
            .send()
            .await,
    )
    .await;
    assert_eq!((s, b["players"].as_u64()), (StatusCode::OK, Some(0)));
}

#[tokio::test]
async fn health_readiness_metrics_docs_and_the_web_client_are_served() {
    let cli = client().await;
    let resp = cli.get("/healthz").send().await;
    assert_eq!(resp.0.status(), StatusCode::OK);
    let (s, b) = body(cli.get("/readyz").send().await).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("ready")));
    let _ = cli
        .post("/api/quizzes/demo/join")
        .body_json(&json!({"name": "Metric"}))
        .send()
        .await;
    let resp = cli.get("/metrics").send().await;
    assert_eq!(resp.0.status(), StatusCode::OK);
    let text = resp.0.into_body().into_string().await.unwrap();
    assert!(text.contains("quiz_joins_total"), "{text}");
    for path in [
        "/",
        "/create",
        "/static/js/player/main.js",
        "/static/js/create.js",
        "/static/style.css",
        "/docs/",
        "/openapi.json",
    ] {
        assert_eq!(
            cli.get(path).send().await.0.status(),
            StatusCode::OK,
            "{path}"
        );
    }
}

/// A catalog whose store is down: quiz-core's mockall mock (feature `mocks`), every
/// call failing with a detail that must never reach a client.
fn down_catalog() -> MockQuizCatalog {
    let down = || CatalogError::Unavailable("secret database detail".into());
    let mut c = MockQuizCatalog::new();
    c.expect_create().returning(move |_| Err(down()));
    c.expect_get().returning(move |_| Err(down()));
    c.expect_list().returning(move || Err(down()));
    c.expect_set_status().returning(move |_, _| Err(down()));
    c.expect_status().returning(move |_| Err(down()));
    c
}

#[tokio::test]
async fn server_errors_are_generic_with_a_request_id_and_readiness_fails() {
    let mut ports = quiz_memory::embedded_adapters();
    ports.catalog = Arc::new(down_catalog());
    let app = App::new(&config(), ports).unwrap();
    let cli = TestClient::new(app.endpoint());
    for path in [
        "/api/quizzes",
        "/api/quizzes/demo",
        "/api/quizzes/demo/leaderboard",
    ] {
        let (s, b) = body(cli.get(path).send().await).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(code(&b), "internal");
        assert_eq!(b["request_id"].as_str().unwrap().len(), 16);
        assert!(
            !b.to_string().contains("secret"),
            "the cause must stay in the log: {b}"
        );
    }
    let (s, b) = body(
        cli.post("/api/quizzes/demo/join")
            .body_json(&json!({"name": "X"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
    let (s, b) = body(cli.get("/readyz").send().await).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(b["failing"][0], "quiz catalog");
}
