//! Test harness: a real server on `127.0.0.1:0`, a minimal HTTP client, and a WebSocket
//! client that validates every server frame against the committed JSON Schema.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Shared by several test binaries.

pub mod nginx;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use quiz_server::config::Config;
use quiz_server::{App, AppState};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const ADMIN: &str = "test-admin-key";
pub const WAIT: Duration = Duration::from_secs(5);

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn config() -> Config {
    let mut c = Config::defaults();
    c.admin_key = Some(ADMIN.into());
    c
}

pub async fn start(config: Config) -> TestServer {
    start_with(config, quiz_memory::embedded_adapters()).await
}

pub async fn start_with(config: Config, ports: quiz_core::service::Ports) -> TestServer {
    let app = App::new(&config, ports).unwrap();
    app.ensure_demo().await.unwrap();
    let state = app.state().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.serve(listener, async move {
        let _ = rx.await;
    }));
    TestServer {
        addr,
        state,
        stop: Some(tx),
        task: Some(task),
    }
}

impl TestServer {
    /// A handle for HTTP and WebSocket calls to a server this test did not start (for
    /// example a load balancer). Its `state` is a throwaway and must not be used.
    pub fn external(addr: SocketAddr) -> Self {
        let app = App::new(&config(), quiz_memory::embedded_adapters()).unwrap();
        TestServer {
            addr,
            state: app.state().clone(),
            stop: None,
            task: None,
        }
    }

    /// Signals shutdown and waits for the server to stop.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }

    /// One HTTP/1.1 request over a real socket; returns (status, body as JSON or string).
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if body.is_some() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!(
            "Content-Length: {}\r\n\r\n{payload}",
            payload.len()
        ));
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(WAIT, s.read_to_end(&mut raw))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        };
        let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (status, value)
    }

    /// Joins `quiz` as `name` over HTTP; panics unless it succeeds.
    pub async fn join(&self, quiz: &str, name: &str) -> Value {
        let (status, body) = self
            .http(
                "POST",
                &format!("/api/quizzes/{quiz}/join"),
                Some(&json!({ "name": name })),
                &[],
            )
            .await;
        assert_eq!(status, 200, "join failed: {body}");
        body
    }

    pub async fn create_quiz(&self, quiz: &Value) {
        let (status, body) = self
            .http(
                "POST",
                "/api/quizzes",
                Some(quiz),
                &[("X-Admin-Key", ADMIN)],
            )
            .await;
        assert_eq!(status, 201, "create failed: {body}");
    }

    pub async fn connect(&self, ws_path: &str) -> Client {
        let url = format!("ws://{}{ws_path}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Client { ws }
    }

    /// Joins and connects; the snapshot is consumed and returned.
    pub async fn player(&self, quiz: &str, name: &str) -> (Client, Value, Value) {
        let joined = self.join(quiz, name).await;
        let mut c = self.connect(joined["ws_path"].as_str().unwrap()).await;
        let snap = c.recv_type("snapshot").await;
        (c, joined, snap)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

fn server_schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = quiz_contracts::schema_dir().join("ws-server-message.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

/// Fails the test unless `v` is a valid server message per the committed schema.
pub fn assert_valid_server_message(v: &Value) {
    let errors: Vec<String> = server_schema()
        .iter_errors(v)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "server frame violates ws-server-message.schema.json: {errors:?}\n{v}"
    );
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

pub enum Frame {
    Json(Value),
    Closed(Option<u16>),
}

impl Client {
    pub async fn send_text(&mut self, s: &str) {
        self.ws.send(Message::Text(s.into())).await.unwrap();
    }

    pub async fn send(&mut self, v: &Value) {
        self.send_text(&v.to_string()).await;
    }

    /// The next text frame (validated) or the close, within `WAIT`.
    pub async fn next_frame(&mut self) -> Frame {
        self.next_frame_within(WAIT)
            .await
            .expect("no frame within the wait")
    }

    pub async fn next_frame_within(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) => return Some(Frame::Closed(None)),
                Ok(Some(Err(_))) => return Some(Frame::Closed(None)),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value =
                        serde_json::from_str(t.as_str()).expect("server frames are JSON");
                    assert_valid_server_message(&v);
                    return Some(Frame::Json(v));
                }
                Message::Close(c) => return Some(Frame::Closed(c.map(|c| u16::from(c.code)))),
                _ => {}
            }
        }
    }

    pub async fn recv(&mut self) -> Value {
        match self.next_frame().await {
            Frame::Json(v) => v,
            Frame::Closed(c) => panic!("socket closed ({c:?}) while waiting for a message"),
        }
    }

    /// The next message of type `ty`, skipping others (boards arrive at any time).
    pub async fn recv_type(&mut self, ty: &str) -> Value {
        loop {
            let v = self.recv().await;
            if v["type"] == ty {
                return v;
            }
        }
    }

    /// The next message that is not a board or a hosted game's live count (`answered`,
    /// `roster`): those arrive at any time.
    pub async fn reply(&mut self) -> Value {
        loop {
            let v = self.recv().await;
            if !["board", "answered", "roster"].contains(&v["type"].as_str().unwrap_or("")) {
                return v;
            }
        }
    }

    pub async fn answer(&mut self, answer_id: &str, question: &str, option: u32) -> Value {
        self.send(&json!({"type": "answer", "answer_id": answer_id, "question": question, "option": option})).await;
        self.reply().await
    }

    /// Waits for the close frame and returns its code, skipping messages before it.
    pub async fn closed_with(&mut self) -> Option<u16> {
        loop {
            match self.next_frame().await {
                Frame::Closed(c) => return c,
                Frame::Json(_) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
    }
}

/// A small quiz: `n` questions, option 1 correct, 100 points, fixed scoring, 60 s each.
pub fn small_quiz(id: &str, n: usize) -> Value {
    let questions: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("q{i}"), "prompt": format!("Question {i}?"), "options": ["a", "b", "c"], "correct": 1, "points": 100, "time_limit_ms": 60_000}))
        .collect();
    json!({"id": id, "title": format!("Quiz {id}"), "questions": questions})
}
