//! Test doubles for the worker loop: an in-memory event source that behaves like one
//! Kafka partition (a log, a read position, a committed offset), archives that fail on
//! cue, and a journal that records the order of writes and commits.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use quiz_conformance::fixtures::{CREATED, name, player, question};
use quiz_core::ports::{ArchiveError, ScoreArchive};
use quiz_core::{AnswerResult, ApplySummary, ArchivedStanding, QuizId, ScoreEvent};
use quiz_worker::{EventSource, SourceBatch, SourceError};

/// `players` players of `quiz`, each answering `answers` questions; events interleaved
/// player by player (as a real quiz produces them), totals growing by 10 per answer.
pub fn events(quiz: &QuizId, players: usize, answers: u32) -> Vec<ScoreEvent> {
    let mut out = Vec::new();
    for a in 1..=answers {
        for p in 0..players {
            let pid = player(&format!("p{p}"));
            let q = question(&format!("q{a}"));
            let at = CREATED.plus_ms(u64::from(a) * 1_000 + p as u64);
            out.push(ScoreEvent {
                event_id: ScoreEvent::id_for(quiz, &pid, &q),
                quiz: quiz.clone(),
                player: pid,
                player_name: name(&format!("Player {p}")),
                joined_at: CREATED.plus_ms(p as u64),
                question: q,
                result: AnswerResult {
                    correct: true,
                    points: 10,
                    streak: a,
                    at,
                    elapsed_ms: None,
                },
                total: 10 * u64::from(a),
                answers: a,
                reached_at: at,
            });
        }
    }
    out
}

/// Per (quiz, player): (total, answers) of the event with the most answers.
pub fn expected(events: &[ScoreEvent]) -> BTreeMap<(String, String), (u64, u32)> {
    let mut want: BTreeMap<(String, String), (u64, u32)> = BTreeMap::new();
    for e in events {
        let k = (e.quiz.to_string(), e.player.to_string());
        let cur = want.entry(k).or_insert((0, 0));
        if e.answers > cur.1 {
            *cur = (e.total, e.answers);
        }
    }
    want
}

/// What the archive holds for `quizzes`, in the shape of [`expected`].
pub async fn archived(
    archive: &dyn ScoreArchive,
    quizzes: &[QuizId],
) -> BTreeMap<(String, String), (u64, u32)> {
    let mut got = BTreeMap::new();
    for q in quizzes {
        for s in archive.standings(q).await.unwrap() {
            let ArchivedStanding {
                player,
                total,
                answers,
                ..
            } = s;
            got.insert((q.to_string(), player.to_string()), (total, answers));
        }
    }
    got
}

/// One entry of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// An archive write of these event ids; `ok` is its outcome.
    Apply { ids: Vec<String>, ok: bool },
    /// A commit up to (excluding) this log offset, with the ids it covers.
    Commit { end: usize, ids: Vec<String> },
}

/// The shared order of writes and commits.
pub type Journal = Arc<Mutex<Vec<Op>>>;

/// A batch of the in-memory source.
#[derive(Debug, Clone)]
pub struct MemBatch {
    pub events: Vec<ScoreEvent>,
    pub skipped: u64,
    /// The log offset after the batch.
    pub end: usize,
    /// Whether the batch took anything from the log.
    pub took: bool,
}

impl SourceBatch for MemBatch {
    fn events(&self) -> &[ScoreEvent] {
        &self.events
    }

    fn skipped(&self) -> u64 {
        self.skipped
    }

    fn is_empty(&self) -> bool {
        !self.took
    }
}

/// One entry of the in-memory log: an event or an undecodable message.
#[derive(Debug, Clone)]
pub enum Entry {
    Event(ScoreEvent),
    Poison,
}

/// The log and its committed offset, shared by successive sources ("restarts").
#[derive(Debug, Default)]
pub struct Log {
    pub entries: Vec<Entry>,
    pub committed: usize,
}

/// Like one Kafka partition read by one consumer: starts at the committed offset, hands
/// out batches from its own position, and commits an offset.
pub struct MemSource {
    pub log: Arc<Mutex<Log>>,
    position: usize,
    pub journal: Journal,
    /// Errors to return from `next_batch` before anything else.
    pub fail_next: VecDeque<SourceError>,
}

