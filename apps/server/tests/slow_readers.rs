//! Slow readers in a hosted game: players whose sockets have small receive buffers and
//! stop reading from the lobby to the podium, while a crowd joins (every join changes the
//! lobby's roster, a frame listing up to 200 players) and the host runs the whole game.
//! When they read again, each of them gets every phase once and in order, the final
//! answer count of each question before its reveal, their own result in each reveal, and
//! the replies to their own messages in the order they sent them. Nothing here depends on
//! timing: every wait is bounded, and the host moves on only when the server has every
//! answer (read over HTTP).
//!
//! This is the regression test for phases dropped on a full socket queue (issue 22): on
//! the tree before the outbound path, the flood of roster frames filled the paused
//! sockets' queues and the phases pushed behind it were lost.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{ADMIN, Client, Frame, TestServer, config, start};
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio_tungstenite::MaybeTlsStream;

/// Players whose sockets stop reading.
const SLOW: usize = 40;
/// Players who join over HTTP only (each join changes the lobby's roster). With names of
/// 32 characters a roster frame lists 200 players in ~12 KB, so this many joins would make
/// ~6 MB of roster frames per socket if each were sent: more than the kernel buffers
/// between a server and a socket that does not read (up to 4 MB on Linux).
const CROWD: usize = 600;
/// Questions in the quiz.
const QUESTIONS: usize = 2;
/// Receive buffer asked for on the slow sockets (the kernel may round it up).
const RECV_BUFFER: u32 = 4096;

/// A WebSocket to `path` over a socket with a small receive buffer.
async fn connect_slow(srv: &TestServer, path: &str) -> Client {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(RECV_BUFFER).unwrap();
    let stream = socket.connect(srv.addr).await.unwrap();
    let url = format!("ws://{}{path}", srv.addr);
    let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    Client { ws }
}

async fn create(srv: &TestServer) -> String {
    let questions: Vec<Value> = (0..QUESTIONS)
        .map(|i| {
            json!({"id": format!("q{i}"), "prompt": format!("Question {i}?"),
                   "options": ["a", "b", "c", "d"], "correct": 1, "points": 100,
                   "time_limit_ms": 600_000})
        })
        .collect();
    let body = json!({"id": "hall", "title": "School hall", "mode": "hosted",
                      "hosted": {"end_early": false}, "questions": questions});
    let (status, out) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&body),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{out}");
    out["host_key"].as_str().unwrap().to_owned()
}

/// Sends a host command and reads its reply, reading past live frames.
///
/// Returns once the host's socket has the phase the command moved to: the room queues a
/// phase to every socket in one check, so every socket has it queued too. (A phase that a
/// second command replaces before any check ran is never pushed: phases are state, and the
/// room pushes the latest; a host does not press twice within a check.)
async fn command(host: &mut Client, phases: &mut Vec<Value>, cmd: &str) {
    host.send(&json!({"type": "host", "command": cmd})).await;
    let mut seq = None;
    loop {
        let v = host.recv().await;
        match v["type"].as_str() {
            Some("phase") => phases.push(v),
            Some("host_ok") => seq = v["seq"].as_u64(),
            Some("board" | "answered" | "roster") => {}
            _ => panic!("host command {cmd}: unexpected {v}"),
        }
        if let Some(seq) = seq
            && phases.last().and_then(|p| p["seq"].as_u64()) >= Some(seq)
        {
            return;
        }
    }
}

/// Waits (bounded) until the server has recorded `n` answers to the open question; returns
/// how many it had.
async fn answered_on_server(srv: &TestServer, n: usize) -> u64 {
    let mut had = 0;
    for _ in 0..250 {
        let (_, g) = srv.http("GET", "/api/quizzes/hall/game", None, &[]).await;
        had = g["answered"].as_u64().unwrap_or(0);
        if had == n as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    had
}

/// Everything a socket received until the podium (or a close, or a bounded silence).
async fn read_until_podium(c: &mut Client) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        match c.next_frame_within(Duration::from_secs(10)).await {
            Some(Frame::Json(v)) => {
                let podium = v["type"] == "phase" && v["phase"] == "podium";
                frames.push(v);
                if podium {
                    return frames;
                }
            }
            // The assertions on what arrived say what is missing.
            Some(Frame::Closed(code)) => {
                frames.push(json!({"type": "closed", "code": code}));
                return frames;
            }
            None => return frames,
        }
    }
}

/// The phases of a whole game: lobby, each question's question, reveal and board, podium.
fn expected_phases() -> Vec<(u64, String)> {
    let mut names = vec!["lobby".to_owned()];
    for _ in 0..QUESTIONS {
        names.extend(["question", "reveal", "board"].map(str::to_owned));
    }
    names.push("podium".to_owned());
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (i as u64, n))
        .collect()
}

