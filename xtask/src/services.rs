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
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
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
    let tools = preflight()?;
    dirs.create()?;

    let results = thread::scope(|s| {
        let redis = s.spawn(|| ensure_redis(dirs));
        let cluster = s.spawn(|| ensure_cluster(dirs));
        let kafka = s.spawn(|| ensure_kafka(dirs));
        let ferretdb = s.spawn(|| ensure_ferretdb(dirs, &tools));
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
// Tools

/// Paths of the tools that may live outside `PATH`.
struct Tools {
    go: PathBuf,
}

/// Makes sure every tool `up` runs is installed, installing Debian packages when missing.
fn preflight() -> Result<Tools, String> {
    // (tool, Debian package providing it)
    let wanted = [
        ("redis-server", "redis-server"),
        ("redis-cli", "redis-tools"),
        ("kcat", "kcat"),
        ("java", "default-jre-headless"),
        ("mvn", "maven"),
    ];
    let missing: Vec<(&str, &str)> = wanted
        .iter()
        .copied()
        .filter(|(tool, _)| find_on_path(tool).is_none())
        .collect();
    if !missing.is_empty() {
        let tools: Vec<&str> = missing.iter().map(|(tool, _)| *tool).collect();
        let mut packages: Vec<&str> = missing.iter().map(|(_, pkg)| *pkg).collect();
        packages.dedup();
        say(
            "setup",
            format!(
                "missing {}; installing Debian packages {}",
                tools.join(", "),
                packages.join(" ")
            ),
        );
        apt_install(&packages)?;
        for tool in tools {
            if find_on_path(tool).is_none() {
                return Err(format!(
                    "`{tool}` is still not on PATH after `apt-get install`; install it manually"
                ));
            }
        }
    }
    check_java()?;
    let go = find_go().ok_or(
        "Go (1.24 or newer) is required to build the FerretDB wrapper, but `go` is neither on \
         PATH nor at /usr/local/go/bin/go. Install a Go release from go.dev (Debian's `golang` \
         package is too old for FerretDB 1.24)",
    )?;
    Ok(Tools { go })
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let manual = format!("apt-get install -y {}", packages.join(" "));
    if find_on_path("apt-get").is_none() {
        return Err(format!(
            "missing packages and no apt-get here; install the equivalent of `{manual}`"
        ));
    }
    if !is_root {
        return Err(format!(
            "missing packages; not root, so run `sudo {manual}` and try again"
        ));
    }
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive");
        run_checked(&mut cmd, BUILD_TIMEOUT)
    };
    if install().is_ok() {
        return Ok(());
    }
    // A fresh machine may have empty package lists.
    say(
        "setup",
        "apt-get install failed; running apt-get update and retrying",
    );
    let mut update = Command::new("apt-get");
    update
        .args(["update", "-q"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    run_checked(&mut update, BUILD_TIMEOUT)?;
    install().map(|_| ())
}

fn check_java() -> Result<(), String> {
    let output = run_captured(Command::new("java").arg("-version"), TOOL_TIMEOUT)?;
    // `openjdk version "17.0.15" 2025-04-15` (stderr); old releases say "1.8.0_…".
    let text = String::from_utf8_lossy(&output.stderr);
    let version = text
        .split('"')
        .nth(1)
        .ok_or_else(|| format!("cannot read the Java version from `java -version`: {text}"))?;
    let mut parts = version.split(['.', '-', '+', '_']);
    let major = match parts.next() {
        Some("1") => parts.next(),
        first => first,
    }
    .and_then(|m| m.parse::<u32>().ok())
    .ok_or_else(|| format!("cannot read the Java version from `java -version`: {text}"))?;
    if major < MIN_JAVA {
        return Err(format!(
            "Kafka {KAFKA_VERSION} needs Java {MIN_JAVA} or newer, but `java` is {version}; \
             install openjdk-17-jre-headless (or newer) and make it the default `java`"
        ));
    }
    Ok(())
}

fn find_on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

fn find_go() -> Option<PathBuf> {
    find_on_path("go").or_else(|| {
        let fallback = PathBuf::from("/usr/local/go/bin/go");
        is_executable(&fallback).then_some(fallback)
    })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// Redis

fn redis_command(port: u16, dir: &Path, cluster: bool) -> Command {
    let mut cmd = Command::new("redis-server");
    cmd.arg("--port")
        .arg(port.to_string())
        .args(["--bind", HOST])
        // Throw-away data: no RDB snapshots, no AOF.
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir);
    if cluster {
        cmd.args([
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "5000",
        ]);
    }
    cmd.current_dir(dir);
    cmd
}

fn redis_ping(port: u16) -> Result<(), String> {
    match redis_call(port, &["PING"])?.as_str() {
        "PONG" => Ok(()),
        other => Err(format!("PING answered {other:?}")),
    }
}

fn ensure_redis(dirs: &Dirs) -> Result<(), String> {
    let p = redis_proc();
    if let Some(pid) = owned_pid(dirs, &p) {
        wait_ready(dirs, &p, Watch::Pid(pid), REDIS_TIMEOUT, || {
            redis_ping(REDIS_PORT)
        })?;
        say(&p.name, format!("already running (pid {pid})"));
        return Ok(());
    }
    ensure_port_free(&p.name, p.port)?;
    let dir = dirs.state.join("redis");
    recreate_dir(&dir)?;
    let mut child = spawn(dirs, &p, &mut redis_command(REDIS_PORT, &dir, false))?;
    wait_ready(dirs, &p, Watch::Child(&mut child), REDIS_TIMEOUT, || {
        redis_ping(REDIS_PORT)
    })?;
    say(
        &p.name,
        format!("ready on {HOST}:{REDIS_PORT} (pid {})", child.id()),
    );
    Ok(())
}

fn ensure_cluster(dirs: &Dirs) -> Result<(), String> {
    let procs = cluster_procs();
    let pids: Vec<Option<u32>> = procs.iter().map(|p| owned_pid(dirs, p)).collect();
    let all_alive = pids.iter().all(Option::is_some);
    if all_alive && CLUSTER_PORTS.iter().all(|&port| cluster_formed(port)) {
        wait_cluster_ok(dirs, &procs, Instant::now() + CLUSTER_TIMEOUT)?;
        say("redis-cluster", "already running");
        return Ok(());
    }
    if pids.iter().any(Option::is_some) {
        // A partial cluster cannot be repaired cheaply; its data is throw-away anyway.
        say("redis-cluster", "incomplete; restarting all 6 nodes");
        stop(dirs, &procs)?;
    }
    for p in &procs {
        ensure_port_free(&p.name, p.port)?;
    }

    let mut children = Vec::with_capacity(procs.len());
    for p in &procs {
        let dir = dirs.state.join("redis-cluster").join(p.port.to_string());
        // Fresh directory: a stale nodes.conf would make the node rejoin an old cluster.
        recreate_dir(&dir)?;
        children.push(spawn(dirs, p, &mut redis_command(p.port, &dir, true))?);
    }
    for (p, child) in procs.iter().zip(children.iter_mut()) {
        wait_ready(dirs, p, Watch::Child(child), REDIS_TIMEOUT, || {
            redis_ping(p.port)
        })?;
    }

    let mut create = Command::new("redis-cli");
    create
        .arg("--cluster")
        .arg("create")
        .args(CLUSTER_PORTS.iter().map(|port| format!("{HOST}:{port}")))
        .args(["--cluster-replicas", "1", "--cluster-yes"]);
    run_checked(&mut create, TOOL_TIMEOUT)?;
    wait_cluster_ok(dirs, &procs, Instant::now() + CLUSTER_TIMEOUT)?;
    say(
        "redis-cluster",
        format!(
            "ready on {HOST}:{}-{} (3 masters, 3 replicas)",
            CLUSTER_PORTS[0],
            CLUSTER_PORTS[CLUSTER_PORTS.len() - 1]
        ),
    );
    Ok(())
}

/// The node knows all 6 nodes and every slot is assigned: `redis-cli --cluster create` ran.
fn cluster_formed(port: u16) -> bool {
    redis_call(port, &["CLUSTER", "INFO"])
        .map(|info| {
            info.contains("cluster_known_nodes:6") && info.contains("cluster_slots_assigned:16384")
        })
        .unwrap_or(false)
}

fn wait_cluster_ok(dirs: &Dirs, procs: &[Proc], deadline: Instant) -> Result<(), String> {
    for p in procs {
        let pid = owned_pid(dirs, p)
            .ok_or_else(|| format!("{} exited\n{}", p.name, log_tail(dirs, &p.name)))?;
        let left = deadline.saturating_duration_since(Instant::now());
        wait_ready(dirs, p, Watch::Pid(pid), left, || {
            let info = redis_call(p.port, &["CLUSTER", "INFO"])?;
            if info.contains("cluster_state:ok") {
                Ok(())
            } else {
                Err("cluster_state is not ok yet".into())
            }
        })?;
    }
    Ok(())
}

/// Sends one command in RESP and returns a simple, integer or bulk string reply.
fn redis_call(port: u16, args: &[&str]) -> Result<String, String> {
    let stream = connect(port)?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        let _ = write!(request, "${}\r\n{arg}\r\n", arg.len());
    }
    (&stream)
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending to port {port}: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("reading from port {port}: {e}"))?;
    let line = line.trim_end();
    let (kind, rest) = line.split_at_checked(1).unwrap_or(("", ""));
    match kind {
        "+" | ":" => Ok(rest.to_owned()),
        "-" => Err(format!("Redis error: {rest}")),
        "$" => {
            let len: i64 = rest
                .parse()
                .map_err(|_| format!("bad bulk length {rest:?}"))?;
            let Ok(len) = usize::try_from(len) else {
                return Ok(String::new()); // nil
            };
            let mut buf = vec![0; len + 2];
            reader
                .read_exact(&mut buf)
                .map_err(|e| format!("reading from port {port}: {e}"))?;
            buf.truncate(len);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        _ => Err(format!("unexpected reply {line:?} on port {port}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Kafka

fn ensure_kafka(dirs: &Dirs) -> Result<(), String> {
    let p = kafka_proc(dirs);
    if let Some(pid) = owned_pid(dirs, &p) {
        wait_ready(dirs, &p, Watch::Pid(pid), KAFKA_TIMEOUT, kafka_ready)?;
        say(&p.name, format!("already running (pid {pid})"));
        return Ok(());
    }
    ensure_port_free(&p.name, KAFKA_PORT)?;
    ensure_port_free(&p.name, KAFKA_CONTROLLER_PORT)?;

    let libs = kafka_libs()?;
    let classpath = format!("{}/*", libs.display());
    let dir = kafka_dir(dirs);
    // Always a fresh, freshly formatted log dir: stale data gives "cluster ID mismatch".
    recreate_dir(&dir)?;
    let data = dir.join("data");
    let config = dir.join("server.properties");
    write_atomically(&config, &kafka_properties(&data))?;

    let java_tool = |args: &[&str]| {
        let mut cmd = Command::new("java");
        cmd.args(["-Xmx256m", "-cp", &classpath, "kafka.tools.StorageTool"])
            .args(args)
            .current_dir(&dir);
        cmd
    };
    let uuid_out = run_checked(&mut java_tool(&["random-uuid"]), TOOL_TIMEOUT)?;
    let cluster_id = String::from_utf8_lossy(&uuid_out.stdout).trim().to_owned();
    if cluster_id.len() != 22 {
        return Err(format!(
            "`StorageTool random-uuid` printed {cluster_id:?}, not a cluster id"
        ));
    }
    let config_arg = config.to_string_lossy();
    run_checked(
        &mut java_tool(&["format", "-t", &cluster_id, "-c", &config_arg]),
        TOOL_TIMEOUT,
    )?;

    let mut cmd = Command::new("java");
    cmd.args([
        "-Xms256m",
        "-Xmx512m",
        "-Djava.awt.headless=true",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
        "-cp",
        &classpath,
        "kafka.Kafka",
    ])
    .arg(&config)
    .current_dir(&dir);
    let mut child = spawn(dirs, &p, &mut cmd)?;
    wait_ready(
        dirs,
        &p,
        Watch::Child(&mut child),
        KAFKA_TIMEOUT,
        kafka_ready,
    )?;
    say(
        &p.name,
        format!(
            "ready on {HOST}:{KAFKA_PORT} (Kafka {KAFKA_VERSION}, KRaft, pid {})",
            child.id()
        ),
    );
    Ok(())
}

fn kafka_properties(data: &Path) -> String {
    format!(
        "# Written by `cargo xtask services up`: single-node KRaft (broker + controller).\n\
         process.roles=broker,controller\n\
         node.id=1\n\
         controller.quorum.voters=1@{HOST}:{KAFKA_CONTROLLER_PORT}\n\
         listeners=PLAINTEXT://{HOST}:{KAFKA_PORT},CONTROLLER://{HOST}:{KAFKA_CONTROLLER_PORT}\n\
         advertised.listeners=PLAINTEXT://{HOST}:{KAFKA_PORT}\n\
         controller.listener.names=CONTROLLER\n\
         inter.broker.listener.name=PLAINTEXT\n\
         listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
         offsets.topic.replication.factor=1\n\
         transaction.state.log.replication.factor=1\n\
         transaction.state.log.min.isr=1\n\
         share.coordinator.state.topic.replication.factor=1\n\
         share.coordinator.state.topic.min.isr=1\n\
         num.partitions=3\n\
         auto.create.topics.enable=true\n\
         # Tests: consumer groups form at once instead of after 3 s.\n\
         group.initial.rebalance.delay.ms=0\n\
         log.dirs={}\n",
        data.display()
    )
}

/// Resolves the Kafka broker jars (plus an SLF4J binding) with Maven, once per version.
fn kafka_libs() -> Result<PathBuf, String> {
    let cache = cache_dir()?;
    let dir = cache.join(format!("kafka_2.13-{KAFKA_VERSION}-slf4j-{SLF4J_VERSION}"));
    let libs = dir.join("libs");
    let complete = libs.join(".complete");
    if complete.is_file() {
        return Ok(libs);
    }
    say(
        "kafka",
        format!("resolving kafka_2.13 {KAFKA_VERSION} jars from Maven Central (first run only)"),
    );
    create_dir(&dir)?;
    write_atomically(&dir.join("pom.xml"), &kafka_pom())?;
    let tmp = dir.join("libs.tmp");
    remove_dir(&tmp)?;
    let mut mvn = Command::new("mvn");
    mvn.args(["-B", "-q", "-Dstyle.color=never"])
        .arg(format!("-Dmaven.repo.local={}", cache.join("m2").display()))
        .arg(format!("{MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies"))
        .arg(format!("-DoutputDirectory={}", tmp.display()))
        .arg("-DincludeScope=runtime")
        .current_dir(&dir);
    run_checked(&mut mvn, BUILD_TIMEOUT)?;
    write_atomically(&tmp.join(".complete"), "")?;
    remove_dir(&libs)?;
    fs::rename(&tmp, &libs)
        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), libs.display()))?;
    Ok(libs)
}

fn kafka_pom() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by `cargo xtask services up`: only used to resolve the Kafka broker jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.quiz</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>{SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"#
    )
}

/// Ready when the broker answers a metadata request and lists itself.
fn kafka_ready() -> Result<(), String> {
    if !port_answers(KAFKA_PORT) {
        return Err(format!("port {KAFKA_PORT} is not open yet"));
    }
    let broker = format!("{HOST}:{KAFKA_PORT}");
    let out = run_captured(
        Command::new("kcat").args(["-b", &broker, "-L", "-m", "3"]),
        Duration::from_secs(10),
    )?;
    let listing = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && listing.contains(&format!("broker 1 at {broker}")) {
        Ok(())
    } else {
        Err(format!(
            "`kcat -L` does not list broker 1 yet: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// FerretDB

fn ensure_ferretdb(dirs: &Dirs, tools: &Tools) -> Result<(), String> {
    let p = ferretdb_proc();
    if let Some(pid) = owned_pid(dirs, &p) {
        wait_ready(dirs, &p, Watch::Pid(pid), MONGO_TIMEOUT, || {
            mongo_ping(MONGO_PORT)
        })?;
        say(&p.name, format!("already running (pid {pid})"));
        return Ok(());
    }
    ensure_port_free(&p.name, p.port)?;
    let binary = build_ferretdb(dirs, tools)?;
    let dir = dirs.state.join("ferretdb");
    recreate_dir(&dir)?;
    let data = dir.join("data");
    create_dir(&data)?;
    let mut cmd = Command::new(&binary);
    cmd.arg("-listen")
        .arg(format!("{HOST}:{MONGO_PORT}"))
        .arg("-dir")
        .arg(&data)
        .current_dir(&dir);
    let mut child = spawn(dirs, &p, &mut cmd)?;
    wait_ready(dirs, &p, Watch::Child(&mut child), MONGO_TIMEOUT, || {
        mongo_ping(MONGO_PORT)
    })?;
    say(
        &p.name,
        format!(
            "ready on {HOST}:{MONGO_PORT} (MongoDB wire protocol, pid {})",
            child.id()
        ),
    );
    Ok(())
}

/// Builds `deploy/ferretdb` into the cache unless a build of the same sources is there.
fn build_ferretdb(dirs: &Dirs, tools: &Tools) -> Result<PathBuf, String> {
    let src = dirs.root.join("deploy").join("ferretdb");
    let bin_dir = cache_dir()?.join("bin");
    let binary = bin_dir.join("ferretdb-wrapper");
    let stamp = bin_dir.join("ferretdb-wrapper.sources");
    let fingerprint = sources_fingerprint(&src)?;
    if binary.is_file() && fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint) {
        return Ok(binary);
    }
    say(
        "ferretdb",
        format!(
            "building {} (takes about a minute the first time)",
            src.display()
        ),
    );
    create_dir(&bin_dir)?;
    let tmp = bin_dir.join("ferretdb-wrapper.tmp");
    let mut go = Command::new(&tools.go);
    go.args(["build", "-trimpath", "-buildvcs=false", "-o"])
        .arg(&tmp)
        .arg(".")
        // FerretDB's SQLite driver is pure Go; no C toolchain needed.
        .env("CGO_ENABLED", "0")
        .current_dir(&src);
    run_checked(&mut go, BUILD_TIMEOUT)?;
    fs::rename(&tmp, &binary)
        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), binary.display()))?;
    write_atomically(&stamp, &fingerprint)?;
    Ok(binary)
}

/// FNV-1a over the names and contents of the wrapper's `.go`, `go.mod` and `go.sum` files.
fn sources_fingerprint(src: &Path) -> Result<String, String> {
    let entries = fs::read_dir(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "go")
                || path
                    .file_name()
                    .is_some_and(|name| name == "go.mod" || name == "go.sum")
        })
        .collect();
    if !files.iter().any(|f| f.ends_with("go.mod")) {
        return Err(format!("{} has no go.mod", src.display()));
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let contents = fs::read(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let name = file.file_name().map(|n| n.as_encoded_bytes().to_vec());
        for byte in name.unwrap_or_default().iter().chain(&[0]).chain(&contents) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}\n"))
}

/// Sends `{ping: 1, $db: "admin"}` as an OP_MSG and expects `ok: 1` back.
fn mongo_ping(port: u16) -> Result<(), String> {
    let mut stream = connect(port)?;
    stream
        .write_all(&op_msg(1, &ping_document()))
        .map_err(|e| format!("sending ping to port {port}: {e}"))?;
    let mut header = [0u8; 16];
    stream
        .read_exact(&mut header)
        .map_err(|e| format!("reading ping reply from port {port}: {e}"))?;
    let len = le_i32(&header, 0)
        .and_then(|len| usize::try_from(len).ok())
        .filter(|len| (21..=48_000_000).contains(len))
        .ok_or("bad message length in ping reply")?;
    if le_i32(&header, 12) != Some(OP_MSG) {
        return Err("ping reply is not an OP_MSG".into());
    }
    let mut body = vec![0; len - header.len()];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("reading ping reply from port {port}: {e}"))?;
    check_ok_reply(&body)
}

