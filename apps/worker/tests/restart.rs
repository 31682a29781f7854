//! The `quiz-worker` binary killed with SIGKILL and restarted at once resumes archiving
//! within seconds (static group membership: with `--kafka-instance-id`, and with the
//! default id when the flag is absent), and `/healthz` says "not consuming" for a worker
//! the group gives no partition.
//!
//! Needs Kafka and FerretDB (`cargo xtask services up`, or `QUIZ_TEST_KAFKA_BROKERS` and
//! `QUIZ_TEST_MONGO_URL`); fails without them. Uses its own topic, group and database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quiz_conformance::service_url;
use quiz_core::QuizId;
use quiz_core::ports::ScoreEventLog;
use quiz_kafka::{KafkaConfig, KafkaEventLog};
use quiz_mongo::MongoStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The bound the issue sets for archiving again after a restart.
const RESUME_WITHIN: Duration = Duration::from_secs(10);

struct Worker {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

struct Setup {
    brokers: String,
    topic: String,
    group: String,
    mongo: String,
    db: String,
}

impl Setup {
    fn spawn(&self, instance: &str) -> Worker {
        self.spawn_on(Some(instance), free_addr())
    }

    /// A worker listening on `addr`, with `--kafka-instance-id` when `instance` is given
    /// (else the default: host name and listen address).
    fn spawn_on(&self, instance: Option<&str>, addr: SocketAddr) -> Worker {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quiz-worker"));
        if let Some(id) = instance {
            cmd.args(["--kafka-instance-id", id]);
        }
        let child = cmd
            .args(["--kafka-brokers", &self.brokers])
            .args(["--kafka-topic", &self.topic])
            .args(["--kafka-group", &self.group])
            .args(["--kafka-partitions", "1"])
            .args(["--mongo-url", &self.mongo])
            .args(["--mongo-db", &self.db])
            .args(["--batch-wait-ms", "100"])
            .args(["--listen", &addr.to_string()])
            .env_remove("QUIZ_KAFKA_GROUP")
            .env_remove("QUIZ_KAFKA_INSTANCE_ID")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Worker { child, addr }
    }
}

async fn healthz(addr: SocketAddr) -> Option<(u16, serde_json::Value)> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n")?.1;
    Some((status, serde_json::from_str(body.trim()).ok()?))
}

