//! The consumer stream against a real broker: batches, commits and resuming, redelivery
//! of what was not committed, poison messages, lag.

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use quiz_core::ScoreEvent;
use quiz_core::ports::ScoreEventLog;
use quiz_kafka::{Batch, KafkaConfig, KafkaEventLog, KafkaEventStream, SetupError};
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_millis(300);

async fn publish_all(config: &KafkaConfig, events: &[ScoreEvent]) {
    let log = KafkaEventLog::connect(config).await.unwrap();
    for e in events {
        log.publish(e).await.unwrap();
    }
}

/// Takes batches until `want` events arrived or the read timeout passed.
async fn take(stream: &KafkaEventStream, want: usize, max: usize) -> Vec<Batch> {
    let deadline = Instant::now() + common::READ_TIMEOUT;
    let mut batches = Vec::new();
    let mut got = 0;
    while got < want && Instant::now() < deadline {
        let b = stream.next_batch(max, WAIT).await.unwrap();
        got += b.events().len();
        if !b.is_empty() {
            batches.push(b);
        }
    }
    batches
}

fn ids(batches: &[Batch]) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| b.events().iter().map(|e| e.event_id.clone()))
        .collect()
}

/// A committed batch is not read again by the group; what follows it is; nothing is
/// lost or repeated across the switch to a new member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_resumes_after_the_committed_offsets() {
    let config = common::config("resume", 3);
    let quizzes: Vec<_> = (0..3)
        .map(|_| quiz_conformance::unique_quiz("resume"))
        .collect();
    let all: Vec<ScoreEvent> = quizzes.iter().flat_map(|q| common::events(q, 10)).collect();
    publish_all(&config, &all).await;
    let group = common::unique("group");

    let first = KafkaEventStream::connect(&config, &group).await.unwrap();
    let batches = take(&first, 1, 7).await;
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert!(!batch.events().is_empty() && batch.events().len() <= 7);
    // The batch's offsets are one past its last message per partition.
    assert_eq!(
        batch.offsets().map(|(_, o)| o).sum::<i64>(),
        i64::try_from(batch.events().len()).unwrap(),
        "a fresh topic: offsets start at 0"
    );
    first.commit(batch).await.unwrap();
    let committed = ids(&batches);
    // Take more without committing: the next member must see these again.
    let uncommitted = ids(&take(&first, 3, 3).await);
    assert!(!uncommitted.is_empty());
    first.close().await;

    let second = KafkaEventStream::connect(&config, &group).await.unwrap();
    let rest = ids(&take(&second, all.len() - committed.len(), 50).await);
    println!(
        "first member committed {}, then took {} without committing; second member read {} of {}",
        committed.len(),
        uncommitted.len(),
        rest.len(),
        all.len()
    );
    let rest_set: BTreeSet<_> = rest.iter().cloned().collect();
    assert_eq!(
        rest.len(),
        rest_set.len(),
        "no event read twice by the second member"
    );
    assert!(
        committed.iter().all(|id| !rest_set.contains(id)),
        "committed ones are not re-read"
    );
    assert!(
        uncommitted.iter().all(|id| rest_set.contains(id)),
        "uncommitted ones are re-read"
    );
    let mut union: BTreeSet<_> = committed.into_iter().collect();
    union.extend(rest_set);
    let want: BTreeSet<_> = all.iter().map(|e| e.event_id.clone()).collect();
    assert_eq!(union, want, "every event read by one member or the other");

    // Each quiz's events arrive in publish order.
    for q in &quizzes {
        let order: Vec<_> = all
            .iter()
            .filter(|e| &e.quiz == q)
            .map(|e| e.event_id.clone())
            .collect();
        let seen: Vec<_> = rest
            .iter()
            .filter(|id| order.contains(id))
            .cloned()
            .collect();
        let expected: Vec<_> = order
            .iter()
            .filter(|id| seen.contains(id))
            .cloned()
            .collect();
        assert_eq!(seen, expected);
    }
    second.close().await;
}

