//! The report model: the serialisable types that make up `report.json`. They depend on
//! nothing but serde, the [`Percentiles`] every latency takes and the hosted game's part
//! (`hosted.rs`, which imports neither this nor anything that does). The summary, the chart, merging and verification all build on them while
//! the model imports none of those, so no import loop can form through it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::percentiles::Percentiles;

/// The phases as run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phases {
    /// Configured ramp-up, s.
    pub ramp_up_s: f64,
    /// Configured steady state, s.
    pub steady_s: f64,
    /// Configured ramp-down, s.
    pub ramp_down_s: f64,
    /// Seconds of setup before the clock started (quiz creation, observers).
    pub setup_s: f64,
    /// Seconds from the clock's start to the end of the run.
    pub run_s: f64,
    /// Whether the hard time bound cut the run short.
    pub cut_short: bool,
}

/// Answer counts and rates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answers {
    /// Target rate (answers/s), when one was set.
    pub target_per_sec: Option<f64>,
    /// Answers sent over the whole run.
    pub sent: u64,
    /// Answers acknowledged over the whole run.
    pub acked: u64,
    /// Answers acknowledged during steady state.
    pub acked_steady: u64,
    /// Acknowledged answers per second, steady state (the headline throughput).
    pub per_sec_steady: f64,
    /// The best one-second count.
    pub per_sec_peak: u64,
}

/// Leaderboard staleness bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StalenessInfo {
    /// Observer sockets.
    pub observers: u64,
    /// Staleness percentiles over the whole run, µs.
    pub all_us: Percentiles,
    /// Acks that left the observers' view before a board reflected them.
    pub dropped: u64,
    /// Board delivery to observers in steady state, µs: from the board's `server_time`
    /// stamp (taken when the server has read the board, before it fans it out; whole
    /// milliseconds) to its arrival. Staleness minus this is the wait for the next
    /// throttle window.
    #[serde(default)]
    pub delivery_us: Percentiles,
}

/// Boards received.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Boards {
    /// Boards received on all sockets, whole run.
    pub received: u64,
    /// Boards received during steady state.
    pub received_steady: u64,
    /// Boards per open socket per second, steady state.
    pub per_socket_per_sec: f64,
}

/// Socket counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sockets {
    /// Player sockets asked for.
    pub players: u64,
    /// Observer sockets asked for.
    pub observers: u64,
    /// Most sockets open at once.
    pub peak_open: u64,
    /// Sockets open at the end of steady state.
    pub open_at_steady_end: u64,
    /// Successful joins (players rejoin another quiz after their last question).
    pub joins: u64,
    /// Successful WebSocket handshakes.
    pub connects: u64,
    /// Source addresses the client sockets were bound to.
    pub source_addrs: u64,
}

/// Server memory, sampled from `/proc/PID/status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Memory {
    /// The sampled process.
    pub server_pid: Option<u32>,
    /// RSS before the player sockets connected, KiB.
    pub baseline_rss_kib: Option<u64>,
    /// RSS at the end of steady state, KiB.
    pub steady_end_rss_kib: Option<u64>,
    /// Largest RSS seen, KiB.
    pub peak_rss_kib: Option<u64>,
    /// (RSS at steady end − baseline) / player sockets open then, bytes. Includes the
    /// player's registration and board entry, not only the socket.
    pub per_socket_bytes: Option<f64>,
}

/// CPU use during steady state, from `/proc/PID/stat`: unlike throughput, CPU time per
/// answer hardly moves when other work competes for the cores.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cpu {
    /// Server CPU seconds (user + system) in steady state.
    pub server_cpu_s_steady: Option<f64>,
    /// Cores the server kept busy on average in steady state.
    pub server_cores_steady: Option<f64>,
    /// Server CPU time per acknowledged answer in steady state, µs (joins, boards and
    /// everything else the server did meanwhile included).
    pub server_cpu_us_per_answer: Option<f64>,
    /// Cores the load generator kept busy on average in steady state.
    pub loadgen_cores_steady: Option<f64>,
    /// Load generator CPU time per acknowledged answer in steady state, µs.
    pub loadgen_cpu_us_per_answer: Option<f64>,
}

/// Errors.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Errors {
    /// All errors.
    pub total: u64,
    /// By kind: `error:<code>` (error frames), `close:<code>` (close frames),
    /// `connect:…`, `join:…`, `ws:…`, `timeout`.
    pub by_kind: BTreeMap<String, u64>,
}

