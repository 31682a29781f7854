//! The abuse suite: hostile clients against a real `quiz-server` process on loopback, each
//! attack bounded in count and time. Every attack checks its documented outcome, that the
//! server's resident memory stays bounded (VmRSS from `/proc`), and that a well-behaved
//! player, connected the whole time, keeps getting answers to its pings and `/healthz`
//! keeps answering. Attackers connect from other loopback addresses (127.0.0.2 and up) so
//! that the per-address connection cap applies to them and not to the good player.
//!
//! No services needed: `cargo test -p quiz-server --test abuse`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

#[path = "abuse/support.rs"]
mod support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use support::{
    ADMIN, GoodPlayer, PROMPT, Server, attacker, body_of, check_memory, connect_from, flood,
    json_request, read_all, request,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_bodies_are_capped_while_they_are_read() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();
    let started = Instant::now();
    // 45 MiB of chunked join body: a valid name, then one huge unknown field.
    let mut s = connect_from(attacker(2), srv.addr).await.unwrap();
    s.write_all(
        b"POST /api/quizzes/demo/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
    )
    .await
    .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let start = br#"{"name":"Mallory","pad":""#;
    s.write_all(format!("{:x}\r\n", start.len()).as_bytes())
        .await
        .unwrap();
    s.write_all(start).await.unwrap();
    s.write_all(b"\r\n").await.unwrap();
    let mut sent = start.len();
    while sent < 45 * 1024 * 1024 {
        let head = format!("{:x}\r\n", chunk.len());
        let ok = s.write_all(head.as_bytes()).await.is_ok()
            && s.write_all(&chunk).await.is_ok()
            && s.write_all(b"\r\n").await.is_ok();
        if !ok {
            break; // The server answered and closed: the rest is refused unread.
        }
        sent += chunk.len();
    }
    let reply = read_all(&mut s).await.unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert_eq!(body_of(&reply)["code"], "payload_too_large");
    println!(
        "chunked body: 413 after the client sent {} KiB, in {} ms",
        sent / 1024,
        started.elapsed().as_millis()
    );
    assert!(sent < 45 * 1024 * 1024, "the server read the whole 45 MiB");
    let board = request(
        srv.addr,
        None,
        "GET /api/quizzes/demo/leaderboard HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(
        body_of(&board)["players"],
        1,
        "Mallory must not have joined"
    );
    check_memory("chunked body", before, srv.rss_kib(), 32);
    good.finish("chunked body").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_slow_heads_and_large_heads_are_cut_off() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;

    // A body that never finishes: 408 once the 2 s body deadline passes.
    let started = Instant::now();
    let mut s = connect_from(attacker(2), srv.addr).await.unwrap();
    s.write_all(
        json_request("POST", "/api/quizzes/demo/join", "", "")
            .replace("Content-Length: 0", "Content-Length: 100")
            .as_bytes(),
    )
    .await
    .unwrap();
    s.write_all(b"{\"name\":").await.unwrap();
    let reply = read_all(&mut s).await.unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert_eq!(body_of(&reply)["code"], "request_timeout");
    println!("slow body: 408 after {} ms", started.elapsed().as_millis());

