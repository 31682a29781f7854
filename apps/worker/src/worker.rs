//! The persist loop: take a batch, apply it to the archive (retrying while the archive is
//! unavailable), then commit it.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use quiz_core::ApplySummary;
use quiz_core::ports::ScoreArchive;
use tokio::time::Instant;

use crate::health::Health;
use crate::source::{EventSource, SourceBatch, SourceError};
use crate::telemetry;

/// How the loop behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Largest batch taken from the source.
    pub batch_max: usize,
    /// How long to wait for a batch to fill.
    pub batch_wait: Duration,
    /// First pause after a failed archive write or source error; doubled on each failure.
    pub retry_initial: Duration,
    /// Longest pause between retries.
    pub retry_max: Duration,
    /// After shutdown is requested, how long to keep retrying an archive write that fails
    /// before stopping without committing that batch (it is read again at the next start).
    pub shutdown_grace: Duration,
    /// Shared state `/healthz` reports.
    pub health: Health,
}

impl Default for WorkerOptions {
    /// 5,000 events or 200 ms per batch, retries from 100 ms doubling to 5 s, 10 s of
    /// grace at shutdown. Large batches are cheap to wait for (the wait is bounded) and
    /// make the archive cheaper: the MongoDB archive writes a batch with one command.
    fn default() -> Self {
        Self {
            batch_max: 5_000,
            batch_wait: Duration::from_millis(200),
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            health: Health::new(),
        }
    }
}

/// What a run did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Batches committed.
    pub batches_committed: u64,
    /// Events taken from the source (decoded ones; skipped messages not included).
    pub consumed: u64,
    /// Events that changed a standing.
    pub applied: u64,
    /// Events already reflected in the archive.
    pub stale: u64,
    /// Undecodable messages the source skipped.
    pub skipped: u64,
    /// Failed archive writes (each one retried).
    pub apply_errors: u64,
    /// Failed commits (the batch is read again later and found stale).
    pub commit_errors: u64,
    /// Transient source errors.
    pub source_errors: u64,
    /// True when the run stopped with a batch it could not write within the shutdown
    /// grace; that batch was not committed.
    pub abandoned_batch: bool,
}

/// Why [`run`] stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The source failed fatally.
    #[error("the event source failed")]
    Source(#[source] SourceError),
}

/// The shutdown signal, polled in several places without being consumed.
type Shutdown<'a, 'b> =
    Pin<&'a mut futures_util::future::Fuse<Pin<Box<dyn Future<Output = ()> + Send + 'b>>>>;

