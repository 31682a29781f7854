//! The run's report: `report.json` (every number plus a per-second time series),
//! `chart.svg` (throughput and p99 latency over time) and `summary.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Percentiles of a histogram of microseconds; `null` fields when there were no samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Smallest, µs.
    pub min: Option<u64>,
    /// Mean, µs.
    pub mean: Option<f64>,
    /// Median, µs.
    pub p50: Option<u64>,
    /// 90th percentile, µs.
    pub p90: Option<u64>,
    /// 99th percentile, µs.
    pub p99: Option<u64>,
    /// 99.9th percentile, µs.
    pub p999: Option<u64>,
    /// Largest, µs.
    pub max: Option<u64>,
}

impl Percentiles {
    /// Reads the percentiles of `h`.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let q = |p: f64| Some(h.value_at_quantile(p));
        Self {
            count: h.len(),
            min: Some(h.min()),
            mean: Some((h.mean() * 10.0).round() / 10.0),
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            max: Some(h.max()),
        }
    }
}

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
}

/// JSON pointers every report must have (checked by `quiz-loadgen verify`).
pub const REQUIRED_FIELDS: &[&str] = &[
    "/tool",
    "/scenario",
    "/mode",
    "/phases/steady_s",
    "/answers/acked",
    "/answers/per_sec_steady",
    "/ack_latency_us/count",
    "/ack_latency_us/p50",
    "/ack_latency_us/p90",
    "/ack_latency_us/p99",
    "/ack_latency_us/p999",
    "/staleness_us/p99",
    "/boards/per_socket_per_sec",
    "/sockets/peak_open",
    "/memory/per_socket_bytes",
    "/cpu/server_cpu_us_per_answer",
    "/errors/total",
    "/errors/by_kind",
    "/series",
];

impl Report {
    /// Writes `report.json`, `summary.md` and `chart.svg` into `dir`.
    ///
    /// # Errors
    /// A message naming the file that could not be written.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let p = dir.join("report.json");
        std::fs::write(&p, json + "\n").map_err(|e| format!("{}: {e}", p.display()))?;
        let p = dir.join("summary.md");
        std::fs::write(&p, self.summary_md()).map_err(|e| format!("{}: {e}", p.display()))?;
        let p = dir.join("chart.svg");
        crate::chart::draw(self, &p).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// The headline numbers as a Markdown table.
    pub fn summary_md(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Load test `{}` ({} mode)\n", self.scenario, self.mode);
        let _ = writeln!(
            s,
            "Target {}; {} player sockets + {} observers; ramp-up {} s, steady {} s, ramp-down {} s{}.\n",
            self.target,
            self.sockets.players,
            self.sockets.observers,
            self.phases.ramp_up_s,
            self.phases.steady_s,
            self.phases.ramp_down_s,
            if self.phases.cut_short {
                " (cut short by --max-duration)"
            } else {
                ""
            }
        );
        let _ = writeln!(s, "| metric | value |\n|---|---|");
        let mut row = |k: &str, v: String| {
            let _ = writeln!(s, "| {k} | {v} |");
        };
        if let Some(t) = self.answers.target_per_sec {
            row("target answers/s", format!("{t:.0}"));
        }
        row(
            "acknowledged answers/s (steady)",
            format!("{:.0}", self.answers.per_sec_steady),
        );
        row(
            "best second",
            format!("{} answers", self.answers.per_sec_peak),
        );
        row(
            "answers sent / acknowledged (run)",
            format!("{} / {}", self.answers.sent, self.answers.acked),
        );
        let l = &self.ack_latency_us;
        row(
            "ack latency p50 / p90 / p99 / p99.9 (steady)",
            format!(
                "{} / {} / {} / {} ms",
                ms(l.p50),
                ms(l.p90),
                ms(l.p99),
                ms(l.p999)
            ),
        );
        let st = &self.staleness_us;
        row(
            "staleness p50 / p99 / max (steady)",
            format!(
                "{} / {} / {} ms ({} samples, {} dropped)",
                ms(st.p50),
                ms(st.p99),
                ms(st.max),
                st.count,
                self.staleness.dropped
            ),
        );
        let d = &self.staleness.delivery_us;
        row(
            "board delivery to observers p50 / p99 / max (steady)",
            format!(
                "{} / {} / {} ms (board's server stamp to arrival, {} boards)",
                ms(d.p50),
                ms(d.p99),
                ms(d.max),
                d.count
            ),
        );
        row(
            "boards per socket per second (steady)",
            format!("{:.2}", self.boards.per_socket_per_sec),
        );
        row(
            "sockets open: peak / at steady end",
            format!(
                "{} / {}",
                self.sockets.peak_open, self.sockets.open_at_steady_end
            ),
        );
        row(
            "joins / WebSocket handshakes",
            format!("{} / {}", self.sockets.joins, self.sockets.connects),
        );
        let m = &self.memory;
        row(
            "server RSS baseline / steady end / peak",
            format!(
                "{} / {} / {} MiB",
                mib(m.baseline_rss_kib),
                mib(m.steady_end_rss_kib),
                mib(m.peak_rss_kib)
            ),
        );
        let cpu = &self.cpu;
        row(
            "server CPU: cores busy / µs per answer (steady)",
            format!(
                "{} / {}",
                cpu.server_cores_steady
                    .map_or("–".into(), |v| format!("{v:.2}")),
                cpu.server_cpu_us_per_answer
                    .map_or("–".into(), |v| format!("{v:.1}"))
            ),
        );
        row(
            "load generator CPU: cores busy / µs per answer (steady)",
            format!(
                "{} / {}",
                cpu.loadgen_cores_steady
                    .map_or("–".into(), |v| format!("{v:.2}")),
                cpu.loadgen_cpu_us_per_answer
                    .map_or("–".into(), |v| format!("{v:.1}"))
            ),
        );
        row(
            "server memory per socket",
            m.per_socket_bytes
                .map_or("n/a".into(), |b| format!("{:.1} KiB", b / 1024.0)),
        );
        let errors = if self.errors.by_kind.is_empty() {
            "none".to_owned()
        } else {
            self.errors
                .by_kind
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        row(
            "errors",
            format!("{} ({})", self.errors.total, errors.replace('|', "/")),
        );
        s
    }

    /// One line of headline numbers for the terminal.
    pub fn headline(&self) -> String {
        format!(
            "{}: {:.0} answers/s (steady), ack p50 {} ms p99 {} ms p99.9 {} ms, staleness p99 {} ms, \
             {:.2} boards/socket/s, {} sockets peak, {} per socket, server {} µs CPU/answer, {} errors",
            self.scenario,
            self.answers.per_sec_steady,
            ms(self.ack_latency_us.p50),
            ms(self.ack_latency_us.p99),
            ms(self.ack_latency_us.p999),
            ms(self.staleness_us.p99),
            self.boards.per_socket_per_sec,
            self.sockets.peak_open,
            self.memory
                .per_socket_bytes
                .map_or("n/a".into(), |b| format!("{:.1} KiB", b / 1024.0)),
            self.cpu
                .server_cpu_us_per_answer
                .map_or("–".into(), |v| format!("{v:.1}")),
            self.errors.total
        )
    }
}

fn ms(us: Option<u64>) -> String {
    us.map_or("–".into(), |v| format!("{:.2}", v as f64 / 1000.0))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("–".into(), |v| format!("{:.1}", v as f64 / 1024.0))
}

fn add_opt<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (a, None) => a,
        (None, b) => b,
        (Some(a), Some(b)) => Some(a + b),
    }
}

