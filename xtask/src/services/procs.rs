//! Background processes (pid files, readiness waits, stopping) and small file helpers.

use super::*;

/// Held while a process is started and its pid recorded; `true` inside once
/// [`super::forbid_starts`] ran, after which nothing more is started. Holding it across the
/// pid file write means a clean-up that took it sees every process started before.
pub(super) static STARTS: std::sync::Mutex<bool> = std::sync::Mutex::new(false);

// ---------------------------------------------------------------------------------------------
// Processes

/// The recorded pid of `p`, if that process is alive and still the one we started.
pub(super) fn owned_pid(dirs: &Dirs, p: &Proc) -> Option<u32> {
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
pub(super) fn alive(pid: u32) -> bool {
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
pub(super) fn spawn(dirs: &Dirs, p: &Proc, cmd: &mut Command) -> Result<Child, String> {
    let forbidden = STARTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *forbidden {
        return Err(format!(
            "{}: not started: the run is being interrupted",
            p.name
        ));
    }
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
pub(super) enum Watch<'a> {
    /// Started by this run: `try_wait` reaps it and gives the exit status.
    Child(&'a mut Child),
    /// Started by an earlier run.
    Pid(u32),
}

/// Polls `check` until it succeeds, the process exits, or `timeout` passes.
pub(super) fn wait_ready(
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

pub(super) fn log_tail(dirs: &Dirs, name: &str) -> String {
    let path = dirs.log_file(name);
    let text = fs::read(&path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    format!("--- last lines of {} ---\n{tail}", path.display())
}

pub(super) fn ensure_port_free(name: &str, port: u16) -> Result<(), String> {
    if port_answers(port) {
        return Err(format!(
            "{name}: port {HOST}:{port} is already in use by a process this tool did not \
             start (see `ss -ltnp 'sport = :{port}'`); stop it and try again"
        ));
    }
    Ok(())
}

pub(super) fn port_answers(port: u16) -> bool {
    connect(port).is_ok()
}

pub(super) fn connect(port: u16) -> Result<TcpStream, String> {
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
pub(crate) fn run_captured(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
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
pub(crate) fn run_checked(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
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

pub(crate) fn describe(cmd: &Command) -> String {
    let mut words: Vec<OsString> = vec![cmd.get_program().to_owned()];
    words.extend(cmd.get_args().map(ToOwned::to_owned));
    let words: Vec<String> = words
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    format!("`{}`", words.join(" "))
}

/// Stops the recorded processes of `procs`: SIGTERM, up to 10 s grace, then SIGKILL.
pub(super) fn stop(dirs: &Dirs, procs: &[Proc]) -> Result<(), String> {
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

pub(super) fn signal(pid: u32, signal: &str) {
    // Failure means it is already gone; the caller re-checks liveness.
    let _ = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

// ---------------------------------------------------------------------------------------------
// Files

pub(super) fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
}

pub(super) fn remove_dir(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", dir.display())),
    }
}

pub(super) fn recreate_dir(dir: &Path) -> Result<(), String> {
    remove_dir(dir)?;
    create_dir(dir)
}

/// Writes via a temporary file and a rename, so readers never see half a file.
pub(super) fn write_atomically(path: &Path, contents: &str) -> Result<(), String> {
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
