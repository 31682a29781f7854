//! An adapter written outside this workspace's adapters, held to the conformance suite the
//! way any other crate would hold its own: a score archive and a score-event log built from
//! scratch on the public API of `quiz-core`, and the suites of `quiz-conformance` run
//! against them.
//!
//! ```sh
//! cargo test -p quiz-conformance --example outside_adapter   # one #[tokio::test] per case
//! cargo run -p quiz-conformance --example outside_adapter    # the same cases from main()
//! ```
//!
//! In another crate: `quiz-conformance` (and `tokio` with `macros` and `rt-multi-thread`)
//! as dev-dependencies, then one macro per port in an integration test, each given an async
//! expression that builds a fresh adapter. The suites use unique quiz ids per case, so an
//! adapter over a shared service (a database) can run them in parallel. `cargo test
//! --workspace --all-targets` (and so `cargo xtask test`) runs this file's cases.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use quiz_conformance::events::ReadBack;
use quiz_core::ports::{ArchiveError, PublishError, ScoreArchive, ScoreEventLog};
use quiz_core::{ApplySummary, ArchivedStanding, PlayerId, QuizId, ScoreEvent};

/// Standings in one map per quiz, behind one lock (the simplest correct archive).
#[derive(Default)]
pub struct LedgerArchive {
    quizzes: Mutex<HashMap<QuizId, HashMap<PlayerId, ArchivedStanding>>>,
}

#[async_trait]
impl ScoreArchive for LedgerArchive {
    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        let mut quizzes = self.quizzes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut summary = ApplySummary::default();
        for e in events {
            let standing = quizzes
                .entry(e.quiz.clone())
                .or_default()
                .entry(e.player.clone())
                .or_insert_with(|| ArchivedStanding {
                    player: e.player.clone(),
                    name: e.player_name.clone(),
                    joined_at: e.joined_at,
                    total: 0,
                    answers: 0,
                    reached_at: e.reached_at,
                    results: Vec::new(),
                });
            // The port's rule: each question's result is kept once, and the standing is
            // the one of the event with the most answers (so repeats and late arrivals of
            // older events change nothing).
            let mut changed = false;
            if !standing.results.iter().any(|(q, _)| q == &e.question) {
                standing.results.push((e.question.clone(), e.result));
                changed = true;
            }
            if e.answers > standing.answers {
                standing.answers = e.answers;
                standing.total = e.total;
                standing.reached_at = e.reached_at;
                standing.name = e.player_name.clone();
                standing.joined_at = e.joined_at;
                changed = true;
            }
            if changed {
                summary.applied += 1;
            } else {
                summary.stale += 1;
            }
        }
        Ok(summary)
    }

    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError> {
        let quizzes = self.quizzes.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(quizzes
            .get(quiz)
            .map(|players| players.values().cloned().collect())
            .unwrap_or_default())
    }
}

/// An append-only log of score events; `publish` returns once the event is appended.
#[derive(Default)]
pub struct AppendLog {
    events: Mutex<Vec<ScoreEvent>>,
}

#[async_trait]
impl ScoreEventLog for AppendLog {
    async fn publish(&self, event: &ScoreEvent) -> Result<(), PublishError> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
        Ok(())
    }
}

/// How the event-log suite reads back what the log made durable.
pub struct ReadAppendLog(Arc<AppendLog>);

impl ReadBack for ReadAppendLog {
    fn read<'a>(
        &'a self,
        quiz: &'a QuizId,
        _n: usize,
    ) -> Pin<Box<dyn Future<Output = Vec<ScoreEvent>> + Send + 'a>> {
        Box::pin(async move {
            let events = self.0.events.lock().unwrap_or_else(PoisonError::into_inner);
            events.iter().filter(|e| &e.quiz == quiz).cloned().collect()
        })
    }
}

fn append_log() -> (Arc<AppendLog>, ReadAppendLog) {
    let log = Arc::new(AppendLog::default());
    (log.clone(), ReadAppendLog(log))
}

// One #[tokio::test] per case, as an adapter's integration test defines them.
#[cfg(test)]
mod archive {
    quiz_conformance::archive_suite!(async {
        std::sync::Arc::new(super::LedgerArchive::default())
    });
}

#[cfg(test)]
mod events {
    quiz_conformance::event_log_suite!(async { super::append_log() });
}

/// The same cases called one by one, for a harness of one's own.
fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build();
    let Ok(runtime) = runtime else {
        eprintln!("cannot start a tokio runtime");
        std::process::exit(1);
    };
    runtime.block_on(async {
        use quiz_conformance::{archive, events};
        let fresh = || Arc::new(LedgerArchive::default());
        archive::apply_is_idempotent(fresh()).await;
        archive::apply_is_order_tolerant(fresh()).await;
        archive::unknown_quiz_has_no_standings(fresh()).await;
        println!("LedgerArchive: the archive suite passed (3 cases)");
        events::published_events_are_durable_and_keep_per_quiz_order(append_log()).await;
        println!("AppendLog: the event-log suite passed (1 case)");
    });
}
