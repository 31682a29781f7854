//! `/readyz` tells the truth, fast: it answers in milliseconds while the archive holds tens
//! of thousands of results (it pings, it does not query), and it turns 503 naming the part
//! when Redis has lost the boards, then 200 again after the rebuild. (The Kafka outage case
//! is in `kafka_restart.rs`.)
//!
//! Needs `cargo xtask services up` (FerretDB) and Debian's `redis-server`; fails without
//! them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{ADMIN, TestServer, config, small_quiz, start_with};
use quiz_conformance::service_url;
use quiz_core::{AnswerResult, PlayerId, PlayerName, QuestionId, QuizId, ScoreEvent, Timestamp};

fn tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos:x}", std::process::id())
}

/// A private redis-server without persistence (the shared one must not be restarted).
struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Self { port, child: None };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: the data is gone.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn readyz_until(server: &TestServer, want: u16, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = server.http("GET", "/readyz", None, &[]).await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed {status} ({body}) for {within:?}; expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_names_lost_boards_until_the_rebuild() {
    let mut redis = PrivateRedis::start();
    let mut cfg = config();
    cfg.redis_url = Some(redis.url());
    let backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let server = start_with(cfg.clone(), backends.ports.clone()).await;
    let quiz = format!("lost-{}", tag());
    server.create_quiz(&small_quiz(&quiz, 2)).await;
    let (mut c, _, _) = server.player(&quiz, "Ann").await;
    assert_eq!(c.answer("a", "q0", 1).await["total"], 100);
    readyz_until(&server, 200, Duration::from_secs(5)).await;

    // Redis dies and comes back empty: the boards are lost.
    redis.kill();
    redis.spawn();
    let body = readyz_until(&server, 503, Duration::from_secs(10)).await;
    let failing: Vec<&str> = body["failing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    // While Redis restarts the scoreboard may first be unreachable; lost data must show.
    let body = if failing.contains(&"scoreboard lost its data") {
        body
    } else {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, b) = server.http("GET", "/readyz", None, &[]).await;
            if b["failing"]
                .as_array()
                .is_some_and(|f| f.iter().any(|p| p == "scoreboard lost its data"))
            {
                break b;
            }
            assert!(Instant::now() < deadline, "lost data never reported: {b}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    println!("readiness: after Redis lost its data: {body}");

    // The rebuild from the archive brings the board back, and readiness with it.
    let (status, out) = server
        .http(
            "POST",
            &format!("/api/quizzes/{quiz}/rebuild-leaderboard"),
            None,
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!((status, out["players"].as_u64()), (200, Some(1)), "{out}");
    readyz_until(&server, 200, Duration::from_secs(5)).await;
    let (_, board) = server
        .http(
            "GET",
            &format!("/api/quizzes/{quiz}/leaderboard"),
            None,
            &[],
        )
        .await;
    assert_eq!(board["entries"][0]["score"], 100);
    backends.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_in_milliseconds_with_a_large_archive() {
    const PLAYERS: u64 = 1_000;
    const QUESTIONS: u64 = 20;
    let tag = tag();
    let mut cfg = config();
    cfg.mongo_url = Some(service_url("QUIZ_TEST_MONGO_URL"));
    cfg.mongo_db = format!("readyz_{tag}");
    let backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let archive = backends.ports.archive.clone();
    let quiz = QuizId::parse(format!("big-{tag}")).unwrap();
    let filled = Instant::now();
    for p in 0..PLAYERS {
        let player = PlayerId::parse(format!("p{p}")).unwrap();
        let events: Vec<ScoreEvent> = (0..QUESTIONS)
            .map(|q| {
                let question = QuestionId::parse(format!("q{q}")).unwrap();
                ScoreEvent {
                    event_id: ScoreEvent::id_for(&quiz, &player, &question),
                    quiz: quiz.clone(),
                    player: player.clone(),
                    player_name: PlayerName::parse(format!("Player {p}")).unwrap(),
                    joined_at: Timestamp(1_000),
                    question,
                    result: AnswerResult {
                        correct: true,
                        points: 10,
                        streak: 1 + q as u32,
                        at: Timestamp(2_000 + q),
                        elapsed_ms: None,
                    },
                    total: 10 * (q + 1),
                    answers: 1 + q as u32,
                    reached_at: Timestamp(2_000 + q),
                }
            })
            .collect();
        archive.apply(&events).await.unwrap();
    }
    let filled = filled.elapsed();
    let server = start_with(cfg.clone(), backends.ports.clone()).await;
    let mut took = Vec::new();
    for _ in 0..5 {
        // Past the one-second cache each time: every call runs the checks.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let t = Instant::now();
        let (status, body) = server.http("GET", "/readyz", None, &[]).await;
        took.push(t.elapsed());
        assert_eq!(status, 200, "{body}");
    }
    took.sort();
    println!(
        "readiness: {} archived results (filled in {:.1} s); /readyz took {:?}",
        PLAYERS * QUESTIONS,
        filled.as_secs_f64(),
        took
    );
    assert!(
        took[took.len() / 2] < Duration::from_millis(100),
        "median /readyz {:?} with a large archive",
        took[took.len() / 2]
    );
    backends.shutdown().await;
}
