//! The WebSocket room protocol over real sockets: live boards between players, idempotent
//! retries, resume after reconnect, the throttle under a burst, and a corpus of hostile
//! input. Every frame the server sends is validated against the committed JSON Schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::time::{Duration, Instant};

use common::{Frame, WAIT, config, small_quiz, start};
use futures_util::SinkExt;
use quiz_core::{PlayerName, QuestionId, QuizId};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn score_of(board: &Value, player: &str) -> Option<u64> {
    board["top"]
        .as_array()?
        .iter()
        .find(|e| e["player"] == player)
        .and_then(|e| e["score"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_in_one_quiz_see_each_others_scores_within_the_window() {
    let srv = start(config()).await;
    let (mut a, a_join, _) = srv.player("demo", "Alice").await;
    let (mut b, _, _) = srv.player("demo", "Bob").await;
    let a_id = a_join["player_id"].as_str().unwrap().to_owned();

    let sent = Instant::now();
    let result = a.answer("a1", "v1", 1).await;
    assert_eq!(result["type"], "answer_result", "{result}");
    assert_eq!(result["correct"], true);
    let points = result["points"].as_u64().unwrap();
    assert!(points >= 500, "speed-weighted points: {points}");
    assert_eq!(result["total"].as_u64(), Some(points));
    assert_eq!(result["rank"], 1);

    // Bob sees Alice's new score within the throttle window plus a round trip.
    loop {
        let board = b.recv_type("board").await;
        if score_of(&board, &a_id) == Some(points) {
            assert!(
                sent.elapsed() < Duration::from_millis(500 + 500),
                "board took {:?}",
                sent.elapsed()
            );
            assert_eq!(board["me"]["name"], "Bob");
            assert_eq!(board["players"], 2);
            break;
        }
        assert!(sent.elapsed() < WAIT, "Bob never saw Alice's score");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_an_answer_returns_the_original_result_and_changes_nothing() {
    let srv = start(config()).await;
    let (mut a, joined, _) = srv.player("demo", "Alice").await;
    let first = a.answer("try-1", "v2", 0).await;
    assert_eq!(
        (first["correct"].as_bool(), first["duplicate"].as_bool()),
        (Some(true), Some(false))
    );

    // Same answer id: the original reply, marked duplicate.
    let again = a.answer("try-1", "v2", 0).await;
    assert_eq!(
        (again["points"].clone(), again["duplicate"].as_bool()),
        (first["points"].clone(), Some(true))
    );

    // Another answer id for the same question with another option: still the first result.
    let other = a.answer("try-2", "v2", 3).await;
    assert_eq!(other["correct"], true);
    assert_eq!(other["points"], first["points"]);
    assert_eq!(other["total"], first["total"]);
    assert_eq!(other["duplicate"], true);

    let pid = joined["player_id"].as_str().unwrap();
    let (status, standing) = srv
        .http(
            "GET",
            &format!("/api/quizzes/demo/players/{pid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(standing["score"], first["total"]);
    assert_eq!(standing["answers"], 1);

    // An answer_id names one answer: reusing it for another question is refused, naming
    // the field, and scores nothing.
    let reused = a.answer("try-1", "v3", 0).await;
    assert_eq!(reused["type"], "error", "{reused}");
    assert_eq!(reused["code"], "answer_id_reused");
    assert_eq!(reused["field"], "answer_id");
    let (_, standing) = srv
        .http(
            "GET",
            &format!("/api/quizzes/demo/players/{pid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        standing["answers"], 1,
        "the reused answer_id scored nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_with_the_same_token_resumes_score_and_answers() {
    let srv = start(config()).await;
    let (mut a, joined, _) = srv.player("demo", "Alice").await;
    let r1 = a.answer("x1", "v1", 1).await;
    let r2 = a.answer("x2", "v2", 2).await;
    assert_eq!(r2["correct"], false);
    a.close().await;

    let mut again = srv.connect(joined["ws_path"].as_str().unwrap()).await;
    let snap = again.recv_type("snapshot").await;
    let answered: Vec<&str> = snap["answered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["question"].as_str().unwrap())
        .collect();
    assert_eq!(answered, ["v1", "v2"]);
    assert_eq!(snap["board"]["me"]["score"], r1["total"]);
    assert_eq!(snap["player"], joined["player_id"]);
    // The answered question stays answered: a new attempt returns the first result.
    let retry = again.answer("x3", "v1", 0).await;
    assert_eq!(
        (retry["duplicate"].as_bool(), retry["correct"].as_bool()),
        (Some(true), Some(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_answers_gives_each_socket_at_most_two_boards_then_the_final_one() {
    let srv = start(config()).await;
    srv.create_quiz(&small_quiz("burst", 10)).await;
    let quiz = QuizId::parse("burst").unwrap();
    let svc = srv.state.service.clone();
    // 100 players answer 10 questions each: 1,000 answers, submitted in-process as fast as
    // the service takes them, while three sockets watch.
    let now = quiz_server::clock::now();
    let mut players = Vec::new();
    for i in 0..100 {
        players.push(
            svc.players()
                .join(&quiz, &PlayerName::parse(format!("bot{i}")).unwrap(), now)
                .await
                .unwrap(),
        );
    }
    let mut watchers = Vec::new();
    for name in ["W1", "W2", "W3"] {
        let (c, _, _) = srv.player("burst", name).await;
        watchers.push(c);
    }
    // Let the joins' boards go out and the throttle window pass.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for w in &mut watchers {
        while w
            .next_frame_within(Duration::from_millis(50))
            .await
            .is_some()
        {}
    }

    let t0 = Instant::now();
    for q in 0..10 {
        for p in &players {
            let opt = &quiz_core::Answer::Option(if (p.id.as_str().len() + q) % 3 == 0 {
                0
            } else {
                1
            });
            svc.answers()
                .submit(
                    p,
                    &QuestionId::parse(format!("q{q}")).unwrap(),
                    opt,
                    quiz_server::clock::now(),
                )
                .await
                .unwrap();
        }
    }
    let burst = t0.elapsed();
    assert!(
        burst < Duration::from_millis(100),
        "the burst took {burst:?}; it must fit in 100 ms"
    );
    let final_view = svc.boards().view(&quiz, None).await.unwrap();
    let final_top: Vec<(String, u64)> = final_view
        .top
        .iter()
        .map(|e| (e.player.to_string(), e.score))
        .collect();

    for w in &mut watchers {
        let mut in_window = 0;
        let mut reflected = None;
        let deadline = t0 + Duration::from_secs(3);
        while Instant::now() < deadline {
            let Some(Frame::Json(v)) = w.next_frame_within(Duration::from_millis(100)).await else {
                continue;
            };
            if v["type"] != "board" {
                continue;
            }
            if t0.elapsed() <= Duration::from_millis(100) {
                in_window += 1;
            }
            let top: Vec<(String, u64)> = v["top"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["player"].as_str().unwrap().to_owned(),
                        e["score"].as_u64().unwrap(),
                    )
                })
                .collect();
            if top == final_top {
                reflected = Some(t0.elapsed());
                break;
            }
        }
        assert!(in_window <= 2, "{in_window} boards inside the 100 ms burst");
        let at = reflected.expect("a board with the final scores arrived");
        assert!(
            at <= Duration::from_millis(500 + 400),
            "final board after {at:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_of_hostile_frames_gets_coded_errors_and_changes_nothing() {
    let mut cfg = config();
    cfg.max_msgs_per_sec = 1000; // this test is about content, not rate
    let srv = start(cfg).await;
    let (mut c, joined, _) = srv.player("demo", "Mallory").await;
    let nested = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let long_id = "a".repeat(65);
    let corpus: Vec<(String, &str)> = vec![
        ("not json".into(), "bad_json"),
        ("[]".into(), "bad_json"),
        ("42".into(), "bad_json"),
        ("\"answer\"".into(), "bad_json"),
        (nested, "bad_json"),
        (
            r#"{"type":"answer","answer_id":"x","question":"\ud800","option":1"#.into(),
            "bad_json",
        ),
        ("{}".into(), "unknown_type"),
        (r#"{"type":"hack"}"#.into(), "unknown_type"),
        (r#"{"type":7}"#.into(), "unknown_type"),
        (
            r#"{"type":"ANSWER","answer_id":"x","question":"v1","option":1}"#.into(),
            "unknown_type",
        ),
        (r#"{"type":"answer"}"#.into(), "invalid_message"),
        (
            r#"{"type":"answer","answer_id":"x","question":"v1","option":"1"}"#.into(),
            "invalid_message",
        ),
        (
            r#"{"type":"answer","answer_id":"x","question":"v1","option":-1}"#.into(),
            "invalid_message",
        ),
        (
            r#"{"type":"answer","answer_id":"x","question":"v1","option":1e20}"#.into(),
            "invalid_message",
        ),
        (
            r#"{"type":"answer","answer_id":"x","question":"v1","option":1,"score":9999}"#.into(),
            "invalid_message",
        ),
        (r#"{"type":"ping","nonce":5}"#.into(), "invalid_message"),
        (
            r#"{"type":"snapshot","all":true}"#.into(),
            "invalid_message",
        ),
        (
            r#"{"type":"answer","answer_id":"","question":"v1","option":1}"#.into(),
            "bad_answer_id",
        ),
        (
            r#"{"type":"answer","answer_id":"a b","question":"v1","option":1}"#.into(),
            "bad_answer_id",
        ),
        (
            format!(r#"{{"type":"answer","answer_id":"{long_id}","question":"v1","option":1}}"#),
            "bad_answer_id",
        ),
        (
            r#"{"type":"answer","answer_id":"q1","question":"nope","option":1}"#.into(),
            "unknown_question",
        ),
        (
            r#"{"type":"answer","answer_id":"q2","question":"../v1","option":1}"#.into(),
            "unknown_question",
        ),
        (
            r#"{"type":"answer","answer_id":"q3","question":"v1","option":4}"#.into(),
            "option_out_of_range",
        ),
        (
            r#"{"type":"answer","answer_id":"q4","question":"v1","option":4294967295}"#.into(),
            "option_out_of_range",
        ),
        (
            r#"{"type":"answer","answer_id":"d1","question":"v1","option":1,"option":0}"#.into(),
            "bad_json",
        ),
        (r#"{"type":"ping","type":"ping"}"#.into(), "bad_json"),
        (
            format!(
                r#"{{"type":"ping","nonce":{}"x"{}}}"#,
                "[".repeat(40),
                "]".repeat(40)
            ),
            "bad_json",
        ),
    ];
    assert!(corpus.len() >= 20);
    for (frame, code) in &corpus {
        c.send_text(frame).await;
        let reply = c.reply().await;
        assert_eq!(reply["type"], "error", "frame {frame:?} got {reply}");
        assert_eq!(reply["code"], *code, "frame {frame:?} got {reply}");
        assert!(!reply["message"].as_str().unwrap().is_empty());
        if *code == "invalid_message" || *code == "unknown_type" || *code == "bad_answer_id" {
            assert!(
                reply["field"].is_string(),
                "frame {frame:?}: no field in {reply}"
            );
        }
        // A valid message in between: the socket stays open and the invalid streak resets.
        c.send(&json!({"type": "ping", "nonce": "ok"})).await;
        assert_eq!(c.reply().await["type"], "pong");
    }
    c.ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(c.reply().await["code"], "binary_frame");

    let pid = joined["player_id"].as_str().unwrap();
    let (_, standing) = srv
        .http(
            "GET",
            &format!("/api/quizzes/demo/players/{pid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (standing["score"].as_u64(), standing["answers"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_misbehaviour_closes_with_1008() {
    let srv = start(config()).await;
    let (mut c, _, _) = srv.player("demo", "Eve").await;
    for _ in 0..10 {
        c.send_text("garbage").await;
    }
    assert_eq!(c.closed_with().await, Some(1008));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_with_1009() {
    let srv = start(config()).await;
    let (mut c, _, _) = srv.player("demo", "Big").await;
    let big = format!(r#"{{"type":"ping","nonce":"{}"}}"#, "x".repeat(5000));
    c.send_text(&big).await;
    assert_eq!(c.closed_with().await, Some(1009));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_rate_limited_then_closed_with_4029() {
    let mut cfg = config();
    cfg.max_msgs_per_sec = 5;
    let srv = start(cfg).await;
    let (mut c, _, _) = srv.player("demo", "Flood").await;
    for _ in 0..10 {
        c.send(&json!({"type": "ping"})).await;
    }
    // The burst allowance (10) passes; the next message is refused with a code.
    c.send(&json!({"type": "ping"})).await;
    let mut saw_limited = false;
    for _ in 0..11 {
        let r = c.reply().await;
        if r["type"] == "error" {
            assert_eq!(r["code"], "rate_limited");
            saw_limited = true;
        }
    }
    assert!(saw_limited);
    for _ in 0..100 {
        if c.ws
            .send(Message::Text(r#"{"type":"ping"}"#.into()))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(c.closed_with().await, Some(4029));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_with_their_close_codes() {
    let srv = start(config()).await;
    srv.create_quiz(&small_quiz("other", 1)).await;
    let joined = srv.join("demo", "Tess").await;
    let token = joined["token"].as_str().unwrap();

    let mut missing = srv.connect("/ws/demo").await;
    assert_eq!(missing.closed_with().await, Some(4001));

    let mut forged = srv
        .connect(&format!("/ws/demo?token={}", token.replace(".p1.", ".p9.")))
        .await;
    assert_eq!(forged.closed_with().await, Some(4001));

    let mut garbage = srv.connect("/ws/demo?token=abc").await;
    assert_eq!(garbage.closed_with().await, Some(4001));

    let mut wrong_quiz = srv.connect(&format!("/ws/other?token={token}")).await;
    assert_eq!(wrong_quiz.closed_with().await, Some(4003));

    // Correctly signed, but for a player the registry never issued.
    let ghost = srv.state.tokens.issue(
        &QuizId::parse("demo").unwrap(),
        &quiz_core::PlayerId::parse("p999").unwrap(),
        quiz_server::clock::now(),
    );
    let mut unknown = srv.connect(&format!("/ws/demo?token={ghost}")).await;
    assert_eq!(unknown.closed_with().await, Some(4004));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_pings_idle_sockets_and_answers_app_pings() {
    let mut cfg = config();
    cfg.ping_secs = 1;
    let srv = start(cfg).await;
    let (mut c, _, _) = srv.player("demo", "Idle").await;
    c.send(&json!({"type": "ping", "nonce": "n1"})).await;
    let pong = c.reply().await;
    assert_eq!(
        (pong["type"].as_str(), pong["nonce"].as_str()),
        (Some("pong"), Some("n1"))
    );
    let got_ping = tokio::time::timeout(Duration::from_secs(3), async {
        use futures_util::StreamExt;
        while let Some(Ok(m)) = c.ws.next().await {
            if matches!(m, Message::Ping(_)) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got_ping, Ok(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_sockets_with_going_away() {
    let mut srv = start(config()).await;
    let (mut c, _, _) = srv.player("demo", "Bye").await;
    let stopping = tokio::spawn(async move {
        srv.stop().await;
    });
    assert_eq!(c.closed_with().await, Some(1001));
    stopping.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_is_refused_with_too_late() {
    let srv = start(config()).await;
    srv.create_quiz(&json!({"id": "fast", "title": "Fast", "questions": [
        {"id": "q0", "prompt": "Quick?", "options": ["a", "b"], "correct": 0, "points": 10, "time_limit_ms": 1000}
    ]})).await;
    let (mut c, _, snap) = srv.player("fast", "Slow").await;
    assert!(
        snap["questions"][0]["closes_at"].as_u64().unwrap()
            > snap["board"]["server_time"].as_u64().unwrap()
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = c.answer("late", "q0", 0).await;
    assert_eq!(
        (r["type"].as_str(), r["code"].as_str()),
        (Some("error"), Some("too_late"))
    );
    assert_eq!(r["answer_id"], "late");
}
