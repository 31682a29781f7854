//! Child processes of a scenario: started under the raised open-file limit, stopped
//! when dropped, and the open-file limits they get.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Raise the open-file limit as far as allowed, then become the program.
const ULIMIT_EXEC: &str =
    r#"ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@""#;

/// A child process stopped when dropped: SIGTERM, up to 10 s to exit, then SIGKILL.
pub(super) struct Proc {
    pub(super) name: String,
    child: Child,
}

impl Proc {
    /// Starts `bin args…` under the raised open-file limit; output goes to `log`
    /// (or is inherited when `log` is `None`).
    pub(super) fn start(
        name: &str,
        bin: &Path,
        args: &[String],
        log: Option<&Path>,
    ) -> Result<Self, String> {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(ULIMIT_EXEC)
            .arg(bin)
            .args(args)
            .stdin(Stdio::null());
        if let Some(log) = log {
            let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = out.try_clone().map_err(|e| e.to_string())?;
            c.stdout(out).stderr(err);
        }
        let child = c
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// The process id (the shell `exec`s the program, so this is the program's).
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has already exited.
    pub(super) fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited early ({status})", self.name)),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// Waits for the process to exit by itself.
    pub(super) fn wait(mut self) -> Result<(), String> {
        let status = self
            .child
            .wait()
            .map_err(|e| format!("{}: {e}", self.name))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} failed ({status})", self.name))
        }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    pub(super) fn stop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The soft open-file limit of process `pid`.
pub(super) fn nofile_limit(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The open-file limit processes started by this task get.
pub(super) fn reachable_nofile() -> Option<u64> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n"#)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
