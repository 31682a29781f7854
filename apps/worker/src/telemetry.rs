//! Metric names, the Prometheus recorder, and logging setup.

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Score events taken from the source (counter).
pub const CONSUMED: &str = "quiz_worker_events_consumed_total";
/// Events that changed an archived standing (counter).
pub const APPLIED: &str = "quiz_worker_events_applied_total";
/// Events the archive already reflected: repeats after a restart or rebalance, or older
/// than what is stored (counter).
pub const STALE: &str = "quiz_worker_events_stale_total";
/// Undecodable messages skipped (counter).
pub const SKIPPED: &str = "quiz_worker_events_skipped_total";
/// Events per non-empty batch (histogram).
pub const BATCH_SIZE: &str = "quiz_worker_batch_size";
/// Time of one successful archive write (histogram, seconds).
pub const APPLY_SECONDS: &str = "quiz_worker_apply_seconds";
/// Events in this worker's partitions not yet committed (gauge).
pub const LAG: &str = "quiz_worker_lag";
/// Failed archive writes, each retried (counter).
pub const APPLY_ERRORS: &str = "quiz_worker_apply_errors_total";
/// Failed commits of written batches (counter).
pub const COMMIT_ERRORS: &str = "quiz_worker_commit_errors_total";

const BATCH_BUCKETS: [f64; 12] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0,
];
const SECONDS_BUCKETS: [f64; 13] = [
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process-wide Prometheus recorder with this worker's histogram buckets and
/// metric descriptions, and returns the handle `/metrics` renders.
///
/// # Errors
/// When a recorder is already installed in this process.
pub fn install_metrics() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets(&SECONDS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), &BATCH_BUCKETS)?
        .install_recorder()?;
    metrics::describe_counter!(CONSUMED, "Score events taken from Kafka.");
    metrics::describe_counter!(APPLIED, "Score events that changed an archived standing.");
    metrics::describe_counter!(STALE, "Score events the archive already reflected.");
    metrics::describe_counter!(SKIPPED, "Undecodable messages skipped.");
    metrics::describe_histogram!(BATCH_SIZE, "Events per non-empty batch.");
    metrics::describe_histogram!(
        APPLY_SECONDS,
        metrics::Unit::Seconds,
        "Time of one successful archive write."
    );
    metrics::describe_gauge!(LAG, "Events in this worker's partitions not yet committed.");
    metrics::describe_counter!(APPLY_ERRORS, "Failed archive writes (each retried).");
    metrics::describe_counter!(COMMIT_ERRORS, "Failed offset commits of written batches.");
    // Every metric at zero from the start, so a new worker shows on a dashboard at once and
    // "nothing consumed" reads differently from "not scraped".
    for counter in [
        CONSUMED,
        APPLIED,
        STALE,
        SKIPPED,
        APPLY_ERRORS,
        COMMIT_ERRORS,
    ] {
        metrics::counter!(counter).absolute(0);
    }
    metrics::gauge!(LAG).set(0.0);
    for histogram in [BATCH_SIZE, APPLY_SECONDS] {
        let _ = metrics::histogram!(histogram);
    }
    Ok(handle)
}

pub use quiz_common::{LogFormat, chain, init_logging};
