//! `cargo xtask stack up | down | status | logs | check`: the whole distributed topology as
//! local processes, for `make startup` on a machine without Docker.
//!
//! `up` starts the real services (`cargo xtask services up`: the Redis Cluster, Kafka,
//! FerretDB), builds the binaries, then starts two `quiz-server` instances sharing them,
//! two `quiz-worker`s in one consumer group (static membership), and nginx in front of the
//! servers on `127.0.0.1:3000`; it waits until each answers its health check and prints
//! every component with its address and log file. The servers create the demo quiz.
//!
//! Everything of a running stack is under `<workspace>/.stack/` (git-ignored): pid files,
//! logs, the nginx configuration, and the generated admin key and token secret (kept across
//! restarts, so tokens and the key stay valid). `down` stops the components and the
//! services; `check` is what `cargo xtask test` runs: the same `up` on other ports with
//! debug builds, a short load through nginx with the load generator, then the components
//! stopped again.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo xtask stack <up|down|status|logs> [--debug] [--port PORT]
  up       start the services, two quiz-server instances, two workers and nginx on
           127.0.0.1:PORT (3000), installing what is missing; release builds unless --debug
  down     stop all of it (the services too)
  status   one line per component
  logs     the last lines of every log (--follow: keep following them)
  check    what `cargo xtask test` runs: up on ports 3300-3312 with debug builds, a short
           load through nginx, then the components stopped";

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
/// port+11, port+12.
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
    let mut port = 3000u16;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--debug" => debug = true,
            "--follow" => follow = true,
            "--port" => {
                port = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .filter(|p| (1024..=65_000).contains(p))
                    .ok_or("--port needs a port from 1024 to 65000")?;
            }
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    match cmd.as_str() {
        "up" => up(port, debug).map(|_| ()),
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
        "check" => check(),
        _ => Err(USAGE.into()),
    }
}

/// Starts everything; returns the admin key.
pub fn up(port: u16, debug: bool) -> Result<String, String> {
    let started = Instant::now();
    let dirs = Dirs::new();
    for d in ["pids", "logs", "nginx"] {
        fs::create_dir_all(dirs.state.join(d)).map_err(|e| format!("{}: {e}", d))?;
    }
    // What nginx needs, installed the way the test command installs everything.
    let nginx: Vec<&crate::install::Need> = crate::install::SUITE
        .iter()
        .filter(|n| n.what == "nginx")
        .collect();
    crate::install::ensure(&nginx)?;
    say("starting the services (Redis Cluster, Kafka, FerretDB)");
    crate::services::run(&["up".to_owned()])?;
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
                cmd.args(["--listen", &format!("{HOST}:{}", c.port)])
                    .args(["--kafka-brokers", KAFKA, "--kafka-group", "quiz-stack"])
                    .args(["--kafka-instance-id", &c.name])
                    .args(["--mongo-url", MONGO, "--mongo-db", DB]);
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
        "\nThe stack is up in {:.0} s: http://localhost:{port} (the demo quiz is ready)\n",
        started.elapsed().as_secs_f64()
    );
    for c in &all {
        let _ = writeln!(
            table,
            "  {:<9} {:<14} http://{HOST}:{:<5}  log {}",
            c.name,
            c.what,
            c.port,
            dirs.log(&c.name).display()
        );
    }
    let _ = writeln!(
        table,
        "  {:<9} {:<14} {CLUSTER_SHORT}  logs in .services/logs/\n  {:<9} {:<14} {KAFKA}\n  \
         {:<9} {:<14} {MONGO} (database {DB})\n\n  admin key: {admin_key} (creating quizzes: \
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
pub fn check() -> Result<(), String> {
    const PORT: u16 = 3300;
    let result = check_on(PORT);
    let stopped = down();
    result.and(stopped)
}

fn check_on(port: u16) -> Result<(), String> {
    let admin_key = up(port, true)?;
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
    Ok(())
}

fn say(msg: &str) {
    println!("stack: {msg}");
}
