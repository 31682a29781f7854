//! `cargo xtask stack up | down | status | logs | check`: the whole distributed topology as
//! local processes, for `make startup` on a machine without Docker.
//!
//! `up` starts the real services (`cargo xtask services up`: the Redis Cluster, Kafka,
//! FerretDB), builds the binaries, then starts two `quiz-server` instances sharing them,
//! two `quiz-worker`s in one consumer group (static membership), nginx in front of the servers on `127.0.0.1:3000`, and Debian's Prometheus on
//! `127.0.0.1:3020` with a `redis_exporter` (3021) for the Redis nodes; it waits until each
//! answers its health check and prints every component with its address and log file. The
//! servers create the demo quiz.
//!
//! Prometheus runs `deploy/prometheus/prometheus.yml`, the compose deployment's file, with
//! the compose host names mapped to the local addresses ([`prometheus_conf`]) and the same
//! rule files (`deploy/prometheus/rules/`).
//!
//! Everything of a running stack is under `<workspace>/.stack/` (git-ignored): pid files,
//! logs, the nginx configuration, and the generated admin key and token secret (kept across
//! restarts, so tokens and the key stay valid). `down` stops the components and the
//! services; `check` is what `cargo xtask test` runs: the same `up` on other ports with
//! debug builds, a short load through nginx with the load generator, then Prometheus is
//! asked whether every target is up, every panel query of the Grafana dashboard returns
//! data and every metric the alert rules name exists; one fault (a worker killed) shows an
//! alert going from pending to firing; then the components are stopped again.

mod check;
mod nginx;
mod procs;
mod prometheus;

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use check::{CHECK_PORT, check};
use nginx::{nginx_binary, nginx_conf};
use procs::{running_pid, signal, spawn, tail, wait_healthy};
pub use prometheus::{Rules, prometheus_conf};

const USAGE: &str = "usage: cargo xtask stack <up|down|status|logs|check> [--debug] [--port PORT]
       [--external-services]
  up       start the services, two quiz-server instances, two workers and nginx on
           127.0.0.1:PORT (3000), installing what is missing; release builds unless --debug
  down     stop all of it (the services too)
  status   one line per component
  logs     the last lines of every log (--follow: keep following them)
  check    what `cargo xtask test` runs: up on ports 3300-3321 with debug builds, a short
           load through nginx, Prometheus's targets, dashboard queries and one alert checked,
           then the components stopped
  --external-services  up and check: use the services already running on their fixed
           ports (started by another checkout, say) instead of `services up`";

const HOST: &str = "127.0.0.1";
const CLUSTER: &str = "redis://127.0.0.1:7001/,redis://127.0.0.1:7002/,redis://127.0.0.1:7003/,\
redis://127.0.0.1:7004/,redis://127.0.0.1:7005/,redis://127.0.0.1:7006/";
const KAFKA: &str = "127.0.0.1:19092";
const MONGO: &str = "mongodb://127.0.0.1:27018/";
const DB: &str = "quiz_stack";
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// One process of the stack.
struct Component {
    name: String,
    port: u16,
    /// The health path answered with 200 when ready.
    health: &'static str,
    what: &'static str,
}

/// The components for a balancer on `port`: servers on port+1, port+2, workers' HTTP on
/// port+11, port+12, Prometheus on port+20 and the Redis exporter on port+21.
fn components(port: u16) -> Vec<Component> {
    let c = |name: &str, port, health, what| Component {
        name: name.to_owned(),
        port,
        health,
        what,
    };
    vec![
        c("server-1", port + 1, "/readyz", "quiz-server"),
        c("server-2", port + 2, "/readyz", "quiz-server"),
        c("worker-1", port + 11, "/healthz", "quiz-worker"),
        c("worker-2", port + 12, "/healthz", "quiz-worker"),
        c("nginx", port, "/healthz", "load balancer"),
        c("redis-exporter", port + 21, "/health", "redis_exporter"),
        c("prometheus", port + 20, "/-/ready", "prometheus"),
    ]
}

struct Dirs {
    state: PathBuf,
}

impl Dirs {
    fn new() -> Self {
        Self {
            state: crate::root().join(".stack"),
        }
    }
    fn pid(&self, name: &str) -> PathBuf {
        self.state.join("pids").join(format!("{name}.pid"))
    }
    fn log(&self, name: &str) -> PathBuf {
        self.state.join("logs").join(format!("{name}.log"))
    }
}

