//! Metrics (Prometheus text format at `/metrics`) and logging setup.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Open WebSocket connections (gauge).
pub const SOCKETS_OPEN: &str = "quiz_ws_sockets_open";
/// Answers handled, by `outcome` (counter).
pub const ANSWERS: &str = "quiz_answers_total";
/// Accepted answers that came faster than their quiz's `min_answer_ms` after the question
/// opened for the player: still scored, flagged in the results export (counter).
pub const FAST_ANSWERS: &str = "quiz_fast_answers_total";
/// Time from receiving an answer to sending its result (histogram, seconds).
pub const ANSWER_LATENCY: &str = "quiz_answer_latency_seconds";
/// Boards pushed to sockets (counter).
pub const BOARDS_SENT: &str = "quiz_boards_sent_total";
/// Time from the first unbroadcast change of a room to its broadcast (histogram, seconds);
/// in a room that fans out in slots, to the first slot's broadcast of the round.
pub const BROADCAST_LATENCY: &str = "quiz_broadcast_latency_seconds";
/// Time one broadcast takes, from reading the board to handing the last socket its board
/// (histogram, seconds); in a room that fans out in slots, one slot's broadcast. The
/// sockets' writers send from there on.
pub const BROADCAST_DURATION: &str = "quiz_broadcast_duration_seconds";
/// Joins, by `outcome` (counter).
pub const JOINS: &str = "quiz_joins_total";
/// Game-PIN lookups, by `outcome`: `found`, `unknown`, `rate_limited` (counter).
pub const PIN_LOOKUPS: &str = "quiz_pin_lookups_total";
/// WebSocket messages refused, by `code` (counter).
pub const WS_REJECTED: &str = "quiz_ws_rejected_total";
/// Connections refused at accept because a connection cap was reached (counter).
pub const CONNECTIONS_REFUSED: &str = "quiz_connections_refused_total";
/// HTTP requests refused by a request limit, by `code` (`payload_too_large`,
/// `request_timeout`, `bad_json`) (counter).
pub const HTTP_REFUSED: &str = "quiz_http_refused_total";

/// 1 when `/readyz` would answer 200, else 0; taken at each scrape of `/metrics` (gauge).
pub const READY: &str = "quiz_ready";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide metrics recorder (installed on first use). `None` when another
/// recorder was installed first; metrics are then not rendered by this server.
pub fn prometheus() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
                5.0,
            ];
            let handle = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .and_then(PrometheusBuilder::install_recorder)
                .ok();
            if handle.is_some() {
                register_all();
            }
            handle
        })
        .clone()
}

/// Every metric this server exports, described and at zero from the start, so a new
/// instance shows on a dashboard at once and "no traffic" reads differently from "not
/// scraped". Labelled counters start with every label value the code uses.
fn register_all() {
    use metrics::Unit;
    metrics::describe_gauge!(SOCKETS_OPEN, "Open WebSocket connections.");
    metrics::gauge!(SOCKETS_OPEN).set(0.0);
    metrics::describe_counter!(
        FAST_ANSWERS,
        "Accepted answers faster than the quiz's min_answer_ms (scored, flagged for review)."
    );
    metrics::counter!(FAST_ANSWERS).absolute(0);
    metrics::describe_counter!(ANSWERS, "Answers handled, by outcome.");
    for outcome in [
        "accepted",
        "duplicate",
        "rejected",
        "invalid",
        "not_durable",
        "error",
    ] {
        metrics::counter!(ANSWERS, "outcome" => outcome).absolute(0);
    }
    metrics::describe_histogram!(
        ANSWER_LATENCY,
        Unit::Seconds,
        "Time from receiving an answer to sending its result."
    );
    metrics::describe_counter!(BOARDS_SENT, "Boards pushed to sockets.");
    metrics::counter!(BOARDS_SENT).absolute(0);
    metrics::describe_counter!(
        quiz_redis::RECORD_CALLS_METRIC,
        "Redis record script calls (with --redis-url; each may carry several answers)."
    );
    metrics::counter!(quiz_redis::RECORD_CALLS_METRIC).absolute(0);
    metrics::describe_counter!(
        quiz_redis::RECORD_ANSWERS_METRIC,
        "Answers carried by Redis record script calls (divided by the calls: the mean batch)."
    );
    metrics::counter!(quiz_redis::RECORD_ANSWERS_METRIC).absolute(0);
    metrics::describe_histogram!(
        BROADCAST_LATENCY,
        Unit::Seconds,
        "Time from a room's first unbroadcast change to its broadcast."
    );
    metrics::describe_histogram!(
        BROADCAST_DURATION,
        Unit::Seconds,
        "Time one broadcast takes, from reading the board to the last socket's hand-over."
    );
    metrics::describe_counter!(JOINS, "Joins, by outcome.");
    for outcome in [
        "joined",
        "unknown_quiz",
        "quiz_closed",
        "name_taken",
        "quiz_full",
        "rate_limited",
        "error",
    ] {
        metrics::counter!(JOINS, "outcome" => outcome).absolute(0);
    }
    metrics::describe_counter!(PIN_LOOKUPS, "Game-PIN lookups, by outcome.");
    for outcome in ["found", "unknown", "rate_limited"] {
        metrics::counter!(PIN_LOOKUPS, "outcome" => outcome).absolute(0);
    }
    metrics::describe_gauge!(READY, "1 when /readyz would answer 200, else 0.");
    metrics::describe_counter!(WS_REJECTED, "WebSocket messages refused, by code.");
    for code in quiz_contracts::ws::ErrorCode::ALL {
        metrics::counter!(WS_REJECTED, "code" => format!("{code:?}")).absolute(0);
    }
    metrics::describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections refused at accept because a connection cap was reached."
    );
    metrics::counter!(CONNECTIONS_REFUSED).absolute(0);
    metrics::describe_counter!(
        HTTP_REFUSED,
        "HTTP requests refused by a request limit, by code."
    );
    for code in ["payload_too_large", "request_timeout", "bad_json"] {
        metrics::counter!(HTTP_REFUSED, "code" => code).absolute(0);
    }
    for histogram in [ANSWER_LATENCY, BROADCAST_LATENCY, BROADCAST_DURATION] {
        // Registered now, so each is exported (with zero counts) before its first sample.
        let _ = metrics::histogram!(histogram);
    }
}

pub use quiz_common::init_logging;
