//! The hosted-game scenarios: `hosted` (one game of 10,000 players on one embedded
//! instance), `hosted-stack` (30,000 players over two instances behind nginx on the Redis
//! Cluster, Kafka and FerretDB, the host on the first instance) and the hosted part of
//! the CI smoke run. The game itself is `quiz-loadgen --hosted` (players join over HTTP,
//! connect, answer each question once at a random moment within the answer window; a
//! host socket sends `start` and `next`); see BENCHMARKS.md for what is measured.
//!
//! `hosted-stack` uses the real services someone keeps running (`cargo xtask services
//! up`): it checks that they answer and never starts or stops them; its Kafka topic,
//! consumer group, database and quiz ids are its own (a run stamp), so runs and tests
//! sharing the services do not see each other's data.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::Bins;
use super::cpu;
use super::loadgen::{Target, loadgen};
use super::process::{Proc, reachable_nofile};
use super::report::{fresh_dir, out_dir, verify};
use super::scenarios::{append_summary, run_stamp, strings};
use super::server::start_server;
use crate::run as run_cmd;
use crate::suites::free_port;

/// Players of `hosted` unless `-- --players N` says otherwise.
const PLAYERS: &str = "10000";
/// Players of `hosted-stack`.
const STACK_PLAYERS: u64 = 30_000;
/// Questions of a benchmark game.
const QUESTIONS: &str = "3";
/// File descriptors a load generator keeps for itself besides its player sockets
/// (HTTP join connections, the host socket, logs).
const LOADGEN_FD_MARGIN: u64 = 1_000;

/// The load generator's options for a hosted game of `players` players.
fn game(players: &str, questions: &str, window: &str) -> Vec<String> {
    strings(&[
        "--hosted",
        "--players",
        players,
        "--questions",
        questions,
        "--answer-window",
        window,
        "--connect-concurrency",
        "256",
    ])
}

/// `["--store", "memory"]` when the server binary has that flag (the embedded default
/// became a file store; benchmarks measure the in-memory one), otherwise nothing, so
/// older binaries run too.
fn memory_store(bins: &Bins) -> Vec<String> {
    let help = Command::new(&bins.server).arg("--help").output();
    match help {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("--store") => {
            strings(&["--store", "memory"])
        }
        _ => Vec::new(),
    }
}

/// `cargo xtask bench hosted`: one hosted game of 10,000 players on one embedded instance.
pub(super) fn hosted(bins: &Bins, extra: &[String]) -> Result<(), String> {
    run_single(bins, "hosted", &game(PLAYERS, QUESTIONS, "3"), extra, None)
}

/// The hosted part of `--smoke`: a game of 50 players and 2 questions; fails unless the
/// report is complete, answers were acknowledged and no player missed a phase.
pub(super) fn smoke(bins: &Bins, extra: &[String]) -> Result<(), String> {
    let mut args = game("50", "2", "1");
    args.extend(strings(&["--phase-dwell", "0.2", "--max-duration", "120"]));
    let dir = out_dir("smoke-hosted");
    let log = dir.join("loadgen.log");
    run_single(bins, "smoke-hosted", &args, extra, Some(&log))?;
    eprintln!("xtask bench: hosted smoke passed ({})", dir.display());
    Ok(())
}

fn run_single(
    bins: &Bins,
    scenario: &str,
    args: &[String],
    extra: &[String],
    log: Option<&Path>,
) -> Result<(), String> {
    let dir = out_dir(scenario);
    fresh_dir(&dir)?;
    let (mut server, target) = start_server(bins, &dir, "server", &memory_store(bins))?;
    let t = Target {
        url: &target,
        server_pid: server.pid(),
        dir: &dir,
        scenario,
    };
    let lg = loadgen(bins, &t, args, extra, log)?;
    let result = lg.wait();
    server.check_alive()?;
    server.stop();
    result.map_err(|e| match log {
        Some(l) => format!("{e}; see {}", l.display()),
        None => e,
    })?;
    verify(bins, &dir, true)
}

/// The shared services `hosted-stack` needs, as (what, port).
const SERVICES: &[(&str, u16)] = &[
    ("Redis Cluster", 7001),
    ("Redis Cluster", 7002),
    ("Redis Cluster", 7003),
    ("Kafka", 19092),
    ("FerretDB", 27018),
];

