//! The suites `cargo xtask test` runs beyond `cargo test`: the browser test in real
//! headless Chromium, schemathesis against a live server with the committed OpenAPI
//! document (each starts its own server process on a free loopback port), the compose-file
//! check, promtool over the Prometheus configuration and alert rules, and the TypeScript
//! checks (types generated from the contracts, the web client type-checked against them).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The schemathesis version the run is pinned to.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// A server process that is killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (bound, then released).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn http_ok(addr: &str, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[9..12] == b"200")
}

/// Starts `bin` with `args` plus `--listen 127.0.0.1:PORT`, waiting up to 30 s for
/// `/healthz`.
pub fn start_server(bin: &Path, args: &[&str], log: &Path) -> Result<ServerProcess, String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .args(args)
        .args(["--listen", &addr])
        // The suites keep nothing, and no quiz-data/ is written into the source tree.
        .args(["--store", "memory"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let server = ServerProcess {
        child,
        base: format!("http://{addr}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http_ok(&addr, "/healthz") {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{} did not answer /healthz within 30 s; see {}",
        bin.display(),
        log.display()
    ))
}

fn need(tool: &str, hint: &str) -> Result<(), String> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        Ok(())
    } else {
        Err(format!("`{tool}` is not installed: {hint}"))
    }
}

/// Runs `cmd`, announcing it as `what`; fails unless it exits successfully.
pub fn run(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

/// The headless-Chromium tests of the web client (apps/server/tests/browser): the
/// self-paced player page, the hosted game (host console and players), every question
/// type in both, and the game screen (presenter view, control panel, phone, keyboard,
/// axe-core, languages), and the teacher's library and editor (issue 23: a quiz made,
/// edited, duplicated, imported and hosted without JSON). The hosted, types, game and
/// teacher tests save screenshots to `target/browser-screenshots/`.
pub fn browser(root: &Path, server_bin: &Path) -> Result<(), String> {
    crate::install::node()?;
    let chromium: Vec<&crate::install::Need> = crate::install::SUITE
        .iter()
        .filter(|n| n.what == "chromium")
        .collect();
    crate::install::ensure(&chromium)?;
    let dir = root.join("apps/server/tests/browser");
    run(
        "npm ci (browser test)",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
            .current_dir(&dir),
    )?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let shots = target.join("browser-screenshots");
    run(
        "browser tests in headless Chromium",
        Command::new("node")
            .args([
                "--test",
                "browser.test.mjs",
                "hosted.test.mjs",
                "types.test.mjs",
                "game.test.mjs",
                "teacher.test.mjs",
                "editor-model.test.mjs",
            ])
            .env("QUIZ_SERVER_BIN", server_bin)
            .env("QUIZ_SCREENSHOT_DIR", &shots)
            .current_dir(&dir),
    )?;
    println!(
        "xtask: screenshots (presenter view, control panel, phones, languages, library, editor) in {}",
        shots.display()
    );
    Ok(())
}

/// `npm ci` in contracts/ts: the pinned generators (json-schema-to-typescript,
/// openapi-typescript) and TypeScript, from its package-lock.json.
fn contracts_ts(root: &Path) -> Result<PathBuf, String> {
    crate::install::node()?;
    let dir = root.join("contracts/ts");
    run(
        "npm ci (contracts/ts: TypeScript generators and tsc)",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
            .current_dir(&dir),
    )?;
    Ok(dir)
}

/// Regenerates contracts/ts/*.d.ts from contracts/schemas and contracts/openapi.json.
pub fn typescript_generate(root: &Path) -> Result<(), String> {
    let dir = contracts_ts(root)?;
    run(
        "regenerate contracts/ts (TypeScript types from the contracts)",
        Command::new("node").arg("generate.mjs").current_dir(&dir),
    )
}

/// The TypeScript checks: the committed contracts/ts/*.d.ts are what the contracts generate
/// (a diff and the command to run when not), then `tsc --checkJs --noEmit` over the web
/// client (apps/server/web/tsconfig.json), whose JSDoc types import them: a frame or API
/// field renamed in Rust (and so in the schemas) fails here.
pub fn typescript(root: &Path) -> Result<(), String> {
    let dir = contracts_ts(root)?;
    run(
        "contracts/ts is what the contracts generate",
        Command::new("node")
            .args(["generate.mjs", "--check"])
            .current_dir(&dir),
    )?;
    run(
        "tsc --checkJs --noEmit over the web client (apps/server/web)",
        Command::new(dir.join("node_modules/.bin/tsc"))
            .args(["--project", "apps/server/web", "--pretty", "false"])
            .current_dir(root),
    )
}

/// A virtualenv with schemathesis, cached outside the clone.
fn schemathesis_venv() -> Result<PathBuf, String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let venv = PathBuf::from(home).join(".cache/quiz-ci/venv");
    let st = venv.join("bin/st");
    let pinned = venv.join(".pinned");
    if st.exists() && std::fs::read_to_string(&pinned).is_ok_and(|p| p == SCHEMATHESIS) {
        return Ok(st);
    }
    need("python3", "install Python 3.9 or newer")?;
    run(
        "create the schemathesis virtualenv",
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
    )?;
    run(
        "pip install schemathesis",
        Command::new(venv.join("bin/pip")).args(["install", "--quiet", SCHEMATHESIS]),
    )?;
    std::fs::write(&pinned, SCHEMATHESIS).map_err(|e| e.to_string())?;
    Ok(st)
}

