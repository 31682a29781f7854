//! The scenarios themselves: (a) embedded, (b) fan-out, (c) full stack, (d) idle
//! sockets, and the CI smoke run.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Bins;
use super::loadgen::{Target, loadgen};
use super::probe::{http_get, metric_sum};
use super::process::{Proc, reachable_nofile};
use super::report::{fresh_dir, out_dir, verify};
use super::server::start_server;
use super::{cpu, redis_stats};
use crate::run as run_cmd;
use crate::suites::free_port;

/// Sockets one process can hold below its open-file limit (listeners, logs, pools).
const FD_MARGIN: u64 = 400;
/// The idle scenario's target.
const IDLE_TARGET: u64 = 50_000;

pub(super) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Server and load generator in one scenario directory.
fn single(
    bins: &Bins,
    scenario: &str,
    server_extra: &[String],
    args: &[&str],
    extra: &[String],
) -> Result<(), String> {
    let dir = out_dir(scenario);
    fresh_dir(&dir)?;
    let (mut server, target) = start_server(bins, &dir, "server", server_extra)?;
    let t = Target {
        url: &target,
        server_pid: server.pid(),
        dir: &dir,
        scenario,
    };
    let lg = loadgen(bins, &t, &strings(args), extra, None)?;
    let result = lg.wait();
    server.check_alive()?;
    server.stop();
    result?;
    verify(bins, &dir, false)
}

/// (a) The embedded server at full speed. Few sockets with deep pipelines: each flush
/// then carries many replies, which is what the server's batched writer rewards (200
/// sockets × 8 in flight measured ~15% less on the same server).
/// It runs the server as `quiz-server` with no flags does, on its durable SQLite store
/// (the data directory inside the scenario's output directory); `embedded-memory` is the
/// same load on `--store memory`, to compare back to back.
pub(super) fn embedded(bins: &Bins, extra: &[String]) -> Result<(), String> {
    embedded_as(bins, "embedded", &[], extra)
}

/// (a) on `--store memory`.
pub(super) fn embedded_memory(bins: &Bins, extra: &[String]) -> Result<(), String> {
    embedded_as(bins, "embedded-memory", &[], extra)
}

/// (a′) The embedded scenario with quizzes whose questions cycle through every question
/// type (single, multi with partial credit, true_false, poll, type_answer): the cost of
/// the question types on the answer path, next to (a).
pub(super) fn embedded_mix(bins: &Bins, extra: &[String]) -> Result<(), String> {
    embedded_as(bins, "embedded-mix", &["--question-mix", "all"], extra)
}

fn embedded_as(bins: &Bins, scenario: &str, more: &[&str], extra: &[String]) -> Result<(), String> {
    let mut args = vec![
        "--max",
        "--players",
        "100",
        "--quizzes",
        "20",
        "--questions",
        "200",
        "--in-flight",
        "16",
        "--observers-per-quiz",
        "1",
        "--ramp-up",
        "5",
        "--steady",
        "30",
        "--ramp-down",
        "3",
    ];
    args.extend_from_slice(more);
    let server = if scenario == "embedded" {
        let data = out_dir(scenario).join("data");
        vec!["--data-dir".to_owned(), data.display().to_string()]
    } else {
        Vec::new()
    };
    single(bins, scenario, &server, &args, extra)
}

/// (e) A live room on the embedded server: 2,000 players in one quiz, each answering about
/// once a second, so about two boards go out per answer (server CPU per answer is the
/// figure: the answer plus its share of the fan-out).
pub(super) fn live_room(bins: &Bins, extra: &[String]) -> Result<(), String> {
    single(
        bins,
        "live-room",
        &[],
        &[
            "--rate",
            "2000",
            "--players",
            "2000",
            "--quizzes",
            "1",
            "--questions",
            "200",
            "--in-flight",
            "2",
            "--observers-per-quiz",
            "5",
            "--ramp-up",
            "10",
            "--steady",
            "30",
            "--ramp-down",
            "3",
        ],
        extra,
    )
}

/// (f) Idle players of 100-question quizzes: each joins (the snapshot lists all 100
/// questions), connects and stays; memory per socket after a real join of a large quiz.
pub(super) fn idle_large(bins: &Bins, extra: &[String]) -> Result<(), String> {
    single(
        bins,
        "idle-100q",
        &[],
        &[
            "--idle",
            "--players",
            "10000",
            "--quizzes",
            "100",
            "--questions",
            "100",
            "--ramp-up",
            "30",
            "--steady",
            "15",
            "--ramp-down",
            "5",
            "--connect-concurrency",
            "256",
        ],
        extra,
    )
}

