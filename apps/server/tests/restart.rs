//! Restarting the embedded server on its data directory (SQLite, the default store): a
//! `quiz-server` process is stopped in the middle of a hosted game — with SIGTERM, and in
//! a second run with SIGKILL — and started again on the same `--data-dir`. Every quiz,
//! player, acknowledged answer, the game's phase, its report and its results are back; the
//! players resume with the tokens they held and the host with its key (the token secret is
//! kept in the data directory). Also: `quiz-server backup` while the server runs, and the
//! refusals at start (a directory that is not writable, a damaged database).
//!
//! No services needed: `cargo test -p quiz-server --test restart`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ADMIN, TestServer};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quiz-server");

/// A fresh directory path under the system's temporary directory (not created).
fn fresh_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("quiz-restart-{tag}-{}-{nanos}", std::process::id()))
}

/// A `quiz-server` process on `dir`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server with no store flag (the durable default) on `dir`.
    fn start(dir: &Path) -> Self {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log = dir.with_extension(format!("{}.log", addr.port()));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .args(["--listen", &addr.to_string(), "--admin-key", ADMIN])
            .arg("--data-dir")
            .arg(dir)
            .args(["--no-demo", "--max-msgs-per-sec", "1000"])
            .env_remove("QUIZ_TOKEN_SECRET")
            .env_remove("QUIZ_STORE")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let mut server = Self { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("quiz-server exited with {status}: {}", server.output());
            }
            assert!(Instant::now() < deadline, "quiz-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn client(&self) -> TestServer {
        TestServer::external(self.addr)
    }

    /// Sends `signal` and waits for the process to end.
    fn stop(&mut self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "quiz-server did not stop on {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

async fn admin_get(srv: &TestServer, path: &str) -> Value {
    let (status, body) = srv.http("GET", path, None, &[("X-Admin-Key", ADMIN)]).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The parts of a game that do not move with the clock.
fn phase_of(game: &Value) -> Value {
    json!({
        "phase": game["phase"],
        "seq": game["seq"],
        "question": game["question_index"],
        "players": game["players"],
    })
}

async fn next_phase(c: &mut common::Client) -> Value {
    c.recv_type("phase").await
}

/// Reads phase frames until the one where `question` is open.
async fn question_open(c: &mut common::Client, question: &str) -> Value {
    loop {
        let p = next_phase(c).await;
        if p["phase"] == "question" && p["question"]["id"] == question {
            return p;
        }
    }
}

/// An answer's reply, skipping boards, counts, rosters and phases.
async fn answer(c: &mut common::Client, id: &str, question: &str, option: u32) -> Value {
    c.send(&json!({"type": "answer", "answer_id": id, "question": question, "option": option}))
        .await;
    loop {
        let v = c.reply().await;
        if v["type"] != "phase" {
            return v;
        }
    }
}

async fn restart_during_a_hosted_game(signal: &str) {
    let dir = fresh_dir(signal.trim_start_matches('-'));
    let mut first = Server::start(&dir);
    let out = first.output();
    assert!(
        out.contains("data in") && out.contains("created now"),
        "the start-up lines name the data directory: {out}"
    );
    let srv = first.client();

    // A self-paced quiz with one answer, and a hosted quiz of three questions.
    srv.create_quiz(&common::small_quiz("paced", 2)).await;
    let questions: Vec<Value> = (0..3)
        .map(|i| {
            json!({"id": format!("q{i}"), "prompt": format!("Question {i}?"),
                        "options": ["a", "b", "c"], "correct": 1, "points": 100,
                        "time_limit_ms": 120_000})
        })
        .collect();
    let (status, created) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&json!({"id": "live", "title": "Live", "mode": "hosted", "questions": questions})),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let host_key = created["host_key"].as_str().unwrap().to_owned();

    let (mut solo, solo_join, _) = srv.player("paced", "Solo").await;
    let r = solo.answer("s0", "q0", 1).await;
    assert_eq!(r["points"], 100, "{r}");

    let mut host = srv.connect(&format!("/ws/live?host_key={host_key}")).await;
    next_phase(&mut host).await;
    let mut players = Vec::new();
    for name in ["Ann", "Bob", "Cy"] {
        let (c, joined, _) = srv.player("live", name).await;
        players.push((c, joined));
    }
    // Joined, never answered: back too.
    let dee = srv.join("live", "Dee").await;
    host.send(&json!({"type": "host", "command": "start"}))
        .await;
    // Everyone but Dee answers q0 (Dee has no socket, so the question runs on), then the
    // host skips to the reveal and on to q1, where only Ann answers.
    for (i, (c, _)) in players.iter_mut().enumerate() {
        question_open(c, "q0").await;
        let r = answer(c, &format!("a{i}"), "q0", if i == 1 { 2 } else { 1 }).await;
        assert_eq!(r["type"], "answer_result", "{r}");
    }
    for cmd in ["skip", "next", "next"] {
        host.send(&json!({"type": "host", "command": cmd})).await;
        loop {
            let v = host.reply().await;
            if v["type"] == "host_ok" {
                break;
            }
            assert_ne!(v["type"], "error", "{cmd}: {v}");
        }
    }
    let (ann, _) = &mut players[0];
    question_open(ann, "q1").await;
    let acked = answer(ann, "a-q1", "q1", 1).await;
    assert_eq!(
        (acked["correct"].as_bool(), acked["total"].as_u64()),
        (Some(true), Some(200)),
        "{acked}"
    );

    let game_before = admin_get(&srv, "/api/quizzes/live/game").await;
    assert_eq!(game_before["phase"], "question", "{game_before}");
    let results_before = admin_get(&srv, "/api/quizzes/live/results.json").await;
    let report_before = admin_get(&srv, "/api/quizzes/live/report").await;
    let board_before = admin_get(&srv, "/api/quizzes/live/leaderboard").await;
    let paced_before = admin_get(&srv, "/api/quizzes/paced/leaderboard").await;
    let quizzes_before = admin_get(&srv, "/api/quizzes").await;

    let path = |j: &Value| j["ws_path"].as_str().unwrap().to_owned();
    let paths: Vec<String> = players.iter().map(|(_, j)| path(j)).collect();
    first.stop(signal);
    drop((players, host, solo));

    let second = Server::start(&dir);
    let out = second.output();
    assert!(out.contains("reopened"), "{out}");
    let srv = second.client();
    assert_eq!(admin_get(&srv, "/api/quizzes").await, quizzes_before);
    assert_eq!(
        phase_of(&admin_get(&srv, "/api/quizzes/live/game").await),
        phase_of(&game_before)
    );
    assert_eq!(
        admin_get(&srv, "/api/quizzes/live/results.json").await,
        results_before
    );
    assert_eq!(
        admin_get(&srv, "/api/quizzes/live/report").await,
        report_before
    );
    assert_eq!(
        admin_get(&srv, "/api/quizzes/live/leaderboard").await,
        board_before
    );
    assert_eq!(
        admin_get(&srv, "/api/quizzes/paced/leaderboard").await,
        paced_before
    );

    // The host resumes with its key, the players with the tokens they held.
    let mut host = srv.connect(&format!("/ws/live?host_key={host_key}")).await;
    question_open(&mut host, "q1").await;
    let mut ann = srv.connect(&paths[0]).await;
    ann.recv_type("snapshot").await;
    let again = answer(&mut ann, "a-q1-retry", "q1", 1).await;
    assert_eq!(
        (again["duplicate"].as_bool(), again["total"].as_u64()),
        (Some(true), Some(200)),
        "the acknowledged answer is kept: {again}"
    );
    let mut bob = srv.connect(&paths[1]).await;
    bob.recv_type("snapshot").await;
    let r = answer(&mut bob, "b-q1", "q1", 1).await;
    assert_eq!(
        (r["correct"].as_bool(), r["duplicate"].as_bool()),
        (Some(true), Some(false)),
        "{r}"
    );
    let mut dee = srv.connect(&path(&dee)).await;
    assert_eq!(dee.recv_type("snapshot").await["type"], "snapshot");
    let mut solo = srv.connect(&path(&solo_join)).await;
    solo.recv_type("snapshot").await;
    let r = solo.answer("s0-retry", "q0", 1).await;
    assert_eq!(
        (r["duplicate"].as_bool(), r["points"].as_u64()),
        (Some(true), Some(100)),
        "{r}"
    );
    // A new player gets an id no earlier player has.
    let eve = srv.join("paced", "Eve").await;
    assert_ne!(eve["player_id"], solo_join["player_id"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_hosted_game_loses_nothing() {
    restart_during_a_hosted_game("-TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_hosted_game_loses_no_acknowledged_answer() {
    restart_during_a_hosted_game("-KILL").await;
}

/// `quiz-server backup FILE` while the server runs writes a copy that, as the database of a
/// new data directory, serves the same quizzes and boards; it never overwrites a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_everything() {
    let dir = fresh_dir("backup");
    let server = Server::start(&dir);
    let srv = server.client();
    srv.create_quiz(&common::small_quiz("kept", 2)).await;
    let (mut c, _, _) = srv.player("kept", "Ann").await;
    assert_eq!(c.answer("k0", "q0", 1).await["points"], 100);
    let board = admin_get(&srv, "/api/quizzes/kept/leaderboard").await;

    let file = fresh_dir("backup-copy").with_extension("db");
    let backup = || {
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&dir)
            .arg("backup")
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = backup();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("written"));
    let before = std::fs::read(&file).unwrap();
    let again = backup();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists already"),
        "{again:?}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before, "not overwritten");

    // Restore as README says: the copy becomes quiz.db of a data directory.
    let restored = fresh_dir("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(&file, restored.join(quiz_sqlite::DB_FILE)).unwrap();
    let copy = Server::start(&restored);
    let srv2 = copy.client();
    assert_eq!(
        admin_get(&srv2, "/api/quizzes/kept/leaderboard").await,
        board
    );
    drop(server);
    for d in [&dir, &restored] {
        let _ = std::fs::remove_dir_all(d);
    }
    let _ = std::fs::remove_file(&file);
}

/// The exit status and output of a server that should refuse to start on `dir`.
fn refused_start(dir: &Path) -> String {
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--no-demo"])
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A data directory that cannot be written (even by root: /proc), or that holds a damaged
/// database: a clear error at start, and the file is left as it was.
#[test]
fn unusable_data_directories_are_refused_at_start() {
    let err = refused_start(Path::new("/proc/1"));
    assert!(
        err.contains("--data-dir") && err.contains("/proc/1") && err.contains("not writable"),
        "{err}"
    );
    let dir = fresh_dir("damaged");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(quiz_sqlite::DB_FILE);
    let garbage = b"not a database at all ".repeat(500);
    std::fs::write(&db, &garbage).unwrap();
    let err = refused_start(&dir);
    assert!(
        err.contains("damaged") && err.contains("left as it is"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
    let _ = std::fs::remove_dir_all(&dir);
}