fn phases_of(frames: &[Value]) -> Vec<(u64, String)> {
    frames
        .iter()
        .filter(|v| v["type"] == "phase")
        .map(|v| {
            (
                v["seq"].as_u64().unwrap(),
                v["phase"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_readers_get_every_phase_in_order_with_the_final_counts_and_their_replies() {
    let mut cfg = config();
    cfg.max_joins_per_min = 100_000;
    let srv = start(cfg).await;
    let key = create(&srv).await;
    let mut host = srv.connect(&format!("/ws/hall?host_key={key}")).await;
    let mut host_phases = vec![host.recv_type("phase").await];

    // The slow players connect, read their snapshot and the lobby, and stop reading.
    let mut slow = Vec::new();
    for i in 0..SLOW {
        let joined = srv.join("hall", &format!("Slow {i}")).await;
        let mut c = connect_slow(&srv, joined["ws_path"].as_str().unwrap()).await;
        let snap = c.recv_type("snapshot").await;
        assert_eq!(snap["mode"], "hosted");
        let lobby = c.recv_type("phase").await;
        assert_eq!(lobby["seq"], 0);
        slow.push(c);
    }
    // A crowd joins, a few at a time: a roster change per join.
    for chunk in (0..CROWD).collect::<Vec<_>>().chunks(8) {
        futures_util::future::join_all(chunk.iter().map(|i| {
            let name = format!("Crowd {i:04} of the school hall, r");
            let srv = &srv;
            async move { srv.join("hall", &name).await }
        }))
        .await;
    }

    // The whole game runs while the slow players do not read; they answer blind.
    let mut recorded = Vec::new();
    for q in 0..QUESTIONS {
        command(
            &mut host,
            &mut host_phases,
            if q == 0 { "start" } else { "next" },
        )
        .await;
        for c in &mut slow {
            let answer = json!({"type": "answer", "answer_id": format!("a{q}"),
                                "question": format!("q{q}"), "option": 1});
            c.send(&answer).await;
            c.send(&answer).await; // a retry: the same reply again, as a duplicate
            c.send(&json!({"type": "ping", "nonce": format!("n{q}")}))
                .await;
        }
        recorded.push(answered_on_server(&srv, SLOW).await);
        command(&mut host, &mut host_phases, "skip").await;
        command(&mut host, &mut host_phases, "next").await;
    }
    command(&mut host, &mut host_phases, "next").await;

    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = Vec::new();
    for c in &mut slow {
        let frames = read_until_podium(c).await;
        for f in &frames {
            *per_type
                .entry(f["type"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        all.push(frames);
    }
    // Every phase after the lobby (read before pausing), once, in order, on every socket.
    let missed: Vec<(usize, Vec<(u64, String)>)> = all
        .iter()
        .map(|frames| phases_of(frames))
        .enumerate()
        .filter(|(_, phases)| phases[..] != expected_phases()[1..])
        .collect();
    assert!(
        missed.is_empty(),
        "{} of {SLOW} slow players did not get every phase in order; the first: {:?}",
        missed.len(),
        missed.first()
    );
    // Their answers were read and recorded although they did not read.
    assert_eq!(
        recorded, [SLOW as u64; QUESTIONS],
        "answers recorded per question"
    );
    // The host did not read while the crowd joined either.
    let mut host_frames = host_phases;
    host_frames.extend(read_until_podium(&mut host).await);
    assert_eq!(
        phases_of(&host_frames),
        expected_phases(),
        "the host's phases"
    );

    for (i, frames) in all.iter().enumerate() {
        // The replies to their own messages, in the order sent.
        let replies: Vec<String> = frames
            .iter()
            .filter_map(|v| match v["type"].as_str() {
                Some("answer_result") => Some(format!(
                    "{}{}",
                    v["answer_id"].as_str().unwrap(),
                    if v["duplicate"] == true { "+dup" } else { "" }
                )),
                Some("pong") => Some(v["nonce"].as_str().unwrap().to_owned()),
                Some("error") => panic!("slow player {i}: refused: {v}"),
                _ => None,
            })
            .collect();
        let expected: Vec<String> = (0..QUESTIONS)
            .flat_map(|q| [format!("a{q}"), format!("a{q}+dup"), format!("n{q}")])
            .collect();
        assert_eq!(replies, expected, "slow player {i}: replies");
        for (at, reveal) in frames
            .iter()
            .enumerate()
            .filter(|(_, v)| v["type"] == "phase" && v["phase"] == "reveal")
        {
            let you = &reveal["reveal"]["you"];
            assert_eq!(
                (you["answered"].as_bool(), you["option"].as_u64()),
                (Some(true), Some(1)),
                "slow player {i}: their own result at the reveal: {reveal}"
            );
            assert_eq!(reveal["reveal"]["answered"], SLOW);
            // The last count of the question, before its reveal, is the final one.
            let question_seq = reveal["seq"].as_u64().unwrap() - 1;
            let last_count = frames[..at]
                .iter()
                .rev()
                .find(|v| v["type"] == "answered" && v["seq"] == question_seq);
            assert_eq!(
                last_count.map(|v| v["answered"].clone()),
                Some(json!(SLOW)),
                "slow player {i}: the final count before the reveal (seq {question_seq})"
            );
        }
    }
    let sockets = SLOW as f64;
    let per_socket: BTreeMap<&String, f64> = per_type
        .iter()
        .map(|(t, n)| (t, *n as f64 / sockets))
        .collect();
    println!(
        "frames per slow socket over {QUESTIONS} questions (lobby phase and snapshot read before): {per_socket:?}"
    );
}
