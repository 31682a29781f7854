//! What Redis spent during a run: script calls and their time (`INFO commandstats`), and
//! the server process's CPU (`/proc/<pid>/stat`), read before and after the load.

use std::process::Command;

use super::cpu;

/// One reading of the standalone Redis the networked scenarios use.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RedisReading {
    /// `EVALSHA` and `EVAL` calls so far.
    script_calls: u64,
    /// Microseconds spent inside them (the commands they ran included).
    script_usec: u64,
    /// The Redis process's user + system CPU, in clock ticks.
    cpu_ticks: u64,
}

fn redis_cli(port: u16, section: &str) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "INFO", section])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `field=value` out of one `cmdstat_…` line.
fn stat_field(line: &str, field: &str) -> u64 {
    line.split([':', ','])
        .find_map(|kv| kv.strip_prefix(field)?.strip_prefix('='))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Reads the Redis on `port`; `None` when it does not answer.
pub(super) fn read(port: u16) -> Option<RedisReading> {
    let stats = redis_cli(port, "commandstats")?;
    let mut r = RedisReading::default();
    for line in stats.lines() {
        if line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:") {
            r.script_calls += stat_field(line, "calls");
            r.script_usec += stat_field(line, "usec");
        }
    }
    let server = redis_cli(port, "server")?;
    let pid = server
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))?
        .trim()
        .to_owned();
    r.cpu_ticks = cpu::ticks_of(&pid).unwrap_or(0);
    Some(r)
}

/// A summary paragraph for `answers` accepted between the two readings.
pub(super) fn report(
    before: Option<RedisReading>,
    after: Option<RedisReading>,
    answers: u64,
) -> String {
    let (Some(b), Some(a)) = (before, after) else {
        return "**Redis**: `INFO` could not be read, so Redis' share was not measured.".into();
    };
    let calls = a.script_calls.saturating_sub(b.script_calls);
    let usec = a.script_usec.saturating_sub(b.script_usec);
    let ticks = a.cpu_ticks.saturating_sub(b.cpu_ticks);
    if answers == 0 {
        return "**Redis**: no accepted answers to divide by.".into();
    }
    let per = |x: f64| x / answers as f64;
    format!(
        "**Redis** (whole run, {answers} accepted answers): {calls} script calls \
         ({:.2} answers per call), script time {:.1} µs per answer ({:.1} µs per call), \
         Redis process CPU {:.1} µs per answer ({:.1} s in all).",
        answers as f64 / calls.max(1) as f64,
        per(usec as f64),
        usec as f64 / calls.max(1) as f64,
        per(ticks as f64 * 1e6 / cpu::TICKS_PER_SECOND),
        ticks as f64 / cpu::TICKS_PER_SECOND,
    )
}

#[cfg(test)]
mod tests {
    use super::stat_field;

    #[test]
    fn commandstats_fields_are_read() {
        let line = "cmdstat_evalsha:calls=1200,usec=45000,usec_per_call=37.50,rejected_calls=0";
        assert_eq!(stat_field(line, "calls"), 1200);
        assert_eq!(stat_field(line, "usec"), 45000);
        assert_eq!(stat_field(line, "rejected_calls"), 0);
        assert_eq!(stat_field(line, "missing"), 0);
    }
}
