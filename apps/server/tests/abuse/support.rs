//! Support of the abuse suite: the server process, loopback attackers, and the
//! well-behaved player who is watched while each attack runs.

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

pub const ADMIN: &str = "abuse-admin-key";
/// Generous bound for anything that should be prompt; the attacks' own limits are seconds.
pub const PROMPT: Duration = Duration::from_secs(10);

/// A `quiz-server` process, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub async fn start(extra: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = Command::new(env!("CARGO_BIN_EXE_quiz-server"))
            .args(["--listen", &addr.to_string(), "--admin-key", ADMIN])
            .args(["--header-timeout-secs", "2", "--body-timeout-secs", "2"])
            // Nothing to keep, and no quiz-data/ left in the source tree.
            .args(["--store", "memory"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, addr };
        let deadline = Instant::now() + PROMPT;
        while request(addr, None, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_none_or(|r| !r.starts_with("HTTP/1.1 200"))
        {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// Resident memory of the server process, KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

/// A TCP connection from a chosen loopback address.
pub async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

pub fn attacker(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// Sends `head` (and `body`) from 127.0.0.1 and returns what came back before the server
/// closed, or `None` when the connection failed.
pub async fn request(addr: SocketAddr, body: Option<&[u8]>, head: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(head.as_bytes()).await.ok()?;
    if let Some(b) = body {
        s.write_all(b).await.ok()?;
    }
    read_all(&mut s).await
}

pub async fn read_all(s: &mut TcpStream) -> Option<String> {
    let mut raw = Vec::new();
    tokio::time::timeout(PROMPT, s.read_to_end(&mut raw))
        .await
        .ok()?
        .ok()?;
    Some(String::from_utf8_lossy(&raw).into_owned())
}

pub fn json_request(method: &str, path: &str, body: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

pub fn body_of(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// A well-behaved player who pings over its WebSocket every 100 ms and, unless told not
/// to, checks `/healthz` on a new connection every 300 ms while the attack runs.
pub struct GoodPlayer {
    stop: Arc<AtomicBool>,
    started: Instant,
    health: bool,
    task: tokio::task::JoinHandle<(u32, Duration, u32)>,
}

impl GoodPlayer {
    pub async fn start(addr: SocketAddr) -> Self {
        Self::start_with(addr, true).await
    }

    /// `health: false` where the attack fills the server's connection cap, so that a new
    /// connection is rightly refused; the player's open socket must still be served.
    pub async fn start_with(addr: SocketAddr, health: bool) -> Self {
        let join = request(
            addr,
            None,
            &json_request("POST", "/api/quizzes/demo/join", r#"{"name":"Good"}"#, ""),
        )
        .await
        .unwrap();
        let ws_path = body_of(&join)["ws_path"].as_str().unwrap().to_owned();
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{ws_path}"))
            .await
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let check_health = health;
        let task = tokio::spawn(async move {
            let (mut pongs, mut worst, mut health) = (0u32, Duration::ZERO, 0u32);
            let mut n = 0u64;
            while !flag.load(Ordering::SeqCst) {
                n += 1;
                let sent = Instant::now();
                let nonce = format!("n{n}");
                ws.send(Message::Text(
                    json!({"type": "ping", "nonce": nonce}).to_string().into(),
                ))
                .await
                .unwrap();
                loop {
                    let msg = tokio::time::timeout(PROMPT, ws.next())
                        .await
                        .expect("the good player's ping went unanswered")
                        .expect("the good player's socket closed")
                        .unwrap();
                    if let Message::Text(t) = msg {
                        let v: Value = serde_json::from_str(t.as_str()).unwrap();
                        if v["type"] == "pong" && v["nonce"] == nonce.as_str() {
                            break;
                        }
                    }
                }
                worst = worst.max(sent.elapsed());
                pongs += 1;
                if check_health && n.is_multiple_of(3) {
                    let r = request(
                        addr,
                        None,
                        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    )
                    .await
                    .unwrap_or_default();
                    assert!(
                        r.starts_with("HTTP/1.1 200"),
                        "healthz failed during the attack: {r}"
                    );
                    health += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (pongs, worst, health)
        });
        Self {
            stop,
            started: Instant::now(),
            health,
            task,
        }
    }

    /// Stops the player and checks its game went on: every ping answered, none slowly.
    pub async fn finish(self, attack: &str) {
        // Watch for at least 1.5 s, however short the attack was.
        let watched = Duration::from_millis(1500);
        tokio::time::sleep(watched.saturating_sub(self.started.elapsed())).await;
        self.stop.store(true, Ordering::SeqCst);
        let (pongs, worst, health) = self.task.await.unwrap();
        println!(
            "{attack}: the good player got {pongs} pongs (slowest {} ms) and {health} healthz answers",
            worst.as_millis()
        );
        assert!(pongs >= 5, "{attack}: the good player was starved");
        assert!(
            !self.health || health >= 1,
            "{attack}: healthz was never checked"
        );
        assert!(
            worst < Duration::from_secs(3),
            "{attack}: a ping took {worst:?} during the attack"
        );
    }
}

pub fn check_memory(attack: &str, before: u64, after: u64, bound_mib: u64) {
    println!(
        "{attack}: server RSS {} MiB before, {} MiB after",
        before / 1024,
        after / 1024
    );
    assert!(
        after.saturating_sub(before) < bound_mib * 1024,
        "{attack}: memory grew from {before} KiB to {after} KiB"
    );
}

/// Opens `n` connections from `from` without sending anything; returns the ones the server
/// kept open and the answers of the ones it refused.
pub async fn flood(from: IpAddr, to: SocketAddr, n: usize) -> (Vec<TcpStream>, Vec<String>) {
    let mut conns = Vec::new();
    for _ in 0..n {
        conns.push(connect_from(from, to).await.unwrap());
    }
    // A refusal is written at accept: by now every one has arrived.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (mut held, mut refused) = (Vec::new(), Vec::new());
    for s in conns {
        let mut buf = [0u8; 512];
        match s.try_read(&mut buf) {
            Ok(n) if n > 0 => refused.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            _ => held.push(s),
        }
    }
    (held, refused)
}
