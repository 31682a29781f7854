//! Score events written before question types (and before answer times) are applied by
//! this worker unchanged: the committed payloads of `contracts/tests/fixtures` are read
//! with the decoder the Kafka source uses, mixed with events of this release, run through
//! the worker loop into the archive, and give the standings they always gave.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use common::{MemSource, Scripted};
use quiz_contracts::event::ScoreEventV1;
use quiz_core::ports::ScoreArchive;
use quiz_core::{AnswerResult, QuestionId, QuizId, ScoreEvent, Timestamp};
use quiz_memory::MemoryArchive;
use quiz_worker::WorkerOptions;

const OLD: &str =
    include_str!("../../../contracts/tests/fixtures/score-events-v1-before-question-types.jsonl");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_from_before_question_types_are_applied_unchanged() {
    let old: Vec<ScoreEvent> = OLD
        .lines()
        .map(|l| ScoreEventV1::decode(l.as_bytes()).expect("an old event decodes"))
        .collect();
    assert_eq!(old.len(), 4);
    assert!(old.iter().all(|e| e.result.elapsed_ms.is_none()));
    assert_eq!(old[0].joined_at, Timestamp(0), "older still: no join time");
    // What this release writes for an event without an answer time is byte for byte what
    // the old release wrote.
    assert_eq!(
        String::from_utf8(ScoreEventV1::encode(&old[1]).unwrap()).unwrap(),
        OLD.lines().nth(1).unwrap()
    );

    // This release's events for the same quiz, with answer times, after the old ones.
    let quiz = QuizId::parse("compat-quiz").unwrap();
    let mut new = old[1].clone();
    new.question = QuestionId::parse("q2").unwrap();
    new.event_id = ScoreEvent::id_for(&quiz, &new.player, &new.question);
    new.result = AnswerResult {
        correct: true,
        points: 250,
        streak: 1,
        at: Timestamp(1_700_000_003_000),
        elapsed_ms: Some(900),
    };
    new.total = 350;
    new.answers = 3;
    new.reached_at = new.result.at;
    let bytes = ScoreEventV1::encode(&new).unwrap();
    let new = ScoreEventV1::decode(&bytes).unwrap();

    let mut log: Vec<ScoreEvent> = old.clone();
    log.push(new.clone());
    let journal = common::Journal::default();
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let archive = Arc::new(Scripted::new(memory.clone(), journal.clone()));
    let shared = common::log_of(&log);
    let mut source = MemSource::new(shared.clone(), journal);
    let done = {
        let shared = shared.clone();
        common::when(move || shared.lock().unwrap().committed == 5)
    };
    let options = WorkerOptions {
        batch_max: 2,
        batch_wait: std::time::Duration::from_millis(5),
        ..WorkerOptions::default()
    };
    let report = quiz_worker::run(&mut source, archive, options, done)
        .await
        .unwrap();
    assert_eq!(report.consumed, 5);
    assert_eq!(report.skipped, 0, "no old event is refused");

    let mut standings = memory.standings(&quiz).await.unwrap();
    standings.sort_by(|a, b| a.player.cmp(&b.player));
    let summary: Vec<(String, u64, u32)> = standings
        .iter()
        .map(|s| (s.player.to_string(), s.total, s.answers))
        .collect();
    assert_eq!(
        summary,
        [("p1".to_owned(), 350, 3), ("p2".to_owned(), 120, 1)],
        "the republished duplicate counted once"
    );
    let p1 = &standings[0];
    let times: Vec<(String, Option<u64>)> = {
        let mut r: Vec<_> = p1
            .results
            .iter()
            .map(|(q, r)| (q.to_string(), r.elapsed_ms))
            .collect();
        r.sort();
        r
    };
    assert_eq!(
        times,
        [
            ("q0".to_owned(), None),
            ("q1".to_owned(), None),
            ("q2".to_owned(), Some(900))
        ]
    );
    assert_eq!(p1.current_streak(), 1);
}