/// (b) Fan-out: one quiz, 10,000 players answering about once a second each.
pub(super) fn fanout(bins: &Bins, extra: &[String]) -> Result<(), String> {
    single(
        bins,
        "fanout",
        &[],
        &[
            "--rate",
            "10000",
            "--players",
            "10000",
            "--quizzes",
            "1",
            "--questions",
            "200",
            "--in-flight",
            "2",
            "--observers-per-quiz",
            "5",
            "--ramp-up",
            "20",
            "--steady",
            "30",
            "--ramp-down",
            "5",
        ],
        extra,
    )
}

/// (c) The full stack: Redis + Kafka + FerretDB behind the server, plus the worker.
pub(super) fn fullstack(bins: &Bins, extra: &[String]) -> Result<(), String> {
    let dir = out_dir("fullstack");
    fresh_dir(&dir)?;
    let help = Command::new(&bins.server)
        .arg("--help")
        .output()
        .map_err(|e| format!("{}: {e}", bins.server.display()))?;
    let help = String::from_utf8_lossy(&help.stdout);
    let missing: Vec<&str> = ["--redis-url", "--kafka-brokers", "--mongo-url"]
        .into_iter()
        .filter(|f| !help.contains(f))
        .collect();
    if !missing.is_empty() || !bins.worker.exists() {
        let why = format!(
            "quiz-server lacks {missing:?} or quiz-worker is missing; the full-stack scenario could not run"
        );
        let _ = std::fs::write(dir.join("NOT_RUN.md"), format!("# fullstack\n\n{why}\n"));
        return Err(why);
    }
    crate::services::run(&["up".to_owned()])?;
    let stamp = run_stamp();
    // A topic and database of its own, so the worker does not replay other runs' events.
    let topic = format!("quiz-bench-{stamp}");
    let db = format!("quiz_bench_{stamp}");
    let backends = strings(&[
        "--redis-url",
        "redis://127.0.0.1:6390/",
        "--kafka-brokers",
        "127.0.0.1:19092",
        "--kafka-topic",
        &topic,
        "--mongo-url",
        "mongodb://127.0.0.1:27018/",
        "--mongo-db",
        &db,
    ]);
    let (mut server, target) = start_server(bins, &dir, "server", &backends)?;
    let worker_addr = format!("127.0.0.1:{}", free_port()?);
    let mut worker = Proc::start(
        "quiz-worker",
        &bins.worker,
        &strings(&[
            "--kafka-brokers",
            "127.0.0.1:19092",
            "--kafka-topic",
            &topic,
            "--mongo-url",
            "mongodb://127.0.0.1:27018/",
            "--mongo-db",
            &db,
            // A group of its own too: a new member of the shared default group waits for
            // the previous run's worker to time out of it before it gets any partition.
            "--kafka-group",
            &topic,
            "--listen",
            &worker_addr,
        ]),
        Some(&dir.join("worker.log")),
    )?;
    std::thread::sleep(Duration::from_secs(2));
    worker.check_alive()?;
    eprintln!("xtask bench: quiz-worker pid {}", worker.pid());
    let t = Target {
        url: &target,
        server_pid: server.pid(),
        dir: &dir,
        scenario: "fullstack",
    };
    let redis_before = redis_stats::read(REDIS_PORT);
    let cpu_before = cpu::read();
    let lg = loadgen(bins, &t, &stack_load("20000", "10"), extra, None)?;
    let result = lg.wait();
    let cpu_after = cpu::read();
    let redis_after = redis_stats::read(REDIS_PORT);
    server.check_alive()?;
    worker.check_alive()?;
    let server_addr = target.trim_start_matches("http://").to_owned();
    let redis = redis_stats::report(redis_before, redis_after, accepted_answers(&server_addr));
    let archive = archive_catch_up(&server_addr, &worker_addr, ARCHIVE_WAIT);
    eprintln!("xtask bench: {archive}");
    server.stop();
    worker.stop();
    result?;
    append_summary(&dir, &redis)?;
    append_summary(&dir, &cpu::report(&cpu_before, &cpu_after))?;
    append_summary(&dir, &archive)?;
    verify(bins, &dir, false)
}

/// The load of the scenarios on the service stack: `rate` answers/s offered by 1,000
/// players of 20 quizzes of 200 questions (4 answers in flight each, one observer per
/// quiz), ramping up over `ramp_up` seconds, 30 s steady, 3 s down.
fn stack_load(rate: &str, ramp_up: &str) -> Vec<String> {
    strings(&[
        "--rate",
        rate,
        "--players",
        "1000",
        "--quizzes",
        "20",
        "--questions",
        "200",
        "--in-flight",
        "4",
        "--observers-per-quiz",
        "1",
        "--ramp-up",
        ramp_up,
        "--steady",
        "30",
        "--ramp-down",
        "3",
    ])
}

