//! A freshly started worker exports every metric at zero before it consumes anything (its
//! own test binary: the recorder is process-wide).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use quiz_worker::telemetry;

#[test]
fn metrics_are_exported_from_the_first_second() {
    let handle = telemetry::install_metrics().unwrap();
    let text = handle.render();
    for line in [
        "quiz_worker_events_consumed_total 0",
        "quiz_worker_events_applied_total 0",
        "quiz_worker_events_stale_total 0",
        "quiz_worker_events_skipped_total 0",
        "quiz_worker_apply_errors_total 0",
        "quiz_worker_commit_errors_total 0",
        "quiz_worker_lag 0",
        "quiz_worker_batch_size_count 0",
        "quiz_worker_apply_seconds_count 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}