/// Messages that are not score events are skipped and counted, committed past, and never
/// block the events behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_are_skipped_and_committed_past() {
    let config = common::config("poison", 1);
    quiz_kafka::ensure_topic(&config).await.unwrap();
    let q = quiz_conformance::unique_quiz("poison");
    let good = common::events(&q, 4);
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .unwrap();
    let log = KafkaEventLog::connect(&config).await.unwrap();
    let send_raw = |payload: Option<&'static [u8]>| {
        let mut record = FutureRecord::<str, [u8]>::to(&config.topic).key(q.as_str());
        if let Some(p) = payload {
            record = record.payload(p);
        }
        producer.send(record, Duration::from_secs(5))
    };
    log.publish(&good[0]).await.unwrap();
    send_raw(Some(b"{not json")).await.unwrap();
    log.publish(&good[1]).await.unwrap();
    send_raw(Some(br#"{"v":1,"event_id":"x"}"#)).await.unwrap();
    send_raw(None).await.unwrap();
    log.publish(&good[2]).await.unwrap();
    log.publish(&good[3]).await.unwrap();

    let group = common::unique("group");
    let stream = KafkaEventStream::connect(&config, &group).await.unwrap();
    let batches = take(&stream, good.len(), 100).await;
    let events: Vec<ScoreEvent> = batches.iter().flat_map(|b| b.events().to_vec()).collect();
    assert_eq!(events, good, "the good events, in order, around the poison");
    let skipped: u64 = batches.iter().map(Batch::skipped).sum();
    assert_eq!(skipped, 3);
    assert_eq!(stream.skipped_total(), 3);
    for b in &batches {
        stream.commit(b).await.unwrap();
    }
    assert_eq!(
        batches.last().unwrap().offsets().collect::<Vec<_>>(),
        vec![(0, 7)]
    );
    stream.close().await;

    // The group is past everything: a new member finds nothing.
    let again = KafkaEventStream::connect(&config, &group).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let b = again.next_batch(100, WAIT).await.unwrap();
        assert!(b.is_empty(), "nothing after the committed offsets: {b:?}");
    }
    again.close().await;
}

/// An event of a newer version is not skipped: the stream stops (fatal) before committing
/// it, so an upgraded reader applies it later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_event_version_stops_the_stream_instead_of_being_skipped() {
    let config = common::config("newer", 1);
    quiz_kafka::ensure_topic(&config).await.unwrap();
    let q = quiz_conformance::unique_quiz("newer");
    let good = common::events(&q, 1);
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .unwrap();
    KafkaEventLog::connect(&config)
        .await
        .unwrap()
        .publish(&good[0])
        .await
        .unwrap();
    producer
        .send(
            FutureRecord::<str, [u8]>::to(&config.topic)
                .key(q.as_str())
                .payload(br#"{"v":2,"new_field":true}"#),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    let stream = KafkaEventStream::connect(&config, &common::unique("group"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let err = loop {
        match stream.next_batch(100, WAIT).await {
            Err(e) => break e,
            Ok(b) => {
                // Events before the newer one may arrive in an earlier batch; never the newer one.
                assert_eq!(b.skipped(), 0, "a newer version must not be skipped");
                assert!(
                    Instant::now() < deadline,
                    "the stream never stopped on the newer event"
                );
            }
        }
    };
    assert!(matches!(err, quiz_kafka::StreamError::Fatal(_)), "{err:?}");
    assert_eq!(stream.skipped_total(), 0);
    stream.close().await;
}

/// Lag counts what the group has not committed, and drops to zero after the commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_counts_uncommitted_events() {
    let config = common::config("lag", 2);
    let q = quiz_conformance::unique_quiz("lag");
    let evs = common::events(&q, 12);
    publish_all(&config, &evs).await;
    let stream = KafkaEventStream::connect(&config, &common::unique("group"))
        .await
        .unwrap();
    let batches = take(&stream, evs.len(), 100).await;
    assert_eq!(ids(&batches).len(), evs.len());

    // Statistics arrive about once a second, served while the stream is polled.
    let lag_until = |want: u64| {
        let stream = &stream;
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            let mut seen = None;
            while Instant::now() < deadline {
                seen = stream.lag();
                if seen == Some(want) {
                    break;
                }
                assert!(stream.next_batch(10, WAIT).await.unwrap().is_empty());
            }
            seen
        }
    };
    assert_eq!(lag_until(12).await, Some(12), "all taken, none committed");
    for b in &batches {
        stream.commit(b).await.unwrap();
    }
    assert_eq!(lag_until(0).await, Some(0), "all committed");
    stream.close().await;
}

/// An empty group id is refused before any network traffic.
#[tokio::test]
async fn an_empty_group_is_refused() {
    let config = KafkaConfig::new("127.0.0.1:9");
    assert!(matches!(
        KafkaEventStream::connect(&config, " ").await,
        Err(SetupError::Config(_))
    ));
}

/// Events published with each compression codec are read back intact and in order (a
/// codec librdkafka was built without would already fail creating the producer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_events_are_read_back_intact() {
    for codec in [
        quiz_kafka::Compression::Lz4,
        quiz_kafka::Compression::Snappy,
        quiz_kafka::Compression::Gzip,
    ] {
        let mut config = common::config(&format!("codec-{}", codec.as_str()), 1);
        config.compression = codec;
        let q = quiz_conformance::unique_quiz("codec");
        let evs = common::events(&q, 8);
        publish_all(&config, &evs).await;
        let stream = KafkaEventStream::connect(&config, &common::unique("group"))
            .await
            .unwrap();
        let batches = take(&stream, evs.len(), 100).await;
        let got: Vec<&ScoreEvent> = batches.iter().flat_map(|b| b.events().iter()).collect();
        let want: Vec<&ScoreEvent> = evs.iter().collect();
        assert_eq!(got, want, "{codec:?}");
        stream.close().await;
    }
}