const OP_MSG: i32 = 2013;

fn ping_document() -> Vec<u8> {
    let mut elements = Vec::new();
    elements.push(0x10); // int32
    elements.extend_from_slice(b"ping\0");
    elements.extend_from_slice(&1i32.to_le_bytes());
    elements.push(0x02); // string
    elements.extend_from_slice(b"$db\0");
    elements.extend_from_slice(&6i32.to_le_bytes());
    elements.extend_from_slice(b"admin\0");
    elements.push(0); // end of document
    bson_framed(&elements)
}

/// Prefixes the little-endian int32 total length that BSON documents and wire messages share.
fn bson_framed(rest: &[u8]) -> Vec<u8> {
    let len = i32::try_from(rest.len() + 4).unwrap_or(i32::MAX);
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(rest);
    out
}

fn op_msg(request_id: i32, document: &[u8]) -> Vec<u8> {
    let mut rest = Vec::new();
    rest.extend_from_slice(&request_id.to_le_bytes());
    rest.extend_from_slice(&0i32.to_le_bytes()); // responseTo
    rest.extend_from_slice(&OP_MSG.to_le_bytes());
    rest.extend_from_slice(&0u32.to_le_bytes()); // flagBits
    rest.push(0); // section kind 0: body document
    rest.extend_from_slice(document);
    bson_framed(&rest)
}

