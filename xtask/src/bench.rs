//! `cargo xtask bench …`: the benchmark scenarios of BENCHMARKS.md.
//!
//! Each scenario builds the release binaries (`cargo build --release -p quiz-server
//! -p quiz-loadgen`, plus `quiz-worker` for the full stack), starts its own server on a
//! free loopback port, runs `quiz-loadgen` against it, stops the server (also on error:
//! the process guard kills it when dropped) and leaves `report.json`, `chart.svg`,
//! `summary.md` and the logs in `bench-out/<scenario>/`.
//!
//! Every process is started through `sh -c 'ulimit -n …; exec …'` so it may hold as many
//! sockets as the hard open-file limit allows (1,048,576 where permitted; otherwise the
//! hard limit, which the scenario then works within, see `idle`).
//!
//! Nothing here asserts a speed: the numbers are measured and reported. Only `--smoke`
//! checks something (that the report files exist and are complete), for CI.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::suites::free_port;
use crate::{cargo, root, run as run_cmd, target_dir};

/// Admin key of the benchmark servers (they live only for one scenario, on loopback).
const ADMIN_KEY: &str = "bench-admin-key-not-secret";
/// Raise the open-file limit as far as allowed, then become the program.
const ULIMIT_EXEC: &str =
    r#"ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@""#;
/// Sockets one process can hold below its open-file limit (listeners, logs, pools).
const FD_MARGIN: u64 = 400;
/// The idle scenario's target.
const IDLE_TARGET: u64 = 50_000;

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

fn usage() -> String {
    "usage: cargo xtask bench <scenario>… [--debug] [--no-build] [--server-bin PATH] [-- <extra loadgen options>]\n\
     \n\
     scenarios:\n  \
       embedded   (a) embedded server, answers as fast as acknowledgements allow\n  \
       fanout     (b) one quiz, 10,000 players, each answering about once a second\n  \
       fullstack  (c) server on Redis + Kafka + FerretDB with the worker, 20,000 answers/s\n  \
       idle       (d) 50,000 idle sockets: connection capacity and memory per socket\n  \
       all        a, b, c and d in turn\n  \
       --smoke    a few seconds of tiny load on the embedded server; checks the report\n\
     \n\
     Output goes to bench-out/<scenario>/. Options after `--` are passed to every\n\
     quiz-loadgen run and override the scenario's (e.g. `-- --steady 60`).\n\
     --debug uses debug builds; --no-build runs the binaries already in target/;\n\
     --server-bin runs another quiz-server binary (for before/after comparisons)."
        .into()
}

/// Runs `cargo xtask bench …`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (own, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut scenarios = Vec::new();
    let mut smoke = false;
    let mut debug = false;
    let mut no_build = false;
    let mut server_bin: Option<PathBuf> = None;
    let mut own = own.iter();
    while let Some(a) = own.next() {
        match a.as_str() {
            "--server-bin" => {
                let p = own.next().ok_or("--server-bin needs a path")?;
                server_bin = Some(PathBuf::from(p));
            }
            "--smoke" => smoke = true,
            "--debug" => debug = true,
            "--no-build" => no_build = true,
            "all" => scenarios.extend(["embedded", "fanout", "fullstack", "idle"]),
            "embedded" | "fanout" | "fullstack" | "idle" => scenarios.push(a.as_str()),
            "-h" | "--help" | "help" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown bench argument {other:?}\n\n{}", usage())),
        }
    }
    if smoke {
        if !scenarios.is_empty() {
            return Err("--smoke runs alone".into());
        }
        let mut bins = build(debug, false, no_build)?;
        if let Some(p) = server_bin {
            bins.server = p;
        }
        return self::smoke(&bins, &extra);
    }
    if scenarios.is_empty() {
        return Err(usage());
    }
    let mut bins = build(debug, scenarios.contains(&"fullstack"), no_build)?;
    if let Some(p) = server_bin {
        bins.server = p;
    }
    let mut failed = Vec::new();
    for s in &scenarios {
        eprintln!("\nxtask bench: ===== {s} =====");
        let result = match *s {
            "embedded" => embedded(&bins, &extra),
            "fanout" => fanout(&bins, &extra),
            "fullstack" => fullstack(&bins, &extra),
            "idle" => idle(&bins, &extra),
            _ => Err(format!("unknown scenario {s}")),
        };
        if let Err(e) = result {
            eprintln!("xtask bench: {s}: {e}");
            failed.push(format!("{s}: {e}"));
        }
    }
    eprintln!("\nxtask bench: headline numbers");
    for s in &scenarios {
        let summary = out_dir(s).join("summary.md");
        match std::fs::read_to_string(&summary) {
            Ok(md) => println!("\n{md}"),
            Err(_) => println!("\n# {s}: no summary (see above)"),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("some scenarios failed:\n  {}", failed.join("\n  ")))
    }
}

/// The binaries a scenario runs.
struct Bins {
    server: PathBuf,
    loadgen: PathBuf,
    worker: PathBuf,
}

fn build(debug: bool, worker: bool, no_build: bool) -> Result<Bins, String> {
    let profile = if debug { "debug" } else { "release" };
    let dir = target_dir().join(profile);
    let bins = Bins {
        server: dir.join("quiz-server"),
        loadgen: dir.join("quiz-loadgen"),
        worker: dir.join("quiz-worker"),
    };
    if no_build {
        return Ok(bins);
    }
    let mut b = cargo();
    b.arg("build");
    if !debug {
        b.arg("--release");
    }
    b.args(["-p", "quiz-server", "-p", "quiz-loadgen"]);
    if worker {
        b.args(["-p", "quiz-worker"]);
    }
    run_cmd(
        &format!("cargo build --{profile} -p quiz-server -p quiz-loadgen"),
        b,
    )?;
    Ok(bins)
}

