//! # xtask
//!
//! Developer automation, run as `cargo xtask <command>`:
//!
//! - `test` — the whole test suite, exactly what CI runs (README's test command).
//! - `contracts` — regenerate the committed schema files from the Rust types, and the
//!   TypeScript types from them (`contracts/ts/`).
//! - `types` — only the TypeScript checks: the generated types match the contracts, and the
//!   web client type-checks against them (`tsc --checkJs`).
//! - `services up|down|status` — real Redis, Redis Cluster, Kafka and FerretDB as local
//!   processes (see `services/`).
//! - `stack up|down|status|logs` — the whole distributed topology as local processes: two
//!   servers behind nginx, two workers, the services (`make startup` without Docker).
//!
//! **What it is not**: part of the product. It depends on no workspace crate (it drives
//! them through `cargo`), so running it never relinks the product.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod install;
mod services;
mod stack;
mod suites;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("contracts") => contracts(),
        Some("services") => services::run(&args[1..]),
        Some("stack") => stack::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("browser") => server_bin().and_then(|bin| suites::browser(&root(), &bin)),
        Some("promtool") => suites::promtool(&root()),
        Some("types") => suites::typescript(&root()),
        Some("schemathesis") => {
            server_bin().and_then(|bin| suites::schemathesis(&root(), &bin, &logs_dir()?))
        }
        _ => Err(usage()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    "usage: cargo xtask <command>\n\n\
     commands:\n  \
       test        run the whole test suite (what CI runs)\n  \
       contracts   regenerate contracts/schemas/*.json, contracts/openapi.json and contracts/ts/*.d.ts\n  \
       types       only the TypeScript checks (generated types up to date, tsc over the web client)\n  \
       services    up | down | status: local Redis, Redis Cluster, Kafka, FerretDB\n  \
       stack       up | down | status | logs: the distributed topology as processes (make startup)\n  \
       bench       load generator scenarios and the benchmark report (see BENCHMARKS.md)\n  \
       fuzz [SECS] the fuzz targets (frame parser, quiz definitions, host commands, tokens, CSV), SECS each (15)\n  \
       browser     only the headless-Chromium test of the web client\n  \
       schemathesis  only schemathesis against a live server\n  \
       promtool    only the alert rules' checks and unit tests (promtool check/test rules)"
        .into()
}

/// The workspace root, as cargo itself locates it from the working directory (a path
/// baked in at compile time could name another checkout when a build directory is shared
/// between clones); the working directory when cargo cannot say.
pub fn root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        Command::new(cargo)
            .args(["locate-project", "--workspace", "--message-format", "plain"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                let manifest = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
                manifest.parent().map(Path::to_path_buf)
            })
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."))
    })
    .clone()
}

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

pub(crate) fn run(what: &str, mut cmd: Command) -> Result<(), String> {
    suites::run(what, &mut cmd)
}

/// The whole suite: what it needs installed, real services up, every Rust test (unit,
/// property, conformance on memory and on the real services, in-process and real-socket app
/// tests), the TypeScript checks (generated types, the web client's type check), the browser test in headless Chromium, schemathesis against a live server, the
/// compose-file check, the alert rules' checks and unit tests (promtool), the stack check
/// (Prometheus included) and a smoke run of the benchmark. The services this run started are
/// stopped at the end whether it passes, fails or is interrupted; services that were already
/// running are left as they were.
fn test(extra: &[String]) -> Result<(), String> {
    let started = std::time::Instant::now();
    install::ensure(&install::everything())?;
    install::go()?;
    install::node()?;
    let before = std::sync::Arc::new(services::snapshot());
    let on_signal = std::sync::Arc::clone(&before);
    ctrlc::set_handler(move || {
        eprintln!("xtask: interrupted; stopping the services this run started");
        INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        services::forbid_starts();
        clean_up_once(&on_signal);
        std::process::exit(130);
    })
    .map_err(|e| format!("cannot install the interrupt handler: {e}"))?;

    let result = suite(extra);
    // A failure of the clean-up is reported, but the suite's own result decides the exit.
    clean_up_once(&before);
    if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
        // The handler reports and exits; the suite's failure was the interrupt itself.
        std::process::exit(130);
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    match &result {
        Ok(()) => eprintln!("xtask: all suites passed in {minutes:.1} min"),
        Err(_) => eprintln!("xtask: the suite failed after {minutes:.1} min"),
    }
    result
}

/// Set by the interrupt handler.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Stops the services started since `before`, once: the interrupt handler and the end of
/// the run may both get here (an interrupt also ends the running `cargo test`); the second
/// waits for the first and does nothing.
fn clean_up_once(before: &services::Snapshot) {
    static DONE: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut done = DONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !*done {
        report_stopped(services::stop_started_since(before));
        *done = true;
    }
}

