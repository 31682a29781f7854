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
//! checks something (that the report files exist and are complete), for CI, and a hosted
//! game (`hosted`, `hosted-stack`, the smoke's game) fails its verify step when a player
//! missed a phase: that is correctness, not speed (`hosted.rs`).

mod cpu;
mod hosted;
mod loadgen;
mod probe;
mod process;
mod redis_stats;
mod report;
mod scenarios;
mod server;

use std::path::PathBuf;

use crate::{cargo, run as run_cmd, target_dir};
use report::out_dir;

fn usage() -> String {
    "usage: cargo xtask bench <scenario>… [--debug] [--no-build] [--server-bin PATH] [-- <extra loadgen options>]\n\
     \n\
     scenarios:\n  \
       embedded   (a) embedded server, answers as fast as acknowledgements allow\n  \
       embedded-memory  (a) on --store memory (compare with embedded, back to back)\n  \
       embedded-mix  (a) with questions of every type (single, multi, true_false, poll, type_answer)\n  \
       fanout     (b) one quiz, 10,000 players, each answering about once a second\n  \
       fullstack  (c) server on Redis + Kafka + FerretDB with the worker, 20,000 answers/s\n  \
       idle       (d) 50,000 idle sockets: connection capacity and memory per socket\n  \
       live-room  (e) one quiz, 2,000 players answering about once a second: CPU per answer with its fan-out\n  \
       idle-100q  (f) 10,000 idle players of 100-question quizzes: memory per socket after a large snapshot\n  \
       redis      (g) server on Redis alone, 10,000 answers/s: server and Redis CPU per answer, ack latency\n  \
       redis-kafka  (h) server on Redis + Kafka (no worker), 10,000 answers/s\n  \
       hosted     (i) one hosted game of 10,000 players on the embedded server: phase delivery, acks in the answer storm, frames per socket\n  \
       hosted-stack  (j) one hosted game of 30,000 players over two instances behind nginx on the Redis Cluster, Kafka and FerretDB (uses the running services)\n  \
       all        a, b, c and d in turn\n  \
       --smoke    a few seconds of tiny load on the embedded server, then a hosted game of 50 players; checks the reports\n\
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
            "embedded" | "embedded-memory" | "embedded-mix" | "fanout" | "fullstack" | "idle"
            | "live-room" | "idle-100q" | "redis" | "redis-kafka" | "hosted" | "hosted-stack" => {
                scenarios.push(a.as_str());
            }
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
        scenarios::smoke(&bins, &extra)?;
        return hosted::smoke(&bins, &extra);
    }
    if scenarios.is_empty() {
        return Err(usage());
    }
    let worker = scenarios.contains(&"fullstack") || scenarios.contains(&"hosted-stack");
    let mut bins = build(debug, worker, no_build)?;
    if let Some(p) = server_bin {
        bins.server = p;
    }
    let mut failed = Vec::new();
    for s in &scenarios {
        eprintln!("\nxtask bench: ===== {s} =====");
        let result = match *s {
            "embedded" => scenarios::embedded(&bins, &extra),
            "embedded-memory" => scenarios::embedded_memory(&bins, &extra),
            "embedded-mix" => scenarios::embedded_mix(&bins, &extra),
            "fanout" => scenarios::fanout(&bins, &extra),
            "fullstack" => scenarios::fullstack(&bins, &extra),
            "idle" => scenarios::idle(&bins, &extra),
            "live-room" => scenarios::live_room(&bins, &extra),
            "idle-100q" => scenarios::idle_large(&bins, &extra),
            "redis" => scenarios::networked(&bins, "redis", false, &extra),
            "redis-kafka" => scenarios::networked(&bins, "redis-kafka", true, &extra),
            "hosted" => hosted::hosted(&bins, &extra),
            "hosted-stack" => hosted::hosted_stack(&bins, &extra),
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
