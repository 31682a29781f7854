//! The producer against a real broker: keying, backpressure, and an unreachable broker.

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use quiz_core::ports::{PublishError, ScoreEventLog};
use quiz_kafka::{KafkaConfig, KafkaEventLog, SetupError};

/// Every event is keyed by its quiz id, and all events of a quiz land in one partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_keyed_by_quiz_and_a_quiz_stays_in_one_partition() {
    let config = common::config("key", 4);
    let log = KafkaEventLog::connect(&config).await.unwrap();
    let quizzes: Vec<_> = (0..6)
        .map(|_| quiz_conformance::unique_quiz("key"))
        .collect();
    let mut sent = 0;
    for q in &quizzes {
        for e in common::events(q, 4) {
            log.publish(&e).await.unwrap();
            sent += 1;
        }
    }
    let back = common::read_until(&config, common::READ_TIMEOUT, |got| got.len() >= sent).await;
    assert_eq!(back.len(), sent);
    let mut partition_of: HashMap<String, BTreeSet<i32>> = HashMap::new();
    for r in &back {
        let e = r.event.as_ref().unwrap();
        assert_eq!(r.key.as_deref(), Some(e.quiz.as_str()), "key = quiz id");
        partition_of
            .entry(e.quiz.to_string())
            .or_default()
            .insert(r.partition);
    }
    assert_eq!(partition_of.len(), quizzes.len());
    assert!(
        partition_of.values().all(|ps| ps.len() == 1),
        "{partition_of:?}"
    );
}

/// With room for one message, a burst of concurrent publishes gets `Backpressure` for
/// some at once; every publish that answered `Ok` is on the topic and no refused one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_local_queue_answers_backpressure_at_once() {
    let config = KafkaConfig {
        queue_capacity: 1,
        ..common::config("bp", 2)
    };
    let log = KafkaEventLog::connect(&config).await.unwrap();
    let q = quiz_conformance::unique_quiz("bp");
    let evs = common::events(&q, 50);
    let started = Instant::now();
    // `join_all` polls every publish once before any can complete: all 50 try to enqueue
    // while the first is still in flight.
    let results = join_all(evs.iter().map(|e| log.publish(e))).await;
    let elapsed = started.elapsed();
    let ok: BTreeSet<String> = evs
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|(e, _)| e.event_id.clone())
        .collect();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(PublishError::Backpressure)))
        .count();
    let failed: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, Err(PublishError::Unavailable(_))))
        .collect();
    println!(
        "{} ok, {refused} backpressure, {} unavailable, in {elapsed:?}",
        ok.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:?}");
    assert!(
        refused >= 1,
        "a queue of one must refuse some of 50 concurrent publishes"
    );
    assert!(!ok.is_empty());
    assert_eq!(ok.len() + refused, evs.len());

    // Exactly the accepted events are on the topic.
    let total = usize::try_from(common::message_count(&config).await).unwrap();
    assert_eq!(
        total,
        ok.len(),
        "the topic holds exactly the accepted events"
    );
    let back = common::read_until(&config, common::READ_TIMEOUT, |got| got.len() >= total).await;
    let on_topic: BTreeSet<String> = back
        .into_iter()
        .map(|r| r.event.unwrap().event_id)
        .collect();
    assert_eq!(on_topic, ok);

    // Once the queue has drained, publishing works again.
    log.publish(&evs[0]).await.unwrap();
}

/// A broker nobody listens on: `publish` answers `Unavailable` after the delivery timeout,
/// neither hanging nor panicking; `connect` fails within its request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_answers_unavailable_in_bounded_time() {
    let config = KafkaConfig {
        topic: common::unique("down"),
        delivery_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        // Port 9 (discard) on loopback: nothing listens, connections are refused.
        ..KafkaConfig::new("127.0.0.1:9")
    };
    let log = KafkaEventLog::new(&config).unwrap();
    let q = quiz_conformance::unique_quiz("down");
    let evs = common::events(&q, 3);
    let started = Instant::now();
    let results = join_all(evs.iter().map(|e| log.publish(e))).await;
    let elapsed = started.elapsed();
    println!("publish to an unreachable broker failed after {elapsed:?}");
    for r in &results {
        assert!(matches!(r, Err(PublishError::Unavailable(_))), "{r:?}");
    }
    assert!(elapsed >= Duration::from_millis(1_500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");

    let started = Instant::now();
    let connect = KafkaEventLog::connect(&config).await;
    let elapsed = started.elapsed();
    println!("connect to an unreachable broker failed after {elapsed:?}");
    assert!(
        matches!(connect, Err(SetupError::Unavailable(_))),
        "{connect:?}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

/// Invalid settings are refused before any network traffic.
#[tokio::test]
async fn invalid_settings_are_refused() {
    let config = KafkaConfig {
        queue_capacity: 0,
        ..KafkaConfig::new("127.0.0.1:9")
    };
    assert!(matches!(
        KafkaEventLog::new(&config),
        Err(SetupError::Config(_))
    ));
    assert!(matches!(
        KafkaEventLog::connect(&config).await,
        Err(SetupError::Config(_))
    ));
}

/// Sequential publish latency on the local broker, with librdkafka's default linger and
/// with none (printed; bounded loosely so a slow machine does not fail the test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_latency_is_reported() {
    for linger in [Duration::from_millis(5), Duration::ZERO] {
        let config = KafkaConfig {
            linger,
            ..common::config("lat", 1)
        };
        let log = KafkaEventLog::connect(&config).await.unwrap();
        let q = quiz_conformance::unique_quiz("lat");
        let evs = common::events(&q, 200);
        log.publish(&evs[0]).await.unwrap(); // Warm up: connection, producer id.
        let mut took: Vec<Duration> = Vec::new();
        for e in &evs[1..] {
            let t = Instant::now();
            log.publish(e).await.unwrap();
            took.push(t.elapsed());
        }
        took.sort();
        let pct = |p: usize| took[(took.len() - 1) * p / 100];
        let t = Instant::now();
        let results = join_all(evs.iter().map(|e| log.publish(e))).await;
        let burst = t.elapsed();
        assert!(results.iter().all(Result::is_ok));
        println!(
            "linger {linger:?}: sequential publish p50 {:?}, p99 {:?}, max {:?} over {}; \
             {} concurrent publishes in {burst:?}",
            pct(50),
            pct(99),
            pct(100),
            took.len(),
            evs.len(),
        );
        assert!(pct(50) < Duration::from_secs(1));
        log.flush(Duration::from_secs(5)).await.unwrap();
    }
}
