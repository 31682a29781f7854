//! `cargo xtask stack check`: the stack on the check's ports, a short load through nginx,
//! Prometheus asked about it, the archive caught up and one alert fired; then stopped.

use std::fs;
use std::time::{Duration, Instant};

use super::procs::get;
use super::prometheus::{Rules, alert_fires_on_a_killed_worker, prometheus_check};
use super::{HOST, components, down, say, up};

/// What `cargo xtask test` runs: the stack on ports 3300… with debug builds, a short load
/// through nginx, players on both instances, the archive caught up; then the components
/// stopped (the services are the suite's).
pub fn check(port: u16, external: bool) -> Result<(), String> {
    let result = check_on(port, external);
    let stopped = down();
    result.and(stopped)
}

/// The balancer's port of the stack check (its components on the ports after it).
pub const CHECK_PORT: u16 = 3300;

fn check_on(port: u16, external: bool) -> Result<(), String> {
    let admin_key = up(port, true, Rules::ShortForCheck, external)?;
    let out = crate::target_dir().join("stack-check");
    let _ = fs::remove_dir_all(&out);
    let mut lg = crate::cargo();
    lg.args(["run", "-q", "-p", "quiz-loadgen", "--"])
        .args(["--target", &format!("http://{HOST}:{port}")])
        .args(["--admin-key", &admin_key, "--scenario", "stack-check"])
        .args(["--players", "8", "--quizzes", "2", "--questions", "30"])
        .args([
            "--rate",
            "40",
            "--ramp-up",
            "1",
            // Longer than two of Prometheus's 5 s scrape intervals: each dashboard rate
            // then has two scrapes of a series while it grows (with 4 s, a series born
            // after one scrape could be seen only after the load, its rate 0: no data).
            "--steady",
            "12",
            "--ramp-down",
            "1",
        ])
        .args(["--max-duration", "60"])
        .arg("--out")
        .arg(&out);
    crate::run("load through nginx (stack check)", lg)?;
    let mut verify = crate::cargo();
    verify
        .args([
            "run",
            "-q",
            "-p",
            "quiz-loadgen",
            "--",
            "verify",
            "--expect-answers",
        ])
        .arg(&out);
    crate::run("the load report (stack check)", verify)?;
    // Both instances served players: each counted answers.
    for c in components(port).iter().filter(|c| c.what == "quiz-server") {
        let (_, metrics) = get(c.port, "/metrics")?;
        let answered: f64 = metrics
            .lines()
            .filter(|l| l.starts_with("quiz_answers_total{") && l.contains("accepted"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        if answered < 1.0 {
            return Err(format!(
                "stack check: {} accepted no answer: nginx did not spread the players",
                c.name
            ));
        }
        say(&format!(
            "stack check: {} accepted {answered} answers",
            c.name
        ));
    }
    // Prometheus saw all of it: every target up, every panel of the dashboard with data,
    // every metric an alert rule names.
    prometheus_check(port + 20)?;
    // The workers archived them: the archived standings through the API's results match
    // the board once caught up (results come from the board; the worker's health says it
    // consumes and its lag reaches zero).
    let deadline = Instant::now() + Duration::from_secs(30);
    for c in components(port).iter().filter(|c| c.what == "quiz-worker") {
        loop {
            let (status, metrics) = get(c.port, "/metrics")?;
            let lag = metrics
                .lines()
                .find(|l| l.starts_with("quiz_worker_lag "))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
            if status == 200 && lag == Some(0.0) {
                say(&format!("stack check: {} caught up (lag 0)", c.name));
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "stack check: {} did not catch up within 30 s (lag {lag:?})",
                    c.name
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    // One fault on the live stack: a worker killed, its alert pending, then firing.
    alert_fires_on_a_killed_worker(port)
}
