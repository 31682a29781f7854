//! Helpers shared by the integration tests: unique topics, fixture events, and readers
//! that look at the topic with a plain rdkafka consumer (not the crate's own stream, so a
//! bug there cannot hide one in the producer).

#![allow(dead_code)] // Each test binary uses a different subset.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use quiz_conformance::events::ReadBack;
use quiz_conformance::fixtures::{CREATED, name, player, question};
use quiz_contracts::event::ScoreEventV1;
use quiz_core::{AnswerResult, QuizId, ScoreEvent};
use quiz_kafka::KafkaConfig;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use tokio::time::Instant;

/// How long a reader waits for events it expects.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A name no other test (in this or another process) uses.
pub fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "qt-{tag}-{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A config for the test broker with a fresh topic of `partitions` partitions.
pub fn config(tag: &str, partitions: i32) -> KafkaConfig {
    KafkaConfig {
        topic: unique(tag),
        partitions,
        client_id: format!("quiz-kafka-test-{tag}"),
        ..KafkaConfig::new(quiz_conformance::service_url("QUIZ_TEST_KAFKA_BROKERS"))
    }
}

/// `n` events of one quiz: players `p0…` each answering questions in turn, so every
/// event has a distinct id and per-player answer counts grow.
pub fn events(quiz: &QuizId, n: usize) -> Vec<ScoreEvent> {
    (0..n)
        .map(|i| {
            let p = player(&format!("p{}", i % 5));
            let answers = u32::try_from(i / 5 + 1).unwrap();
            let q = question(&format!("q{}", i / 5));
            let at = CREATED.plus_ms(1_000 * u64::from(answers));
            ScoreEvent {
                event_id: ScoreEvent::id_for(quiz, &p, &q),
                quiz: quiz.clone(),
                player: p.clone(),
                player_name: name(&format!("P{}", i % 5)),
                joined_at: CREATED.plus_ms(10 * (i % 5) as u64),
                question: q,
                result: AnswerResult {
                    correct: true,
                    points: 10,
                    streak: answers,
                    at,
                    elapsed_ms: None,
                },
                total: 10 * u64::from(answers),
                answers,
                reached_at: at,
            }
        })
        .collect()
}

/// A plain rdkafka consumer in a fresh group, subscribed to `config.topic` from the start.
pub fn raw_consumer(config: &KafkaConfig) -> StreamConsumer {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&config.topic]).expect("subscribe");
    consumer
}

/// One message as read back: partition, key and decoded payload.
#[derive(Debug, Clone)]
pub struct Read {
    pub partition: i32,
    pub key: Option<String>,
    pub event: Result<ScoreEvent, String>,
}

/// Reads messages of `config.topic` until `done` says so or `timeout` passes.
pub async fn read_until(
    config: &KafkaConfig,
    timeout: Duration,
    mut done: impl FnMut(&[Read]) -> bool,
) -> Vec<Read> {
    let consumer = raw_consumer(config);
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while !done(&out) {
        match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Err(_) => break,
            Ok(Err(e)) => eprintln!("reader: {e}"),
            Ok(Ok(m)) => out.push(Read {
                partition: m.partition(),
                key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                event: m.payload().map_or_else(
                    || Err("no payload".into()),
                    |p| ScoreEventV1::decode(p).map_err(|e| e.to_string()),
                ),
            }),
        }
    }
    out
}

/// How many messages the topic holds: the sum of its partitions' high watermarks.
pub async fn message_count(config: &KafkaConfig) -> i64 {
    let consumer = raw_consumer(config);
    let topic = config.topic.clone();
    let partitions = config.partitions;
    tokio::task::spawn_blocking(move || {
        (0..partitions)
            .map(|p| {
                consumer
                    .fetch_watermarks(&topic, p, Duration::from_secs(10))
                    .expect("watermarks")
                    .1
            })
            .sum()
    })
    .await
    .unwrap()
}

/// The conformance suite's reader: a consumer in its own group.
pub struct TopicReader(pub KafkaConfig);

impl ReadBack for TopicReader {
    fn read<'a>(
        &'a self,
        quiz: &'a QuizId,
        n: usize,
    ) -> Pin<Box<dyn Future<Output = Vec<ScoreEvent>> + Send + 'a>> {
        Box::pin(async move {
            let of_quiz = |r: &Read| matches!(&r.event, Ok(e) if &e.quiz == quiz);
            read_until(&self.0, READ_TIMEOUT, |got| {
                got.iter().filter(|r| of_quiz(r)).count() >= n
            })
            .await
            .into_iter()
            .filter_map(|r| r.event.ok())
            .filter(|e| &e.quiz == quiz)
            .collect()
        })
    }
}