/// Runs the loop until `shutdown` completes (or the source fails fatally).
///
/// For each batch: apply its events to `archive`, retrying with capped exponential backoff
/// while the archive is unavailable, and only then commit the batch. A commit therefore
/// always follows a successful write, so a crash at any point loses nothing; it may make
/// the next run apply a batch again, which the archive's idempotence absorbs (counted as
/// stale). A batch of only undecodable messages is committed without a write.
///
/// On shutdown the loop finishes the batch in hand (write and commit) and returns; if the
/// archive stays unavailable for [`WorkerOptions::shutdown_grace`] after the request, it
/// returns without committing that batch.
///
/// # Errors
/// [`RunError::Source`] when the source fails fatally.
pub async fn run<S: EventSource>(
    source: &mut S,
    archive: Arc<dyn ScoreArchive>,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<RunReport, RunError> {
    let boxed: Pin<Box<dyn Future<Output = ()> + Send + '_>> = Box::pin(shutdown);
    let mut shutdown = pin!(boxed.fuse());
    let mut stopping = false;
    let mut report = RunReport::default();
    let health = options.health.clone();
    health.set_running(true);
    let result = run_inner(
        source,
        archive.as_ref(),
        &options,
        shutdown.as_mut(),
        &mut stopping,
        &mut report,
    )
    .await;
    health.set_running(false);
    tracing::info!(?report, "worker stopped");
    result.map(|()| report)
}

async fn run_inner<S: EventSource>(
    source: &mut S,
    archive: &dyn ScoreArchive,
    options: &WorkerOptions,
    mut shutdown: Shutdown<'_, '_>,
    stopping: &mut bool,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let health = &options.health;
    let mut source_delay = options.retry_initial;
    loop {
        if !*stopping && shutdown.as_mut().now_or_never().is_some() {
            *stopping = true;
        }
        if *stopping {
            return Ok(());
        }
        // Not raced against shutdown: a batch is bounded by `batch_wait`, and dropping one
        // half-taken could skip messages for the rest of this run.
        let batch = match source
            .next_batch(options.batch_max, options.batch_wait)
            .await
        {
            Ok(batch) => batch,
            Err(SourceError::Fatal(e)) => {
                health.set_source_ok(false);
                tracing::error!(error = %telemetry::chain(&*e), "event source failed fatally");
                return Err(RunError::Source(SourceError::Fatal(e)));
            }
            Err(e) => {
                report.source_errors += 1;
                health.set_source_ok(false);
                tracing::warn!(error = %telemetry::chain(&e), retry_in = ?source_delay, "cannot read events");
                pause(source_delay, shutdown.as_mut(), stopping).await;
                source_delay = (source_delay * 2).min(options.retry_max);
                continue;
            }
        };
        source_delay = options.retry_initial;
        health.set_source_ok(true);
        health.set_consuming(source.assigned().is_none_or(|n| n > 0));
        record_lag(source);
        if batch.is_empty() {
            continue;
        }
        let events = batch.events();
        let n = events.len() as u64;
        report.consumed += n;
        report.skipped += batch.skipped();
        metrics::counter!(telemetry::CONSUMED).increment(n);
        metrics::counter!(telemetry::SKIPPED).increment(batch.skipped());
        if !events.is_empty() {
            metrics::histogram!(telemetry::BATCH_SIZE).record(n as f64);
            let Some(summary) = apply_with_retry(
                archive,
                &batch,
                options,
                shutdown.as_mut(),
                stopping,
                report,
            )
            .await
            else {
                report.abandoned_batch = true;
                tracing::warn!(
                    events = n,
                    "shutting down with a batch the archive did not take; it is not committed \
                     and will be read again at the next start"
                );
                return Ok(());
            };
            report.applied += summary.applied;
            report.stale += summary.stale;
            metrics::counter!(telemetry::APPLIED).increment(summary.applied);
            metrics::counter!(telemetry::STALE).increment(summary.stale);
        }
        match source.commit(&batch).await {
            Ok(()) => {
                report.batches_committed += 1;
                record_lag(source);
            }
            Err(SourceError::Fatal(e)) => {
                tracing::error!(error = %telemetry::chain(&*e), "event source failed fatally");
                return Err(RunError::Source(SourceError::Fatal(e)));
            }
            Err(e) => {
                // The batch is in the archive; whoever reads it again finds it stale. A
                // later commit on the same partitions covers these offsets too.
                report.commit_errors += 1;
                metrics::counter!(telemetry::COMMIT_ERRORS).increment(1);
                tracing::warn!(error = %telemetry::chain(&e), "could not commit a written batch");
            }
        }
    }
}

fn record_lag<S: EventSource>(source: &S) {
    if let Some(lag) = source.lag() {
        metrics::gauge!(telemetry::LAG).set(lag as f64);
    }
}

/// Applies the batch, retrying while the archive is unavailable. `None` when shutdown was
/// requested and the archive still failed after the grace period.
async fn apply_with_retry<B: SourceBatch>(
    archive: &dyn ScoreArchive,
    batch: &B,
    options: &WorkerOptions,
    mut shutdown: Shutdown<'_, '_>,
    stopping: &mut bool,
    report: &mut RunReport,
) -> Option<ApplySummary> {
    let health = &options.health;
    let mut delay = options.retry_initial;
    let mut give_up_at: Option<Instant> = None;
    let mut attempt = 1u32;
    loop {
        let started = std::time::Instant::now();
        match archive.apply(batch.events()).await {
            Ok(summary) => {
                metrics::histogram!(telemetry::APPLY_SECONDS)
                    .record(started.elapsed().as_secs_f64());
                health.set_archive_ok(true);
                if attempt > 1 {
                    tracing::info!(attempt, "archive write succeeded after retries");
                }
                return Some(summary);
            }
            Err(e) => {
                report.apply_errors += 1;
                metrics::counter!(telemetry::APPLY_ERRORS).increment(1);
                health.set_archive_ok(false);
                tracing::warn!(
                    attempt,
                    events = batch.events().len(),
                    retry_in = ?delay,
                    error = %telemetry::chain(&e),
                    "archive write failed; retrying"
                );
            }
        }
        if *stopping {
            let deadline =
                *give_up_at.get_or_insert_with(|| Instant::now() + options.shutdown_grace);
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            tokio::time::sleep(delay.min(left)).await;
        } else {
            pause(delay, shutdown.as_mut(), stopping).await;
            if *stopping {
                give_up_at = Some(Instant::now() + options.shutdown_grace);
            }
        }
        delay = (delay * 2).min(options.retry_max);
        attempt += 1;
    }
}

/// Sleeps `delay`, or less if shutdown is requested meanwhile (then sets `stopping`).
async fn pause(delay: Duration, shutdown: Shutdown<'_, '_>, stopping: &mut bool) {
    if *stopping {
        tokio::time::sleep(delay).await;
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        () = shutdown => *stopping = true,
    }
}