/// Seconds since the epoch: names a run's own Kafka topic and database.
pub(super) fn run_stamp() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The standalone Redis of `cargo xtask services up`.
const REDIS_PORT: u16 = 6390;

/// (g) The server on Redis alone (events in memory), or (h) on Redis and Kafka (no worker,
/// no MongoDB): 10,000 answers/s offered by 1,000 players of 20 quizzes, the figures of
/// the networked answer path without the archive's inserts on the same cores. The summary
/// adds what Redis spent (script calls, script time and Redis CPU per answer).
pub(super) fn networked(
    bins: &Bins,
    scenario: &str,
    kafka: bool,
    extra: &[String],
) -> Result<(), String> {
    let dir = out_dir(scenario);
    fresh_dir(&dir)?;
    crate::services::run(&["up".to_owned()])?;
    let stamp = run_stamp();
    let topic = format!("quiz-bench-{stamp}");
    let mut backends = strings(&["--redis-url", "redis://127.0.0.1:6390/"]);
    if kafka {
        backends.extend(strings(&[
            "--kafka-brokers",
            "127.0.0.1:19092",
            "--kafka-topic",
            &topic,
        ]));
    }
    let (mut server, target) = start_server(bins, &dir, "server", &backends)?;
    let t = Target {
        url: &target,
        server_pid: server.pid(),
        dir: &dir,
        scenario,
    };
    let before = redis_stats::read(REDIS_PORT);
    let cpu_before = cpu::read();
    let lg = loadgen(bins, &t, &stack_load("10000", "5"), extra, None)?;
    let result = lg.wait();
    let cpu_after = cpu::read();
    let after = redis_stats::read(REDIS_PORT);
    server.check_alive()?;
    let server_addr = target.trim_start_matches("http://").to_owned();
    let accepted = accepted_answers(&server_addr);
    server.stop();
    result?;
    append_summary(&dir, &redis_stats::report(before, after, accepted))?;
    append_summary(&dir, &cpu::report(&cpu_before, &cpu_after))?;
    verify(bins, &dir, false)
}