/// Schemathesis against a live server with the committed OpenAPI document.
pub fn schemathesis(root: &Path, server_bin: &Path, logs: &Path) -> Result<(), String> {
    let st = schemathesis_venv()?;
    let admin = "schemathesis-admin-key";
    let server = start_server(
        server_bin,
        &["--admin-key", admin, "--max-joins-per-min", "1000000"],
        &logs.join("schemathesis-server.log"),
    )?;
    run(
        "schemathesis against the committed contracts/openapi.json",
        Command::new(&st)
            .arg("--config-file")
            .arg(root.join("apps/server/tests/schemathesis/schemathesis.toml"))
            .arg("run")
            .arg(root.join("contracts/openapi.json"))
            .args(["--url", &format!("{}/api", server.base)])
            .args(["-H", &format!("X-Admin-Key: {admin}")])
            .args(["--max-examples", "50", "--seed", "1", "--no-color"])
            .current_dir(logs),
    )
}

/// Validates deploy/compose.yaml with compose-go (the loader `docker compose` uses), with no
/// Docker engine.
pub fn compose(root: &Path) -> Result<(), String> {
    let go = crate::install::go()?;
    run(
        "validate deploy/compose.yaml (compose-go)",
        Command::new(go)
            .args(["run", ".", "../compose.yaml"])
            .current_dir(root.join("deploy/compose-check")),
    )
}

/// `promtool check config` over deploy/prometheus/prometheus.yml (its rule files
/// included), then `promtool test rules` over the alert rules' unit tests
/// (deploy/prometheus/tests/).
pub fn promtool(root: &Path) -> Result<(), String> {
    let needs: Vec<&crate::install::Need> = crate::install::SUITE
        .iter()
        .filter(|n| n.what == "prometheus")
        .collect();
    crate::install::ensure(&needs)?;
    let dir = root.join("deploy/prometheus");
    run(
        "promtool check config (deploy/prometheus/prometheus.yml and its rules)",
        Command::new("promtool")
            .args(["check", "config", "prometheus.yml"])
            .current_dir(&dir),
    )?;
    let mut tests: Vec<PathBuf> = std::fs::read_dir(dir.join("tests"))
        .map_err(|e| format!("deploy/prometheus/tests: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    tests.sort();
    if tests.is_empty() {
        return Err("deploy/prometheus/tests holds no rule test".into());
    }
    run(
        "promtool test rules (the alert rules' unit tests)",
        Command::new("promtool")
            .args(["test", "rules"])
            .args(&tests)
            .current_dir(&dir),
    )
}
