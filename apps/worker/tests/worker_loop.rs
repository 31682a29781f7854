//! The worker loop with an in-memory source and `MemoryArchive`: commits follow writes,
//! failed writes are retried, shutdown finishes the batch in hand, restarts lose nothing
//! and count nothing twice.

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Entry, MemSource, Op, Scripted};
use quiz_core::ports::ScoreArchive;
use quiz_memory::MemoryArchive;
use quiz_worker::{RunError, SourceError, WorkerOptions};

/// Fast retries so the tests take milliseconds.
fn options(batch_max: usize) -> WorkerOptions {
    WorkerOptions {
        batch_max,
        batch_wait: Duration::from_millis(5),
        retry_initial: Duration::from_millis(1),
        retry_max: Duration::from_millis(8),
        shutdown_grace: Duration::from_millis(100),
        ..WorkerOptions::default()
    }
}

/// Every commit comes after a successful write of exactly the events it covers, and a
/// write is never followed by a commit of anything else.
fn assert_commits_follow_writes(journal: &[Op]) {
    let mut last_ok: Option<&Vec<String>> = None;
    for op in journal {
        match op {
            Op::Apply { ids, ok: true } => last_ok = Some(ids),
            Op::Apply { ok: false, .. } => {}
            Op::Commit { ids, .. } if ids.is_empty() => {} // Only skipped messages.
            Op::Commit { ids, end } => {
                assert_eq!(
                    last_ok.take(),
                    Some(ids),
                    "commit up to {end} without a successful write of its events: {journal:?}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_committed_only_after_the_archive_took_it() {
    let q = quiz_conformance::unique_quiz("w-order");
    let evs = common::events(&q, 4, 5);
    let log = common::log_of(&evs);
    let journal = common::Journal::default();
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let archive = Arc::new(Scripted::new(memory.clone(), journal.clone()));
    let mut source = MemSource::new(log.clone(), journal.clone());
    let total = evs.len();
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == total)
    };
    let report = quiz_worker::run(&mut source, archive.clone(), options(6), done)
        .await
        .unwrap();
    let journal = journal.lock().unwrap().clone();
    assert_commits_follow_writes(&journal);
    assert_eq!(report.consumed, total as u64);
    assert_eq!(report.applied, total as u64);
    assert_eq!(report.stale, 0);
    assert_eq!(report.batches_committed, total.div_ceil(6) as u64);
    assert_eq!(
        common::archived(memory.as_ref(), &[q]).await,
        common::expected(&evs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_archive_is_retried_and_the_batch_committed_once() {
    let q = quiz_conformance::unique_quiz("w-retry");
    let evs = common::events(&q, 3, 2);
    let log = common::log_of(&evs);
    let journal = common::Journal::default();
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let archive = Arc::new(Scripted::new(memory.clone(), journal.clone()));
    archive.fail_first.store(2, Ordering::SeqCst);
    let mut source = MemSource::new(log.clone(), journal.clone());
    let total = evs.len();
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == total)
    };
    let report = quiz_worker::run(&mut source, archive.clone(), options(100), done)
        .await
        .unwrap();
    let journal = journal.lock().unwrap().clone();
    let ids: Vec<String> = evs.iter().map(|e| e.event_id.clone()).collect();
    assert_eq!(
        journal,
        vec![
            Op::Apply {
                ids: ids.clone(),
                ok: false
            },
            Op::Apply {
                ids: ids.clone(),
                ok: false
            },
            Op::Apply {
                ids: ids.clone(),
                ok: true
            },
            Op::Commit { end: total, ids },
        ]
    );
    assert_eq!(archive.calls.load(Ordering::SeqCst), 3);
    assert_eq!(report.apply_errors, 2);
    assert_eq!(report.batches_committed, 1);
    assert_eq!(report.applied, total as u64);
    assert_eq!(
        common::archived(memory.as_ref(), &[q]).await,
        common::expected(&evs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_mid_write_finishes_and_commits_that_batch_then_stops() {
    let q = quiz_conformance::unique_quiz("w-stop");
    let evs = common::events(&q, 5, 20); // 100 events, batches of 10.
    let log = common::log_of(&evs);
    let journal = common::Journal::default();
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let archive = Arc::new(Scripted {
        delay: Duration::from_millis(20),
        started: Some(tx),
        ..Scripted::new(memory.clone(), journal.clone())
    });
    let mut source = MemSource::new(log.clone(), journal.clone());
    // Shutdown arrives while the third write is in progress.
    let shutdown = async move {
        while let Some(call) = rx.recv().await {
            if call == 3 {
                return;
            }
        }
    };
    let report = quiz_worker::run(&mut source, archive.clone(), options(10), shutdown)
        .await
        .unwrap();
    let journal = journal.lock().unwrap().clone();
    assert_commits_follow_writes(&journal);
    assert_eq!(
        archive.calls.load(Ordering::SeqCst),
        3,
        "no batch after the shutdown"
    );
    assert_eq!(report.batches_committed, 3);
    assert_eq!(
        report.consumed, 30,
        "everything taken was written and committed"
    );
    assert_eq!(log.lock().unwrap().committed, 30);
    assert!(!report.abandoned_batch);
    assert_eq!(
        common::archived(memory.as_ref(), std::slice::from_ref(&q)).await,
        common::expected(&evs[..30])
    );

    // A restart picks up exactly where the commit left off.
    let mut source = MemSource::new(log.clone(), common::Journal::default());
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == 100)
    };
    let report = quiz_worker::run(&mut source, memory.clone(), options(10), done)
        .await
        .unwrap();
    assert_eq!(report.consumed, 70);
    assert_eq!(report.stale, 0, "nothing applied twice");
    assert_eq!(
        common::archived(memory.as_ref(), &[q]).await,
        common::expected(&evs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_down_at_shutdown_leaves_the_batch_uncommitted_for_the_next_run() {
    let q = quiz_conformance::unique_quiz("w-down");
    let evs = common::events(&q, 2, 3);
    let log = common::log_of(&evs);
    let journal = common::Journal::default();
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let archive = Arc::new(Scripted {
        always_fail: true,
        ..Scripted::new(memory.clone(), journal.clone())
    });
    let mut source = MemSource::new(log.clone(), journal.clone());
    let failing = archive.clone();
    let shutdown = common::when(move || failing.calls.load(Ordering::SeqCst) >= 3);
    let started = std::time::Instant::now();
    let report = quiz_worker::run(&mut source, archive.clone(), options(100), shutdown)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the grace period"
    );
    assert!(report.abandoned_batch);
    assert_eq!(report.batches_committed, 0);
    assert!(report.apply_errors >= 3);
    assert_eq!(
        log.lock().unwrap().committed,
        0,
        "never committed without a write"
    );
    assert!(
        !journal
            .lock()
            .unwrap()
            .iter()
            .any(|op| matches!(op, Op::Commit { .. }))
    );

    // The next run, with the archive back, writes everything.
    let mut source = MemSource::new(log.clone(), common::Journal::default());
    let total = evs.len();
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == total)
    };
    quiz_worker::run(&mut source, memory.clone(), options(100), done)
        .await
        .unwrap();
    assert_eq!(
        common::archived(memory.as_ref(), &[q]).await,
        common::expected(&evs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_batch_after_a_lost_commit_is_stale_not_double_counted() {
    let q = quiz_conformance::unique_quiz("w-repeat");
    let evs = common::events(&q, 3, 4);
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    // A first run wrote everything but its commit was lost (a crash between the two).
    memory.apply(&evs).await.unwrap();
    let log = common::log_of(&evs);
    let mut source = MemSource::new(log.clone(), common::Journal::default());
    let total = evs.len();
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == total)
    };
    let report = quiz_worker::run(&mut source, memory.clone(), options(5), done)
        .await
        .unwrap();
    assert_eq!((report.applied, report.stale), (0, total as u64));
    assert_eq!(
        common::archived(memory.as_ref(), &[q]).await,
        common::expected(&evs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_only_batches_are_committed_without_a_write() {
    let q = quiz_conformance::unique_quiz("w-poison");
    let evs = common::events(&q, 1, 2);
    let log = Arc::new(Mutex::new(common::Log {
        entries: vec![
            Entry::Poison,
            Entry::Poison,
            Entry::Event(evs[0].clone()),
            Entry::Poison,
            Entry::Event(evs[1].clone()),
        ],
        committed: 0,
    }));
    let journal = common::Journal::default();
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let archive = Arc::new(Scripted::new(memory.clone(), journal.clone()));
    let mut source = MemSource::new(log.clone(), journal.clone());
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == 5)
    };
    let report = quiz_worker::run(&mut source, archive.clone(), options(2), done)
        .await
        .unwrap();
    let journal = journal.lock().unwrap().clone();
    assert_commits_follow_writes(&journal);
    assert_eq!(report.skipped, 3);
    assert_eq!(report.consumed, 2);
    // Batches: [P, P] (commit only), [E0, P], [E1].
    assert_eq!(archive.calls.load(Ordering::SeqCst), 2);
    assert_eq!(report.batches_committed, 3);
    assert_eq!(
        common::archived(memory.as_ref(), &[q]).await,
        common::expected(&evs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_source_errors_are_retried_and_fatal_ones_stop_the_run() {
    let q = quiz_conformance::unique_quiz("w-src");
    let evs = common::events(&q, 2, 2);
    let log = common::log_of(&evs);
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    let mut source = MemSource::new(log.clone(), common::Journal::default());
    for _ in 0..2 {
        source
            .fail_next
            .push_back(SourceError::Unavailable("broker away".into()));
    }
    let total = evs.len();
    let done = {
        let log = log.clone();
        common::when(move || log.lock().unwrap().committed == total)
    };
    let report = quiz_worker::run(&mut source, memory.clone(), options(100), done)
        .await
        .unwrap();
    assert_eq!(report.source_errors, 2);
    assert_eq!(report.consumed, total as u64);

    let mut source = MemSource::new(log, common::Journal::default());
    source
        .fail_next
        .push_back(SourceError::Fatal("fenced".into()));
    let result = quiz_worker::run(
        &mut source,
        memory,
        options(100),
        std::future::pending::<()>(),
    )
    .await;
    assert!(matches!(
        result,
        Err(RunError::Source(SourceError::Fatal(_)))
    ));
}
