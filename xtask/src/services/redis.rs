//! Redis standalone and the 6-node Redis Cluster.

use super::*;

// ---------------------------------------------------------------------------------------------
// Redis

pub(super) fn redis_command(port: u16, dir: &Path, cluster: bool) -> Command {
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

pub(super) fn redis_ping(port: u16) -> Result<(), String> {
    match redis_call(port, &["PING"])?.as_str() {
        "PONG" => Ok(()),
        other => Err(format!("PING answered {other:?}")),
    }
}

pub(super) fn ensure_redis(dirs: &Dirs) -> Result<(), String> {
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

pub(super) fn ensure_cluster(dirs: &Dirs) -> Result<(), String> {
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
pub(super) fn cluster_formed(port: u16) -> bool {
    redis_call(port, &["CLUSTER", "INFO"])
        .map(|info| {
            info.contains("cluster_known_nodes:6") && info.contains("cluster_slots_assigned:16384")
        })
        .unwrap_or(false)
}

pub(super) fn wait_cluster_ok(
    dirs: &Dirs,
    procs: &[Proc],
    deadline: Instant,
) -> Result<(), String> {
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
pub(super) fn redis_call(port: u16, args: &[&str]) -> Result<String, String> {
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
