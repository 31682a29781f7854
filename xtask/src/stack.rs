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

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Which alert rules the stack's Prometheus evaluates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// `deploy/prometheus/rules/` as deployed.
    Deployed,
    /// The stack check's copy of them with every `for:` shortened to [`CHECK_FOR`], so one
    /// fault's alert fires within the check (same expressions, same names).
    ShortForCheck,
}

/// The `for:` of every alert in the stack check's copy of the rules.
const CHECK_FOR: &str = "10s";

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

fn nginx_binary() -> Result<PathBuf, String> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| crate::install::find_on_path("nginx"))
        .ok_or_else(|| "nginx is not installed (apt-get install nginx-light)".into())
}

fn nginx_conf(dir: &Path, port: u16, servers: &[SocketAddr]) -> Result<PathBuf, String> {
    let d = dir.display();
    let upstream: String = servers
        .iter()
        .map(|a| format!("        server {a};\n"))
        .collect();
    let conf = format!(
        r#"daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream quiz {{
        least_conn;
{upstream}    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen {HOST}:{port};
        location / {{
            proxy_pass http://quiz;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"#
    );
    let path = dir.join("nginx.conf");
    fs::write(&path, conf).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Writes the Prometheus configuration of the stack on `port` into `dir`: the compose
/// deployment's `deploy/prometheus/prometheus.yml` with each compose address replaced by
/// the local process's, and its rule files (or the check's short-`for:` copy of them).
/// Fails when the file no longer names an address this mapping expects, so the two
/// deployments cannot drift apart silently.
pub fn prometheus_conf(dir: &Path, port: u16, rules: Rules) -> Result<PathBuf, String> {
    let deploy = crate::root().join("deploy/prometheus");
    let source = deploy.join("prometheus.yml");
    let mut conf = fs::read_to_string(&source).map_err(|e| format!("{}: {e}", source.display()))?;
    let rules_dir = match rules {
        Rules::Deployed => deploy.join("rules"),
        Rules::ShortForCheck => short_for_rules(&deploy.join("rules"), &dir.join("rules-check"))?,
    };
    let mut map: Vec<(String, String)> = vec![
        ("quiz-server-1:3000".into(), format!("{HOST}:{}", port + 1)),
        ("quiz-server-2:3000".into(), format!("{HOST}:{}", port + 2)),
        ("quiz-worker-1:3001".into(), format!("{HOST}:{}", port + 11)),
        ("quiz-worker-2:3001".into(), format!("{HOST}:{}", port + 12)),
        (
            "redis-exporter:9121".into(),
            format!("{HOST}:{}", port + 21),
        ),
        (
            "rules/*.yml".into(),
            format!("{}/*.yml", rules_dir.display()),
        ),
    ];
    for i in 1..=6 {
        map.push((
            format!("redis://redis-{i}:6379"),
            format!("redis://{HOST}:{}", 7000 + i),
        ));
    }
    for (compose, local) in &map {
        if conf.matches(compose.as_str()).count() != 1 {
            return Err(format!(
                "{} should name {compose} once (the stack maps it to {local}); update \
                 prometheus_conf in xtask/src/stack.rs with the file",
                source.display()
            ));
        }
        conf = conf.replace(compose.as_str(), local);
    }
    let header = format!(
        "# Generated by `cargo xtask stack up` from {}: do not edit.\n",
        source.display()
    );
    let path = dir.join(format!("prometheus-{port}.yml"));
    fs::write(&path, header + &conf).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Copies every rule file of `from` into `to` with each `for:` set to [`CHECK_FOR`]: the
/// stack check's test-only rules, so an alert fires within the check.
fn short_for_rules(from: &Path, to: &Path) -> Result<PathBuf, String> {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut out = format!(
            "# TEST ONLY, generated by the stack check from {} with every `for:` set to \
             {CHECK_FOR}.\n",
            path.display()
        );
        for line in text.lines() {
            match line.trim_start().strip_prefix("for:") {
                Some(_) => {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    let _ = writeln!(out, "{indent}for: {CHECK_FOR}");
                }
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        let name = to.join(entry.file_name());
        fs::write(&name, out).map_err(|e| format!("{}: {e}", name.display()))?;
    }
    Ok(to.to_path_buf())
}

fn spawn(dirs: &Dirs, name: &str, cmd: &mut Command) -> Result<(), String> {
    let log_path = dirs.log(name);
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    fs::write(dirs.pid(name), format!("{}\n", child.id()))
        .map_err(|e| format!("{}: {e}", dirs.pid(name).display()))
}

fn running_pid(dirs: &Dirs, name: &str) -> Option<u32> {
    let pid: u32 = fs::read_to_string(dirs.pid(name))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat
        .rfind(')')
        .and_then(|e| stat[e + 1..].trim().chars().next());
    (!matches!(state, None | Some('Z' | 'X'))).then_some(pid)
}

/// `GET path` on the port; the status code.
fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).map_err(|e| e.to_string())?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer from {addr}"))?;
    let body = raw.split_once("\r\n\r\n").map_or("", |b| b.1).to_owned();
    Ok((status, body))
}

fn wait_healthy(dirs: &Dirs, c: &Component) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if running_pid(dirs, &c.name).is_none() {
            return Err(format!(
                "{} exited during start-up\n{}",
                c.name,
                tail(&dirs.log(&c.name), 30)
            ));
        }
        let last = match get(c.port, c.health) {
            Ok((200, _)) => {
                say(&format!("{} ready on {HOST}:{}", c.name, c.port));
                return Ok(());
            }
            Ok((s, body)) => format!("{} answered {s}: {}", c.health, body.trim()),
            Err(e) => e,
        };
        if started.elapsed() > READY_TIMEOUT {
            return Err(format!(
                "{} not ready after {} s (last: {last})\n{}\n`cargo xtask stack down` stops \
                 what started",
                c.name,
                READY_TIMEOUT.as_secs(),
                tail(&dirs.log(&c.name), 30)
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    format!(
        "--- last lines of {} ---\n{}",
        path.display(),
        lines[lines.len().saturating_sub(n)..].join("\n")
    )
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

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
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
            "--steady",
            "4",
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

/// `GET path` with HTTP/1.0 (so the answer is never chunked); (status, body).
fn get_plain(port: u16, path: &str) -> Result<(u16, String), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    write!(s, "GET {path} HTTP/1.0\r\nHost: {HOST}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let raw = String::from_utf8_lossy(&raw);
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer from {addr}"))?;
    let body = raw.split_once("\r\n\r\n").map_or("", |b| b.1).to_owned();
    Ok((status, body))
}

/// `/api/v1/<path>` of Prometheus on `port`: its `data`, or why not.
fn prom_api(port: u16, path: &str) -> Result<serde_json::Value, String> {
    let (status, body) = get_plain(port, &format!("/api/v1/{path}"))?;
    let v: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| format!("Prometheus /api/v1/{path}: {status}, not JSON ({e})"))?;
    if status != 200 || v["status"] != "success" {
        return Err(format!("Prometheus /api/v1/{path}: {status} {v}"));
    }
    Ok(v["data"].clone())
}

/// `s` percent-encoded for a URL's query.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every panel query of the Grafana dashboard: (panel title, expression).
fn dashboard_queries() -> Result<Vec<(String, String)>, String> {
    let path = crate::root().join("deploy/grafana/dashboards/quiz.json");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let dash: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for panel in dash["panels"].as_array().into_iter().flatten() {
        let title = panel["title"].as_str().unwrap_or("(untitled)");
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push((title.to_owned(), expr.to_owned()));
            }
        }
    }
    if out.is_empty() {
        return Err(format!("{}: no panel query found", path.display()));
    }
    Ok(out)
}

/// The metric names an alert rule file names (`quiz_…`, `redis_…`, `up`).
fn rule_metrics() -> Result<Vec<String>, String> {
    let dir = crate::root().join("deploy/prometheus/rules");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for line in text.lines() {
            let Some(expr) = line.trim_start().strip_prefix("expr:") else {
                continue;
            };
            // Label matchers (`{role="master", redis_mode="cluster"}`) name labels, not
            // metrics: leave them out.
            let mut outside = String::new();
            let mut depth = 0u32;
            for c in expr.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    _ if depth == 0 => outside.push(c),
                    _ => {}
                }
            }
            for word in outside.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                let metric = word.starts_with("quiz_") || word.starts_with("redis_");
                if (metric || word == "up") && !names.iter().any(|n| n == word) {
                    names.push(word.to_owned());
                }
            }
        }
    }
    Ok(names)
}