fn out_dir(scenario: &str) -> PathBuf {
    root().join("bench-out").join(scenario)
}

/// A fresh output directory (earlier report files removed).
fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// A child process stopped when dropped: SIGTERM, up to 10 s to exit, then SIGKILL.
struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    /// Starts `bin args…` under the raised open-file limit; output goes to `log`
    /// (or is inherited when `log` is `None`).
    fn start(name: &str, bin: &Path, args: &[String], log: Option<&Path>) -> Result<Self, String> {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(ULIMIT_EXEC)
            .arg(bin)
            .args(args)
            .stdin(Stdio::null());
        if let Some(log) = log {
            let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = out.try_clone().map_err(|e| e.to_string())?;
            c.stdout(out).stderr(err);
        }
        let child = c
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// The process id (the shell `exec`s the program, so this is the program's).
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has already exited.
    fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited early ({status})", self.name)),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// Waits for the process to exit by itself.
    fn wait(mut self) -> Result<(), String> {
        let status = self
            .child
            .wait()
            .map_err(|e| format!("{}: {e}", self.name))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} failed ({status})", self.name))
        }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    fn stop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `GET path` answered 200.
fn http_ok(addr: &str, path: &str) -> bool {
    http_get(addr, path).is_some()
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
fn start_server(
    bins: &Bins,
    dir: &Path,
    name: &str,
    extra: &[String],
) -> Result<(Proc, String), String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let mut args = server_load_flags();
    args.extend(["--listen".to_owned(), addr.clone()]);
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

/// The soft open-file limit of process `pid`.
fn nofile_limit(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The open-file limit processes started by this task get.
fn reachable_nofile() -> Option<u64> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n"#)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// One load generator run: which server, where the report goes.
struct Target<'a> {
    /// `http://127.0.0.1:PORT`.
    url: &'a str,
    /// The server's process id (for RSS sampling).
    server_pid: u32,
    /// The report directory.
    dir: &'a Path,
    /// The scenario name in the report.
    scenario: &'a str,
}

/// Starts the load generator against `t` with the scenario's `args` and the user's
/// `extra` options (which come last, so they win).
fn loadgen(
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

fn strings(v: &[&str]) -> Vec<String> {
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

fn verify(bins: &Bins, dir: &Path, expect_answers: bool) -> Result<(), String> {
    for f in ["report.json", "chart.svg", "summary.md"] {
        let p = dir.join(f);
        let len = std::fs::metadata(&p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .len();
        if len == 0 {
            return Err(format!("{} is empty", p.display()));
        }
    }
    let mut c = Command::new(&bins.loadgen);
    c.arg("verify").arg(dir);
    if expect_answers {
        c.arg("--expect-answers");
    }
    run_cmd(&format!("quiz-loadgen verify {}", dir.display()), c)
}

/// (a) The embedded server at full speed. Few sockets with deep pipelines: each flush
/// then carries many replies, which is what the server's batched writer rewards (200
/// sockets × 8 in flight measured ~15% less on the same server).
fn embedded(bins: &Bins, extra: &[String]) -> Result<(), String> {
    single(
        bins,
        "embedded",
        &[],
        &[
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
        ],
        extra,
    )
}

/// (b) Fan-out: one quiz, 10,000 players answering about once a second each.
fn fanout(bins: &Bins, extra: &[String]) -> Result<(), String> {
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
fn fullstack(bins: &Bins, extra: &[String]) -> Result<(), String> {
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
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
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
    let lg = loadgen(
        bins,
        &t,
        &strings(&[
            "--rate",
            "20000",
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
            "10",
            "--steady",
            "30",
            "--ramp-down",
            "3",
        ]),
        extra,
        None,
    )?;
    let result = lg.wait();
    server.check_alive()?;
    worker.check_alive()?;
    let server_addr = target.trim_start_matches("http://").to_owned();
    let archive = archive_catch_up(&server_addr, &worker_addr, ARCHIVE_WAIT);
    eprintln!("xtask bench: {archive}");
    server.stop();
    worker.stop();
    result?;
    let summary = dir.join("summary.md");
    let mut md =
        std::fs::read_to_string(&summary).map_err(|e| format!("{}: {e}", summary.display()))?;
    md.push_str(&format!("\n{archive}\n"));
    std::fs::write(&summary, md).map_err(|e| format!("{}: {e}", summary.display()))?;
    verify(bins, &dir, false)
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

/// The body of `GET http://addr/path` when it answers 200.
fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// The sum of a Prometheus counter's samples (those whose labels contain `label`).
fn metric_sum(text: &str, name: &str, label: Option<&str>) -> u64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter(|l| label.is_none_or(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
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
fn idle(bins: &Bins, extra: &[String]) -> Result<(), String> {
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
fn smoke(bins: &Bins, extra: &[String]) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::metric_sum;

    #[test]
    fn counters_are_summed_over_matching_samples() {
        let text = "# HELP quiz_answers_total Answers.\n\
                    # TYPE quiz_answers_total counter\n\
                    quiz_answers_total{outcome=\"accepted\"} 120\n\
                    quiz_answers_total{outcome=\"rejected\"} 3\n\
                    quiz_answers_total_other 99\n\
                    quiz_worker_events_consumed_total 118\n";
        assert_eq!(
            metric_sum(text, "quiz_answers_total", Some("outcome=\"accepted\"")),
            120
        );
        assert_eq!(metric_sum(text, "quiz_answers_total", None), 123);
        assert_eq!(
            metric_sum(text, "quiz_worker_events_consumed_total", None),
            118
        );
        assert_eq!(metric_sum(text, "missing", None), 0);
    }
}
