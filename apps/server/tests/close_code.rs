//! The documented close code or status reaches the client even while the client is still
//! sending: a message of fragments past the size limit is closed with 1009 every time over
//! 200 runs (and the rest of the upload is drained, never reset), and a body past the limit
//! gets its 413 while the client still uploads it.
//! Without the server's lingering close (`quiz_server::linger`) the server would close the
//! TCP connection with the client's input unread, the kernel would answer with a reset, and
//! a client still writing would see the connection reset instead of the answer.
//!
//! Runs a real `quiz-server` process on loopback; needs no service.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

const RUNS: usize = 200;
const PROMPT: Duration = Duration::from_secs(10);

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn http(addr: SocketAddr, raw: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(PROMPT, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

async fn start() -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let child = Command::new(env!("CARGO_BIN_EXE_quiz-server"))
        .args([
            "--listen",
            &addr.to_string(),
            "--admin-key",
            "close-code-admin",
        ])
        .args(["--max-connections-per-ip", "0", "--max-body-bytes", "1024"])
        .args(["--store", "memory"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, addr };
    let deadline = Instant::now() + PROMPT;
    loop {
        if let Ok(Ok(mut s)) =
            tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await
        {
            let _ = s
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out).await;
            if out.starts_with(b"HTTP/1.1 200") {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One socket: a text message in 1 KiB fragments past the limit (a few KiB), the client
/// still sending fragments (up to 256) while the server closes, as a client uploading a
/// large message does; what the server closed with. Also fails when a send is refused by a
/// reset or a broken pipe: a server that closes without draining makes the kernel answer
/// the rest of the upload with a reset, and then the close frame may never be read (on
/// loopback it usually still is, so the reset is what shows the missing drain).
async fn fragments_past_the_limit(url: &str) -> Result<u16, String> {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sink, mut stream) = ws.split();
    let sender = tokio::spawn(async move {
        let piece = vec![b' '; 1024];
        for i in 0..256 {
            let opcode = if i == 0 {
                OpCode::Data(Data::Text)
            } else {
                OpCode::Data(Data::Continue)
            };
            // Once the close frame has arrived, the client refuses to send more (a protocol
            // error, not a failure); a reset or broken pipe is the server's fault.
            match sink
                .send(Message::Frame(Frame::message(piece.clone(), opcode, false)))
                .await
            {
                Ok(()) => {}
                Err(WsError::Io(e)) => return Err(format!("fragment {i}: the upload failed: {e}")),
                Err(_) => break,
            }
        }
        Ok(())
    });
    let code = loop {
        match tokio::time::timeout(PROMPT, stream.next()).await {
            Ok(Some(Ok(Message::Close(Some(c))))) => break Ok(u16::from(c.code)),
            Ok(Some(Ok(Message::Close(None)))) => break Err("a close frame without a code".into()),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => break Err(format!("no close frame (1006): {e}")),
            Ok(None) => break Err("no close frame (1006): end of stream".into()),
            Err(_) => break Err("no close frame within 10 s".into()),
        }
    };
    let sent = match tokio::time::timeout(PROMPT, sender).await {
        Ok(Ok(sent)) => sent,
        Ok(Err(e)) => Err(format!("the sender panicked: {e}")),
        Err(_) => Err("the sender did not finish within 10 s".into()),
    };
    let code = code?;
    sent.map(|()| code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragments_past_the_limit_are_closed_with_1009_every_time() {
    let srv = start().await;
    let body = r#"{"name":"Frag"}"#;
    let join = http(
        srv.addr,
        &format!(
            "POST /api/quizzes/demo/join HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let json: serde_json::Value =
        serde_json::from_str(join.split_once("\r\n\r\n").unwrap().1).unwrap();
    let url = format!("ws://{}{}", srv.addr, json["ws_path"].as_str().unwrap());
    let mut failures = Vec::new();
    for run in 0..RUNS {
        match fragments_past_the_limit(&url).await {
            Ok(1009) => {}
            Ok(other) => failures.push(format!("run {run}: closed with {other}")),
            Err(e) => failures.push(format!("run {run}: {e}")),
        }
    }
    println!(
        "fragments past the limit: {} of {RUNS} runs closed with 1009, the upload never reset",
        RUNS - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {RUNS} runs failed: {failures:?}",
        failures.len()
    );
}

/// A request whose body is past the limit (declared, so refused before a byte of it is
/// read) while the client uploads all of it before reading, as simple clients do: the
/// upload completes and the client reads the 413, every time over 50 runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_limit_gets_its_413_while_the_client_still_uploads() {
    const UPLOADS: usize = 50;
    let srv = start().await;
    let body = vec![b' '; 900 * 1024];
    let head = format!(
        "POST /api/quizzes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         X-Admin-Key: close-code-admin\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut failures = Vec::new();
    for run in 0..UPLOADS {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let sent = async {
            s.write_all(head.as_bytes()).await?;
            s.write_all(&body).await
        };
        if let Err(e) = tokio::time::timeout(PROMPT, sent).await.unwrap() {
            failures.push(format!("run {run}: the upload failed: {e}"));
            continue;
        }
        let mut answer = Vec::new();
        match tokio::time::timeout(PROMPT, s.read_to_end(&mut answer)).await {
            Ok(Ok(_)) if answer.starts_with(b"HTTP/1.1 413") => {}
            Ok(Ok(_)) => failures.push(format!(
                "run {run}: {:?}",
                String::from_utf8_lossy(&answer[..answer.len().min(80)])
            )),
            Ok(Err(e)) => failures.push(format!("run {run}: reading the answer: {e}")),
            Err(_) => failures.push(format!("run {run}: no answer within 10 s")),
        }
    }
    println!(
        "body past the limit while uploading: {} of {UPLOADS} uploads got their 413",
        UPLOADS - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {UPLOADS} failed: {failures:?}",
        failures.len()
    );
}
