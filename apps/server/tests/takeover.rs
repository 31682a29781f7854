//! One live socket per player: a second socket with the same token takes over, the older
//! one is closed with 4010, and an answer in flight on the older one still counts once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{Frame, config, small_quiz, start};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_socket_takes_over_and_an_in_flight_answer_counts_once() {
    let srv = start(config()).await;
    srv.create_quiz(&small_quiz("tko", 3)).await;
    let (mut first, joined, _) = srv.player("tko", "Ann").await;
    let ws_path = joined["ws_path"].as_str().unwrap();
    let player = joined["player_id"].as_str().unwrap();

    // An answer leaves on the first socket; the second connects at once.
    first
        .send(&json!({"type": "answer", "answer_id": "a0", "question": "q0", "option": 1}))
        .await;
    let mut second = srv.connect(ws_path).await;
    let snap = second.recv_type("snapshot").await;
    assert_eq!(snap["player"], player);

    // The first socket gets its reply (or not) and then the close: 4010.
    let mut replied = false;
    let code = loop {
        match first.next_frame().await {
            Frame::Json(v) if v["type"] == "answer_result" => replied = true,
            Frame::Json(_) => {}
            Frame::Closed(code) => break code,
        }
    };
    assert_eq!(code, Some(4010));

    // The player resends on the new socket (same answer_id): counted once either way.
    let r = second.answer("a0", "q0", 1).await;
    assert_eq!(r["type"], "answer_result", "{r}");
    assert_eq!(r["total"], 100);
    if replied {
        assert_eq!(
            r["duplicate"], true,
            "it was recorded from the first socket"
        );
    }
    let (_, s) = srv
        .http(
            "GET",
            &format!("/api/quizzes/tko/players/{player}"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s["score"].as_u64(), s["answers"].as_u64()),
        (Some(100), Some(1))
    );

    // The new socket plays on; a third takes over from it in turn.
    assert_eq!(second.answer("a1", "q1", 1).await["total"], 200);
    let mut third = srv.connect(ws_path).await;
    third.recv_type("snapshot").await;
    assert_eq!(second.closed_with().await, Some(4010));
    assert_eq!(third.answer("a2", "q2", 1).await["total"], 300);
}