    // Slowloris: one header byte every 300 ms; the 2 s head deadline closes the connection.
    let started = Instant::now();
    let mut s = connect_from(attacker(2), srv.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut closed = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if s.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1), s.read(&mut buf)).await {
            // EOF, or a refusal written before the close.
            let _ = n;
            closed = true;
            break;
        }
    }
    assert!(closed, "a slowloris head was kept open for 12 s");
    println!(
        "slowloris head: closed after {} ms",
        started.elapsed().as_millis()
    );

    // A connection that sends nothing at all is closed by the same head deadline.
    let started = Instant::now();
    let mut s = connect_from(attacker(2), srv.addr).await.unwrap();
    let silent = read_all(&mut s).await;
    assert_eq!(silent.as_deref(), Some(""), "closed without an answer");
    println!(
        "silent connection: closed after {} ms",
        started.elapsed().as_millis()
    );

    // A head over the 16 KiB default: 431.
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "b".repeat(64 * 1024)
    );
    let mut s = connect_from(attacker(2), srv.addr).await.unwrap();
    let _ = s.write_all(big.as_bytes()).await;
    let reply = read_all(&mut s).await.unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply:.200}");
    println!("64 KiB head: 431");
    good.finish("slow senders").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_floods_are_capped_per_address_and_in_all() {
    let srv = Server::start(&[
        "--max-connections",
        "200",
        "--max-connections-per-ip",
        "100",
    ])
    .await;
    let good = GoodPlayer::start_with(srv.addr, false).await;
    let before = srv.rss_kib();

    // 150 half-open connections from one address: 100 held, 50 refused with 429.
    let (held, refusals) = flood(attacker(2), srv.addr, 150).await;
    for text in &refusals {
        assert!(text.starts_with("HTTP/1.1 429"), "{text}");
        assert!(text.contains("too_many_connections"), "{text}");
    }
    let refused = refusals.len();
    assert_eq!((held.len(), refused), (100, 50), "per-address cap");

    // Another address fills the rest of the 200: the overflow gets 503.
    let (held_b, refusals) = flood(attacker(3), srv.addr, 150).await;
    for text in &refusals {
        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    }
    let unavailable = refusals.len();
    println!(
        "connection flood: 127.0.0.2 held {} and was refused {refused} (429); 127.0.0.3 held {} and was refused {unavailable} (503)",
        held.len(),
        held_b.len()
    );
    assert!(unavailable >= 50, "the total cap did not hold");
    assert!(held_b.len() >= 90, "the total cap refused too early");

    // Slots come back when connections close.
    drop(held);
    drop(held_b);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = request(
        srv.addr,
        None,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap_or_default();
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    check_memory("connection flood", before, srv.rss_kib(), 32);
    good.finish("connection flood").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_floods_fragments_and_invalid_utf8_get_their_close_codes() {
    let srv = Server::start(&["--max-connections-per-ip", "0"]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();

    // 400 upgrades with forged tokens, 50 at a time: each is closed with 4001.
    let mut closed_4001 = 0;
    for _ in 0..8 {
        let batch: Vec<_> = (0..50)
            .map(|i| {
                let url = format!("ws://{}/ws/demo?token=forged{i}", srv.addr);
                tokio::spawn(async move {
                    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.ok()?;
                    loop {
                        match tokio::time::timeout(PROMPT, ws.next()).await.ok()?? {
                            Ok(Message::Close(Some(c))) => return Some(u16::from(c.code)),
                            Ok(_) => {}
                            Err(_) => return None,
                        }
                    }
                })
            })
            .collect();
        for t in batch {
            if t.await.unwrap() == Some(4001) {
                closed_4001 += 1;
            }
        }
    }
    assert_eq!(closed_4001, 400, "every forged upgrade is closed with 4001");
    println!("upgrade flood: 400 forged tokens, 400 closed with 4001");

    // A real player: a message in fragments over the 4 KiB limit is closed with 1009, and
    // a text frame that is not UTF-8 with 1007.
    let join = request(
        srv.addr,
        None,
        &json_request("POST", "/api/quizzes/demo/join", r#"{"name":"Frag"}"#, ""),
    )
    .await
    .unwrap();
    let ws_path = body_of(&join)["ws_path"].as_str().unwrap().to_owned();
    let url = format!("ws://{}{ws_path}", srv.addr);
    let close_code = |mut ws: tokio_tungstenite::WebSocketStream<_>| async move {
        loop {
            match tokio::time::timeout(PROMPT, ws.next()).await {
                Ok(Some(Ok(Message::Close(c)))) => return c.map(|c| u16::from(c.code)),
                Ok(Some(Ok(_))) => {}
                _ => return None,
            }
        }
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let piece = vec![b' '; 1024];
    ws.send(Message::Frame(Frame::message(
        piece.clone(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .unwrap();
    for _ in 0..8 {
        let _ = ws
            .send(Message::Frame(Frame::message(
                piece.clone(),
                OpCode::Data(Data::Continue),
                false,
            )))
            .await;
    }
    assert_eq!(
        close_code(ws).await,
        Some(1009),
        "fragmented message over the limit"
    );
    println!("fragmented 9 KiB message: closed with 1009");

    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    ws.send(Message::Frame(Frame::message(
        vec![b'{', 0xff, 0xfe, b'}'],
        OpCode::Data(Data::Text),
        true,
    )))
    .await
    .unwrap();
    assert_eq!(close_code(ws).await, Some(1007), "invalid UTF-8");
    println!("invalid UTF-8 text frame: closed with 1007");

    check_memory("websocket abuse", before, srv.rss_kib(), 32);
    good.finish("websocket abuse").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_deep_and_repeated_key_definitions_are_refused_cheaply() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();

    // ~1 MB definitions with 10,000 questions, four in flight at once.
    let question = json!({"id": "q", "prompt": "P?", "options": ["a", "b"], "correct": 0,
                          "points": 100, "time_limit_ms": 10000});
    let huge = json!({"title": "Huge", "questions": vec![question; 10_000]}).to_string();
    assert!(huge.len() < 1024 * 1024, "{}", huge.len());
    let started = Instant::now();
    let attacks: Vec<_> = (0..4)
        .map(|i| {
            let body = huge.clone();
            let addr = srv.addr;
            tokio::spawn(async move {
                let mut s = connect_from(attacker(2 + i), addr).await.unwrap();
                let head = json_request(
                    "POST",
                    "/api/quizzes",
                    &body,
                    &format!("X-Admin-Key: {ADMIN}\r\n"),
                );
                s.write_all(head.as_bytes()).await.unwrap();
                read_all(&mut s).await.unwrap_or_default()
            })
        })
        .collect();
    for a in attacks {
        let reply = a.await.unwrap();
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply:.300}");
        let b = body_of(&reply);
        assert_eq!(
            (b["code"].as_str(), b["field"].as_str()),
            (Some("invalid_quiz"), Some("questions"))
        );
    }
    println!(
        "four 10,000-question definitions in flight: all refused in {} ms",
        started.elapsed().as_millis()
    );

    // Nesting far past the limit, and a repeated key: bad_json, naming the rule.
    let deep = format!(
        "{{\"title\":{}1{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let reply = request(
        srv.addr,
        None,
        &json_request(
            "POST",
            "/api/quizzes",
            &deep,
            &format!("X-Admin-Key: {ADMIN}\r\n"),
        ),
    )
    .await
    .unwrap();
    let b = body_of(&reply);
    assert_eq!(b["code"], "bad_json", "{reply:.300}");
    assert!(
        b["message"].as_str().unwrap().contains("deeper than 32"),
        "{b}"
    );
    let reply = request(
        srv.addr,
        None,
        &json_request(
            "POST",
            "/api/quizzes/demo/join",
            r#"{"name":"A","name":"B"}"#,
            "",
        ),
    )
    .await
    .unwrap();
    let b = body_of(&reply);
    assert_eq!(b["code"], "bad_json", "{reply}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("\"name\" appears twice"),
        "{b}"
    );
    // The same under another JSON media type the API accepts.
    let reply = request(
        srv.addr,
        None,
        &json_request(
            "POST",
            "/api/quizzes/demo/join",
            r#"{"name":"A","name":"B"}"#,
            "",
        )
        .replace("application/json", "application/merge-patch+json"),
    )
    .await
    .unwrap();
    assert_eq!(body_of(&reply)["code"], "bad_json", "{reply}");
    println!("50,000-deep JSON and a repeated key (two media types): bad_json");

    check_memory("oversized definitions", before, srv.rss_kib(), 128);
    good.finish("oversized definitions").await;
}

/// One join of `name` into `quiz` from `from`; returns the status code and the body.
async fn join_from(
    from: std::net::IpAddr,
    to: std::net::SocketAddr,
    quiz: &str,
    name: &str,
) -> (u16, serde_json::Value) {
    let mut s = connect_from(from, to).await.unwrap();
    let body = json!({ "name": name }).to_string();
    s.write_all(json_request("POST", &format!("/api/quizzes/{quiz}/join"), &body, "").as_bytes())
        .await
        .unwrap();
    let reply = read_all(&mut s).await.unwrap();
    let status = reply.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, body_of(&reply))
}

/// A school hall behind one NAT address joins one hosted game at the default limits: 500
/// joins from one address all succeed (the per-address burst), while a flood from that
/// address past the burst is refused with `rate_limited` (count-based, not timed: the
/// only joins let through past the burst are those the rate refilled meanwhile).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_behind_one_address_joins_while_a_join_flood_is_refused() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();
    let definition = json!({
        "id": "hall", "title": "Assembly", "mode": "hosted",
        "questions": [{"id": "q1", "prompt": "2 + 2?", "options": ["3", "4"], "correct": 1,
            "points": 100, "time_limit_ms": 20000}]
    })
    .to_string();
    let created = request(
        srv.addr,
        None,
        &json_request(
            "POST",
            "/api/quizzes",
            &definition,
            &format!("X-Admin-Key: {ADMIN}\r\n"),
        ),
    )
    .await
    .unwrap();
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");

    let hall = attacker(60);
    let started = Instant::now();
    for i in 0..500 {
        let (status, body) = join_from(hall, srv.addr, "hall", &format!("pupil {i}")).await;
        assert_eq!(status, 200, "join {i} of the hall: {body}");
    }
    println!(
        "500 joins from one address: all accepted in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The same address keeps joining: past the burst of 1,000 it is refused.
    let flood_started = Instant::now();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for i in 0..1_000 {
        let (status, body) = join_from(hall, srv.addr, "hall", &format!("flood {i}")).await;
        match status {
            200 => accepted += 1,
            429 => {
                assert_eq!(body["code"], "rate_limited", "{body}");
                refused += 1;
            }
            other => panic!("join {i} of the flood: {other} {body}"),
        }
    }
    // 1/s (60 per minute) comes back while the joins run.
    let refilled = started.elapsed().as_secs() + 1;
    println!(
        "a flood of 1,000 more joins: {accepted} accepted, {refused} refused in {:.1} s",
        flood_started.elapsed().as_secs_f64()
    );
    assert!(
        accepted <= 500 + refilled,
        "{accepted} flood joins got past a burst of 1,000 ({refilled} s of refill)"
    );
    assert_eq!(accepted + refused, 1_000);
    assert!(refused >= 400, "only {refused} of the flood refused");
    let (status, body) = join_from(hall, srv.addr, "hall", "one more").await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("1000 joins at once"),
        "{body}"
    );
    // Another address is not affected.
    let (status, body) = join_from(attacker(61), srv.addr, "hall", "next door").await;
    assert_eq!(status, 200, "{body}");

    check_memory("a hall and a join flood", before, srv.rss_kib(), 64);
    good.finish("a hall and a join flood").await;
}
