//! Two server instances behind a real nginx (Debian's), sharing Redis (scoreboard, players,
//! room bus, hosted games and their PINs) and MongoDB (catalog, archive, images). Players land
//! on different instances and still see each other's scores live: the room bus carries "quiz
//! changed" across instances; an image uploaded on one is served by the other, and the library
//! is the same on both.
//!
//! Needs `cargo xtask services up` and nginx; fails without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::time::{Duration, Instant};

use common::nginx::start_nginx;
use common::{config, small_quiz, start_with};
use quiz_conformance::service_url;
use serde_json::json;

/// Two server instances sharing the real Redis and FerretDB (a database of their own), and
/// a tag unique to this test for ids.
struct Pair {
    tag: String,
    a: common::TestServer,
    b: common::TestServer,
    backends: [quiz_server::backends::Backends; 2],
}

impl Pair {
    async fn start() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let tag = format!("{}_{nanos:x}", std::process::id());
        let mut cfg = config();
        cfg.redis_url = Some(service_url("QUIZ_TEST_REDIS_URL"));
        cfg.mongo_url = Some(service_url("QUIZ_TEST_MONGO_URL"));
        cfg.mongo_db = format!("multi_{tag}");
        cfg.token_secret = Some("multi-instance-test-secret-0123456789".into());
        cfg.trust_forwarded_for = true;
        let a_backends = quiz_server::backends::connect(&cfg).await.unwrap();
        let b_backends = quiz_server::backends::connect(&cfg).await.unwrap();
        let a = start_with(cfg.clone(), a_backends.ports.clone()).await;
        let b = start_with(cfg.clone(), b_backends.ports.clone()).await;
        Self {
            tag,
            a,
            b,
            backends: [a_backends, b_backends],
        }
    }

    async fn shutdown(self) {
        for b in self.backends {
            b.shutdown().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn players_on_different_instances_see_each_other_through_nginx() {
    let pair = Pair::start().await;
    let quiz = format!("mi-{}", pair.tag);
    let (a, b) = (&pair.a, &pair.b);
    let (_nginx, port) = start_nginx(&[a.addr, b.addr]);

    // Everything goes through nginx: a "server" handle whose address is the balancer's.
    let lb = common::TestServer::external(format!("127.0.0.1:{port}").parse().unwrap());
    lb.create_quiz(&small_quiz(&quiz, 3)).await;
    let (mut alice, alice_join, _) = lb.player(&quiz, "Alice").await;
    let (mut bob, _, _) = lb.player(&quiz, "Bob").await;
    // least_conn spreads the two long-lived sockets over both instances.
    assert_eq!(
        (a.state.rooms.socket_count(), b.state.rooms.socket_count()),
        (1, 1)
    );

    let r = alice.answer("x1", "q0", 1).await;
    assert_eq!(
        (r["correct"].as_bool(), r["total"].as_u64()),
        (Some(true), Some(100))
    );
    // The answer went through a Redis record call, counted on /metrics (the recorder is
    // process-wide: other tests may add to the counts, never take from them).
    let (status, metrics) = a.http("GET", "/metrics", None, &[]).await;
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    for name in [
        "quiz_redis_record_calls_total",
        "quiz_redis_record_answers_total",
    ] {
        let n: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{metrics}"));
        assert!(n >= 1.0, "{name} = {n}");
    }
    let alice_id = alice_join["player_id"].as_str().unwrap();
    let sent = Instant::now();
    loop {
        let board = bob.recv_type("board").await;
        let seen = board["top"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["player"] == alice_id && e["score"] == 100);
        if seen {
            println!(
                "multi-instance: Bob (other instance) saw Alice's score after {:?}",
                sent.elapsed()
            );
            assert!(sent.elapsed() < Duration::from_millis(1_500));
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "Bob never saw Alice's score across instances"
        );
    }
    // HTTP through the balancer sees one consistent board whichever instance answers.
    for _ in 0..4 {
        let (status, page) = lb
            .http(
                "GET",
                &format!("/api/quizzes/{quiz}/leaderboard"),
                None,
                &[],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["entries"][0]["score"], json!(100));
    }
    pair.shutdown().await;
}

/// Every phase frame on `c` until the podium, skipping other frames.
async fn phases_until_podium(c: &mut common::Client) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = Vec::new();
    while out.last().is_none_or(|p| p["phase"] != "podium") {
        let v = c.recv().await;
        if v["type"] == "phase" {
            out.push(v);
        }
    }
    out
}

/// A hosted game on two instances behind nginx, on the real Redis: the host's socket on one
/// instance, the players' on the other. After the host's start, the game runs by itself:
/// the first question closes early when both players answered, the second at its time
/// limit, reveals and boards move on after a second. Both instances run the timers; every
/// socket gets every phase once, in order, with consecutive `seq`, so each timed
/// transition happened exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hosted_game_runs_across_two_instances_with_each_phase_once_everywhere() {
    let pair = Pair::start().await;
    let quiz = format!("mh-{}", pair.tag);
    let (a, b) = (&pair.a, &pair.b);
    let (_nginx, port) = start_nginx(&[a.addr, b.addr]);
    let lb = common::TestServer::external(format!("127.0.0.1:{port}").parse().unwrap());

    let questions: Vec<serde_json::Value> = (0..2)
        .map(|i| {
            json!({"id": format!("q{i}"), "prompt": format!("Q{i}?"), "options": ["a", "b"],
                        "correct": 1, "points": 100, "time_limit_ms": 2_000})
        })
        .collect();
    let def = json!({"id": quiz, "title": "Across", "mode": "hosted", "questions": questions,
                     "hosted": {"reveal_secs": 1, "board_secs": 1}});
    let (status, created) = lb
        .http(
            "POST",
            "/api/quizzes",
            Some(&def),
            &[("X-Admin-Key", common::ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["host_key"].as_str().unwrap().to_owned();
    // One game PIN on every instance (it lives in Redis), resolving to the quiz on each.
    let pin = created["pin"].as_str().unwrap().to_owned();
    for s in [a, b] {
        let (st, found) = s.http("GET", &format!("/api/pins/{pin}"), None, &[]).await;
        assert_eq!(
            (st, found["quiz"].as_str()),
            (200, Some(quiz.as_str())),
            "{found}"
        );
        let (_, game) = s
            .http("GET", &format!("/api/quizzes/{quiz}/game"), None, &[])
            .await;
        assert_eq!(game["pin"].as_str(), Some(pin.as_str()), "{game}");
    }

    // The host through nginx; the players straight to the other instance.
    let mut host = lb.connect(&format!("/ws/{quiz}?host_key={key}")).await;
    let lobby = host.recv_type("phase").await;
    assert_eq!(lobby["phase"], "lobby");
    let other = if a.state.rooms.socket_count() == 1 {
        &b
    } else {
        &a
    };
    let mut players = Vec::new();
    for name in ["Ann", "Bob"] {
        let joined = lb.join(&quiz, name).await;
        let mut c = other.connect(joined["ws_path"].as_str().unwrap()).await;
        c.recv_type("snapshot").await;
        players.push(c);
    }
    assert_eq!(
        (a.state.rooms.socket_count(), b.state.rooms.socket_count()),
        if std::ptr::eq(other, &b) {
            (1, 2)
        } else {
            (2, 1)
        },
        "host on one instance, players on the other"
    );
    let mut seen: Vec<Vec<serde_json::Value>> = Vec::new();
    for p in &mut players {
        let l = p.recv_type("phase").await;
        assert_eq!(l["phase"], "lobby");
        seen.push(vec![l]);
    }
    let (status, g) = lb
        .http(
            "POST",
            &format!("/api/quizzes/{quiz}/game"),
            Some(&json!({"command": "start"})),
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!(
        (status, g["phase"].as_str()),
        (200, Some("question")),
        "{g}"
    );
    for (i, p) in players.iter_mut().enumerate() {
        let q = p.recv_type("phase").await;
        assert_eq!(q["phase"], "question");
        seen[i].push(q);
        let r = p.answer(&format!("a{i}"), "q0", 1).await;
        assert_eq!(r["type"], "answer_result", "{r}");
    }
    let expected = [
        "lobby", "question", "reveal", "board", "question", "reveal", "board", "podium",
    ];
    let mut all = vec![phases_until_podium(&mut host).await];
    for (p, mut frames) in players.iter_mut().zip(seen) {
        frames.extend(phases_until_podium(p).await);
        all.push(frames);
    }
    all[0].insert(0, lobby.clone());
    for (who, frames) in all.iter().enumerate() {
        let names: Vec<&str> = frames
            .iter()
            .map(|f| f["phase"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "socket {who}");
        let seqs: Vec<u64> = frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
        assert_eq!(
            seqs,
            (0..8).collect::<Vec<u64>>(),
            "socket {who}: each transition once"
        );
    }
    // Both players scored on the first question; the podium shows them.
    let podium = &all[1][7];
    assert_eq!(podium["podium"].as_array().map(Vec::len), Some(2));
    assert_eq!(podium["podium"][0]["score"], 100);
    pair.shutdown().await;
}

/// One live socket per player across instances: a player's socket on one instance is
/// closed (4010) when the same player connects to the other, through the room bus on the
/// real Redis; the new socket plays on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_on_another_instance_takes_over() {
    let pair = Pair::start().await;
    let quiz = format!("mt-{}", pair.tag);
    let (a, b) = (&pair.a, &pair.b);
    a.create_quiz(&small_quiz(&quiz, 2)).await;
    let (mut on_a, joined, _) = a.player(&quiz, "Ann").await;
    let mut on_b = b.connect(joined["ws_path"].as_str().unwrap()).await;
    on_b.recv_type("snapshot").await;
    let started = Instant::now();
    assert_eq!(on_a.closed_with().await, Some(4010));
    println!(
        "multi-instance: the socket on the other instance was taken over after {:?}",
        started.elapsed()
    );
    let r = on_b.answer("x", "q0", 1).await;
    assert_eq!(r["total"], 100, "{r}");
    pair.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_image_uploaded_on_one_instance_is_served_by_the_other_and_the_library_is_shared() {
    let pair = Pair::start().await;
    // A small PNG: signature, IHDR (3 × 2), IEND; CRCs unchecked.
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend_from_slice(&3u32.to_be_bytes());
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png.extend_from_slice(b"\x00\x00\x00\x00IEND\x00\x00\x00\x00");
    png.extend_from_slice(pair.tag.as_bytes()); // bytes of this run only
    let mut s = tokio::net::TcpStream::connect(pair.a.addr).await.unwrap();
    let head = format!(
        "POST /api/media HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Admin-Key: {}\r\n\
         Content-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        common::ADMIN,
        png.len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&png).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 201"), "{raw}");
    let out: serde_json::Value =
        serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
    let id = out["id"].as_str().unwrap().to_owned();

    // Instance B serves it, and accepts a quiz that names it.
    let (status, body) = pair.b.http("GET", &format!("/media/{id}"), None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let quiz_id = format!("pic-{}", pair.tag);
    let mut quiz = small_quiz(&quiz_id, 1);
    quiz["questions"][0]["image"] = json!(id);
    pair.b.create_quiz(&quiz).await;

    // The library on A lists it; an update through A is what B serves after its cache's
    // next load (B has not read the quiz yet), and a delete through A is seen by B.
    let admin = [("X-Admin-Key", common::ADMIN)];
    let (_, page) = pair
        .a
        .http("GET", &format!("/api/library?q={quiz_id}"), None, &admin)
        .await;
    assert_eq!(page["total"], 1, "{page}");
    quiz["title"] = json!("Renamed");
    let (status, out) = pair
        .a
        .http(
            "PUT",
            &format!("/api/quizzes/{quiz_id}"),
            Some(&quiz),
            &admin,
        )
        .await;
    assert_eq!((status, &out["copied"]), (200, &json!(false)), "{out}");
    let (_, got) = pair
        .b
        .http("GET", &format!("/api/quizzes/{quiz_id}"), None, &[])
        .await;
    assert_eq!(got["title"], "Renamed");
    assert_eq!(got["questions"][0]["image"], format!("/media/{id}"));
    let (status, _) = pair
        .a
        .http("DELETE", &format!("/api/quizzes/{quiz_id}"), None, &admin)
        .await;
    assert_eq!(status, 204);
    // B's cached copy expires within its TTL (1 s) and revalidation finds it gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = pair
            .b
            .http("GET", &format!("/api/quizzes/{quiz_id}"), None, &[])
            .await;
        if status == 404 {
            break;
        }
        assert!(Instant::now() < deadline, "B still serves the deleted quiz");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    pair.shutdown().await;
}
