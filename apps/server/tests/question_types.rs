//! Question types over real sockets (issue 13): every type scored, partial multi credit, a
//! poll that never moves the board, typed answers compared after normalisation, each
//! type's malformed payloads refused with their own code and changing nothing, definitions
//! refused with the question and the rule named, and suspiciously fast answers flagged in
//! the results and counted in the metrics. Every frame is validated against the committed
//! schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{ADMIN, Client, TestServer, config, start};
use serde_json::{Value, json};

/// A self-paced quiz with one question of every type (fixed points, partial multi credit,
/// a streak bonus of 10 per answer in the streak, capped at 50).
fn every_type(id: &str, min_answer_ms: u64) -> Value {
    json!({
        "id": id,
        "title": "Every type",
        "scoring": {"kind": "fixed", "streak_step": 10, "streak_cap": 50, "multi": "partial"},
        "min_answer_ms": min_answer_ms,
        "questions": [
            {"id": "s", "prompt": "Capital of Peru?", "options": ["Quito", "Lima"], "correct": 1,
             "points": 100, "time_limit_ms": 60000},
            {"id": "p", "type": "poll", "prompt": "Tea or coffee?", "options": ["Tea", "Coffee", "Neither"],
             "time_limit_ms": 60000},
            {"id": "w", "type": "type_answer", "prompt": "Capital of France?",
             "accepted": ["Paris", "Lutèce"], "ignore_accents": true, "points": 300, "time_limit_ms": 60000},
            {"id": "m", "type": "multi", "prompt": "Prime numbers?", "options": ["2", "4", "5", "9"],
             "correct": [0, 2], "points": 200, "time_limit_ms": 60000},
            {"id": "t", "type": "true_false", "prompt": "The sun is a planet.", "correct": false,
             "points": 50, "time_limit_ms": 60000}
        ]
    })
}

async fn create(srv: &TestServer, body: &Value) -> (u16, Value) {
    srv.http(
        "POST",
        "/api/quizzes",
        Some(body),
        &[("X-Admin-Key", ADMIN)],
    )
    .await
}

async fn send_answer(c: &mut Client, id: &str, question: &str, payload: Value) -> Value {
    let mut msg = json!({"type": "answer", "answer_id": id, "question": question});
    if let (Some(m), Some(p)) = (msg.as_object_mut(), payload.as_object()) {
        for (k, v) in p {
            m.insert(k.clone(), v.clone());
        }
    }
    c.send(&msg).await;
    c.reply().await
}