/// Checks an OP_MSG body (after the 16-byte header) for `ok: 1`.
fn check_ok_reply(body: &[u8]) -> Result<(), String> {
    if body.get(4) != Some(&0) {
        return Err("ping reply does not start with a body section".into());
    }
    let fields = bson_fields(body.get(5..).unwrap_or_default())?;
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|&(_, kind, value)| (kind, value))
    };
    let ok = match field("ok") {
        Some((0x01, v)) => v.try_into().map(f64::from_le_bytes).is_ok_and(|x| x == 1.0),
        Some((0x10, v)) => v.try_into().map(i32::from_le_bytes).is_ok_and(|x| x == 1),
        Some((0x12, v)) => v.try_into().map(i64::from_le_bytes).is_ok_and(|x| x == 1),
        Some((0x08, v)) => v == [1],
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let message = match field("errmsg") {
        Some((0x02, v)) => String::from_utf8_lossy(v.get(4..).unwrap_or_default())
            .trim_end_matches('\0')
            .to_owned(),
        _ => "no errmsg".into(),
    };
    Err(format!("ping did not return ok: 1 ({message})"))
}

/// A top-level element of a BSON document: (key, type byte, raw value bytes).
type BsonField<'a> = (String, u8, &'a [u8]);

/// The top-level elements of a BSON document.
fn bson_fields(doc: &[u8]) -> Result<Vec<BsonField<'_>>, String> {
    let bad = || "malformed BSON in reply".to_string();
    let total = le_i32(doc, 0)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n >= 5 && n <= doc.len())
        .ok_or_else(bad)?;
    let doc = &doc[..total - 1];
    let len_at = |at: usize| {
        le_i32(doc, at)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(bad)
    };
    let mut fields = Vec::new();
    let mut at = 4;
    while at < doc.len() {
        let kind = doc[at];
        let key_len = doc[at + 1..].iter().position(|&b| b == 0).ok_or_else(bad)?;
        let key = String::from_utf8_lossy(&doc[at + 1..at + 1 + key_len]).into_owned();
        at += key_len + 2;
        let size = match kind {
            0x01 | 0x09 | 0x11 | 0x12 => 8,
            0x02 | 0x0D | 0x0E => 4 + len_at(at)?,
            0x03 | 0x04 => len_at(at)?,
            0x05 => 5 + len_at(at)?,
            0x07 => 12,
            0x08 => 1,
            0x06 | 0x0A | 0x7F | 0xFF => 0,
            0x10 => 4,
            0x13 => 16,
            other => return Err(format!("unsupported BSON type {other:#04x} in reply")),
        };
        let value = doc.get(at..at + size).ok_or_else(bad)?;
        fields.push((key, kind, value));
        at += size;
    }
    Ok(fields)
}

