//! `cargo xtask services up | down | status`: the real backing services for integration
//! tests, started as plain processes on 127.0.0.1.
//!
//! # Why plain processes
//!
//! The build and CI machines have no Docker engine and no internet apart from package
//! registries, so the compose file in `deploy/` cannot be used there. Instead this module
//! starts the same servers directly, installing what is missing:
//!
//! - Redis standalone on `127.0.0.1:6390`: Debian's `redis-server` (installed with apt).
//! - Redis Cluster on `127.0.0.1:7001`–`7006`: six `redis-server --cluster-enabled yes`
//!   processes joined by `redis-cli --cluster create` (3 masters, 3 replicas).
//! - Kafka on `127.0.0.1:19092` (KRaft controller on `19093`): the Apache Kafka broker jars
//!   (`org.apache.kafka:kafka_2.13` plus an SLF4J binding) resolved from Maven Central with
//!   `mvn`, run with `java` as a single broker+controller node.
//! - FerretDB (MongoDB wire protocol) on `127.0.0.1:27018`: `deploy/ferretdb`, a small Go
//!   wrapper around the embeddable FerretDB 1.x package with the SQLite backend, built with
//!   `go build` (a plain `go install` of FerretDB's own command panics at start).
//!
//! Ports are deliberately not the defaults (6379, 9092, 27017), so a developer's own servers
//! do not clash with the test ones.
//!
//! # State and caches
//!
//! - `<workspace>/.services/` (git-ignored) holds everything of a running set: `pids/*.pid`,
//!   `logs/*.log`, the data directories and `env`, the connection settings for the tests
//!   (`QUIZ_TEST_REDIS_URL`, `QUIZ_TEST_REDIS_CLUSTER_URLS`, `QUIZ_TEST_KAFKA_BROKERS`,
//!   `QUIZ_TEST_MONGO_URL`), see [`env_file`].
//! - `$XDG_CACHE_HOME/quiz-services` (default `~/.cache/quiz-services`) caches what is slow to
//!   get and does not belong in the repository: the Maven repository and the resolved Kafka
//!   jars, and the built FerretDB wrapper (rebuilt only when its sources change).
//!
//! # Behaviour
//!
//! - `up` is idempotent: a service whose recorded pid is alive (and is still the process we
//!   started) is only checked for readiness; a dead one is started again. Every (re)start
//!   begins with empty data, so tests never see a previous run's leftovers. Services start
//!   concurrently; each has a bounded readiness wait, and a failure shows the tail of its log.
//!   The processes run in their own process group with output in log files, so they outlive
//!   `cargo xtask` and a Ctrl-C of the caller.
//! - Ready means answering for real: Redis `PING`, `cluster_state:ok` on all six cluster
//!   nodes, `kcat -L` listing broker 1, and a MongoDB `ping` sent as a wire-protocol OP_MSG.
//!   If a cluster node has died, all six are restarted and the cluster is created again.
//! - `down` stops only the processes recorded in the pid files (SIGTERM, then SIGKILL after
//!   10 s) and is harmless when nothing runs.
//! - `status` prints one line per service.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use crate::install::Need;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// All services listen on loopback only.
const HOST: &str = "127.0.0.1";
const REDIS_PORT: u16 = 6390;
const CLUSTER_PORTS: [u16; 6] = [7001, 7002, 7003, 7004, 7005, 7006];
const KAFKA_PORT: u16 = 19092;
const KAFKA_CONTROLLER_PORT: u16 = 19093;
const MONGO_PORT: u16 = 27018;

/// Kafka 4.x needs Java 17 and ships no SLF4J binding; its jars use the SLF4J 1.7 API.
const KAFKA_VERSION: &str = "4.1.1";
const SLF4J_VERSION: &str = "1.7.36";
/// Pinned so the resolution does not depend on the Maven version's default plugin.
const MAVEN_DEPENDENCY_PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";
/// The oldest Java that runs Kafka 4.x brokers.
const MIN_JAVA: u32 = 17;

const REDIS_TIMEOUT: Duration = Duration::from_secs(10);
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(30);
const KAFKA_TIMEOUT: Duration = Duration::from_secs(60);
const MONGO_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);
const BUILD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

const USAGE: &str = "usage: cargo xtask services <up|down|status>
  up      start Redis (:6390), a 6-node Redis Cluster (:7001-7006), Kafka (:19092) and
          FerretDB (:27018) on 127.0.0.1, installing what is missing; writes .services/env
  down    stop the services started by `up`
  status  show which services run";

/// Runs `cargo xtask services <args…>`; `args` are the words after `services`.
pub fn run(args: &[String]) -> Result<(), String> {
    let dirs = Dirs::new();
    match args {
        [cmd] if cmd == "up" => up(&dirs),
        [cmd] if cmd == "down" => down(&dirs),
        [cmd] if cmd == "status" => {
            status(&dirs);
            Ok(())
        }
        [] => Err(format!("missing subcommand\n{USAGE}")),
        _ => Err(format!("unknown arguments: {}\n{USAGE}", args.join(" "))),
    }
}

