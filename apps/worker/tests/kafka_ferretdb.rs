//! The worker end to end on real services: events published with `KafkaEventLog`, read by
//! `KafkaEventStream`, written to FerretDB through `MongoStore`. A worker is stopped
//! half-way (gracefully, or by dropping it between a write and a commit, or while a second
//! worker shares the group) and the work finishes with another one; the archive must then
//! hold, per player, the event with the most answers: nothing lost, nothing counted twice.
//!
//! Needs Kafka and FerretDB (`cargo xtask services up`, or `QUIZ_TEST_KAFKA_BROKERS` and
//! `QUIZ_TEST_MONGO_URL`); fails without them. Each test uses its own topic, consumer
//! group and database.

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use quiz_conformance::service_url;
use quiz_core::ports::{ArchiveError, ScoreArchive, ScoreEventLog};
use quiz_core::{ApplySummary, ArchivedStanding, QuizId, ScoreEvent};
use quiz_kafka::{KafkaConfig, KafkaEventLog, KafkaEventStream};
use quiz_mongo::MongoStore;
use quiz_worker::{RunReport, WorkerOptions};

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}_{}_{nanos:x}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Counts the events the archive took (successful writes only). With `hang_at`, a write
/// that brings the count to at least that many never returns after it is done: the worker
/// is stuck between a write and its commit, where dropping it simulates a crash.
struct Counting {
    inner: Arc<dyn ScoreArchive>,
    events: Arc<AtomicU64>,
    hang_at: Option<u64>,
}

#[async_trait]
impl ScoreArchive for Counting {
    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        let s = self.inner.apply(events).await?;
        let total =
            self.events.fetch_add(events.len() as u64, Ordering::SeqCst) + events.len() as u64;
        if self.hang_at.is_some_and(|n| total >= n) {
            std::future::pending::<()>().await;
        }
        Ok(s)
    }

    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError> {
        self.inner.standings(quiz).await
    }
}

/// Runs one worker (its own consumer in `group`) until `stop` says so.
async fn run_worker(
    config: KafkaConfig,
    group: String,
    archive: Arc<Counting>,
    stop: impl Fn() -> bool + Send + 'static,
) -> RunReport {
    let mut stream = KafkaEventStream::connect(&config, &group).await.unwrap();
    let options = WorkerOptions {
        batch_max: 17,
        batch_wait: Duration::from_millis(100),
        ..WorkerOptions::default()
    };
    let report = quiz_worker::run(&mut stream, archive, options, common::when(stop))
        .await
        .unwrap();
    stream.close().await;
    report
}

/// Waits until `check` holds, failing the test after `secs` seconds.
async fn within(secs: u64, what: &str, check: impl FnMut() -> bool + Send) {
    tokio::time::timeout(Duration::from_secs(secs), common::when(check))
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs} s waiting until {what}"));
}

/// How the first worker ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interruption {
    /// Graceful shutdown: finishes and commits its batch.
    Graceful,
    /// Dropped wherever it is (between a write and its commit, say), like a crash.
    Dropped,
    /// Graceful shutdown while a second worker in the same group keeps running, so the
    /// group rebalances under load.
    WithPeer,
}

