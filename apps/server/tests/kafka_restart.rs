//! Guarantee 1 across a Kafka broker restart: an answer acknowledged to the player is never
//! lost and never counted twice, in Redis and in MongoDB.
//!
//! The test runs its own single-node KRaft broker (the shared one on 127.0.0.1:19092 is
//! used by other tests in parallel and must not be stopped), one server in process on it
//! plus Redis and FerretDB, and one worker in process. Players over real WebSockets answer
//! a few questions, then the broker is stopped: every answer now gets `try_again` (never an
//! acknowledgement, since nothing can be made durable), and the players keep a list of
//! unacknowledged answers and resend them with the same `answer_id`, as a real client
//! does. The broker is started again on the same data; the players resend until each
//! answer is acknowledged, then answer the remaining questions. Once the archive has caught
//! up, for every player it must hold exactly the acknowledged answers with the acknowledged
//! points, and the archived total must equal the leaderboard total and the sum of the
//! acknowledged points.
//!
//! The worker that lived through the outage must catch up by itself within
//! [`WORKER_GRACE`]. (It once could not: librdkafka queues many error events during an
//! outage, and the consumer returned each one to the worker, which backed off up to 5 s
//! per error and fell minutes behind after the broker was back.)
//!
//! Needs `cargo xtask services up` (Redis, FerretDB and `QUIZ_TEST_KAFKA_LIBS`, the Kafka
//! jars, from `.services/env`) and Java 17 on `PATH`; fails without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::net::TcpListener;
use std::ops::Range;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Client, Frame, config, small_quiz, start_with};
use futures_util::future::join_all;
use quiz_conformance::service_url;
use quiz_core::ports::ScoreArchive;
use quiz_core::{ArchivedStanding, QuizId};
use quiz_kafka::{KafkaConfig, KafkaEventLog, KafkaEventStream};
use quiz_worker::{RunError, RunReport, WorkerOptions};
use serde_json::{Value, json};
use tokio::sync::oneshot;

const PLAYERS: usize = 8;
const QUESTIONS: usize = 8;
/// Answered while the broker runs, before the outage.
const BEFORE: Range<usize> = 0..3;
/// Answered while the broker is down (then resent once, still during the outage).
const DURING: Range<usize> = 3..5;
/// Answered after the broker is back and every pending answer was acknowledged.
const AFTER: Range<usize> = 5..QUESTIONS;

/// How long the producer tries to deliver one event before `publish` fails: short, so an
/// answer during the outage is refused with `try_again` after a few seconds, not ten.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest wait for one reply: the delivery timeout, the producer's report grace and a
/// generous margin for a loaded machine.
const REPLY_WAIT: Duration = Duration::from_secs(30);
/// Bound on the broker's start-up (JVM start, log recovery, KRaft election, topic leaders).
const BROKER_READY: Duration = Duration::from_secs(60);
/// Bound on a graceful broker stop before SIGKILL.
const BROKER_STOP: Duration = Duration::from_secs(20);
/// Bound on formatting the storage (one JVM run each for `random-uuid` and `format`).
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on getting every answer acknowledged once the broker runs (again).
const ACK_WAIT: Duration = Duration::from_secs(60);
/// How long the worker that lived through the outage gets to catch up once every answer is
/// acknowledged (generous: the machine may be busy).
const WORKER_GRACE: Duration = Duration::from_secs(30);
/// Bound on the archive catching up before the outage.
const CONVERGE_WAIT: Duration = Duration::from_secs(40);

// ---------------------------------------------------------------------------------------------
// A private single-node KRaft broker