fn result(r: &Value) -> (&str, &str, u64, u64, u64) {
    (
        r["type"].as_str().unwrap_or(""),
        r["outcome"].as_str().unwrap_or(""),
        r["points"].as_u64().unwrap_or(u64::MAX),
        r["streak"].as_u64().unwrap_or(u64::MAX),
        r["total"].as_u64().unwrap_or(u64::MAX),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_question_type_is_played_and_scored_over_a_socket() {
    let srv = start(config()).await;
    let (status, out) = create(&srv, &every_type("types", 0)).await;
    assert_eq!(status, 201, "{out}");
    let types: Vec<&str> = out["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["single", "poll", "type_answer", "multi", "true_false"]
    );
    assert_eq!(out["scoring"]["multi"], "partial");
    // The largest total: every scored question (polls score nothing) plus the streak bonus.
    assert_eq!(out["max_total"], 100 + 300 + 200 + 50 + 10 + 20 + 30);

    let (mut c, _, snap) = srv.player("types", "Ann").await;
    let qs = snap["questions"].as_array().unwrap();
    assert_eq!(qs[1]["points"], 0, "a poll is worth nothing");
    assert_eq!(qs[2]["options"], json!([]));
    assert_eq!(qs[2]["max_length"], 64);
    assert_eq!(qs[4]["options"], json!(["True", "False"]));
    assert!(qs[0].get("max_length").is_none());
    // No answer key of any type reaches the player.
    let text = snap.to_string();
    for key in ["correct", "accepted", "Lutèce", "ignore_accents"] {
        assert!(!text.contains(key), "{key} leaked: {text}");
    }

    // single, right: 100, streak 1.
    let r = send_answer(&mut c, "a1", "s", json!({"option": 1})).await;
    assert_eq!(result(&r), ("answer_result", "correct", 100, 1, 100), "{r}");
    // A poll: counted, no points, the streak is kept, the total and rank do not move.
    let r = send_answer(&mut c, "a2", "p", json!({"option": 2})).await;
    assert_eq!(result(&r), ("answer_result", "counted", 0, 1, 100), "{r}");
    assert_eq!(r["correct"], false);
    // type_answer, typed differently: accepted after normalisation, accents ignored;
    // the streak goes on (bonus 10).
    let r = send_answer(&mut c, "a3", "w", json!({"text": "  LUTECE "})).await;
    assert_eq!(result(&r), ("answer_result", "correct", 310, 2, 410), "{r}");
    // multi with partial credit: one of two right, no wrong pick → half of 200; the
    // streak ends.
    let r = send_answer(&mut c, "a4", "m", json!({"options": [2]})).await;
    assert_eq!(result(&r), ("answer_result", "partial", 100, 0, 510), "{r}");
    assert_eq!(r["correct"], false);
    // A second answer to the same question, even another set: the first result, nothing
    // changes.
    let r = send_answer(&mut c, "a5", "m", json!({"options": [0, 2]})).await;
    assert_eq!(result(&r), ("answer_result", "partial", 100, 0, 510), "{r}");
    assert_eq!(r["duplicate"], true);
    // true_false, wrong (the statement is false: option 1).
    let r = send_answer(&mut c, "a6", "t", json!({"option": 0})).await;
    assert_eq!(result(&r), ("answer_result", "wrong", 0, 0, 510), "{r}");

    // The snapshot on reconnect gives each answered question its outcome.
    c.send(&json!({"type": "snapshot"})).await;
    let snap = c.recv_type("snapshot").await;
    let outcomes: Vec<(String, String)> = snap["answered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["question"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("m".into(), "partial".into()),
            ("p".into(), "counted".into()),
            ("s".into(), "correct".into()),
            ("t".into(), "wrong".into()),
            ("w".into(), "correct".into()),
        ]
    );
    let (_, results) = srv
        .http("GET", "/api/quizzes/types/results.json", None, &[])
        .await;
    assert_eq!(results[0]["score"], 510);
    assert_eq!(
        results[0]["correct"], 2,
        "the poll and the partial are not correct"
    );
}

/// The top of a quiz's board as (player, score).
async fn board(srv: &TestServer, quiz: &str) -> Vec<(String, u64)> {
    let (_, lb) = srv
        .http(
            "GET",
            &format!("/api/quizzes/{quiz}/leaderboard"),
            None,
            &[],
        )
        .await;
    lb["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["player"].as_str().unwrap().to_owned(),
                e["score"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_never_moves_the_board() {
    let srv = start(config()).await;
    create(&srv, &every_type("polls", 0)).await;
    let (mut a, a_join, _) = srv.player("polls", "Ann").await;
    let (mut b, b_join, _) = srv.player("polls", "Bob").await;
    let a_id = a_join["player_id"].as_str().unwrap();
    let b_id = b_join["player_id"].as_str().unwrap();
    let before = board(&srv, "polls").await;
    assert_eq!(before.len(), 2);
    // Bob (joined second, so ranked second at 0) votes: nothing moves.
    let r = send_answer(&mut b, "v", "p", json!({"option": 0})).await;
    assert_eq!(r["outcome"], "counted");
    assert_eq!(board(&srv, "polls").await, before);
    let r = send_answer(&mut a, "v", "p", json!({"option": 1})).await;
    assert_eq!(r["outcome"], "counted");
    assert_eq!(board(&srv, "polls").await, before);
    assert_eq!(
        before.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        [a_id, b_id]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_of_every_type_are_refused_and_change_nothing() {
    let srv = start(config()).await;
    create(&srv, &every_type("bad", 0)).await;
    let (mut c, joined, _) = srv.player("bad", "Ann").await;
    let player = joined["player_id"].as_str().unwrap().to_owned();
    let long = "x".repeat(65);
    let cases = [
        // (question, payload, code, field)
        ("s", json!({"options": [1]}), "wrong_answer_type", "options"),
        ("s", json!({"text": "Lima"}), "wrong_answer_type", "text"),
        ("s", json!({"option": 2}), "option_out_of_range", "option"),
        (
            "s",
            json!({"option": 4_000_000_000u64}),
            "option_out_of_range",
            "option",
        ),
        ("p", json!({"option": 3}), "option_out_of_range", "option"),
        ("p", json!({"options": [0]}), "wrong_answer_type", "options"),
        ("t", json!({"option": 2}), "option_out_of_range", "option"),
        ("t", json!({"text": "false"}), "wrong_answer_type", "text"),
        ("m", json!({"option": 0}), "wrong_answer_type", "option"),
        ("m", json!({"options": []}), "empty_answer", "options"),
        (
            "m",
            json!({"options": [0, 2, 0]}),
            "duplicate_option",
            "options",
        ),
        (
            "m",
            json!({"options": [0, 4]}),
            "option_out_of_range",
            "options",
        ),
        ("w", json!({"option": 0}), "wrong_answer_type", "option"),
        ("w", json!({"options": [0]}), "wrong_answer_type", "options"),
        ("w", json!({"text": "   "}), "empty_answer", "text"),
        ("w", json!({"text": ""}), "empty_answer", "text"),
        ("w", json!({"text": long}), "answer_too_long", "text"),
    ];
    for (i, (q, payload, code, field)) in cases.iter().enumerate() {
        let r = send_answer(&mut c, &format!("bad{i}"), q, payload.clone()).await;
        assert_eq!(
            (r["type"].as_str(), r["code"].as_str(), r["field"].as_str()),
            (Some("error"), Some(*code), Some(*field)),
            "{q} {payload}: {r}"
        );
        assert_eq!(r["answer_id"], format!("bad{i}"));
    }
    // Shapes the protocol itself refuses: no answer field, two of them, wrong JSON types.
    for (i, payload) in [
        json!({}),
        json!({"option": 1, "text": "x"}),
        json!({"options": [0, "1"]}),
        json!({"text": 5}),
        json!({"options": [-1]}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = send_answer(&mut c, &format!("shape{i}"), "m", payload.clone()).await;
        assert_eq!(
            (r["type"].as_str(), r["code"].as_str()),
            (Some("error"), Some("invalid_message")),
            "{payload}: {r}"
        );
    }
    // 64 characters is the limit, not past it.
    let r = send_answer(&mut c, "ok64", "w", json!({"text": "é".repeat(64)})).await;
    assert_eq!(r["outcome"], "wrong", "{r}");

    // Nothing but the one valid answer was recorded, and the socket still plays.
    let (_, s) = srv
        .http(
            "GET",
            &format!("/api/quizzes/bad/players/{player}"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s["score"].as_u64(), s["answers"].as_u64()),
        (Some(0), Some(1)),
        "{s}"
    );
    let r = send_answer(&mut c, "good", "m", json!({"options": [2, 0]})).await;
    assert_eq!(
        (r["outcome"].as_str(), r["points"].as_u64()),
        (Some("correct"), Some(200))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_of_each_type_are_checked_with_the_question_and_rule_named() {
    let srv = start(config()).await;
    let q = |extra: Value| {
        let mut base = json!({"id": "q1", "prompt": "P?", "time_limit_ms": 10000});
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        json!({"title": "T", "questions": [base]})
    };
    let cases = [
        (
            q(json!({"type": "essay", "points": 5})),
            "questions[0].type",
            "single, multi, true_false, poll, type_answer",
        ),
        (
            q(json!({"type": "poll", "options": ["a", "b"], "points": 5})),
            "questions[0].points",
            "unknown field",
        ),
        (
            q(json!({"type": "poll", "options": ["a", "b"], "correct": 0})),
            "questions[0].correct",
            "unknown field",
        ),
        (
            q(json!({"type": "poll", "options": ["a"]})),
            "questions[0].options",
            "2 to 6",
        ),
        (
            q(
                json!({"type": "true_false", "options": ["Yes", "No"], "correct": true, "points": 5}),
            ),
            "questions[0].options",
            "unknown field",
        ),
        (
            q(json!({"type": "true_false", "correct": 1, "points": 5})),
            "questions[0].correct",
            "true or false",
        ),
        (
            q(json!({"type": "multi", "options": ["a", "b"], "correct": 1, "points": 5})),
            "questions[0].correct",
            "array of option indexes",
        ),
        (
            q(json!({"type": "multi", "options": ["a", "b"], "correct": [], "points": 5})),
            "questions[0].correct",
            "at least one correct option",
        ),
        (
            q(json!({"type": "multi", "options": ["a", "b"], "correct": [1, 1], "points": 5})),
            "questions[0].correct[1]",
            "twice",
        ),
        (
            q(json!({"type": "multi", "options": ["a", "b"], "correct": [0, 3], "points": 5})),
            "questions[0].correct",
            "one of its options",
        ),
        (
            q(json!({"type": "type_answer", "accepted": [], "points": 5})),
            "questions[0].accepted",
            "1 to 20",
        ),
        (
            q(json!({"type": "type_answer", "accepted": ["x".repeat(65)], "points": 5})),
            "questions[0].accepted",
            "1 to 64",
        ),
        (
            q(
                json!({"type": "type_answer", "accepted": ["Paris"], "options": ["a", "b"], "points": 5}),
            ),
            "questions[0].options",
            "unknown field",
        ),
        (
            q(
                json!({"type": "type_answer", "accepted": ["Paris"], "ignore_accents": "yes", "points": 5}),
            ),
            "questions[0].ignore_accents",
            "true or false",
        ),
        (
            q(json!({"type": "type_answer", "accepted": ["Paris"]})),
            "questions[0].points",
            "required",
        ),
        (
            json!({"title": "T", "min_answer_ms": 20000, "questions": [{"id": "q", "prompt": "P", "options": ["a", "b"], "correct": 0, "points": 1, "time_limit_ms": 1000}]}),
            "min_answer_ms",
            "0 to 10000",
        ),
        (
            json!({"title": "T", "scoring": {"kind": "fixed", "multi": "some"}, "questions": [{"id": "q", "prompt": "P", "options": ["a", "b"], "correct": 0, "points": 1, "time_limit_ms": 1000}]}),
            "scoring.multi",
            "partial",
        ),
    ];
    for (body, field, words) in cases {
        let (status, out) = create(&srv, &body).await;
        assert_eq!(status, 400, "{body}: {out}");
        assert_eq!(out["code"], "invalid_quiz", "{out}");
        assert_eq!(out["field"], field, "{body}: {out}");
        assert!(
            out["message"].as_str().unwrap().contains(words),
            "{body}: {out}"
        );
    }
    let (_, list) = srv.http("GET", "/api/quizzes", None, &[]).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "only the demo: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspiciously_fast_answers_are_scored_flagged_and_counted() {
    let srv = start(config()).await;
    // 10 s minimum: a test client answering at once is "fast"; a second quiz flags none.
    create(&srv, &every_type("fast", 10_000)).await;
    create(&srv, &every_type("calm", 0)).await;
    let metric = |text: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with("quiz_fast_answers_total"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<f64>().ok())
            .map_or(0, |n| n as u64)
    };
    let metrics = || async {
        let (status, body) = srv.http("GET", "/metrics", None, &[]).await;
        assert_eq!(status, 200);
        body.as_str().unwrap_or_default().to_owned()
    };
    let before = metric(&metrics().await);

    let (mut c, _, _) = srv.player("fast", "Ann").await;
    let r = send_answer(&mut c, "f1", "s", json!({"option": 1})).await;
    assert_eq!(r["points"], 100, "a fast answer is still scored");
    send_answer(&mut c, "f2", "p", json!({"option": 0})).await;
    // A duplicate is not counted again.
    send_answer(&mut c, "f3", "s", json!({"option": 1})).await;
    let (mut d, _, _) = srv.player("calm", "Dan").await;
    send_answer(&mut d, "c1", "s", json!({"option": 1})).await;

    assert_eq!(metric(&metrics().await), before + 2);
    let (_, fast) = srv
        .http("GET", "/api/quizzes/fast/results.json", None, &[])
        .await;
    assert_eq!(fast[0]["fast_answers"], 2, "{fast}");
    assert_eq!(fast[0]["fast_questions"], json!(["s", "p"]));
    let (_, calm) = srv
        .http("GET", "/api/quizzes/calm/results.json", None, &[])
        .await;
    assert_eq!(calm[0]["fast_answers"], 0, "{calm}");
    let (_, csv) = srv
        .http("GET", "/api/quizzes/fast/results.csv", None, &[])
        .await;
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.contains(",2,s p\n"), "{csv}");
}