async fn scenario(interruption: Interruption) {
    let started = Instant::now();
    let config = KafkaConfig {
        topic: unique("qw"),
        partitions: 3,
        ..KafkaConfig::new(service_url("QUIZ_TEST_KAFKA_BROKERS"))
    };
    let group = unique("qw-group");
    let store = MongoStore::connect(&service_url("QUIZ_TEST_MONGO_URL"), &unique("qw"))
        .await
        .expect("FerretDB at QUIZ_TEST_MONGO_URL (start it with `cargo xtask services up`)");
    let written = Arc::new(AtomicU64::new(0));
    let archive = Arc::new(Counting {
        inner: Arc::new(store.clone()),
        events: written.clone(),
        hang_at: None,
    });
    let log = KafkaEventLog::connect(&config).await.unwrap();

    // Six quizzes, five players each, eight answers per player, interleaved.
    let quizzes: Vec<QuizId> = (0..6)
        .map(|_| quiz_conformance::unique_quiz("qw"))
        .collect();
    let per_quiz: Vec<Vec<ScoreEvent>> = quizzes.iter().map(|q| common::events(q, 5, 8)).collect();
    let mut all: Vec<ScoreEvent> = Vec::new();
    for i in 0..per_quiz[0].len() {
        for evs in &per_quiz {
            all.push(evs[i].clone());
        }
    }
    let (first_half, second_half) = all.split_at(all.len() / 2);
    for e in first_half {
        log.publish(e).await.unwrap();
    }
    // Retries republish some events: the archive must not count them twice.
    let retried: Vec<ScoreEvent> = first_half.iter().step_by(7).cloned().collect();
    for e in &retried {
        log.publish(e).await.unwrap();
    }
    let published = first_half.len() + retried.len() + second_half.len();

    // The first worker runs alone at first, so it is sure to own every partition and make
    // progress; with `Dropped` it hangs after its write of the 60th event, before the commit.
    let first_archive = Arc::new(Counting {
        inner: Arc::new(store.clone()),
        events: written.clone(),
        hang_at: (interruption == Interruption::Dropped).then_some(60),
    });
    let first_stop = Arc::new(AtomicBool::new(false));
    let first = tokio::spawn(run_worker(config.clone(), group.clone(), first_archive, {
        let stop = first_stop.clone();
        let counter = written.clone();
        // `WithPeer` stops it on cue below; the others once 60 events were written:
        // mid-stream, as batches hold at most 17 and more events keep coming below.
        move || {
            stop.load(Ordering::SeqCst)
                || (interruption != Interruption::WithPeer && counter.load(Ordering::SeqCst) >= 60)
        }
    }));
    within(60, "the first worker writes 60 events", {
        let counter = written.clone();
        move || counter.load(Ordering::SeqCst) >= 60
    })
    .await;

    let (during, after) = second_half.split_at(second_half.len() / 2);
    let peer_stop = Arc::new(AtomicBool::new(false));
    let peer = match interruption {
        Interruption::Dropped => {
            first.abort();
            None
        }
        Interruption::Graceful => None,
        Interruption::WithPeer => {
            // A second member joins while events flow: the group rebalances under load.
            let stop = peer_stop.clone();
            Some(tokio::spawn(run_worker(
                config.clone(),
                group.clone(),
                archive.clone(),
                move || stop.load(Ordering::SeqCst),
            )))
        }
    };
    // Part of the rest is published while the first worker (and the peer) run.
    for e in during {
        log.publish(e).await.unwrap();
    }
    // The first worker then leaves (a second rebalance for `WithPeer`); what is published
    // after that can only be archived by the worker that takes over its partitions.
    first_stop.store(true, Ordering::SeqCst);
    let first = match first.await {
        Ok(report) => Some(report),
        Err(e) if e.is_cancelled() => None,
        Err(e) => panic!("first worker: {e}"),
    };
    let written_by_first = written.load(Ordering::SeqCst);
    println!(
        "{interruption:?}: first worker stopped; {written_by_first} events written so far: {first:?}"
    );
    assert!(written_by_first < published as u64, "stopped mid-stream");
    for e in after {
        log.publish(e).await.unwrap();
    }

    // A second worker (or the peer alone) finishes the job; stop once the archive holds
    // the expected standings (or a minute passes), giving it time to commit.
    let want = common::expected(&all);
    let converged = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn({
        let store = store.clone();
        let quizzes = quizzes.clone();
        let want = want.clone();
        let converged = converged.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if common::archived(&store, &quizzes).await == want {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            converged.store(true, Ordering::SeqCst);
        }
    });
    let second = match peer {
        Some(peer) => {
            watcher.await.unwrap();
            peer_stop.store(true, Ordering::SeqCst);
            peer.await.unwrap()
        }
        None => {
            let stop = converged.clone();
            let report = run_worker(config.clone(), group.clone(), archive.clone(), move || {
                stop.load(Ordering::SeqCst)
            })
            .await;
            watcher.await.unwrap();
            report
        }
    };
    println!("{interruption:?}: finishing worker: {second:?}");
    assert!(
        second.consumed >= after.len() as u64,
        "the finishing worker read what was published after the first one left"
    );

    let got = common::archived(&store, &quizzes).await;
    // Each question's result is kept once per player.
    for q in &quizzes {
        for s in store.standings(q).await.unwrap() {
            assert_eq!(s.results.len(), s.answers as usize, "{q}/{}", s.player);
        }
    }
    let equal = want.iter().filter(|(k, v)| got.get(*k) == Some(*v)).count();
    let first = first.unwrap_or_default();
    println!(
        "{interruption:?}: published {published} messages ({} distinct events, {} retries); \
         read {} in total ({} applied, {} stale, {} commit errors); compared {} standings: \
         {equal} equal; took {:?}",
        all.len(),
        retried.len(),
        first.consumed + second.consumed,
        first.applied + second.applied,
        first.stale + second.stale,
        first.commit_errors + second.commit_errors,
        want.len(),
        started.elapsed()
    );
    if interruption == Interruption::Dropped {
        assert!(
            second.stale > u64::try_from(retried.len()).unwrap(),
            "the batch written but not committed before the drop is read again (and found stale)"
        );
    }
    let diffs: BTreeMap<_, _> = got
        .iter()
        .filter(|(k, v)| want.get(*k) != Some(*v))
        .collect();
    assert!(diffs.is_empty(), "wrong standings: {diffs:?}");
    assert_eq!(
        got, want,
        "archived standings = highest-answers event per player"
    );
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_stopped_and_restarted_archives_every_event_once() {
    scenario(Interruption::Graceful).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_dropped_between_write_and_commit_loses_nothing() {
    scenario(Interruption::Dropped).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_the_group_and_survive_a_rebalance() {
    scenario(Interruption::WithPeer).await;
}
