//! Merging the reports of several shards of one scenario into one report, for runs
//! that spread the sockets over separate servers.

use std::collections::BTreeMap;

use super::model::{
    Answers, Boards, Cpu, Errors, Memory, Phases, Report, Second, Sockets, StalenessInfo,
};
use super::percentiles::Percentiles;

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
        hosted: {
            let parts: Vec<&super::hosted::Hosted> =
                reports.iter().filter_map(|r| r.hosted.as_ref()).collect();
            super::hosted::merge_hosted(&parts)
        },
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::tests::sample;

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
}