/// Polls `/healthz` until `pred` holds on (status, body), within `within`.
async fn health_until(
    addr: SocketAddr,
    within: Duration,
    pred: impl Fn(u16, &serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let got = healthz(addr).await;
        if let Some((status, body)) = &got
            && pred(*status, body)
        {
            return body.clone();
        }
        assert!(
            Instant::now() < deadline,
            "/healthz never reached the expected state within {within:?}: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn archived_players(store: &MongoStore, quiz: &QuizId) -> usize {
    common::archived(store, std::slice::from_ref(quiz))
        .await
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_and_restarted_archives_again_within_seconds() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}_{nanos:x}", std::process::id());
    let setup = Setup {
        brokers: service_url("QUIZ_TEST_KAFKA_BROKERS"),
        topic: format!("restart-{tag}"),
        group: format!("restart-{tag}"),
        mongo: service_url("QUIZ_TEST_MONGO_URL"),
        db: format!("restart_{tag}"),
    };
    let mut kc = KafkaConfig::new(setup.brokers.clone());
    kc.topic = setup.topic.clone();
    kc.partitions = 1;
    let log = KafkaEventLog::connect(&kc).await.unwrap();
    let store = MongoStore::connect(&setup.mongo, &setup.db).await.unwrap();
    let quiz = QuizId::parse(format!("rs-{tag}")).unwrap();
    let before = common::events(&quiz, 5, 2);
    for e in &before {
        log.publish(e).await.unwrap();
    }

    // One worker archives the first events, and is healthy and consuming.
    let mut w1 = setup.spawn("worker-1");
    health_until(w1.addr, Duration::from_secs(30), |s, b| {
        s == 200 && b["consuming"] == true
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while archived_players(&store, &quiz).await < 5 {
        assert!(
            Instant::now() < deadline,
            "the first worker archived nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // SIGKILL, restart at once with the same instance id, publish more: archived within
    // seconds, not after the dead member's session timeout.
    w1.child.kill().unwrap();
    w1.child.wait().unwrap();
    let restarted = Instant::now();
    let w1b = setup.spawn("worker-1");
    let after = common::events(&QuizId::parse(format!("rs2-{tag}")).unwrap(), 3, 1);
    for e in &after {
        log.publish(e).await.unwrap();
    }
    let quiz2 = after[0].quiz.clone();
    while archived_players(&store, &quiz2).await < 3 {
        assert!(
            restarted.elapsed() < RESUME_WITHIN,
            "the restarted worker archived nothing within {RESUME_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resumed = restarted.elapsed();
    health_until(w1b.addr, Duration::from_secs(5), |s, b| {
        s == 200 && b["consuming"] == true
    })
    .await;
    println!(
        "worker restart: killed with SIGKILL, restarted, archiving again {:.1} s after the \
         restart (bound {RESUME_WITHIN:?})",
        resumed.as_secs_f64()
    );
    drop(w1b);

    // Two members of another group on the one-partition topic: one gets the partition,
    // the other nothing, and its health says so.
    let idle_group = Setup {
        group: format!("{}-idle", setup.group),
        ..setup
    };
    let a = idle_group.spawn("idle-a");
    let b = idle_group.spawn("idle-b");
    let deadline = Instant::now() + Duration::from_secs(30);
    let idle = loop {
        let (ha, hb) = (healthz(a.addr).await, healthz(b.addr).await);
        let consuming = |h: &Option<(u16, serde_json::Value)>| {
            h.as_ref()
                .is_some_and(|(s, b)| *s == 200 && b["consuming"] == true)
        };
        let idle = |h: &Option<(u16, serde_json::Value)>| {
            h.as_ref()
                .is_some_and(|(s, b)| *s == 503 && b["status"] == "not consuming")
        };
        if consuming(&ha) && idle(&hb) {
            break hb;
        }
        if consuming(&hb) && idle(&ha) {
            break ha;
        }
        assert!(
            Instant::now() < deadline,
            "no consuming/idle pair within 30 s: {ha:?} {hb:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("worker restart: the member without a partition reports {idle:?}");
    drop((a, b));
    log.flush(Duration::from_secs(5)).await.unwrap();
    store.shutdown().await;
}

/// The default instance id (host name and listen address) makes the fast restart the
/// default: a worker killed and restarted with the same flags and no
/// `--kafka-instance-id` archives again within seconds, not after the ~45 s session
/// timeout of dynamic membership.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_restarted_with_default_flags_consumes_again_within_seconds() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}_{nanos:x}", std::process::id());
    let setup = Setup {
        brokers: service_url("QUIZ_TEST_KAFKA_BROKERS"),
        topic: format!("restart-default-{tag}"),
        group: format!("restart-default-{tag}"),
        mongo: service_url("QUIZ_TEST_MONGO_URL"),
        db: format!("restart_default_{tag}"),
    };
    let mut kc = KafkaConfig::new(setup.brokers.clone());
    kc.topic = setup.topic.clone();
    kc.partitions = 1;
    let log = KafkaEventLog::connect(&kc).await.unwrap();
    let store = MongoStore::connect(&setup.mongo, &setup.db).await.unwrap();
    let quiz = QuizId::parse(format!("rd-{tag}")).unwrap();
    for e in &common::events(&quiz, 4, 1) {
        log.publish(e).await.unwrap();
    }
    let addr = free_addr();
    let mut w = setup.spawn_on(None, addr);
    health_until(addr, Duration::from_secs(30), |s, b| {
        s == 200 && b["consuming"] == true
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while archived_players(&store, &quiz).await < 4 {
        assert!(
            Instant::now() < deadline,
            "the worker with default flags archived nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    w.child.kill().unwrap();
    w.child.wait().unwrap();
    let restarted = Instant::now();
    let again = setup.spawn_on(None, addr);
    let quiz2 = QuizId::parse(format!("rd2-{tag}")).unwrap();
    for e in &common::events(&quiz2, 3, 1) {
        log.publish(e).await.unwrap();
    }
    while archived_players(&store, &quiz2).await < 3 {
        assert!(
            restarted.elapsed() < RESUME_WITHIN,
            "the worker restarted with default flags archived nothing within {RESUME_WITHIN:?} \
             (dynamic membership would wait ~45 s)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resumed = restarted.elapsed();
    health_until(again.addr, Duration::from_secs(5), |s, b| {
        s == 200 && b["consuming"] == true
    })
    .await;
    println!(
        "worker restart with default flags (no --kafka-instance-id): archiving again {:.1} s \
         after the restart (bound {RESUME_WITHIN:?})",
        resumed.as_secs_f64()
    );
    drop(again);
    log.flush(Duration::from_secs(5)).await.unwrap();
    store.shutdown().await;
}
