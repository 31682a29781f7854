//! The collector of a load test: the live window drained about once per second into the
//! report's series, steady-state totals, and the server's memory and CPU.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use crate::player::Plan;
use crate::procfs::{cpu_seconds, rss_kib};
use crate::report::{Percentiles, Second};
use crate::stats::{Stats, Window};

/// What the collector gathered.
pub(super) struct Collected {
    pub(super) total: Window,
    pub(super) steady: Window,
    /// Seconds of steady state covered by the collector's windows.
    pub(super) steady_s: f64,
    /// Σ open sockets × window length over steady state (for the average).
    pub(super) steady_open_s: f64,
    pub(super) series: Vec<Second>,
    pub(super) peak_rss: Option<u64>,
    pub(super) steady_end_rss: Option<u64>,
    pub(super) steady_end_open: u64,
    pub(super) steady_end_open_players: u64,
    /// Server CPU seconds spent during steady state.
    pub(super) server_cpu_steady: Option<f64>,
    /// This process's CPU seconds spent during steady state.
    pub(super) own_cpu_steady: Option<f64>,
}

/// Drains the live window about once per second until `done` flips, then once more.
///
/// Each window is labelled with the real time elapsed and its real length, and belongs to
/// the phase of its midpoint: when the load generator itself is short of CPU the ticks
/// come late, and counting ticks would drift away from the players' schedule.
pub(super) async fn collect(
    stats: Arc<Stats>,
    plan: Plan,
    pid: Option<u32>,
    mut done: watch::Receiver<bool>,
) -> Collected {
    let mut c = Collected {
        total: Window::default(),
        steady: Window::default(),
        steady_s: 0.0,
        steady_open_s: 0.0,
        series: Vec::new(),
        peak_rss: None,
        steady_end_rss: None,
        steady_end_open: 0,
        steady_end_open_players: 0,
        server_cpu_steady: None,
        own_cpu_steady: None,
    };
    let own = std::process::id();
    let mut last_cpu = (pid.and_then(cpu_seconds), cpu_seconds(own));
    let mut tick =
        tokio::time::interval_at(plan.start + Duration::from_secs(1), Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = 0.0f64;
    let mut sec = Window::default();
    loop {
        let finished = tokio::select! {
            _ = tick.tick() => false,
            _ = done.wait_for(|d| *d) => true,
        };
        sec.reset();
        stats.drain_into(&mut sec);
        let now = stats.start.elapsed().as_secs_f64();
        let dur = (now - last).max(0.001);
        let phase = plan.phase_at((now + last) / 2.0);
        last = now;
        let rss = pid.and_then(rss_kib);
        let cpu = (pid.and_then(cpu_seconds), cpu_seconds(own));
        let server_cores = match (cpu.0, last_cpu.0) {
            (Some(now), Some(before)) => Some(((now - before) / dur * 100.0).round() / 100.0),
            _ => None,
        };
        let own_cores = match (cpu.1, last_cpu.1) {
            (Some(now), Some(before)) => Some(((now - before) / dur * 100.0).round() / 100.0),
            _ => None,
        };
        if phase == "steady" {
            if let (Some(now), Some(before)) = (cpu.0, last_cpu.0) {
                *c.server_cpu_steady.get_or_insert(0.0) += now - before;
            }
            if let (Some(now), Some(before)) = (cpu.1, last_cpu.1) {
                *c.own_cpu_steady.get_or_insert(0.0) += now - before;
            }
        }
        last_cpu = cpu;
        if let Some(r) = rss {
            c.peak_rss = Some(c.peak_rss.map_or(r, |p| p.max(r)));
        }
        let open = stats.open.load(Ordering::Relaxed) as u64;
        let lat = Percentiles::of(&sec.latency);
        let point = Second {
            t: (now * 1000.0).round() / 1000.0,
            dur_s: (dur * 1000.0).round() / 1000.0,
            phase: phase.to_owned(),
            sent: sec.sent,
            acked: sec.acked,
            p50_us: lat.p50,
            p99_us: lat.p99,
            staleness_p99_us: Percentiles::of(&sec.staleness).p99,
            boards: sec.boards,
            errors: sec.error_total(),
            open_sockets: open,
            server_rss_kib: rss,
            server_cores,
            loadgen_cores: own_cores,
        };
        eprintln!(
            "t={now:>6.1}s {phase:<9} sent {:>7} acked {:>7} p50 {:>8} p99 {:>8} stale-p99 {:>8} boards {:>7} errors {:>5} open {:>6} rss {} cpu {}/{}",
            point.sent,
            point.acked,
            fmt_ms(point.p50_us),
            fmt_ms(point.p99_us),
            fmt_ms(point.staleness_p99_us),
            point.boards,
            point.errors,
            open,
            rss.map_or("–".into(), |r| format!("{:.1} MiB", r as f64 / 1024.0)),
            server_cores.map_or("–".into(), |c| format!("{c:.2}")),
            own_cores.map_or("–".into(), |c| format!("{c:.2}")),
        );
        c.series.push(point);
        c.total.add(&sec);
        if phase == "steady" {
            c.steady.add(&sec);
            c.steady_s += dur;
            c.steady_open_s += open as f64 * dur;
            c.steady_end_rss = rss;
            c.steady_end_open = open;
            c.steady_end_open_players = stats.open_players.load(Ordering::Relaxed) as u64;
        }
        if finished {
            return c;
        }
    }
}

fn fmt_ms(us: Option<u64>) -> String {
    us.map_or("–".into(), |v| format!("{:.2}ms", v as f64 / 1000.0))
}