fn worst(ps: &[&Percentiles]) -> Percentiles {
    let max = |f: fn(&Percentiles) -> Option<u64>| ps.iter().filter_map(|p| f(p)).max();
    let count: u64 = ps.iter().map(|p| p.count).sum();
    let mean = if count == 0 {
        None
    } else {
        Some(
            ps.iter()
                .filter_map(|p| p.mean.map(|m| m * p.count as f64))
                .sum::<f64>()
                / count as f64,
        )
    };
    Percentiles {
        count,
        min: ps.iter().filter_map(|p| p.min).min(),
        mean,
        p50: max(|p| p.p50),
        p90: max(|p| p.p90),
        p99: max(|p| p.p99),
        p999: max(|p| p.p999),
        max: max(|p| p.max),
    }
}

/// Merges the reports of shards of one scenario, run at the same time against separate
/// servers: counts, rates, sockets and RSS are summed; memory per socket is the
/// socket-weighted mean; percentiles are the worst shard's (a bound, not an exact merge);
/// the series are aligned by second.
///
/// # Errors
/// When `reports` is empty.
pub fn merge(scenario: &str, reports: &[Report]) -> Result<Report, String> {
    let first = reports.first().ok_or("nothing to merge")?;
    let sum = |f: fn(&Report) -> u64| reports.iter().map(f).sum::<u64>();
    let opt_sum = |f: fn(&Report) -> Option<u64>| {
        reports
            .iter()
            .map(f)
            .try_fold(0u64, |acc, v| v.map(|v| acc + v))
    };
    let mut series: Vec<Second> = Vec::new();
    for r in reports {
        for p in &r.series {
            let i = (p.t.round() as usize).saturating_sub(1);
            if series.len() <= i {
                series.resize_with(i + 1, || Second {
                    t: 0.0,
                    dur_s: 0.0,
                    phase: String::new(),
                    sent: 0,
                    acked: 0,
                    p50_us: None,
                    p99_us: None,
                    staleness_p99_us: None,
                    boards: 0,
                    errors: 0,
                    open_sockets: 0,
                    server_rss_kib: None,
                    server_cores: None,
                    loadgen_cores: None,
                });
            }
            let m = &mut series[i];
            m.t = m.t.max(p.t);
            m.dur_s = m.dur_s.max(p.dur_s);
            if m.phase.is_empty() {
                m.phase.clone_from(&p.phase);
            }
            m.sent += p.sent;
            m.acked += p.acked;
            m.p50_us = m.p50_us.max(p.p50_us);
            m.p99_us = m.p99_us.max(p.p99_us);
            m.staleness_p99_us = m.staleness_p99_us.max(p.staleness_p99_us);
            m.boards += p.boards;
            m.errors += p.errors;
            m.open_sockets += p.open_sockets;
            m.server_rss_kib = add_opt(m.server_rss_kib, p.server_rss_kib);
            m.server_cores = add_opt(m.server_cores, p.server_cores);
            m.loadgen_cores = add_opt(m.loadgen_cores, p.loadgen_cores);
        }
    }
    let open_end = sum(|r| r.sockets.open_at_steady_end);
    let weighted = |f: fn(&Report) -> Option<f64>| {
        let mut n = 0u64;
        let mut total = 0.0;
        for r in reports {
            let v = f(r)?;
            n += r.sockets.open_at_steady_end;
            total += v * r.sockets.open_at_steady_end as f64;
        }
        (n > 0).then(|| (total / n as f64).round())
    };
    let mut by_kind = BTreeMap::new();
    for r in reports {
        for (k, v) in &r.errors.by_kind {
            *by_kind.entry(k.clone()).or_insert(0) += v;
        }
    }
    let lat: Vec<&Percentiles> = reports.iter().map(|r| &r.ack_latency_us).collect();
    let lat_all: Vec<&Percentiles> = reports.iter().map(|r| &r.ack_latency_all_us).collect();
    let st: Vec<&Percentiles> = reports.iter().map(|r| &r.staleness_us).collect();
    let st_all: Vec<&Percentiles> = reports.iter().map(|r| &r.staleness.all_us).collect();
    let dl: Vec<&Percentiles> = reports.iter().map(|r| &r.staleness.delivery_us).collect();
    Ok(Report {
        tool: first.tool.clone(),
        version: first.version.clone(),
        scenario: scenario.to_owned(),
        mode: first.mode.clone(),
        target: reports
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        started_unix_ms: reports.iter().map(|r| r.started_unix_ms).min().unwrap_or(0),
        config: serde_json::Value::Array(reports.iter().map(|r| r.config.clone()).collect()),
        phases: Phases {
            setup_s: reports.iter().map(|r| r.phases.setup_s).fold(0.0, f64::max),
            run_s: reports.iter().map(|r| r.phases.run_s).fold(0.0, f64::max),
            cut_short: reports.iter().any(|r| r.phases.cut_short),
            ..first.phases.clone()
        },
        answers: Answers {
            target_per_sec: reports
                .iter()
                .map(|r| r.answers.target_per_sec)
                .sum::<Option<f64>>(),
            sent: sum(|r| r.answers.sent),
            acked: sum(|r| r.answers.acked),
            acked_steady: sum(|r| r.answers.acked_steady),
            per_sec_steady: reports.iter().map(|r| r.answers.per_sec_steady).sum(),
            per_sec_peak: series.iter().map(|p| p.acked).max().unwrap_or(0),
        },
        ack_latency_us: worst(&lat),
        ack_latency_all_us: worst(&lat_all),
        staleness_us: worst(&st),
        staleness: StalenessInfo {
            observers: sum(|r| r.staleness.observers),
            all_us: worst(&st_all),
            dropped: sum(|r| r.staleness.dropped),
            delivery_us: worst(&dl),
        },
        boards: Boards {
            received: sum(|r| r.boards.received),
            received_steady: sum(|r| r.boards.received_steady),
            per_socket_per_sec: weighted(|r| Some(r.boards.per_socket_per_sec * 1000.0))
                .map_or(0.0, |v| v / 1000.0),
        },
        sockets: Sockets {
            players: sum(|r| r.sockets.players),
            observers: sum(|r| r.sockets.observers),
            peak_open: sum(|r| r.sockets.peak_open),
            open_at_steady_end: open_end,
            joins: sum(|r| r.sockets.joins),
            connects: sum(|r| r.sockets.connects),
            source_addrs: sum(|r| r.sockets.source_addrs),
        },
        memory: Memory {
            server_pid: None,
            baseline_rss_kib: opt_sum(|r| r.memory.baseline_rss_kib),
            steady_end_rss_kib: opt_sum(|r| r.memory.steady_end_rss_kib),
            peak_rss_kib: opt_sum(|r| r.memory.peak_rss_kib),
            per_socket_bytes: weighted(|r| r.memory.per_socket_bytes),
        },
        cpu: Cpu {
            server_cpu_s_steady: reports
                .iter()
                .map(|r| r.cpu.server_cpu_s_steady)
                .sum::<Option<f64>>(),
            server_cores_steady: reports
                .iter()
                .map(|r| r.cpu.server_cores_steady)
                .sum::<Option<f64>>(),
            server_cpu_us_per_answer: None,
            loadgen_cores_steady: reports
                .iter()
                .map(|r| r.cpu.loadgen_cores_steady)
                .sum::<Option<f64>>(),
            loadgen_cpu_us_per_answer: None,
        },
        errors: Errors {
            total: by_kind.values().sum(),
            by_kind,
        },
        series,
    })
}