impl MemSource {
    /// A source over `log`, starting at its committed offset.
    pub fn new(log: Arc<Mutex<Log>>, journal: Journal) -> Self {
        let position = log.lock().unwrap().committed;
        Self {
            log,
            position,
            journal,
            fail_next: VecDeque::new(),
        }
    }
}

/// A log holding `events`.
pub fn log_of(events: &[ScoreEvent]) -> Arc<Mutex<Log>> {
    Arc::new(Mutex::new(Log {
        entries: events.iter().cloned().map(Entry::Event).collect(),
        committed: 0,
    }))
}

#[async_trait]
impl EventSource for MemSource {
    type Batch = MemBatch;

    async fn next_batch(
        &mut self,
        max_events: usize,
        max_wait: Duration,
    ) -> Result<MemBatch, SourceError> {
        if let Some(e) = self.fail_next.pop_front() {
            return Err(e);
        }
        let taken: Vec<Entry> = {
            let log = self.log.lock().unwrap();
            let end = (self.position + max_events).min(log.entries.len());
            log.entries[self.position..end].to_vec()
        };
        if taken.is_empty() {
            // Nothing new: wait like a consumer would, then hand out an empty batch.
            tokio::time::sleep(max_wait).await;
        }
        self.position += taken.len();
        let mut batch = MemBatch {
            events: Vec::new(),
            skipped: 0,
            end: self.position,
            took: !taken.is_empty(),
        };
        for e in taken {
            match e {
                Entry::Event(e) => batch.events.push(e),
                Entry::Poison => batch.skipped += 1,
            }
        }
        Ok(batch)
    }

    async fn commit(&mut self, batch: &MemBatch) -> Result<(), SourceError> {
        self.journal.lock().unwrap().push(Op::Commit {
            end: batch.end,
            ids: batch.events.iter().map(|e| e.event_id.clone()).collect(),
        });
        let mut log = self.log.lock().unwrap();
        log.committed = log.committed.max(batch.end);
        Ok(())
    }

    fn lag(&self) -> Option<u64> {
        let log = self.log.lock().unwrap();
        Some((log.entries.len() - log.committed) as u64)
    }
}

/// An archive that records each write in the journal and fails the first `fail_first`
/// writes (then, if `always_fail`, all of them).
pub struct Scripted {
    pub inner: Arc<dyn ScoreArchive>,
    pub journal: Journal,
    pub fail_first: AtomicU32,
    pub always_fail: bool,
    pub calls: AtomicU32,
    /// Delay of each write (to let a shutdown arrive mid-write).
    pub delay: Duration,
    /// Told when a write starts (call number, 1-based).
    pub started: Option<tokio::sync::mpsc::UnboundedSender<u32>>,
}

impl Scripted {
    pub fn new(inner: Arc<dyn ScoreArchive>, journal: Journal) -> Self {
        Self {
            inner,
            journal,
            fail_first: AtomicU32::new(0),
            always_fail: false,
            calls: AtomicU32::new(0),
            delay: Duration::ZERO,
            started: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("scripted archive failure")]
pub struct ScriptedFailure;

#[async_trait]
impl ScoreArchive for Scripted {
    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(tx) = &self.started {
            let _ = tx.send(call);
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let ids = events.iter().map(|e| e.event_id.clone()).collect();
        let fail = self.always_fail
            || self
                .fail_first
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if fail {
            self.journal
                .lock()
                .unwrap()
                .push(Op::Apply { ids, ok: false });
            return Err(ArchiveError::Unavailable(Box::new(ScriptedFailure)));
        }
        let summary = self.inner.apply(events).await?;
        self.journal
            .lock()
            .unwrap()
            .push(Op::Apply { ids, ok: true });
        Ok(summary)
    }

    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError> {
        self.inner.standings(quiz).await
    }
}

/// A future that completes once `check` is true (polled every few milliseconds).
pub async fn when(mut check: impl FnMut() -> bool + Send) {
    while !check() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