/// Which service processes run now, with their pids: taken before a run starts services, so
/// that afterwards exactly the processes that run started are stopped.
pub struct Snapshot(Vec<(String, Option<u32>)>);

/// The running service processes (those this tool started and still owns).
pub fn snapshot() -> Snapshot {
    let dirs = Dirs::new();
    Snapshot(
        all_procs(&dirs)
            .into_iter()
            .map(|p| {
                let pid = owned_pid(&dirs, &p);
                (p.name, pid)
            })
            .collect(),
    )
}

/// Stops every service process started since `before` (a process running then with the same
/// pid is left as it was) and says which; returns how many it stopped.
pub fn stop_started_since(before: &Snapshot) -> Result<usize, String> {
    let dirs = Dirs::new();
    let started: Vec<Proc> = all_procs(&dirs)
        .into_iter()
        .filter(|p| {
            let was = before
                .0
                .iter()
                .find(|(n, _)| *n == p.name)
                .and_then(|(_, pid)| *pid);
            owned_pid(&dirs, p).is_some_and(|now| Some(now) != was)
        })
        .collect();
    let kept = before.0.iter().filter(|(_, pid)| pid.is_some()).count();
    if started.is_empty() {
        return Ok(0);
    }
    stop(&dirs, &started)?;
    if kept == 0 {
        // Nothing runs any more: the connection settings would only mislead.
        let _ = fs::remove_file(env_file());
    }
    Ok(started.len())
}

/// Refuses every later start of a service process: set when a run is being interrupted, so a
/// start-up thread cannot add a process after the clean-up has looked.
pub fn forbid_starts() {
    *procs::STARTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
}

/// `<workspace>/.services/env`: the `KEY=VALUE` connection settings written by `up`.
pub fn env_file() -> PathBuf {
    Dirs::new().state.join("env")
}

// ---------------------------------------------------------------------------------------------
// Layout

/// Where the state of a running set of services lives.
struct Dirs {
    /// The workspace root (parent of the xtask crate).
    root: PathBuf,
    /// `<root>/.services`.
    state: PathBuf,
}

impl Dirs {
    fn new() -> Self {
        let root = crate::root();
        let state = root.join(".services");
        Self { root, state }
    }

    fn pid_file(&self, name: &str) -> PathBuf {
        self.state.join("pids").join(format!("{name}.pid"))
    }

    fn log_file(&self, name: &str) -> PathBuf {
        self.state.join("logs").join(format!("{name}.log"))
    }

    fn create(&self) -> Result<(), String> {
        for dir in [self.state.join("pids"), self.state.join("logs")] {
            create_dir(&dir)?;
        }
        Ok(())
    }
}

/// `$XDG_CACHE_HOME/quiz-services`, else `~/.cache/quiz-services`.
fn cache_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("quiz-services"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".cache").join("quiz-services")),
        None => Err("neither XDG_CACHE_HOME nor HOME is set; cannot place the cache".into()),
    }
}

/// One background process started by `up`.
struct Proc {
    /// Stem of its pid and log files, e.g. `redis-cluster-7001`.
    name: String,
    /// The port that shows it is up.
    port: u16,
    /// Substrings its `/proc/PID/cmdline` contains, so a recorded pid that the system has
    /// since reused for another program is never signalled.
    markers: Vec<String>,
}

fn redis_proc() -> Proc {
    Proc {
        name: "redis".into(),
        port: REDIS_PORT,
        markers: vec!["redis-server".into(), REDIS_PORT.to_string()],
    }
}

fn cluster_procs() -> Vec<Proc> {
    CLUSTER_PORTS
        .iter()
        .map(|&port| Proc {
            name: format!("redis-cluster-{port}"),
            port,
            markers: vec!["redis-server".into(), port.to_string()],
        })
        .collect()
}

fn kafka_proc(dirs: &Dirs) -> Proc {
    Proc {
        name: "kafka".into(),
        port: KAFKA_PORT,
        markers: vec![
            "kafka.Kafka".into(),
            kafka_dir(dirs).to_string_lossy().into_owned(),
        ],
    }
}

fn ferretdb_proc() -> Proc {
    Proc {
        name: "ferretdb".into(),
        port: MONGO_PORT,
        markers: vec!["ferretdb-wrapper".into(), MONGO_PORT.to_string()],
    }
}

fn all_procs(dirs: &Dirs) -> Vec<Proc> {
    let mut procs = vec![redis_proc()];
    procs.extend(cluster_procs());
    procs.push(kafka_proc(dirs));
    procs.push(ferretdb_proc());
    procs
}

fn kafka_dir(dirs: &Dirs) -> PathBuf {
    dirs.state.join("kafka")
}

// ---------------------------------------------------------------------------------------------
// up