/// Fails unless every service of [`SERVICES`] accepts a connection.
fn services_running() -> Result<(), String> {
    for (what, port) in SERVICES {
        let addr = SocketAddr::from(([127, 0, 0, 1], *port));
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| {
            format!(
                "{what} on 127.0.0.1:{port} does not answer ({e}); hosted-stack uses the running \
                 services and never starts them: `cargo xtask services up` first"
            )
        })?;
    }
    Ok(())
}

/// `cargo xtask bench hosted-stack`: 30,000 players over two instances behind nginx on the
/// Redis Cluster, Kafka and FerretDB with the worker; the host on the first instance. The
/// players are split over load generator processes so that each stays below the
/// open-file limit; their reports are merged.
pub(super) fn hosted_stack(bins: &Bins, extra: &[String]) -> Result<(), String> {
    let dir = out_dir("hosted-stack");
    fresh_dir(&dir)?;
    services_running()?;
    let stamp = run_stamp();
    let topic = format!("quiz-bench-hosted-{stamp}");
    let db = format!("quiz_bench_hosted_{stamp}");
    let cluster: Vec<String> = (7001..=7006)
        .map(|p| format!("redis://127.0.0.1:{p}/"))
        .collect();
    let secret = format!("bench-hosted-token-secret-{stamp}-not-secret");
    let backends = strings(&[
        "--redis-url",
        &cluster.join(","),
        "--kafka-brokers",
        "127.0.0.1:19092",
        "--kafka-topic",
        &topic,
        "--mongo-url",
        "mongodb://127.0.0.1:27018/",
        "--mongo-db",
        &db,
        "--token-secret",
        &secret,
    ]);
    let (mut a, a_url) = start_server(bins, &dir, "server-a", &backends)?;
    let (mut b, b_url) = start_server(bins, &dir, "server-b", &backends)?;
    let worker_addr = format!("127.0.0.1:{}", free_port()?);
    let mut worker = Proc::start(
        "quiz-worker",
        &bins.worker,
        &strings(&[
            "--kafka-brokers",
            "127.0.0.1:19092",
            "--kafka-topic",
            &topic,
            "--kafka-group",
            &topic,
            "--mongo-url",
            "mongodb://127.0.0.1:27018/",
            "--mongo-db",
            &db,
            "--listen",
            &worker_addr,
        ]),
        Some(&dir.join("worker.log")),
    )?;
    let upstreams = [
        a_url.trim_start_matches("http://"),
        b_url.trim_start_matches("http://"),
    ];
    let (mut nginx, lb) = start_nginx(&dir, &upstreams)?;
    worker.check_alive()?;

    let players = extra_players(extra).unwrap_or(STACK_PLAYERS);
    let per_process = reachable_nofile()
        .unwrap_or(1024)
        .saturating_sub(LOADGEN_FD_MARGIN)
        .max(1);
    let procs = players.div_ceil(per_process).max(1);
    let share = players.div_ceil(procs);
    eprintln!(
        "xtask bench: {players} players over {procs} load generator process(es) of {share} \
         (open-file limit {})",
        reachable_nofile().unwrap_or(0)
    );
    let prefix = format!("hs{stamp}");
    let cpu_before = cpu::read();
    let rss_before = [rss_kib(a.pid()), rss_kib(b.pid())];
    let mut gens = Vec::new();
    let mut dirs = Vec::new();
    for i in 0..procs {
        let sdir = dir.join(format!("shard-{i}"));
        std::fs::create_dir_all(&sdir).map_err(|e| format!("{}: {e}", sdir.display()))?;
        let mut args = game(&share.to_string(), QUESTIONS, "3");
        args.extend(strings(&[
            "--expect-players",
            &players.to_string(),
            "--quiz-prefix",
            &prefix,
            "--source-first",
            &(2 + i * 16).to_string(),
            "--phase-dwell",
            "1",
        ]));
        if i == 0 {
            args.extend(strings(&["--host-target", &a_url]));
        } else {
            args.push("--no-host".into());
        }
        let t = Target {
            url: &lb,
            server_pid: a.pid(),
            dir: &sdir,
            scenario: "hosted-stack",
        };
        let log = sdir.join("loadgen.log");
        // The other processes start once the host's process has created the quiz (they
        // retry their joins until it exists, so this only saves refused joins).
        gens.push(loadgen(bins, &t, &args, extra, Some(&log))?);
        if i == 0 {
            std::thread::sleep(Duration::from_secs(2));
        }
        dirs.push(sdir);
    }
    let peaks = watch_rss(&mut gens, [a.pid(), b.pid()]);
    let mut result = Ok(());
    for g in gens {
        if let Err(e) = g.wait() {
            result = Err(e);
        }
    }
    let cpu_after = cpu::read();
    for p in [&mut a, &mut b] {
        p.check_alive()?;
    }
    nginx.check_alive()?;
    a.stop();
    b.stop();
    nginx.stop();
    worker.stop();
    // The shards' reports exist even when the game failed (the host's error comes after
    // the report is written); merge what there is, then report the failure.
    let mut c = Command::new(&bins.loadgen);
    c.args(["merge", "--scenario", "hosted-stack", "--out"])
        .arg(&dir)
        .args(&dirs);
    run_cmd("quiz-loadgen merge (hosted-stack shards)", c)?;
    append_summary(&dir, &cpu::report(&cpu_before, &cpu_after))?;
    let grown: u64 = rss_before
        .iter()
        .zip(peaks)
        .map(|(b, p)| p.saturating_sub(b.unwrap_or(p)))
        .sum();
    append_summary(
        &dir,
        &format!(
            "**Servers' memory**: the two instances' peak RSS grew by {:.1} MiB in all, {:.1} KiB \
             per player ({players} players over {procs} load generator process(es); nginx least_conn \
             between the instances; the host on the first).",
            grown as f64 / 1024.0,
            grown as f64 / players as f64
        ),
    )?;
    result?;
    verify(bins, &dir, true)
}

