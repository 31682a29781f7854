//! Fault: the Redis Cluster primary that holds the quiz's slot is killed (SIGKILL) during
//! play. Its replica is promoted; answers refused meanwhile were told to try again and are
//! retried with the same `answer_id`; play continues. With `--redis-wait-replicas 1` (every
//! answer acknowledged only once a replica has it) no acknowledged answer is lost or counted
//! twice: the board converges to exactly what the players were told.
//!
//! Runs its own 6-node cluster (3 primaries, 3 replicas) on free ports: the shared one is
//! used by other tests in parallel. Needs Debian's `redis-server` and `redis-cli`; fails
//! without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{config, small_quiz, start_with};
use serde_json::json;

const PLAYERS: usize = 6;
const QUESTIONS: usize = 10;
const BEFORE: usize = 4;
/// Bound on the whole failover as the players see it.
const RECOVERY: Duration = Duration::from_secs(30);
/// Bound on one reply while the failover runs.
const REPLY_WAIT: Duration = Duration::from_secs(15);

struct Cluster {
    nodes: Vec<(u16, Option<Child>)>,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            if let Some(c) = child {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli is not installed (apt-get install redis-tools)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Cluster {
    fn start(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("quiz-failover-{tag}"));
        let mut nodes = Vec::new();
        for _ in 0..6 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let node_dir = dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server is not installed (apt-get install redis-server)");
            nodes.push((port, Some(child)));
        }
        let c = Self { nodes, dir };
        for (port, _) in &c.nodes {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !cli(*port, &["PING"]).contains("PONG") {
                assert!(Instant::now() < deadline, "node {port} did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let addrs: Vec<String> = c
            .nodes
            .iter()
            .map(|(p, _)| format!("127.0.0.1:{p}"))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // Every node sees a healthy cluster, and every replica is in sync with its primary.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = c.nodes.iter().all(|(p, _)| {
                cli(*p, &["CLUSTER", "INFO"]).contains("cluster_state:ok") && {
                    let info = cli(*p, &["INFO", "replication"]);
                    info.contains("role:master") || info.contains("master_link_status:up")
                }
            });
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "the cluster did not become ok");
            std::thread::sleep(Duration::from_millis(200));
        }
        c
    }

    fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|(p, _)| format!("redis://127.0.0.1:{p}/"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The port of the primary that holds `key`'s slot now.
    fn primary_of(&self, key: &str) -> u16 {
        let any = self.nodes.iter().find(|(_, c)| c.is_some()).unwrap().0;
        let slot: u16 = cli(any, &["CLUSTER", "KEYSLOT", key])
            .trim()
            .parse()
            .unwrap();
        for line in cli(any, &["CLUSTER", "NODES"]).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 9 || !f[2].contains("master") || f[2].contains("fail") {
                continue;
            }
            let port: u16 = f[1]
                .split(['@', ':'])
                .nth(1)
                .and_then(|p| p.parse().ok())
                .unwrap();
            for range in &f[8..] {
                let (lo, hi) = range.split_once('-').unwrap_or((range, range));
                if let (Ok(lo), Ok(hi)) = (lo.parse::<u16>(), hi.parse::<u16>())
                    && (lo..=hi).contains(&slot)
                {
                    return port;
                }
            }
        }
        panic!("no primary holds slot {slot}");
    }

    fn kill(&mut self, port: u16) {
        let (_, child) = self.nodes.iter_mut().find(|(p, _)| *p == port).unwrap();
        let mut c = child.take().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }
}

#[derive(Default)]
struct Tally {
    refused: usize,
    slowest: Duration,
}