/// Runs `cargo xtask stack <args…>`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (cmd, rest) = args.split_first().ok_or_else(|| USAGE.to_owned())?;
    let mut debug = false;
    let mut follow = false;
    let mut external = false;
    let mut port = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--debug" => debug = true,
            "--follow" => follow = true,
            "--external-services" => external = true,
            "--port" => {
                port = Some(
                    it.next()
                        .and_then(|p| p.parse().ok())
                        .filter(|p| (1024..=65_000).contains(p))
                        .ok_or("--port needs a port from 1024 to 65000")?,
                );
            }
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    match cmd.as_str() {
        "up" => up(port.unwrap_or(3000), debug, Rules::Deployed, external).map(|_| ()),
        "down" => {
            let stopped = down();
            crate::services::run(&["down".to_owned()])?;
            stopped
        }
        "status" => {
            status();
            Ok(())
        }
        "logs" => logs(follow),
        "check" => check(port.unwrap_or(CHECK_PORT), external),
        _ => Err(USAGE.into()),
    }
}

/// Starts everything (the services too, unless `external`: then they must already answer
/// on their ports); returns the admin key.
pub fn up(port: u16, debug: bool, rules: Rules, external: bool) -> Result<String, String> {
    let started = Instant::now();
    let dirs = Dirs::new();
    for d in ["pids", "logs", "nginx", "prometheus"] {
        fs::create_dir_all(dirs.state.join(d)).map_err(|e| format!("{}: {e}", d))?;
    }
    // What nginx and Prometheus need, installed the way the test command installs
    // everything.
    let needs: Vec<&crate::install::Need> = crate::install::SUITE
        .iter()
        .filter(|n| matches!(n.what, "nginx" | "prometheus" | "prometheus-redis-exporter"))
        .collect();
    crate::install::ensure(&needs)?;
    if external {
        for (what, port) in [
            ("Redis Cluster", 7001),
            ("Kafka", 19092),
            ("FerretDB", 27018),
        ] {
            TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], port)),
                Duration::from_secs(1),
            )
            .map_err(|e| format!("--external-services: {what} does not answer on {port}: {e}"))?;
        }
        say("using the services already running (Redis Cluster, Kafka, FerretDB)");
    } else {
        say("starting the services (Redis Cluster, Kafka, FerretDB)");
        crate::services::run(&["up".to_owned()])?;
    }
    let bins = build(debug)?;
    let admin_key = secret(&dirs.state.join("admin-key"), 16)?;
    let token_secret = secret(&dirs.state.join("token-secret"), 32)?;

    let all = components(port);
    for c in &all {
        if let Some(pid) = running_pid(&dirs, &c.name) {
            return Err(format!(
                "{} already runs (pid {pid}); `cargo xtask stack down` first",
                c.name
            ));
        }
        if TcpStream::connect((HOST, c.port)).is_ok() {
            return Err(format!(
                "{}: port {HOST}:{} is in use by another process; free it or pick another \
                 --port",
                c.name, c.port
            ));
        }
    }
    for c in &all {
        let mut cmd = match c.what {
            "quiz-server" => {
                let mut cmd = Command::new(&bins.server);
                cmd.args(["--listen", &format!("{HOST}:{}", c.port)])
                    .args(["--admin-key", &admin_key])
                    .args(["--token-secret", &token_secret])
                    .args(["--redis-url", CLUSTER])
                    .args(["--kafka-brokers", KAFKA])
                    .args(["--mongo-url", MONGO, "--mongo-db", DB])
                    .args(["--trust-forwarded-for", "--max-connections-per-ip", "0"]);
                cmd
            }
            "quiz-worker" => {
                let mut cmd = Command::new(&bins.worker);
                // Explicit instance ids, the same whatever the port: the stack and its check
                // share the group, and a member's id must survive a move to other ports
                // (the default, host name and listen address, would not).
                cmd.args(["--listen", &format!("{HOST}:{}", c.port)])
                    .args(["--kafka-brokers", KAFKA, "--kafka-group", "quiz-stack"])
                    .args(["--kafka-instance-id", &c.name])
                    .args(["--mongo-url", MONGO, "--mongo-db", DB]);
                cmd
            }
            "redis_exporter" => {
                // No default node: Prometheus names the node in each scrape (/scrape?target=).
                let mut cmd = Command::new("prometheus-redis-exporter");
                cmd.arg(format!("--web.listen-address={HOST}:{}", c.port))
                    .arg("--redis.addr=");
                cmd
            }
            "prometheus" => {
                let dir = dirs.state.join("prometheus");
                let conf = prometheus_conf(&dir, port, rules)?;
                let data = dir.join(format!("data-{port}"));
                if rules == Rules::ShortForCheck {
                    // A fresh history: nothing of an earlier run can answer a query.
                    let _ = fs::remove_dir_all(&data);
                }
                let mut cmd = Command::new("prometheus");
                cmd.arg(format!("--config.file={}", conf.display()))
                    .arg(format!("--storage.tsdb.path={}", data.display()))
                    .arg("--storage.tsdb.retention.time=2d")
                    .arg(format!("--web.listen-address={HOST}:{}", c.port));
                cmd
            }
            _ => {
                let servers: Vec<SocketAddr> = all
                    .iter()
                    .filter(|s| s.what == "quiz-server")
                    .map(|s| SocketAddr::from(([127, 0, 0, 1], s.port)))
                    .collect();
                let conf = nginx_conf(&dirs.state.join("nginx"), port, &servers)?;
                let mut cmd = Command::new(nginx_binary()?);
                cmd.arg("-p")
                    .arg(dirs.state.join("nginx"))
                    .arg("-c")
                    .arg(conf);
                cmd
            }
        };
        // The stack's settings only: nothing from the caller's QUIZ_* environment.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("QUIZ_") {
                cmd.env_remove(k);
            }
        }
        spawn(&dirs, &c.name, &mut cmd)?;
    }
    for c in &all {
        wait_healthy(&dirs, c)?;
    }
    let mut table = String::new();
    let _ = writeln!(
        table,
        "\nThe stack is up in {:.0} s: http://localhost:{port} (the demo quiz is ready); \
         Prometheus on http://{HOST}:{} (alerts: /alerts)\n",
        started.elapsed().as_secs_f64(),
        port + 20
    );
    for c in &all {
        let _ = writeln!(
            table,
            "  {:<14} {:<14} http://{HOST}:{:<5}  log {}",
            c.name,
            c.what,
            c.port,
            dirs.log(&c.name).display()
        );
    }
    let _ = writeln!(
        table,
        "  {:<14} {:<14} {CLUSTER_SHORT}  logs in .services/logs/\n  {:<14} {:<14} {KAFKA}\n  \
         {:<14} {:<14} {MONGO} (database {DB})\n\n  admin key: {admin_key} (creating quizzes: \
         http://localhost:{port}/create)\n  stop it all: make down (or cargo xtask stack \
         down); follow the logs: make logs",
        "redis", "Redis Cluster", "kafka", "Kafka (KRaft)", "ferretdb", "FerretDB",
    );
    println!("{table}");
    Ok(admin_key)
}

