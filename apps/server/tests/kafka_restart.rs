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

#[path = "kafka_restart/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{config, small_quiz, start_with};
use futures_util::future::join_all;
use quiz_conformance::service_url;
use quiz_core::ports::ScoreArchive;
use quiz_core::{ArchivedStanding, QuizId};
use quiz_kafka::{KafkaConfig, KafkaEventLog};
use quiz_worker::RunReport;
use support::broker::Broker;
use support::players::{Counts, Phase, Player, ack_all, answer_all, sum};
use support::worker::start_worker;

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
/// How long the worker that lived through the outage gets to catch up once every answer is
/// How long an answer waits for Kafka's acknowledgement before `try_again` (the server's
/// `--kafka-ack-timeout-ms` default).
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
/// Slack over [`ACK_TIMEOUT`] for a refusal to reach the player (scheduling, the round trip).
const REFUSAL_SLACK: Duration = Duration::from_millis(1500);

/// Polls `/readyz` until its status is `want` (within `within`); returns the body.
async fn readyz_until(
    server: &common::TestServer,
    want: u16,
    within: Duration,
) -> serde_json::Value {
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

/// How long the worker that lived through the outage gets to catch up once every answer is
/// acknowledged (generous: the machine may be busy).
const WORKER_GRACE: Duration = Duration::from_secs(30);
/// Bound on the archive catching up before the outage.
const CONVERGE_WAIT: Duration = Duration::from_secs(40);

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
    kc.ack_timeout = ACK_TIMEOUT;
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
    // Readiness says so, naming the event log.
    let unready = readyz_until(&server, 503, Duration::from_secs(10)).await;
    assert!(
        unready["failing"]
            .as_array()
            .is_some_and(|f| f.iter().any(|p| p == "event log")),
        "{unready}"
    );
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
    readyz_until(&server, 200, Duration::from_secs(20)).await;
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
         during, {} after (each {:.1}-{:.1}s after sending, ack timeout {ACK_TIMEOUT:?}); \
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
    assert!(
        slowest <= ACK_TIMEOUT + REFUSAL_SLACK,
        "a try_again took {slowest:?}; the bound is {ACK_TIMEOUT:?} (+{REFUSAL_SLACK:?} slack)"
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
