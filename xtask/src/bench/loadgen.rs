//! One `quiz-loadgen` run against a started server.

use std::path::Path;

use super::Bins;
use super::process::Proc;
use super::server::ADMIN_KEY;

/// One load generator run: which server, where the report goes.
pub(super) struct Target<'a> {
    /// `http://127.0.0.1:PORT`.
    pub(super) url: &'a str,
    /// The server's process id (for RSS sampling).
    pub(super) server_pid: u32,
    /// The report directory.
    pub(super) dir: &'a Path,
    /// The scenario name in the report.
    pub(super) scenario: &'a str,
}

/// Starts the load generator against `t` with the scenario's `args` and the user's
/// `extra` options (which come last, so they win).
pub(super) fn loadgen(
    bins: &Bins,
    t: &Target<'_>,
    args: &[String],
    extra: &[String],
    log: Option<&Path>,
) -> Result<Proc, String> {
    let mut all = vec![
        "--target".to_owned(),
        t.url.to_owned(),
        "--admin-key".to_owned(),
        ADMIN_KEY.to_owned(),
        "--server-pid".to_owned(),
        t.server_pid.to_string(),
        "--scenario".to_owned(),
        t.scenario.to_owned(),
        "--out".to_owned(),
        t.dir.display().to_string(),
    ];
    all.extend_from_slice(args);
    all.extend_from_slice(extra);
    eprintln!("xtask bench: quiz-loadgen {}", redact(&all).join(" "));
    Proc::start("quiz-loadgen", &bins.loadgen, &all, log)
}

fn redact(args: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a == ADMIN_KEY {
                "<key>".into()
            } else {
                a.clone()
            }
        })
        .collect()
}
