//! A freshly started server exports every metric the dashboard and the runbook use, at
//! zero, before anything happens (its own test binary, so no other test has recorded any).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use poem::test::TestClient;
use quiz_server::App;

#[tokio::test]
async fn metrics_are_exported_from_the_first_second() {
    let app = App::new(&common::config(), quiz_memory::embedded_adapters()).unwrap();
    let cli = TestClient::new(app.endpoint());
    let resp = cli.get("/metrics").send().await;
    resp.assert_status_is_ok();
    let text = resp.0.into_body().into_string().await.unwrap();
    for line in [
        "quiz_ws_sockets_open 0",
        "quiz_answers_total{outcome=\"accepted\"} 0",
        "quiz_joins_total{outcome=\"joined\"} 0",
        "quiz_boards_sent_total 0",
        "quiz_redis_record_calls_total 0",
        "quiz_redis_record_answers_total 0",
        "quiz_connections_refused_total 0",
        "quiz_http_refused_total{code=\"payload_too_large\"} 0",
        "quiz_answer_latency_seconds_count 0",
        "quiz_broadcast_latency_seconds_count 0",
        "quiz_broadcast_duration_seconds_count 0",
        "# HELP quiz_answers_total",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}
