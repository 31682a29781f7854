//! The server under test: its load limits, its start on a free port, and the wait
//! until it answers.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Bins;
use super::probe::http_ok;
use super::process::{Proc, nofile_limit};
use crate::suites::free_port;

/// Admin key of the benchmark servers (they live only for one scenario, on loopback).
pub(super) const ADMIN_KEY: &str = "bench-admin-key-not-secret";

/// Server limits for load (see BENCHMARKS.md): the defaults protect a public server
/// from one client; here one client is the whole load.
fn server_load_flags() -> Vec<String> {
    [
        "--admin-key",
        ADMIN_KEY,
        "--max-joins-per-min",
        "1000000",
        "--max-players",
        "1000000",
        "--max-msgs-per-sec",
        "100000",
        "--max-connections",
        "1000000",
        "--max-connections-per-ip",
        "0",
        "--no-demo",
    ]
    .map(String::from)
    .to_vec()
}

/// Waits until `GET http://addr/path` answers 200 while `proc` stays alive.
fn wait_ready(proc: &mut Proc, addr: &str, path: &str, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        proc.check_alive()?;
        if http_ok(addr, path) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{} did not answer {path} within {} s",
        proc.name,
        within.as_secs()
    ))
}

/// A release server on a free port with the load limits plus `extra` flags.
pub(super) fn start_server(
    bins: &Bins,
    dir: &Path,
    name: &str,
    extra: &[String],
) -> Result<(Proc, String), String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let mut args = server_load_flags();
    args.extend(["--listen".to_owned(), addr.clone()]);
    // In memory unless the scenario gives a data directory (the durable embedded server)
    // or a store of its own: no quiz-data/ is written into the source tree.
    if !extra.iter().any(|a| a == "--data-dir" || a == "--store") {
        args.extend(["--store".to_owned(), "memory".to_owned()]);
    }
    args.extend_from_slice(extra);
    let log = dir.join(format!("{name}.log"));
    let mut p = Proc::start(name, &bins.server, &args, Some(&log))?;
    wait_ready(&mut p, &addr, "/healthz", Duration::from_secs(60))
        .map_err(|e| format!("{e}; see {}", log.display()))?;
    eprintln!(
        "xtask bench: {name} pid {} on http://{addr} (open-file limit {})",
        p.pid(),
        nofile_limit(p.pid()).map_or("?".into(), |n| n.to_string())
    );
    Ok((p, format!("http://{addr}")))
}