/// `-- --players N` among the user's extra options.
fn extra_players(extra: &[String]) -> Option<u64> {
    let i = extra.iter().rposition(|a| a == "--players")?;
    extra.get(i + 1)?.parse().ok()
}

/// The RSS of process `pid`, KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples the servers' RSS every second until every load generator has exited; returns
/// each server's peak, KiB.
fn watch_rss(gens: &mut [Proc], pids: [u32; 2]) -> [u64; 2] {
    let mut peaks = [0u64; 2];
    loop {
        for (peak, pid) in peaks.iter_mut().zip(pids) {
            *peak = (*peak).max(rss_kib(pid).unwrap_or(0));
        }
        if gens.iter_mut().all(|g| g.check_alive().is_err()) {
            return peaks;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// nginx in front of `upstreams` on a free port, with enough workers and descriptors for
/// the players: each proxied socket holds two descriptors, and `reuseport` spreads the
/// connections over the workers.
fn start_nginx(dir: &Path, upstreams: &[&str]) -> Result<(Proc, String), String> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .ok_or("nginx is not installed (apt-get install nginx-light)")?;
    let ndir = dir.join("nginx");
    std::fs::create_dir_all(&ndir).map_err(|e| format!("{}: {e}", ndir.display()))?;
    let port = free_port()?;
    let nofile = reachable_nofile().unwrap_or(1024);
    let servers: String = upstreams
        .iter()
        .map(|a| format!("        server {a};\n"))
        .collect();
    let d = ndir.display();
    let conf = format!(
        r#"daemon off;
worker_processes {NGINX_WORKERS};
worker_rlimit_nofile {nofile};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {conns}; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream quiz {{
        least_conn;
{servers}        keepalive 64;
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location / {{
            proxy_pass http://quiz;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 300s;
        }}
    }}
}}
"#,
        conns = nofile.saturating_sub(100).max(512),
    );
    let path = ndir.join("nginx.conf");
    std::fs::write(&path, conf).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut p = Proc::start(
        "nginx",
        &nginx,
        &[
            "-e".into(),
            ndir.join("error.log").display().to_string(),
            "-p".into(),
            ndir.display().to_string(),
            "-c".into(),
            path.display().to_string(),
        ],
        Some(&ndir.join("nginx.log")),
    )?;
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        p.check_alive()?;
        if super::probe::http_ok(&addr, "/healthz") {
            eprintln!("xtask bench: nginx pid {} on http://{addr}", p.pid());
            return Ok((p, format!("http://{addr}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "nginx did not answer on {addr}; see {}",
        ndir.display()
    ))
}

/// nginx worker processes: each holds at most the open-file limit, and every player
/// costs two descriptors there.
const NGINX_WORKERS: u32 = 6;