/// The answers the server at `addr` accepted so far (0 when /metrics cannot be read).
fn accepted_answers(addr: &str) -> u64 {
    http_get(addr, "/metrics").map_or(0, |m| {
        metric_sum(&m, "quiz_answers_total", Some(r#"outcome="accepted""#))
    })
}

/// Adds a paragraph to the scenario's `summary.md`.
pub(super) fn append_summary(dir: &std::path::Path, text: &str) -> Result<(), String> {
    eprintln!("xtask bench: {text}");
    let summary = dir.join("summary.md");
    let mut md =
        std::fs::read_to_string(&summary).map_err(|e| format!("{}: {e}", summary.display()))?;
    md.push_str(&format!("\n{text}\n"));
    std::fs::write(&summary, md).map_err(|e| format!("{}: {e}", summary.display()))
}

/// How long the full-stack run waits, after the load, for the worker to archive every
/// accepted answer.
const ARCHIVE_WAIT: Duration = Duration::from_secs(120);

/// Waits until the worker has written as many score events to the archive as the server
/// accepted answers (or `within` passes) and says how far it got: the archive keeping up
/// is part of what the full stack must sustain. (Re-sent answers publish extra events, so
/// with retries this can pass a little early; the benchmark's runs have none.)
fn archive_catch_up(server: &str, worker: &str, within: Duration) -> String {
    let started = Instant::now();
    let accepted = http_get(server, "/metrics")
        .map(|m| metric_sum(&m, "quiz_answers_total", Some(r#"outcome="accepted""#)));
    let Some(accepted) = accepted else {
        return "**Archive**: the server's /metrics could not be read, so it was not checked."
            .into();
    };
    // Applied + stale are counted once the archive has taken a batch (consumed, before).
    let mut written = 0;
    while started.elapsed() < within {
        if let Some(m) = http_get(worker, "/metrics") {
            written = metric_sum(&m, "quiz_worker_events_applied_total", None)
                + metric_sum(&m, "quiz_worker_events_stale_total", None);
        }
        if written >= accepted {
            return format!(
                "**Archive** (Kafka → worker → MongoDB): all {accepted} accepted answers \
                 archived {:.1} s after the load ended ({written} events written).",
                started.elapsed().as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    format!(
        "**Archive** (Kafka → worker → MongoDB): the worker had written only {written} events \
         for {accepted} accepted answers {} s after the load ended.",
        within.as_secs()
    )
}

/// (d) Idle sockets: how many one machine holds, and the server's memory per socket.
///
/// Every join announces a change, so the quiz's room gets a board: with few large quizzes
/// the ramp-up turns into a board storm (2 boards per socket per second) that starves the
/// connects on two cores. Rooms of ~33 players (500 quizzes per server) keep joins per
/// room below the throttle's rate.
///
/// One process may hold only as many sockets as its open-file limit allows. Where the hard
/// limit is below what 50,000 sockets need (as in sandboxes without `CAP_SYS_RESOURCE`),
/// the sockets are split over several server instances — as they would be behind a load
/// balancer — each with its own load generator, and the shard reports are merged.
pub(super) fn idle(bins: &Bins, extra: &[String]) -> Result<(), String> {
    let dir = out_dir("idle");
    fresh_dir(&dir)?;
    let limit = reachable_nofile().unwrap_or(1024);
    let per_process = limit.saturating_sub(FD_MARGIN).max(1);
    let shards = IDLE_TARGET.div_ceil(per_process);
    let per_shard = IDLE_TARGET.div_ceil(shards);
    eprintln!(
        "xtask bench: open-file limit {limit}: {shards} server instance(s) × {per_shard} idle sockets"
    );
    let mut servers = Vec::new();
    let mut gens = Vec::new();
    let mut dirs = Vec::new();
    for i in 0..shards {
        let sdir = if shards == 1 {
            dir.clone()
        } else {
            dir.join(format!("shard-{i}"))
        };
        std::fs::create_dir_all(&sdir).map_err(|e| format!("{}: {e}", sdir.display()))?;
        let (server, target) = start_server(bins, &sdir, "server", &[])?;
        // Disjoint source addresses per shard: bind() takes ports per address, whatever
        // the destination.
        let first = (2 + i * 8).to_string();
        let log = sdir.join("loadgen.log");
        let t = Target {
            url: &target,
            server_pid: server.pid(),
            dir: &sdir,
            scenario: "idle",
        };
        let lg = loadgen(
            bins,
            &t,
            &strings(&[
                "--idle",
                "--players",
                &per_shard.to_string(),
                "--quizzes",
                "500",
                "--questions",
                "10",
                "--ramp-up",
                "60",
                "--steady",
                "20",
                "--ramp-down",
                "5",
                "--connect-concurrency",
                "256",
                "--source-first",
                &first,
                "--source-addrs",
                "8",
            ]),
            extra,
            (shards > 1).then_some(log.as_path()),
        )?;
        servers.push(server);
        gens.push(lg);
        dirs.push(sdir);
    }
    let mut result = Ok(());
    for g in gens {
        if let Err(e) = g.wait() {
            result = Err(e);
        }
    }
    for s in &mut servers {
        s.check_alive()?;
        s.stop();
    }
    result?;
    if shards > 1 {
        let mut c = Command::new(&bins.loadgen);
        c.args(["merge", "--scenario", "idle", "--out"])
            .arg(&dir)
            .args(&dirs);
        run_cmd("quiz-loadgen merge (idle shards)", c)?;
        let note = format!(
            "\nThe open-file hard limit here is {limit}, so the {IDLE_TARGET} sockets were split over \
             {shards} server instances of {per_shard} sockets each (shard-*/ hold their own reports).\n"
        );
        let summary = dir.join("summary.md");
        let md = std::fs::read_to_string(&summary).unwrap_or_default();
        std::fs::write(&summary, md + &note).map_err(|e| format!("{}: {e}", summary.display()))?;
    }
    verify(bins, &dir, false)
}

/// `--smoke`: a few seconds of tiny load on the embedded server; fails unless the report
/// files exist, report.json parses with every expected field, and answers were acknowledged.
pub(super) fn smoke(bins: &Bins, extra: &[String]) -> Result<(), String> {
    let dir = out_dir("smoke");
    fresh_dir(&dir)?;
    let (mut server, target) = start_server(bins, &dir, "server", &[])?;
    let args = strings(&[
        "--rate",
        "200",
        "--players",
        "20",
        "--quizzes",
        "2",
        "--questions",
        "20",
        "--ramp-up",
        "1",
        "--steady",
        "3",
        "--ramp-down",
        "1",
        "--max-duration",
        "60",
    ]);
    let log = dir.join("loadgen.log");
    let t = Target {
        url: &target,
        server_pid: server.pid(),
        dir: &dir,
        scenario: "smoke",
    };
    let lg = loadgen(bins, &t, &args, extra, Some(&log))?;
    let result = lg.wait();
    server.check_alive()?;
    server.stop();
    result.map_err(|e| format!("{e}; see {}", log.display()))?;
    verify(bins, &dir, true)?;
    eprintln!("xtask bench: smoke passed ({})", dir.display());
    Ok(())
}