fn up(dirs: &Dirs) -> Result<(), String> {
    let started = Instant::now();
    let needs: Vec<&Need> = crate::install::SERVICES.iter().collect();
    crate::install::ensure(&needs)?;
    check_java()?;
    let go = crate::install::go()?;
    dirs.create()?;

    let results = thread::scope(|s| {
        let redis = s.spawn(|| ensure_redis(dirs));
        let cluster = s.spawn(|| ensure_cluster(dirs));
        let kafka = s.spawn(|| ensure_kafka(dirs));
        let ferretdb = s.spawn(|| ensure_ferretdb(dirs, &go));
        [
            ("redis", redis.join()),
            ("redis-cluster", cluster.join()),
            ("kafka", kafka.join()),
            ("ferretdb", ferretdb.join()),
        ]
    });

    let mut failures = String::new();
    for (name, result) in results {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = write!(failures, "\n\n[{name}] {e}");
            }
            Err(_) => {
                let _ = write!(failures, "\n\n[{name}] start-up thread panicked");
            }
        }
    }
    if !failures.is_empty() {
        return Err(format!(
            "services up failed (the others may be running; \
             `cargo xtask services down` stops them):{failures}"
        ));
    }

    let env = env_file();
    write_atomically(&env, &env_contents())?;
    out(format_args!(
        "services: all ready in {:.1}s; connection settings in {}:\n{}",
        started.elapsed().as_secs_f64(),
        env.display(),
        env_contents().trim_end()
    ));
    Ok(())
}

fn env_contents() -> String {
    let cluster: Vec<String> = CLUSTER_PORTS
        .iter()
        .map(|port| format!("redis://{HOST}:{port}/"))
        .collect();
    // Where the Kafka jars are, for tests that run a private broker (to stop and restart it
    // without disturbing the shared one).
    let kafka_libs = cache_dir()
        .map(|c| {
            c.join(format!("kafka_2.13-{KAFKA_VERSION}-slf4j-{SLF4J_VERSION}"))
                .join("libs")
        })
        .unwrap_or_default();
    format!(
        "QUIZ_TEST_REDIS_URL=redis://{HOST}:{REDIS_PORT}/\n\
         QUIZ_TEST_REDIS_CLUSTER_URLS={}\n\
         QUIZ_TEST_KAFKA_BROKERS={HOST}:{KAFKA_PORT}\n\
         QUIZ_TEST_MONGO_URL=mongodb://{HOST}:{MONGO_PORT}/\n\
         QUIZ_TEST_KAFKA_LIBS={}\n",
        cluster.join(","),
        kafka_libs.display()
    )
}

fn say(service: &str, msg: impl std::fmt::Display) {
    out(format_args!("services: {service}: {msg}"));
}

/// Prints a line; a closed stdout (`… | head`) must not abort starting or stopping services.
fn out(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stdout().lock(), "{line}");
}

// ---------------------------------------------------------------------------------------------
// down and status

fn down(dirs: &Dirs) -> Result<(), String> {
    stop(dirs, &all_procs(dirs))?;
    match fs::remove_file(env_file()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("removing {}: {e}", env_file().display())),
    }
    out(format_args!("services: all stopped"));
    Ok(())
}

fn status(dirs: &Dirs) {
    let line = |name: &str, pids: &[Option<u32>], up: bool, addr: String, extra: &str| {
        let state = if up {
            "running"
        } else if pids.iter().any(Option::is_some) {
            "unhealthy"
        } else {
            "stopped"
        };
        let pids: Vec<String> = pids.iter().flatten().map(u32::to_string).collect();
        let pids = if pids.is_empty() {
            "-".to_string()
        } else {
            pids.join(",")
        };
        out(format_args!(
            "{name:<14} {state:<9} {addr:<20} pid {pids}{extra}"
        ));
    };
    let single = |p: &Proc| {
        let pid = owned_pid(dirs, p);
        let up = pid.is_some() && port_answers(p.port);
        line(&p.name, &[pid], up, format!("{HOST}:{}", p.port), "");
    };

    single(&redis_proc());
    let cluster = cluster_procs();
    let pids: Vec<Option<u32>> = cluster.iter().map(|p| owned_pid(dirs, p)).collect();
    let states: Vec<bool> = CLUSTER_PORTS
        .iter()
        .map(|&port| {
            redis_call(port, &["CLUSTER", "INFO"]).is_ok_and(|i| i.contains("cluster_state:ok"))
        })
        .collect();
    let up = pids.iter().all(Option::is_some) && states.iter().all(|&ok| ok);
    let nodes_ok = states.iter().filter(|&&ok| ok).count();
    line(
        "redis-cluster",
        &pids,
        up,
        format!(
            "{HOST}:{}-{}",
            CLUSTER_PORTS[0],
            CLUSTER_PORTS[CLUSTER_PORTS.len() - 1]
        ),
        &format!(" (cluster_state:ok on {nodes_ok}/6 nodes)"),
    );
    single(&kafka_proc(dirs));
    single(&ferretdb_proc());
    let env = env_file();
    let note = if env.is_file() { "" } else { " (missing)" };
    out(format_args!("env file       {}{note}", env.display()));
}

mod ferretdb;
mod kafka;
pub(crate) mod procs;
mod redis;

use ferretdb::*;
use kafka::*;
use procs::*;
use redis::*;
