//! The full stack on real services: one server on Redis + Kafka + FerretDB with one worker
//! (in process), players over real WebSockets. Midway both the worker and the server are
//! restarted; players reconnect with their tokens and go on. After the worker catches up,
//! every player's archived score must equal the leaderboard score (guarantees 1 and 2).
//!
//! Needs `cargo xtask services up` (URLs from `.services/env`); fails without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Client, TestServer, config, small_quiz, start_with};
use quiz_conformance::service_url;
use quiz_core::QuizId;
use quiz_core::ports::ScoreArchive;
use tokio::sync::oneshot;

struct Worker {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<quiz_worker::RunReport>,
}

async fn start_worker(
    brokers: &str,
    topic: &str,
    group: &str,
    archive: Arc<dyn ScoreArchive>,
) -> Worker {
    let mut kc = quiz_kafka::KafkaConfig::new(brokers);
    kc.topic = topic.to_owned();
    let mut source = quiz_kafka::KafkaEventStream::connect(&kc, group)
        .await
        .unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let options = quiz_worker::WorkerOptions {
        batch_wait: Duration::from_millis(50),
        ..Default::default()
    };
    let task = tokio::spawn(async move {
        quiz_worker::run(&mut source, archive, options, async move {
            let _ = rx.await;
        })
        .await
        .unwrap()
    });
    Worker { stop, task }
}

impl Worker {
    async fn stop(self) -> quiz_worker::RunReport {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .unwrap()
            .unwrap()
    }
}