const CLUSTER_SHORT: &str = "redis://127.0.0.1:7001-7006";

struct Bins {
    server: PathBuf,
    worker: PathBuf,
}

fn build(debug: bool) -> Result<Bins, String> {
    let mut b = crate::cargo();
    b.args(["build", "-p", "quiz-server", "-p", "quiz-worker"]);
    if !debug {
        b.arg("--release");
    }
    say(if debug {
        "building quiz-server and quiz-worker (debug)"
    } else {
        "building quiz-server and quiz-worker (release; the first build takes ~10 min on 2 cores)"
    });
    crate::run("cargo build (stack)", b)?;
    let dir = crate::target_dir().join(if debug { "debug" } else { "release" });
    Ok(Bins {
        server: dir.join("quiz-server"),
        worker: dir.join("quiz-worker"),
    })
}

/// A secret kept in `path`, generated (`bytes` random bytes, hex) on first use.
fn secret(path: &Path, bytes: usize) -> Result<String, String> {
    if let Ok(s) = fs::read_to_string(path)
        && s.trim().len() >= 2 * bytes
    {
        return Ok(s.trim().to_owned());
    }
    let mut buf = vec![0u8; bytes];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    fs::write(path, &hex).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(hex)
}

/// Stops the stack's components (SIGTERM, SIGKILL after 10 s), not the services.
pub fn down() -> Result<(), String> {
    let dirs = Dirs::new();
    let mut waiting = Vec::new();
    for c in components(3000) {
        if let Some(pid) = running_pid(&dirs, &c.name) {
            signal(pid, "TERM");
            waiting.push((c.name, pid));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (name, pid) in &waiting {
        while running_pid(&dirs, name).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if running_pid(&dirs, name).is_some() {
            signal(*pid, "KILL");
        }
        let _ = fs::remove_file(dirs.pid(name));
        say(&format!("{name} stopped (pid {pid})"));
    }
    if waiting.is_empty() {
        say("no stack component runs");
    }
    Ok(())
}

fn status() {
    let dirs = Dirs::new();
    for c in components(3000) {
        match running_pid(&dirs, &c.name) {
            Some(pid) => println!(
                "{:<9} running (pid {pid}), log {}",
                c.name,
                dirs.log(&c.name).display()
            ),
            None => println!("{:<9} stopped", c.name),
        }
    }
    let _ = crate::services::run(&["status".to_owned()]);
}

fn logs(follow: bool) -> Result<(), String> {
    let dirs = Dirs::new();
    let files: Vec<PathBuf> = components(3000)
        .iter()
        .map(|c| dirs.log(&c.name))
        .filter(|p| p.exists())
        .collect();
    if files.is_empty() {
        return Err("no stack logs yet (`make startup` first)".into());
    }
    if follow {
        let err = Command::new("tail")
            .arg("-n")
            .arg("20")
            .arg("-F")
            .args(&files)
            .exec();
        return Err(format!("cannot run tail: {err}"));
    }
    for f in &files {
        println!("{}\n", tail(f, 20));
    }
    Ok(())
}

fn say(msg: &str) {
    println!("stack: {msg}");
}