/// Answers `q` until acknowledged; a refusal (`unavailable`, `try_again`) is retried with
/// the same `answer_id`, as the web client does.
async fn answer(c: &mut common::Client, player: &str, q: &str, tally: &mut Tally) -> u64 {
    let id = format!("{player}-{q}");
    let started = Instant::now();
    loop {
        c.send(&json!({"type": "answer", "answer_id": id, "question": q, "option": 1}))
            .await;
        // During the failover one reply may take the Redis operation bound (5 s) plus the
        // WAIT bound: wait longer than the harness's usual 5 s.
        let r = loop {
            match c.next_frame_within(REPLY_WAIT).await {
                Some(common::Frame::Json(v)) if v["type"] == "board" => {}
                Some(common::Frame::Json(v)) => break v,
                other => panic!(
                    "{player}: no reply to {q} within {REPLY_WAIT:?}: {}",
                    match other {
                        Some(common::Frame::Closed(code)) => format!("closed {code:?}"),
                        _ => "nothing".into(),
                    }
                ),
            }
        };
        match r["type"].as_str() {
            Some("answer_result") => {
                tally.slowest = tally.slowest.max(started.elapsed());
                return r["points"].as_u64().unwrap();
            }
            Some("error")
                if ["unavailable", "try_again"].contains(&r["code"].as_str().unwrap()) =>
            {
                tally.refused += 1;
                assert!(
                    started.elapsed() < RECOVERY,
                    "{player}: {q} still refused after {RECOVERY:?}: {r}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            _ => panic!("{player}: unexpected reply {r}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_primary_failover_loses_no_acknowledged_answer() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}_{nanos:x}", std::process::id());
    let mut cluster = Cluster::start(&tag);
    let mut cfg = config();
    cfg.redis_url = Some(cluster.urls());
    cfg.redis_wait_replicas = 1;
    // Generous under a loaded CI machine; a timed-out WAIT is refused and retried anyway.
    cfg.redis_wait_timeout_ms = 1_500;
    cfg.max_msgs_per_sec = 1000;
    let backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let server = start_with(cfg.clone(), backends.ports.clone()).await;
    let quiz = format!("fo-{tag}");
    server.create_quiz(&small_quiz(&quiz, QUESTIONS)).await;

    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let (c, joined, _) = server.player(&quiz, &format!("Player {i}")).await;
        let id = joined["player_id"].as_str().unwrap().to_owned();
        players.push((id, c, BTreeMap::<String, u64>::new()));
    }
    let mut tally = Tally::default();
    for q in 0..BEFORE {
        for (id, c, acked) in &mut players {
            let q = format!("q{q}");
            let p = answer(c, id, &q, &mut tally).await;
            acked.insert(q, p);
        }
    }
    // A `WAIT` that times out under load is refused and retried too: not a fault.
    let refused_before = tally.refused;

    // Kill the primary of the quiz's slot; play on through the failover.
    let primary = cluster.primary_of(&format!("quiz:{{{quiz}}}:board"));
    cluster.kill(primary);
    let killed = Instant::now();
    for q in BEFORE..QUESTIONS {
        for (id, c, acked) in &mut players {
            let q = format!("q{q}");
            let p = answer(c, id, &q, &mut tally).await;
            acked.insert(q, p);
        }
    }
    let played_through = killed.elapsed();
    let promoted = cluster.primary_of(&format!("quiz:{{{quiz}}}:board"));
    assert_ne!(promoted, primary, "a replica took over the slot");

    // The board converges to exactly what the players were told.
    let mut total_acked = 0;
    for (id, _, acked) in &players {
        let (status, s) = server
            .http(
                "GET",
                &format!("/api/quizzes/{quiz}/players/{id}"),
                None,
                &[],
            )
            .await;
        assert_eq!(status, 200, "{s}");
        let told: u64 = acked.values().sum();
        assert_eq!(
            (s["score"].as_u64(), s["answers"].as_u64()),
            (Some(told), Some(QUESTIONS as u64)),
            "player {id}: {s}"
        );
        total_acked += acked.len();
    }
    let (_, board) = server
        .http(
            "GET",
            &format!("/api/quizzes/{quiz}/leaderboard"),
            None,
            &[],
        )
        .await;
    assert_eq!(board["players"], json!(PLAYERS));
    println!(
        "cluster failover: primary :{primary} killed, :{promoted} took over; {total_acked} \
         answers acknowledged ({} after the kill), {refused_before} refusals before the kill \
         and {} after it, all retried, \
         slowest answer {:.1} s, played through in {:.1} s; board = acknowledgements for all \
         {PLAYERS} players (--redis-wait-replicas 1)",
        PLAYERS * (QUESTIONS - BEFORE),
        tally.refused - refused_before,
        tally.slowest.as_secs_f64(),
        played_through.as_secs_f64()
    );
    backends.shutdown().await;
}