fn report_stopped(stopped: Result<usize, String>) {
    match stopped {
        Ok(0) => eprintln!("xtask: no service to stop (those running were already running)"),
        Ok(n) => eprintln!("xtask: stopped the {n} service processes this run started"),
        Err(e) => eprintln!("xtask: could not stop every service this run started: {e}"),
    }
}

/// The fault tests: (package, test target, test name). They run after the rest, with their
/// output shown, so a run prints what each checked (counts, times).
const FAULTS: &[(&str, &str, &str)] = &[
    (
        "quiz-server",
        "instance_kill",
        "a_killed_instance_s_players_resume_on_the_other_with_nothing_lost_or_doubled",
    ),
    (
        "quiz-server",
        "cluster_failover",
        "a_primary_failover_loses_no_acknowledged_answer",
    ),
    (
        "quiz-server",
        "kafka_restart",
        "acknowledged_answers_survive_a_kafka_broker_restart_exactly_once",
    ),
    (
        "quiz-worker",
        "restart",
        "a_worker_killed_and_restarted_archives_again_within_seconds",
    ),
    (
        "quiz-worker",
        "restart",
        "a_worker_restarted_with_default_flags_consumes_again_within_seconds",
    ),
];

fn suite(extra: &[String]) -> Result<(), String> {
    services::run(&["up".to_owned()])?;
    let mut t = cargo();
    t.args(["test", "--workspace", "--all-targets"]).args(extra);
    t.arg("--");
    for (_, _, name) in FAULTS {
        t.args(["--skip", name]);
    }
    run(
        "cargo test --workspace --all-targets (the fault tests after)",
        t,
    )?;
    for (package, target, name) in FAULTS {
        let mut f = cargo();
        f.args([
            "test", "-p", package, "--test", target, "--", "--exact", name,
        ])
        .arg("--nocapture");
        run(&format!("fault test {target}"), f)?;
    }
    let mut d = cargo();
    d.args(["test", "--workspace", "--doc"]);
    run("cargo test --workspace --doc", d)?;
    // A Rust service embedding the core: a quiz played to its results on the memory adapters
    // with one port of its own (quiz-core's crate docs point at it).
    let mut e = cargo();
    e.args(["run", "-p", "quiz-memory", "--example", "embed"]);
    run("the embedding example (quiz-memory's examples/embed.rs)", e)?;
    // The crate docs must build without a warning (broken links, private items).
    let mut doc = cargo();
    doc.args(["doc", "--no-deps", "--workspace"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run("cargo doc --no-deps --workspace (warnings are errors)", doc)?;
    fuzz(&[])?;

    let server_bin = server_bin()?;
    let logs = logs_dir()?;
    suites::typescript(&root())?;
    suites::browser(&root(), &server_bin)?;
    suites::schemathesis(&root(), &server_bin, &logs)?;
    suites::compose(&root())?;
    suites::promtool(&root())?;
    // `make startup`'s code path: the stack on other ports, played through nginx.
    stack::check(stack::CHECK_PORT, false)?;
    // The load generator must not rot: a few seconds of tiny load, checking the report
    // is produced and well-formed (not the speed; see BENCHMARKS.md for the numbers).
    bench::run(&["--smoke".to_owned(), "--debug".to_owned()])
}

/// The fuzz targets (`apps/server/tests/fuzz.rs`) with a time budget per target.
fn fuzz(args: &[String]) -> Result<(), String> {
    let secs = match args {
        [] => 15,
        [s] => s
            .parse::<u64>()
            .map_err(|_| format!("fuzz: {s:?} is not a number of seconds"))?,
        _ => return Err("usage: cargo xtask fuzz [SECONDS PER TARGET]".into()),
    };
    let mut f = cargo();
    f.args([
        "test",
        "-p",
        "quiz-server",
        "--test",
        "fuzz",
        "--",
        "--nocapture",
    ])
    .env("QUIZ_FUZZ_SECS", secs.to_string());
    run(&format!("fuzz targets, {secs} s each"), f)
}

/// Builds the server and returns the binary's path.
fn server_bin() -> Result<PathBuf, String> {
    let mut b = cargo();
    b.args(["build", "-p", "quiz-server"]);
    run("cargo build -p quiz-server", b)?;
    Ok(target_dir().join("debug/quiz-server"))
}

/// Where the suites write server logs.
fn logs_dir() -> Result<PathBuf, String> {
    let logs = target_dir().join("xtask-logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    Ok(logs)
}

/// Where cargo puts build output.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn contracts() -> Result<(), String> {
    let mut c = cargo();
    c.args(["run", "-p", "quiz-contracts", "--example", "write_schemas"]);
    run("regenerate contracts/schemas", c)?;
    let mut o = cargo();
    o.args(["run", "-p", "quiz-server", "--example", "write_openapi"]);
    run("regenerate contracts/openapi.json", o)?;
    suites::typescript_generate(&root())
}