/// A Kafka broker+controller of our own, on free loopback ports and a temporary directory.
/// Dropping it kills the process and waits for it; after a panic the directory (with
/// `broker.log`) is kept and the end of the log printed.
struct Broker {
    libs: PathBuf,
    dir: PathBuf,
    port: u16,
    controller_port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Writes `server.properties`, formats the storage and starts the broker (without
    /// waiting for it to be ready).
    fn create(tag: &str) -> Self {
        let libs = PathBuf::from(service_url("QUIZ_TEST_KAFKA_LIBS"));
        assert!(
            libs.is_dir(),
            "QUIZ_TEST_KAFKA_LIBS={} is not a directory; run `cargo xtask services up`",
            libs.display()
        );
        let (port, controller_port) = free_ports();
        let dir = std::env::temp_dir().join(format!("quiz-kafka-restart-{tag}"));
        fs::create_dir_all(&dir).unwrap();
        let mut broker = Self {
            libs,
            dir,
            port,
            controller_port,
            child: None,
        };
        fs::write(broker.properties(), broker.properties_text()).unwrap();
        broker.format();
        broker.spawn();
        broker
    }

    fn properties(&self) -> PathBuf {
        self.dir.join("server.properties")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("broker.log")
    }

    fn classpath(&self) -> String {
        format!("{}/*", self.libs.display())
    }

    /// `host:port` for clients.
    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The shared broker's settings (`xtask/src/services.rs`) on this broker's ports.
    fn properties_text(&self) -> String {
        let (port, ctrl) = (self.port, self.controller_port);
        format!(
            "# Written by apps/server/tests/kafka_restart.rs: single-node KRaft (broker + controller).\n\
             process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{ctrl}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctrl}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=PLAINTEXT\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             offsets.topic.replication.factor=1\n\
             transaction.state.log.replication.factor=1\n\
             transaction.state.log.min.isr=1\n\
             share.coordinator.state.topic.replication.factor=1\n\
             share.coordinator.state.topic.min.isr=1\n\
             num.partitions=3\n\
             auto.create.topics.enable=true\n\
             group.initial.rebalance.delay.ms=0\n\
             log.dirs={}\n",
            self.dir.join("data").display()
        )
    }

    /// Runs `kafka.tools.StorageTool` with `args`, bounded; returns its stdout.
    fn storage_tool(&self, args: &[&str]) -> String {
        let child = Command::new("java")
            .args([
                "-Xmx256m",
                "-cp",
                &self.classpath(),
                "kafka.tools.StorageTool",
            ])
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`java` runs (Java 17 on PATH)");
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = match rx.recv_timeout(TOOL_TIMEOUT) {
            Ok(output) => output.unwrap(),
            Err(_) => {
                signal(pid, "KILL");
                panic!("StorageTool {args:?} did not finish within {TOOL_TIMEOUT:?}");
            }
        };
        assert!(
            output.status.success(),
            "StorageTool {args:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Formats the storage once, with a new cluster id.
    fn format(&self) {
        let cluster_id = self.storage_tool(&["random-uuid"]);
        assert_eq!(cluster_id.len(), 22, "not a cluster id: {cluster_id:?}");
        let config = self.properties().to_string_lossy().into_owned();
        self.storage_tool(&["format", "-t", &cluster_id, "-c", &config]);
    }

    /// Starts the broker on the existing (formatted) storage; output appended to the log.
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "the broker is already running");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap();
        let child = Command::new("java")
            .args([
                "-Xmx384m",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
                "-cp",
                &self.classpath(),
                "kafka.Kafka",
            ])
            .arg(self.properties())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("`java` runs (Java 17 on PATH)");
        self.child = Some(child);
    }

    /// Waits until the broker answers metadata requests and `config.topic` exists with a
    /// leader on every partition (creating it on the first start). Returns how long it took.
    async fn wait_ready(&mut self, config: &KafkaConfig) -> Duration {
        let started = Instant::now();
        let mut probe = config.clone();
        probe.request_timeout = Duration::from_secs(3);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "the private Kafka broker exited during start-up ({status})\n{}",
                    self.log_tail()
                );
            }
            let last = match quiz_kafka::ensure_topic(&probe).await {
                Ok(()) => return started.elapsed(),
                Err(e) => chain(&e),
            };
            assert!(
                started.elapsed() < BROKER_READY,
                "the private Kafka broker on {} was not ready within {BROKER_READY:?} \
                 (last: {last})\n{}",
                self.address(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops the broker: SIGTERM, then SIGKILL after [`BROKER_STOP`]. Returns how long it
    /// took and whether the stop was graceful.
    async fn stop(&mut self) -> (Duration, bool) {
        let started = Instant::now();
        let mut child = self.child.take().expect("the broker runs");
        signal(child.id(), "TERM");
        let graceful = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if started.elapsed() > BROKER_STOP {
                let _ = child.kill();
                break false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        child.wait().unwrap();
        (started.elapsed(), graceful)
    }

    fn log_tail(&self) -> String {
        let text = fs::read(self.log())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- last lines of {} ---\n{}",
            self.log().display(),
            lines[lines.len().saturating_sub(40)..].join("\n")
        )
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "private Kafka broker data kept in {}\n{}",
                self.dir.display(),
                self.log_tail()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Two distinct free loopback ports below the ephemeral range (so that no outgoing
/// connection takes one while the broker is down) and away from the shared services.
fn free_ports() -> (u16, u16) {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ std::process::id().wrapping_mul(2_654_435_761);
    let mut found = Vec::new();
    for i in 0..6000u32 {
        let port = 21_000 + ((seed.wrapping_add(i.wrapping_mul(7919))) % 6000) as u16;
        if !found.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            found.push(port);
            if found.len() == 2 {
                return (found[0], found[1]);
            }
        }
    }
    panic!("no two free ports in 127.0.0.1:21000-26999");
}

fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The worker

struct Worker {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<RunReport, RunError>>,
}

async fn start_worker(kc: &KafkaConfig, group: &str, archive: Arc<dyn ScoreArchive>) -> Worker {
    let mut source = KafkaEventStream::connect(kc, group).await.unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    // The production defaults (source and archive retries from 100 ms doubling to 5 s),
    // with short batch waits as in fullstack.rs.
    let options = WorkerOptions {
        batch_wait: Duration::from_millis(50),
        ..Default::default()
    };
    let task = tokio::spawn(async move {
        let result = quiz_worker::run(&mut source, archive, options, async move {
            let _ = rx.await;
        })
        .await;
        source.close().await;
        result
    });
    Worker { stop, task }
}

impl Worker {
    /// Stops the worker (it finishes its batch in hand) and returns its report, or why it
    /// failed.
    async fn stop(self) -> Result<RunReport, String> {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the worker did not stop within 30 s")
            .expect("the worker task panicked")
            .map_err(|e| chain(&e))
    }
}

// ---------------------------------------------------------------------------------------------
// Players: clients that keep unacknowledged answers and resend them

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    During,
    After,
}

#[derive(Debug, Clone)]
struct Pending {
    answer_id: String,
    question: String,
    option: u32,
}

enum Reply {
    Acked { points: u32, duplicate: bool },
    Retry,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// Questions acknowledged (first acknowledgement of each), by phase.
    acked: [usize; 3],
    /// `try_again` replies, by phase.
    try_again: [usize; 3],
    /// `unavailable` replies, by phase.
    unavailable: [usize; 3],
    /// Answers sent again with the same `answer_id`.
    resent: usize,
    /// First acknowledgements that said `duplicate: true`: the retry found the record the
    /// refused attempt had left in the scoreboard.
    acked_as_duplicate: usize,
    /// Slowest and fastest `try_again` / `unavailable` reply.
    slowest_retry: Duration,
    fastest_retry: Option<Duration>,
}

struct Player {
    index: usize,
    id: String,
    client: Client,
    /// Question → points, from the first acknowledgement.
    acked: BTreeMap<String, u32>,
    pending: Vec<Pending>,
    counts: Counts,
}

impl Player {
    /// Sends one answer and waits for its reply (boards are skipped).
    async fn send(&mut self, a: &Pending, phase: Phase) -> Reply {
        let sent = Instant::now();
        self.client
            .send(&json!({"type": "answer", "answer_id": a.answer_id, "question": a.question, "option": a.option}))
            .await;
        let deadline = sent + REPLY_WAIT;
        let reply: Value = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.next_frame_within(left).await {
                None => panic!(
                    "player {}: no reply to answer {} within {REPLY_WAIT:?} ({phase:?})",
                    self.id, a.answer_id
                ),
                Some(Frame::Closed(code)) => panic!(
                    "player {}: socket closed ({code:?}) waiting for the reply to {} ({phase:?})",
                    self.id, a.answer_id
                ),
                Some(Frame::Json(v)) if v["type"] == "board" => {}
                Some(Frame::Json(v)) => break v,
            }
        };
        let took = sent.elapsed();
        assert_eq!(reply["answer_id"], a.answer_id.as_str(), "{reply}");
        let p = phase as usize;
        match (reply["type"].as_str(), reply["code"].as_str()) {
            (Some("answer_result"), _) => {
                assert_eq!(reply["question"], a.question.as_str(), "{reply}");
                return Reply::Acked {
                    points: u32::try_from(reply["points"].as_u64().unwrap()).unwrap(),
                    duplicate: reply["duplicate"] == true,
                };
            }
            (Some("error"), Some("try_again")) => self.counts.try_again[p] += 1,
            (Some("error"), Some("unavailable")) => self.counts.unavailable[p] += 1,
            _ => panic!(
                "player {}: unexpected reply to {} ({phase:?}): {reply}",
                self.id, a.answer_id
            ),
        }
        let c = &mut self.counts;
        c.slowest_retry = c.slowest_retry.max(took);
        c.fastest_retry = Some(c.fastest_retry.map_or(took, |f| f.min(took)));
        Reply::Retry
    }

    fn record_ack(&mut self, a: &Pending, points: u32, duplicate: bool, phase: Phase) {
        if let Some(before) = self.acked.get(&a.question) {
            assert_eq!(
                *before, points,
                "player {}: {} acknowledged twice with different points",
                self.id, a.question
            );
            return;
        }
        self.acked.insert(a.question.clone(), points);
        self.counts.acked[phase as usize] += 1;
        if duplicate {
            self.counts.acked_as_duplicate += 1;
        }
    }

    /// Answers each question of `questions` once; refused ones join the pending list.
    async fn answer(&mut self, questions: Range<usize>, phase: Phase) {
        for q in questions {
            let a = Pending {
                answer_id: format!("a-{}-{q}", self.index),
                question: format!("q{q}"),
                option: ((self.index + q) % 3) as u32,
            };
            match self.send(&a, phase).await {
                Reply::Acked { points, duplicate } => self.record_ack(&a, points, duplicate, phase),
                Reply::Retry => self.pending.push(a),
            }
        }
    }

    /// Sends every pending answer once more, with its original `answer_id`.
    async fn resend_pending(&mut self, phase: Phase) {
        for a in std::mem::take(&mut self.pending) {
            self.counts.resent += 1;
            match self.send(&a, phase).await {
                Reply::Acked { points, duplicate } => self.record_ack(&a, points, duplicate, phase),
                Reply::Retry => self.pending.push(a),
            }
        }
    }

    /// Resends pending answers until none is left; panics after `deadline`.
    async fn resend_until_acked(&mut self, phase: Phase, deadline: Instant) {
        while !self.pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "player {}: {} answers still unacknowledged after {ACK_WAIT:?} ({phase:?}): {:?}",
                self.id,
                self.pending.len(),
                self.pending
            );
            self.resend_pending(phase).await;
            if !self.pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn answer_all(players: &mut [Player], questions: Range<usize>, phase: Phase) {
    join_all(
        players
            .iter_mut()
            .map(|p| p.answer(questions.clone(), phase)),
    )
    .await;
}

async fn ack_all(players: &mut [Player], phase: Phase) {
    let deadline = Instant::now() + ACK_WAIT;
    join_all(
        players
            .iter_mut()
            .map(|p| p.resend_until_acked(phase, deadline)),
    )
    .await;
}

fn sum(players: &[Player], f: impl Fn(&Counts) -> usize) -> usize {
    players.iter().map(|p| f(&p.counts)).sum()
}

/// The leaderboard (player → score) and the archive (player → standing) of `quiz`.
async fn board_and_archive(
    scoreboard: &Arc<dyn quiz_core::ports::Scoreboard>,
    archive: &Arc<dyn ScoreArchive>,
    quiz: &QuizId,
) -> (HashMap<String, u64>, HashMap<String, ArchivedStanding>) {
    let count = scoreboard.count(quiz).await.unwrap();
    let board = scoreboard
        .top(quiz, 0, count)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.player.to_string(), r.score()))
        .collect();
    let archived = archive
        .standings(quiz)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.player.to_string(), s))
        .collect();
    (board, archived)
}

