//! The stack's processes: starting one with its log and pid file, whether it runs, its
//! health over HTTP, signals, and the tail of its log.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Component, Dirs, HOST, READY_TIMEOUT, say};

pub(super) fn spawn(dirs: &Dirs, name: &str, cmd: &mut Command) -> Result<(), String> {
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

pub(super) fn running_pid(dirs: &Dirs, name: &str) -> Option<u32> {
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
pub(super) fn get(port: u16, path: &str) -> Result<(u16, String), String> {
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

pub(super) fn wait_healthy(dirs: &Dirs, c: &Component) -> Result<(), String> {
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

pub(super) fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    format!(
        "--- last lines of {} ---\n{}",
        path.display(),
        lines[lines.len().saturating_sub(n)..].join("\n")
    )
}

pub(super) fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}