/// Asks the live Prometheus whether every target is up, every dashboard panel query returns
/// data (a series with a number), and every metric the alert rules name exists; waits for
/// the first scrapes and rate windows, then fails naming what is missing.
fn prometheus_check(port: u16) -> Result<(), String> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    let queries = dashboard_queries()?;
    let metrics = rule_metrics()?;
    loop {
        let mut missing: Vec<String> = Vec::new();
        let targets = prom_api(port, "targets?state=active")?;
        let active = targets["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if active.is_empty() {
            missing.push("no active target".into());
        }
        for t in &active {
            if t["health"] != "up" {
                missing.push(format!(
                    "target {} {} is {} ({})",
                    t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]
                ));
            }
        }
        for (title, expr) in &queries {
            let data = prom_api(port, &format!("query?query={}", url_encode(expr)))?;
            let numbers = data["result"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["value"][1].as_str()?.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .count();
            if numbers == 0 {
                missing.push(format!("panel {title:?}: `{expr}` returns no data"));
            }
        }
        let names = prom_api(port, "label/__name__/values")?;
        let known: Vec<&str> = names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
            .collect();
        for m in &metrics {
            if !known.contains(&m.as_str()) {
                missing.push(format!("the alert rules name {m}, which no target exports"));
            }
        }
        let rules = prom_api(port, "rules?type=alert")?;
        let loaded: usize = rules["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| g["rules"].as_array().map_or(0, Vec::len))
            .sum();
        if loaded == 0 {
            missing.push("no alert rule loaded".into());
        }
        for g in rules["groups"].as_array().into_iter().flatten() {
            for r in g["rules"].as_array().into_iter().flatten() {
                if r["health"] == "err" {
                    missing.push(format!("alert {} fails: {}", r["name"], r["lastError"]));
                }
            }
        }
        if missing.is_empty() {
            say(&format!(
                "stack check: Prometheus: {} targets up, {} dashboard queries with data, {} \
                 metrics of the alert rules present, {loaded} alert rules loaded ({:.0} s)",
                active.len(),
                queries.len(),
                metrics.len(),
                started.elapsed().as_secs_f64()
            ));
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "stack check: Prometheus after 60 s:\n  {}",
                missing.join("\n  ")
            ));
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Kills worker-2 and watches `QuizTargetDown` for it on the live Prometheus go from
/// pending to firing (the check's rules have `for:` [`CHECK_FOR`]); prints both times.
fn alert_fires_on_a_killed_worker(port: u16) -> Result<(), String> {
    let dirs = Dirs::new();
    let worker = components(port)
        .into_iter()
        .find(|c| c.name == "worker-2")
        .ok_or("no worker-2 in the stack")?;
    let pid = running_pid(&dirs, &worker.name).ok_or("worker-2 does not run")?;
    let instance = format!("{HOST}:{}", worker.port);
    signal(pid, "KILL");
    let killed = Instant::now();
    // Gone for good: `down` has nothing to stop there.
    let _ = fs::remove_file(dirs.pid(&worker.name));
    say(&format!(
        "stack check: worker-2 ({instance}) killed; waiting for QuizTargetDown"
    ));
    let mut pending: Option<(Duration, String)> = None;
    let deadline = killed + Duration::from_secs(90);
    loop {
        let alerts = prom_api(port + 20, "alerts")?;
        let ours = alerts["alerts"].as_array().into_iter().flatten().find(|a| {
            a["labels"]["alertname"] == "QuizTargetDown" && a["labels"]["instance"] == instance
        });
        if let Some(a) = ours {
            let active_at = a["activeAt"].as_str().unwrap_or("?").to_owned();
            match a["state"].as_str() {
                Some("pending") if pending.is_none() => {
                    say(&format!(
                        "stack check: alert QuizTargetDown{{instance=\"{instance}\"}} pending \
                         {:.1} s after the kill (active since {active_at})",
                        killed.elapsed().as_secs_f64()
                    ));
                    pending = Some((killed.elapsed(), active_at));
                }
                Some("firing") => {
                    let Some((was_pending, _)) = pending else {
                        return Err(
                            "stack check: QuizTargetDown fired without being seen pending \
                             first (the check's `for:` is too short for its polling)"
                                .into(),
                        );
                    };
                    say(&format!(
                        "stack check: alert QuizTargetDown{{instance=\"{instance}\", \
                         severity=\"{}\"}} FIRING {:.1} s after the kill ({:.1} s after \
                         pending; `for:` {CHECK_FOR} in the check's rules): {}",
                        a["labels"]["severity"].as_str().unwrap_or("?"),
                        killed.elapsed().as_secs_f64(),
                        (killed.elapsed() - was_pending).as_secs_f64(),
                        a["annotations"]["summary"].as_str().unwrap_or("")
                    ));
                    return Ok(());
                }
                _ => {}
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "stack check: QuizTargetDown for {instance} did not fire within 90 s of the \
                 kill (pending seen: {})",
                pending.is_some()
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn say(msg: &str) {
    println!("stack: {msg}");
}