fn le_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    raw.try_into().ok().map(i32::from_le_bytes)
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

/// Stops the recorded processes of `procs`: SIGTERM, up to 10 s grace, then SIGKILL.
fn stop(dirs: &Dirs, procs: &[Proc]) -> Result<(), String> {
    let mut running = Vec::new();
    for p in procs {
        if let Some(pid) = owned_pid(dirs, p) {
            signal(pid, "TERM");
            running.push((p, pid));
        }
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while running.iter().any(|&(_, pid)| alive(pid)) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    for &(p, pid) in &running {
        if alive(pid) {
            say(
                &p.name,
                format!("pid {pid} ignored SIGTERM for 10 s; sending SIGKILL"),
            );
            signal(pid, "KILL");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.iter().any(|&(_, pid)| alive(pid)) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    let mut survivors = Vec::new();
    for &(p, pid) in &running {
        if alive(pid) {
            survivors.push(format!("{} (pid {pid})", p.name));
        } else {
            say(&p.name, format!("stopped (pid {pid})"));
        }
    }
    if !survivors.is_empty() {
        return Err(format!("could not stop {}", survivors.join(", ")));
    }
    for p in procs {
        match fs::remove_file(dirs.pid_file(&p.name)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("removing pid file of {}: {e}", p.name)),
        }
    }
    Ok(())
}

fn signal(pid: u32, signal: &str) {
    // Failure means it is already gone; the caller re-checks liveness.
    let _ = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
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

// ---------------------------------------------------------------------------------------------
// Processes

/// The recorded pid of `p`, if that process is alive and still the one we started.
fn owned_pid(dirs: &Dirs, p: &Proc) -> Option<u32> {
    let pid: u32 = fs::read_to_string(dirs.pid_file(&p.name))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    (alive(pid) && p.markers.iter().all(|m| cmdline.contains(m.as_str()))).then_some(pid)
}

/// Whether `pid` runs; a zombie (exited, not yet reaped) counts as dead.
fn alive(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "PID (comm) STATE …"; comm may contain spaces and parentheses.
    let state = stat
        .rfind(')')
        .and_then(|end| stat[end + 1..].trim_start().chars().next());
    !matches!(state, None | Some('Z' | 'X'))
}

/// Starts `cmd` detached: own process group, stdin closed, output to the service's log.
fn spawn(dirs: &Dirs, p: &Proc, cmd: &mut Command) -> Result<Child, String> {
    let log_path = dirs.log_file(&p.name);
    let log =
        fs::File::create(&log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("duplicating {}: {e}", log_path.display()))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    write_atomically(&dirs.pid_file(&p.name), &format!("{}\n", child.id()))?;
    Ok(child)
}

/// What a readiness wait watches for an early exit.
enum Watch<'a> {
    /// Started by this run: `try_wait` reaps it and gives the exit status.
    Child(&'a mut Child),
    /// Started by an earlier run.
    Pid(u32),
}

/// Polls `check` until it succeeds, the process exits, or `timeout` passes.
fn wait_ready(
    dirs: &Dirs,
    p: &Proc,
    mut watch: Watch<'_>,
    timeout: Duration,
    mut check: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let exited = match &mut watch {
            Watch::Child(child) => match child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                Ok(None) => None,
                Err(e) => Some(format!("unknown status ({e})")),
            },
            Watch::Pid(pid) => (!alive(*pid)).then(|| "gone".to_string()),
        };
        if let Some(status) = exited {
            return Err(format!(
                "{} exited during start-up: {status}\n{}",
                p.name,
                log_tail(dirs, &p.name)
            ));
        }
        let reason = match check() {
            Ok(()) => return Ok(()),
            Err(reason) => reason,
        };
        if started.elapsed() >= timeout {
            return Err(format!(
                "{} not ready on {HOST}:{} after {} s (last check: {reason})\n{}",
                p.name,
                p.port,
                timeout.as_secs(),
                log_tail(dirs, &p.name)
            ));
        }
        thread::sleep(Duration::from_millis(150));
    }
}

fn log_tail(dirs: &Dirs, name: &str) -> String {
    let path = dirs.log_file(name);
    let text = fs::read(&path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    format!("--- last lines of {} ---\n{tail}", path.display())
}

fn ensure_port_free(name: &str, port: u16) -> Result<(), String> {
    if port_answers(port) {
        return Err(format!(
            "{name}: port {HOST}:{port} is already in use by a process this tool did not \
             start (see `ss -ltnp 'sport = :{port}'`); stop it and try again"
        ));
    }
    Ok(())
}

fn port_answers(port: u16) -> bool {
    connect(port).is_ok()
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    for timeout in [
        stream.set_read_timeout(Some(Duration::from_secs(2))),
        stream.set_write_timeout(Some(Duration::from_secs(2))),
    ] {
        timeout.map_err(|e| format!("configuring socket to {addr}: {e}"))?;
    }
    Ok(stream)
}

/// Runs `cmd` to completion with captured output, killing it after `timeout`.
fn run_captured(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let what = describe(cmd);
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => Err(format!("waiting for {what}: {e}")),
        Err(_) => {
            signal(pid, "KILL");
            Err(format!(
                "{what} did not finish within {} s",
                timeout.as_secs()
            ))
        }
    }
}

/// Like [`run_captured`], but a non-zero exit is an error showing the output.
fn run_checked(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let output = run_captured(cmd, timeout)?;
    if output.status.success() {
        return Ok(output);
    }
    Err(format!(
        "{} failed ({}):\n{}{}",
        describe(cmd),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

fn describe(cmd: &Command) -> String {
    let mut words: Vec<OsString> = vec![cmd.get_program().to_owned()];
    words.extend(cmd.get_args().map(ToOwned::to_owned));
    let words: Vec<String> = words
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    format!("`{}`", words.join(" "))
}

// ---------------------------------------------------------------------------------------------
// Files

fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
}

fn remove_dir(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", dir.display())),
    }
}

fn recreate_dir(dir: &Path) -> Result<(), String> {
    remove_dir(dir)?;
    create_dir(dir)
}

/// Writes via a temporary file and a rename, so readers never see half a file.
fn write_atomically(path: &Path, contents: &str) -> Result<(), String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.{nanos}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, contents).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| format!("renaming to {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_message_is_well_formed() {
        let doc = ping_document();
        assert_eq!(le_i32(&doc, 0), Some(doc.len() as i32));
        let fields = bson_fields(&doc).unwrap();
        let keys: Vec<&str> = fields.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["ping", "$db"]);

        let msg = op_msg(7, &doc);
        assert_eq!(le_i32(&msg, 0), Some(msg.len() as i32));
        assert_eq!(le_i32(&msg, 12), Some(OP_MSG));
        assert_eq!(&msg[21..], &doc[..]);
    }

    fn reply(elements: &[u8]) -> Vec<u8> {
        let mut doc = elements.to_vec();
        doc.push(0);
        let mut body = vec![0, 0, 0, 0, 0];
        body.extend(bson_framed(&doc));
        body
    }

    #[test]
    fn ok_reply_is_accepted() {
        let mut ok = vec![0x01];
        ok.extend_from_slice(b"ok\0");
        ok.extend_from_slice(&1.0f64.to_le_bytes());
        assert_eq!(check_ok_reply(&reply(&ok)), Ok(()));
    }

    #[test]
    fn error_reply_shows_errmsg() {
        let mut err = vec![0x01];
        err.extend_from_slice(b"ok\0");
        err.extend_from_slice(&0.0f64.to_le_bytes());
        err.push(0x02);
        err.extend_from_slice(b"errmsg\0");
        err.extend_from_slice(&5i32.to_le_bytes());
        err.extend_from_slice(b"boom\0");
        let msg = check_ok_reply(&reply(&err)).unwrap_err();
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn truncated_bson_is_an_error() {
        assert!(bson_fields(&[10, 0, 0, 0, 0x10, b'a']).is_err());
        assert!(bson_fields(&[]).is_err());
    }

    #[test]
    fn env_lists_every_service() {
        let env = env_contents();
        assert!(env.contains("QUIZ_TEST_REDIS_URL=redis://127.0.0.1:6390/\n"));
        assert!(env.contains("redis://127.0.0.1:7001/,redis://127.0.0.1:7002/,"));
        assert!(env.contains("redis://127.0.0.1:7006/\n"));
        assert!(env.contains("QUIZ_TEST_KAFKA_BROKERS=127.0.0.1:19092\n"));
        assert!(env.contains("QUIZ_TEST_MONGO_URL=mongodb://127.0.0.1:27018/\n"));
    }
}