async fn answer_range(
    players: &mut [(Client, String)],
    questions: std::ops::Range<usize>,
    round: &str,
) -> usize {
    let mut answered = 0;
    for (i, (c, _)) in players.iter_mut().enumerate() {
        for q in questions.clone() {
            let option = ((i + q) % 3) as u32;
            let id = format!("{round}-{i}-{q}");
            let r = c.answer(&id, &format!("q{q}"), option).await;
            assert_eq!(r["type"], "answer_result", "{r}");
            answered += 1;
            if q % 4 == 0 {
                // A client retry with the same answer id: must not count twice anywhere.
                let again = c.answer(&id, &format!("q{q}"), option).await;
                assert_eq!(again["duplicate"], true);
            }
        }
    }
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_archive_converges_with_the_leaderboard_across_worker_and_server_restarts() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}-{nanos:x}", std::process::id());
    let topic = format!("fullstack-{tag}");
    let group = format!("fullstack-{tag}");
    let db = format!("fullstack_{}", tag.replace('-', "_"));
    let quiz = format!("fs-{tag}");
    let brokers = service_url("QUIZ_TEST_KAFKA_BROKERS");

    let mut cfg = config();
    cfg.redis_url = Some(service_url("QUIZ_TEST_REDIS_URL"));
    cfg.kafka_brokers = Some(brokers.clone());
    cfg.kafka_topic = topic.clone();
    cfg.mongo_url = Some(service_url("QUIZ_TEST_MONGO_URL"));
    cfg.mongo_db = db.clone();
    cfg.token_secret = Some("full-stack-test-secret-0123456789abcdef".into());
    cfg.max_msgs_per_sec = 1000;

    let backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let archive = backends.ports.archive.clone();
    let scoreboard = backends.ports.scoreboard.clone();
    let mut server: TestServer = start_with(cfg.clone(), backends.ports.clone()).await;
    server.create_quiz(&small_quiz(&quiz, 10)).await;
    let worker = start_worker(&brokers, &topic, &group, archive.clone()).await;

    let mut players = Vec::new();
    let mut paths = Vec::new();
    for i in 0..12 {
        let joined = server.join(&quiz, &format!("Player {i}")).await;
        let path = joined["ws_path"].as_str().unwrap().to_owned();
        let mut c = server.connect(&path).await;
        c.recv_type("snapshot").await;
        players.push((c, joined["player_id"].as_str().unwrap().to_owned()));
        paths.push(path);
    }
    let mut answers = answer_range(&mut players, 0..5, "a").await;

    // Restart the worker and the server in the middle of the game.
    let first = worker.stop().await;
    for (c, _) in players.drain(..) {
        c.close().await;
    }
    server.stop().await;
    let backends2 = quiz_server::backends::connect(&cfg).await.unwrap();
    let server2 = start_with(cfg.clone(), backends2.ports.clone()).await;
    for (i, path) in paths.iter().enumerate() {
        let mut c = server2.connect(path).await;
        let snap = c.recv_type("snapshot").await;
        assert_eq!(
            snap["answered"].as_array().unwrap().len(),
            5,
            "resumed after the server restart"
        );
        players.push((c, format!("p{}", i + 1)));
    }
    answers += answer_range(&mut players, 5..10, "b").await;
    let worker = start_worker(&brokers, &topic, &group, archive.clone()).await;

    // Wait for the worker to catch up, then compare every player.
    let quiz_id = QuizId::parse(&quiz).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let (board, archived) = loop {
        let count = scoreboard.count(&quiz_id).await.unwrap();
        let board: HashMap<String, u64> = scoreboard
            .top(&quiz_id, 0, count)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.player.to_string(), r.score()))
            .collect();
        let standings = archive.standings(&quiz_id).await.unwrap();
        let archived: HashMap<String, (u64, u32, usize)> = standings
            .iter()
            .map(|s| (s.player.to_string(), (s.total, s.answers, s.results.len())))
            .collect();
        let converged = board.len() == 12
            && archived.len() == 12
            && board.iter().all(|(p, score)| {
                archived
                    .get(p)
                    .is_some_and(|a| a.0 == *score && a.1 == 10 && a.2 == 10)
            });
        if converged || Instant::now() > deadline {
            break (board, archived);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let second = worker.stop().await;
    let board_total: u64 = board.values().sum();
    let archive_total: u64 = archived.values().map(|a| a.0).sum();
    let archived_answers: u64 = archived.values().map(|a| u64::from(a.1)).sum();
    println!(
        "full stack: {} players compared; {answers} answers acknowledged; leaderboard total {board_total}, \
         archive total {archive_total}; archived answers {archived_answers}; worker runs: {first:?} then {second:?}",
        board.len()
    );
    assert_eq!(board.len(), 12);
    for (p, score) in &board {
        let a = archived
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing from the archive"));
        assert_eq!(
            (a.0, a.1, a.2),
            (*score, 10, 10),
            "player {p}: archive (total, answers, results) vs board score"
        );
    }
    assert_eq!(
        archived_answers, answers as u64,
        "every acknowledged answer archived exactly once"
    );

    // Lose the quiz's live board and its player registry in Redis, then rebuild both from
    // the archive.
    let redis_url = service_url("QUIZ_TEST_REDIS_URL");
    let port = redis_url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let keys = std::process::Command::new("redis-cli")
        .args([
            "-p",
            &port,
            "--scan",
            "--pattern",
            &format!("quiz:{{{quiz}}}:*"),
        ])
        .output()
        .expect("redis-cli runs");
    let keys: Vec<String> = String::from_utf8_lossy(&keys.stdout)
        .lines()
        .filter(|k| {
            k.ends_with(":board")
                || k.contains(":p:")
                || k.contains(":a:")
                || k.ends_with(":players")
                || k.ends_with(":names")
                || k.ends_with(":seq")
        })
        .map(str::to_owned)
        .collect();
    assert!(!keys.is_empty());
    for registry_key in ["players", "names", "seq"] {
        let key = format!("quiz:{{{quiz}}}:{registry_key}");
        assert!(keys.contains(&key), "{key} is among {keys:?}");
    }
    let status = std::process::Command::new("redis-cli")
        .args(["-p", &port, "DEL"])
        .args(&keys)
        .output()
        .unwrap();
    assert!(status.status.success());
    assert_eq!(
        scoreboard.count(&quiz_id).await.unwrap(),
        0,
        "the board is gone"
    );
    // So is the registry: an old token names a player nobody knows.
    let (gone, _) = players.remove(3);
    gone.close().await;
    let mut refused = server2.connect(&paths[3]).await;
    assert_eq!(
        refused.closed_with().await,
        Some(quiz_contracts::ws::close::UNKNOWN_PLAYER),
        "the registry is gone"
    );
    let (code, body) = server2
        .http(
            "POST",
            &format!("/api/quizzes/{quiz}/rebuild-leaderboard"),
            None,
            &[("X-Admin-Key", common::ADMIN)],
        )
        .await;
    assert_eq!((code, body["players"].as_u64()), (200, Some(12)), "{body}");
    let rebuilt: HashMap<String, u64> = scoreboard
        .top(&quiz_id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.player.to_string(), r.score()))
        .collect();
    assert_eq!(
        rebuilt, board,
        "the rebuilt board equals the board before the loss"
    );
    // The at-most-once rule survives the rebuild: a repeated answer changes nothing.
    let (c, _) = &mut players[0];
    let again = c.answer("after-rebuild", "q0", 0).await;
    assert_eq!(again["duplicate"], true, "{again}");
    // The registry is back: a player reconnects with the token issued at their join and
    // finds their name, their answers and their line on the board.
    let mut back = server2.connect(&paths[3]).await;
    let snap = back.recv_type("snapshot").await;
    assert_eq!(
        (snap["player"].as_str(), snap["name"].as_str()),
        (Some("p4"), Some("Player 3")),
        "{snap}"
    );
    assert_eq!(
        snap["answered"].as_array().unwrap().len(),
        10,
        "answers restored"
    );
    assert_eq!(snap["board"]["me"]["name"], "Player 3", "{snap}");
    assert_eq!(
        snap["board"]["me"]["score"].as_u64(),
        board.get("p4").copied(),
        "{snap}"
    );
    let named = snap["board"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["name"].as_str().is_some_and(|n| n.starts_with("Player ")));
    assert!(named, "the board shows names again: {snap}");
    back.close().await;
    // A new player gets an id no restored player has; restored names stay taken.
    let newcomer = server2.join(&quiz, "Newcomer").await;
    let new_id = newcomer["player_id"].as_str().unwrap().to_owned();
    assert!(
        !board.contains_key(&new_id),
        "new id {new_id} is a restored one"
    );
    let (code, body) = server2
        .http(
            "POST",
            &format!("/api/quizzes/{quiz}/join"),
            Some(&serde_json::json!({ "name": "player 5" })),
            &[],
        )
        .await;
    assert_eq!(code, 409, "a restored name is taken: {body}");
    println!(
        "full stack: rebuilt {} players (board and registry) from the archive after deleting \
         {} Redis keys; a newcomer joined as {new_id}",
        rebuilt.len(),
        keys.len()
    );
    backends.shutdown().await;
    backends2.shutdown().await;
}