/// Every way the archive and the leaderboard differ from what the players were told
/// (empty when they agree).
fn mismatches(
    players: &[Player],
    board: &HashMap<String, u64>,
    archived: &HashMap<String, ArchivedStanding>,
) -> Vec<String> {
    let mut out = Vec::new();
    if board.len() != players.len() || archived.len() != players.len() {
        out.push(format!(
            "{} players, {} on the leaderboard, {} in the archive",
            players.len(),
            board.len(),
            archived.len()
        ));
    }
    for p in players {
        let told: u64 = p.acked.values().map(|&x| u64::from(x)).sum();
        let Some(a) = archived.get(&p.id) else {
            out.push(format!("player {}: missing from the archive", p.id));
            continue;
        };
        let score = board.get(&p.id).copied();
        if (a.total, score) != (told, Some(told)) {
            out.push(format!(
                "player {}: archived total {}, leaderboard total {score:?}, acknowledged points {told}",
                p.id, a.total
            ));
        }
        if a.answers as usize != p.acked.len() {
            out.push(format!(
                "player {}: archived answer count {}, acknowledged questions {}",
                p.id,
                a.answers,
                p.acked.len()
            ));
        }
        let archived_points: BTreeMap<String, u32> = a
            .results
            .iter()
            .map(|(q, r)| (q.to_string(), r.points))
            .collect();
        if archived_points != p.acked || a.results.len() != p.acked.len() {
            out.push(format!(
                "player {}: archived results (question → points) {archived_points:?}, \
                 acknowledged {:?}",
                p.id, p.acked
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The test

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_answers_survive_a_kafka_broker_restart_exactly_once() {
    let test_started = Instant::now();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}-{nanos:x}", std::process::id());
    let topic = format!("kafka-restart-{tag}");
    let group = format!("kafka-restart-{tag}");
    let db = format!("kafka_restart_{}", tag.replace('-', "_"));
    let quiz = format!("kr-{tag}");
    let quiz_id = QuizId::parse(&quiz).unwrap();

    // The private broker, and the topic on it.
    let mut broker = Broker::create(&tag);
    let formatted = test_started.elapsed();
    let mut kc = KafkaConfig::new(broker.address());
    kc.topic = topic.clone();
    kc.partitions = 3;
    kc.delivery_timeout = DELIVERY_TIMEOUT;
    kc.request_timeout = Duration::from_secs(3);
    kc.linger = Duration::ZERO;
    let first_start = broker.wait_ready(&kc).await;

    // The server's ports as `backends::connect` builds them, but with our own event log.
    let mut cfg = config();
    cfg.redis_url = Some(service_url("QUIZ_TEST_REDIS_URL"));
    cfg.mongo_url = Some(service_url("QUIZ_TEST_MONGO_URL"));
    cfg.mongo_db = db.clone();
    cfg.token_secret = Some("kafka-restart-test-secret-0123456789abcdef".into());
    cfg.max_msgs_per_sec = 1000;
    let backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let events = Arc::new(KafkaEventLog::connect(&kc).await.unwrap());
    let mut ports = backends.ports.clone();
    ports.events = events.clone();
    let archive = ports.archive.clone();
    let scoreboard = ports.scoreboard.clone();
    let mut server = start_with(cfg.clone(), ports).await;
    server.create_quiz(&small_quiz(&quiz, QUESTIONS)).await;

    let mut worker_kc = KafkaConfig::new(broker.address());
    worker_kc.topic = topic.clone();
    let worker = start_worker(&worker_kc, &group, archive.clone()).await;

    let mut players = Vec::new();
    for index in 0..PLAYERS {
        let (client, joined, _snapshot) = server.player(&quiz, &format!("Player {index}")).await;
        players.push(Player {
            index,
            id: joined["player_id"].as_str().unwrap().to_owned(),
            client,
            acked: BTreeMap::new(),
            pending: Vec::new(),
            counts: Counts::default(),
        });
    }

    // 1. The broker runs: every answer is acknowledged, and the worker archives them (so
    //    the outage hits a worker with committed offsets, not one that has read nothing).
    answer_all(&mut players, BEFORE, Phase::Before).await;
    ack_all(&mut players, Phase::Before).await;
    let deadline = Instant::now() + CONVERGE_WAIT;
    loop {
        let (board, archived) = board_and_archive(&scoreboard, &archive, &quiz_id).await;
        let wrong = mismatches(&players, &board, &archived);
        if wrong.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not archive the answers of before the outage within \
             {CONVERGE_WAIT:?}: {wrong:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 2. The broker is down: every answer is refused (`try_again`) and kept for resending;
    //    resending once changes nothing.
    let (stop_took, graceful) = broker.stop().await;
    let outage_started = Instant::now();
    answer_all(&mut players, DURING, Phase::During).await;
    join_all(players.iter_mut().map(|p| p.resend_pending(Phase::During))).await;
    let outage_client_time = outage_started.elapsed();
    assert_eq!(
        sum(&players, |c| c.acked[Phase::During as usize]),
        0,
        "an answer was acknowledged while the only broker was down: it cannot be durable"
    );
    let pending_at_restart: usize = players.iter().map(|p| p.pending.len()).sum();
    assert_eq!(
        pending_at_restart,
        PLAYERS * DURING.len(),
        "every answer of the outage is pending"
    );

    // 3. The broker restarts on the same data (no reformat) while the players resend; then
    //    they answer the remaining questions.
    broker.spawn();
    let restarted = Instant::now();
    let (restart_took, ()) = tokio::join!(broker.wait_ready(&kc), async {
        ack_all(&mut players, Phase::After).await;
    });
    let pending_acked_after = restarted.elapsed();
    answer_all(&mut players, AFTER, Phase::After).await;
    ack_all(&mut players, Phase::After).await;
    assert_eq!(
        events.fatal_error(),
        None,
        "the producer hit a fatal error (every later publish would fail)"
    );
    let all_acked = Instant::now();

    // 4. The worker that lived through the outage catches up by itself (a consumer that
    //    backed off per queued broker error used to fall minutes behind here).
    let deadline = all_acked + WORKER_GRACE;
    let (board, archived, caught_up) = loop {
        let (board, archived) = board_and_archive(&scoreboard, &archive, &quiz_id).await;
        let wrong = mismatches(&players, &board, &archived);
        if wrong.is_empty() {
            break (board, archived, all_acked.elapsed());
        }
        if worker.task.is_finished() || Instant::now() > deadline {
            let report = worker.stop().await;
            panic!(
                "the worker that lived through the outage did not catch up within \
                 {WORKER_GRACE:?} after every answer was acknowledged ({report:?}); \
                 mismatches: {wrong:#?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let reports: Vec<(&str, RunReport)> = vec![(
        "outage worker",
        worker
            .stop()
            .await
            .unwrap_or_else(|e| panic!("the worker failed: {e}")),
    )];

    // 5. Report, then compare per player: archive == leaderboard == what the player was told.
    let acked_total: usize = players.iter().map(|p| p.acked.len()).sum();
    let board_total: u64 = board.values().sum();
    let archive_total: u64 = archived.values().map(|a| a.total).sum();
    let archived_answers: u64 = archived.values().map(|a| u64::from(a.answers)).sum();
    let c = |f: fn(&Counts) -> usize| sum(&players, f);
    let slowest = players
        .iter()
        .map(|p| p.counts.slowest_retry)
        .max()
        .unwrap_or_default();
    let fastest = players
        .iter()
        .filter_map(|p| p.counts.fastest_retry)
        .min()
        .unwrap_or_default();
    println!(
        "kafka restart: {PLAYERS} players, {acked_total} answers acknowledged: {} before the \
         outage, {} during it, {} after the restart (of which {pending_at_restart} were outage \
         answers resent, {} first acknowledged as duplicate); try_again replies: {} before, {} \
         during, {} after (each {:.1}-{:.1}s after sending, delivery timeout {DELIVERY_TIMEOUT:?}); \
         unavailable replies: {}; answers resent: {}",
        c(|c| c.acked[0]),
        c(|c| c.acked[1]),
        c(|c| c.acked[2]),
        c(|c| c.acked_as_duplicate),
        c(|c| c.try_again[0]),
        c(|c| c.try_again[1]),
        c(|c| c.try_again[2]),
        fastest.as_secs_f64(),
        slowest.as_secs_f64(),
        c(|c| c.unavailable.iter().sum()),
        c(|c| c.resent),
    );
    for (which, r) in &reports {
        println!(
            "kafka restart: {which}: consumed {} events ({} applied, {} stale) in {} batches; \
             {} source errors, {} commit errors, {} apply errors",
            r.consumed,
            r.applied,
            r.stale,
            r.batches_committed,
            r.source_errors,
            r.commit_errors,
            r.apply_errors,
        );
    }
    println!(
        "kafka restart: leaderboard total {board_total}, archive total {archive_total}, \
         archived answers {archived_answers}; archive caught up {:.1}s after the last \
         acknowledgement",
        caught_up.as_secs_f64(),
    );
    println!(
        "kafka restart: format {:.1}s, first start {:.1}s, stop {:.1}s ({}), restart to ready \
         {:.1}s, restart to every pending answer acknowledged {:.1}s, client time in the \
         outage {:.1}s; test {:.1}s",
        formatted.as_secs_f64(),
        first_start.as_secs_f64(),
        stop_took.as_secs_f64(),
        if graceful { "SIGTERM" } else { "SIGKILL" },
        restart_took.as_secs_f64(),
        pending_acked_after.as_secs_f64(),
        outage_client_time.as_secs_f64(),
        test_started.elapsed().as_secs_f64(),
    );

    assert_eq!(
        acked_total,
        PLAYERS * QUESTIONS,
        "every answer acknowledged"
    );
    assert!(
        c(|c| c.try_again[1]) > 0,
        "the outage produced no try_again"
    );
    let wrong = mismatches(&players, &board, &archived);
    assert!(
        wrong.is_empty(),
        "archive, leaderboard and acknowledgements disagree: {wrong:#?}"
    );
    assert_eq!(
        archived_answers, acked_total as u64,
        "every acknowledged answer archived exactly once"
    );

    for p in players {
        p.client.close().await;
    }
    server.stop().await;
    events.flush(Duration::from_secs(5)).await.unwrap();
    drop(events);
    backends.shutdown().await;
    drop(broker);
}