/// One second of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the clock started, at the end of this window.
    pub t: f64,
    /// Length of the window, seconds (about 1; longer when the load generator itself
    /// was short of CPU).
    pub dur_s: f64,
    /// `ramp_up`, `steady`, `ramp_down` or `drain`.
    pub phase: String,
    /// Answers sent.
    pub sent: u64,
    /// Answers acknowledged.
    pub acked: u64,
    /// Median ack latency, µs.
    pub p50_us: Option<u64>,
    /// 99th percentile ack latency, µs.
    pub p99_us: Option<u64>,
    /// 99th percentile staleness, µs.
    pub staleness_p99_us: Option<u64>,
    /// Boards received.
    pub boards: u64,
    /// Errors.
    pub errors: u64,
    /// Sockets open at the end of the second.
    pub open_sockets: u64,
    /// Server RSS, KiB.
    pub server_rss_kib: Option<u64>,
    /// Cores the server kept busy in this window.
    #[serde(default)]
    pub server_cores: Option<f64>,
    /// Cores the load generator kept busy in this window.
    #[serde(default)]
    pub loadgen_cores: Option<f64>,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `quiz-loadgen`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
    /// The scenario name (`--scenario`).
    pub scenario: String,
    /// `rate`, `max` or `idle`.
    pub mode: String,
    /// The target URL.
    pub target: String,
    /// Wall-clock start, ms since the Unix epoch.
    pub started_unix_ms: u64,
    /// The options of the run.
    pub config: serde_json::Value,
    /// Phases as run.
    pub phases: Phases,
    /// Answer counts and throughput.
    pub answers: Answers,
    /// Ack latency percentiles in steady state, µs.
    pub ack_latency_us: Percentiles,
    /// Ack latency percentiles over the whole run, µs.
    pub ack_latency_all_us: Percentiles,
    /// Leaderboard staleness percentiles in steady state, µs.
    pub staleness_us: Percentiles,
    /// Staleness bookkeeping.
    pub staleness: StalenessInfo,
    /// Boards received.
    pub boards: Boards,
    /// Sockets.
    pub sockets: Sockets,
    /// Server memory.
    pub memory: Memory,
    /// CPU use.
    pub cpu: Cpu,
    /// Errors.
    pub errors: Errors,
    /// One entry per second.
    pub series: Vec<Second>,
    /// A hosted game's figures (`--hosted` runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted: Option<super::hosted::Hosted>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::{histogram, record};

    /// A small but complete report, shared by the tests of the summary, merging,
    /// verification and the chart so they all exercise the same shape.
    pub(crate) fn sample() -> Report {
        let mut lat = histogram();
        for v in 1..=1000 {
            record(&mut lat, v);
        }
        Report {
            tool: "quiz-loadgen".into(),
            version: "0".into(),
            scenario: "test".into(),
            mode: "rate".into(),
            target: "http://127.0.0.1:1".into(),
            started_unix_ms: 0,
            config: serde_json::json!({}),
            phases: Phases {
                ramp_up_s: 1.0,
                steady_s: 2.0,
                ramp_down_s: 1.0,
                setup_s: 0.1,
                run_s: 4.0,
                cut_short: false,
            },
            answers: Answers {
                target_per_sec: Some(100.0),
                sent: 10,
                acked: 10,
                acked_steady: 8,
                per_sec_steady: 4.0,
                per_sec_peak: 5,
            },
            ack_latency_us: Percentiles::of(&lat),
            ack_latency_all_us: Percentiles::of(&lat),
            staleness_us: Percentiles::of(&histogram()),
            staleness: StalenessInfo {
                observers: 1,
                all_us: Percentiles::default(),
                dropped: 0,
                delivery_us: Percentiles::default(),
            },
            boards: Boards {
                received: 3,
                received_steady: 2,
                per_socket_per_sec: 1.0,
            },
            sockets: Sockets {
                players: 2,
                observers: 1,
                peak_open: 3,
                open_at_steady_end: 3,
                joins: 3,
                connects: 3,
                source_addrs: 1,
            },
            memory: Memory::default(),
            cpu: Cpu::default(),
            errors: Errors::default(),
            series: vec![Second {
                t: 1.0,
                dur_s: 1.0,
                phase: "steady".into(),
                sent: 5,
                acked: 5,
                p50_us: Some(500),
                p99_us: Some(990),
                staleness_p99_us: None,
                boards: 1,
                errors: 0,
                open_sockets: 3,
                server_rss_kib: None,
                server_cores: Some(0.5),
                loadgen_cores: Some(0.2),
            }],
            hosted: None,
        }
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let mut h = histogram();
        for v in 1..=10_000 {
            record(&mut h, v);
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.count, 10_000);
        assert_eq!(p.min, Some(1));
        let near = |got: Option<u64>, want: u64| {
            let got = got.unwrap();
            assert!(got.abs_diff(want) <= want / 500 + 1, "{got} vs {want}");
        };
        near(p.p50, 5_000);
        near(p.p90, 9_000);
        near(p.p99, 9_900);
        near(p.p999, 9_990);
        near(p.max, 10_000);
    }

    #[test]
    fn empty_histograms_give_nulls() {
        let p = Percentiles::of(&histogram());
        assert_eq!(p.count, 0);
        assert_eq!(p.p99, None);
        let v = serde_json::to_value(&p).unwrap();
        assert!(v["p99"].is_null());
    }
}