/// Checks the output directory of a run: `report.json` parses as a [`Report`] and has
/// every field of [`REQUIRED_FIELDS`]; `chart.svg` is an SVG; `summary.md` is not empty.
///
/// # Errors
/// Every problem found, one per line.
pub fn verify(dir: &Path) -> Result<Report, String> {
    let mut problems = Vec::new();
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let report = match read("report.json") {
        Err(e) => {
            problems.push(format!("report.json: {e}"));
            None
        }
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Err(e) => {
                problems.push(format!("report.json does not parse: {e}"));
                None
            }
            Ok(v) => {
                for f in REQUIRED_FIELDS {
                    if v.pointer(f).is_none() {
                        problems.push(format!("report.json lacks {f}"));
                    }
                }
                match serde_json::from_value::<Report>(v) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        problems.push(format!("report.json has the wrong shape: {e}"));
                        None
                    }
                }
            }
        },
    };
    match read("chart.svg") {
        Ok(svg) if svg.contains("<svg") => {}
        Ok(_) => problems.push("chart.svg is not an SVG".into()),
        Err(e) => problems.push(format!("chart.svg: {e}")),
    }
    match read("summary.md") {
        Ok(md) if !md.trim().is_empty() => {}
        Ok(_) => problems.push("summary.md is empty".into()),
        Err(e) => problems.push(format!("summary.md: {e}")),
    }
    match (report, problems.is_empty()) {
        (Some(r), true) => Ok(r),
        _ => Err(problems.join("\n")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::{histogram, record};

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

    #[test]
    fn the_json_has_every_required_field() {
        let v = serde_json::to_value(sample()).unwrap();
        for f in REQUIRED_FIELDS {
            assert!(v.pointer(f).is_some(), "missing {f}");
        }
        assert_eq!(v["ack_latency_us"]["p50"], 500);
        assert!(v["series"][0]["p99_us"].is_u64());
    }

    #[test]
    fn written_reports_verify_and_broken_ones_do_not() {
        let dir = std::env::temp_dir().join(format!("loadgen-test-{}", std::process::id()));
        let r = sample();
        r.write(&dir).unwrap();
        let back = verify(&dir).unwrap();
        assert_eq!(back.answers.acked, 10);
        std::fs::write(dir.join("report.json"), "{\"tool\":1}").unwrap();
        let err = verify(&dir).unwrap_err();
        assert!(err.contains("lacks /answers/acked"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn merging_sums_counts_and_keeps_the_worst_percentiles() {
        let a = sample();
        let mut b = sample();
        b.ack_latency_us.p99 = Some(5_000);
        b.memory.per_socket_bytes = Some(3_000.0);
        let mut a2 = a.clone();
        a2.memory.per_socket_bytes = Some(1_000.0);
        let m = merge("idle", &[a2, b]).unwrap();
        assert_eq!(m.scenario, "idle");
        assert_eq!(m.answers.acked, 20);
        assert_eq!(m.sockets.open_at_steady_end, 6);
        assert_eq!(m.ack_latency_us.p99, Some(5_000));
        assert_eq!(m.ack_latency_us.count, 2_000);
        assert_eq!(m.memory.per_socket_bytes, Some(2_000.0));
        assert_eq!(m.series.len(), 1);
        assert_eq!(m.series[0].acked, 10);
        assert!(merge("x", &[]).is_err());
    }

    #[test]
    fn the_summary_names_the_headline_numbers() {
        let md = sample().summary_md();
        assert!(md.contains("acknowledged answers/s (steady) | 4"));
        assert!(md.contains("p50 / p90 / p99 / p99.9"));
    }
}
