//! Where the two cores went during a run: CPU time of each process of the stack (server,
//! Redis, Kafka, FerretDB, worker; the load generator reports its own), read from `/proc/<pid>/stat` before and
//! after the load and shown as cores busy over the run's wall time.

use std::time::Instant;

/// The processes looked for, by a substring of their command line.
const PROCESSES: &[(&str, &str)] = &[
    ("quiz-server", "quiz-server "),
    ("Redis :6390", "redis-server 127.0.0.1:6390"),
    ("Kafka (JVM)", "kafka.Kafka"),
    ("FerretDB", "ferretdb-wrapper"),
    ("quiz-worker", "quiz-worker "),
];

/// The clock ticks per second of `/proc/<pid>/stat` (100 on Linux).
pub(super) const TICKS_PER_SECOND: f64 = 100.0;

/// A reading of every matching process's CPU time.
pub(super) struct Reading {
    at: Instant,
    ticks: Vec<(&'static str, u64)>,
}

/// A process's user + system CPU time so far, in clock ticks.
pub(super) fn ticks_of(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the command name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Reads the CPU time of every process of [`PROCESSES`] now running (summed per name).
pub(super) fn read() -> Reading {
    let mut ticks: Vec<(&'static str, u64)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let Some((label, _)) = PROCESSES.iter().find(|(_, pat)| cmdline.contains(pat)) else {
                continue;
            };
            let Some(t) = ticks_of(pid) else { continue };
            match ticks.iter_mut().find(|(l, _)| l == label) {
                Some((_, sum)) => *sum += t,
                None => ticks.push((label, t)),
            }
        }
    }
    Reading {
        at: Instant::now(),
        ticks,
    }
}

/// A summary line: cores busy per process between the two readings (processes present in
/// both). A process that started or ended in between is left out.
pub(super) fn report(before: &Reading, after: &Reading) -> String {
    let wall = after.at.duration_since(before.at).as_secs_f64();
    if wall <= 0.0 {
        return "**CPU by process**: no time between the readings.".into();
    }
    let mut parts = Vec::new();
    let mut total = 0.0;
    for (label, _) in PROCESSES {
        let (Some(b), Some(a)) = (
            before.ticks.iter().find(|(l, _)| l == label),
            after.ticks.iter().find(|(l, _)| l == label),
        ) else {
            continue;
        };
        let cores = a.1.saturating_sub(b.1) as f64 / TICKS_PER_SECOND / wall;
        total += cores;
        parts.push(format!("{label} {cores:.2}"));
    }
    format!(
        "**CPU by process** (cores busy over the load generator's {wall:.0} s, ramps included): {}; \
         {total:.2} of 2 in all.",
        parts.join(", ")
    )
}
