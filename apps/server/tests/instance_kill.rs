//! Fault: one of two server instances behind nginx is killed with SIGKILL during play. Its
//! players' sockets drop; they reconnect through nginx (to the surviving instance) with
//! their tokens and resume with their score and answered questions; then everyone plays
//! on. Every acknowledged answer must be on the board and in the archive exactly once.
//!
//! The instances are real `quiz-server` processes sharing Redis (board, players, room bus)
//! and FerretDB (catalog, archive; without Kafka an answer is acknowledged once archived).
//! Needs `cargo xtask services up` and nginx; fails without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::nginx::start_nginx;
use common::{ADMIN, Client, Frame, TestServer, small_quiz};
use quiz_conformance::service_url;
use quiz_core::QuizId;
use quiz_core::ports::ScoreArchive;
use serde_json::{Value, json};

const PLAYERS: usize = 6;
const QUESTIONS: usize = 6;
/// Answered before the kill; the rest after it.
const BEFORE: usize = 3;

struct Instance {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_instance(redis: &str, mongo: &str, db: &str) -> Instance {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_quiz-server"))
        .args(["--listen", &addr.to_string(), "--admin-key", ADMIN])
        .args(["--token-secret", "instance-kill-test-secret-0123456789ab"])
        .args(["--redis-url", redis, "--mongo-url", mongo, "--mongo-db", db])
        .args(["--trust-forwarded-for", "--max-connections-per-ip", "0"])
        .args(["--no-demo", "--max-msgs-per-sec", "1000"])
        .env_remove("QUIZ_KAFKA_BROKERS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "quiz-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Instance { child, addr }
}

struct Player {
    id: String,
    ws_path: String,
    client: Client,
    /// question → points acknowledged.
    acked: BTreeMap<String, u64>,
    reconnects: usize,
}

impl Player {
    async fn reconnect(&mut self, lb: &TestServer) -> Value {
        self.reconnects += 1;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut c = lb.connect(&self.ws_path).await;
            match c.next_frame_within(Duration::from_secs(5)).await {
                Some(Frame::Json(v)) if v["type"] == "snapshot" => {
                    self.client = c;
                    return v;
                }
                other => {
                    assert!(
                        Instant::now() < deadline,
                        "player {}: no snapshot after reconnecting: {:?}",
                        self.id,
                        other.map(|f| match f {
                            Frame::Json(v) => v.to_string(),
                            Frame::Closed(c) => format!("closed {c:?}"),
                        })
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    /// Answers `q` (option 1, correct) until acknowledged, reconnecting when the socket
    /// drops; the same `answer_id` every time.
    async fn answer(&mut self, lb: &TestServer, q: &str) {
        let answer_id = format!("{}-{q}", self.id);
        let msg = json!({"type": "answer", "answer_id": answer_id, "question": q, "option": 1});
        for _ in 0..10 {
            let sent = self
                .client
                .ws
                .send(tokio_tungstenite::tungstenite::Message::Text(
                    msg.to_string().into(),
                ))
                .await;
            if sent.is_ok() {
                loop {
                    match self.client.next_frame_within(Duration::from_secs(5)).await {
                        Some(Frame::Json(v)) if v["type"] == "answer_result" => {
                            let points = v["points"].as_u64().unwrap();
                            if let Some(before) = self.acked.insert(q.to_owned(), points) {
                                assert_eq!(before, points, "a retry changed the result");
                            }
                            return;
                        }
                        Some(Frame::Json(v)) if v["type"] == "error" => {
                            assert_eq!(v["code"], "try_again", "player {}: {v}", self.id);
                            break;
                        }
                        Some(Frame::Json(_)) => {}
                        Some(Frame::Closed(_)) | None => break,
                    }
                }
            }
            self.reconnect(lb).await;
        }
        panic!("player {}: {q} never acknowledged", self.id);
    }
}

use futures_util::SinkExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_instance_s_players_resume_on_the_other_with_nothing_lost_or_doubled() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}_{nanos:x}", std::process::id());
    let redis = service_url("QUIZ_TEST_REDIS_URL");
    let mongo = service_url("QUIZ_TEST_MONGO_URL");
    let db = format!("kill_{tag}");
    let mut a = spawn_instance(&redis, &mongo, &db);
    let b = spawn_instance(&redis, &mongo, &db);
    let (_nginx, port) = start_nginx(&[a.addr, b.addr]);
    let lb = TestServer::external(format!("127.0.0.1:{port}").parse().unwrap());
    let quiz = format!("kill-{tag}");
    lb.create_quiz(&small_quiz(&quiz, QUESTIONS)).await;

    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let (client, joined, _) = lb.player(&quiz, &format!("Player {i}")).await;
        players.push(Player {
            id: joined["player_id"].as_str().unwrap().to_owned(),
            ws_path: joined["ws_path"].as_str().unwrap().to_owned(),
            client,
            acked: BTreeMap::new(),
            reconnects: 0,
        });
    }
    for q in 0..BEFORE {
        for p in &mut players {
            p.answer(&lb, &format!("q{q}")).await;
        }
    }

    // SIGKILL one instance mid-game.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let killed_at = Instant::now();

    // Every player finds out whether its socket survived (a ping); those on the killed
    // instance reconnect through nginx and resume where they were.
    let mut resumed = 0;
    for p in &mut players {
        p.client
            .send(&json!({"type": "ping", "nonce": "alive"}))
            .await;
        let alive = loop {
            match p.client.next_frame_within(Duration::from_secs(3)).await {
                Some(Frame::Json(v)) if v["type"] == "pong" => break true,
                Some(Frame::Json(_)) => {}
                Some(Frame::Closed(_)) | None => break false,
            }
        };
        if !alive {
            let snap = p.reconnect(&lb).await;
            let told: u64 = p.acked.values().sum();
            assert_eq!(snap["board"]["me"]["score"], told, "player {}: score", p.id);
            let answered: Vec<&str> = snap["answered"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a["question"].as_str())
                .collect();
            assert_eq!(answered.len(), BEFORE, "player {}: {answered:?}", p.id);
            resumed += 1;
        }
    }
    assert!(
        resumed > 0,
        "nginx put no player on the killed instance (least_conn spreads them)"
    );
    let resume_took = killed_at.elapsed();
    for q in BEFORE..QUESTIONS {
        for p in &mut players {
            p.answer(&lb, &format!("q{q}")).await;
        }
    }

    // Board and archive hold every acknowledged answer exactly once.
    let (status, page) = lb
        .http(
            "GET",
            &format!("/api/quizzes/{quiz}/leaderboard?limit=100"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let board: BTreeMap<String, u64> = page["entries"]
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
    let store = quiz_mongo::MongoStore::connect(&mongo, &db).await.unwrap();
    let archived = store
        .standings(&QuizId::parse(&quiz).unwrap())
        .await
        .unwrap();
    let mut acked_total = 0;
    for p in &players {
        let told: u64 = p.acked.values().sum();
        acked_total += p.acked.len();
        assert_eq!(p.acked.len(), QUESTIONS, "player {}", p.id);
        assert_eq!(board.get(&p.id), Some(&told), "player {}: board", p.id);
        let a = archived
            .iter()
            .find(|s| s.player.as_str() == p.id)
            .unwrap_or_else(|| panic!("player {} missing from the archive", p.id));
        assert_eq!(
            (a.total, a.answers as usize, a.results.len()),
            (told, QUESTIONS, QUESTIONS),
            "player {}: archive",
            p.id
        );
    }
    println!(
        "instance kill: {PLAYERS} players, {resumed} on the killed instance resumed through \
         nginx within {:.1} s ({} reconnects in all); {acked_total} answers acknowledged, all \
         on the board and in the archive exactly once",
        resume_took.as_secs_f64(),
        players.iter().map(|p| p.reconnects).sum::<usize>()
    );
    store.shutdown().await;
    drop(b);
}
