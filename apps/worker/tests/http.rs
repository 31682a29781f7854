//! `/metrics` and `/healthz` over a real socket, with the worker running on an in-memory
//! source. Its own test binary: it installs the process-wide metrics recorder.

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{Entry, MemSource};
use quiz_core::ports::ScoreArchive;
use quiz_memory::MemoryArchive;
use quiz_worker::{Health, WorkerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let status = buf[9..12].parse().unwrap();
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of an unlabelled sample in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_are_served() {
    let handle = quiz_worker::telemetry::install_metrics().unwrap();
    let health = Health::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(quiz_worker::http::serve(
        listener,
        quiz_worker::http::app(Some(handle), health.clone()),
        async {
            let _ = http_stopped.await;
        },
    ));

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 503, "not running yet: {body}");
    assert!(body.contains(r#""status":"starting""#), "{body}");

    let q = quiz_conformance::unique_quiz("w-http");
    let evs = common::events(&q, 3, 4);
    let mut entries: Vec<Entry> = evs.iter().cloned().map(Entry::Event).collect();
    entries.push(Entry::Poison);
    let log = Arc::new(std::sync::Mutex::new(common::Log {
        entries,
        committed: 0,
    }));
    let memory: Arc<dyn ScoreArchive> = Arc::new(MemoryArchive::new());
    // The same events already applied once: half of a second copy is stale.
    memory.apply(&evs[..6]).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let log = log.clone();
        let health = health.clone();
        tokio::spawn(async move {
            let mut source = MemSource::new(log, common::Journal::default());
            let options = WorkerOptions {
                batch_max: 5,
                batch_wait: Duration::from_millis(5),
                health,
                ..WorkerOptions::default()
            };
            quiz_worker::run(&mut source, memory, options, async {
                let _ = stopped.await;
            })
            .await
        })
    };
    common::when(move || log.lock().unwrap().committed == 13).await;

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""status":"ok""#), "{body}");

    // The lag gauge follows the commit a moment later.
    let mut text = String::new();
    for _ in 0..100 {
        let (status, body) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        text = body;
        if sample(&text, "quiz_worker_lag") == Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("{text}");
    assert_eq!(
        sample(&text, "quiz_worker_events_consumed_total"),
        Some(12.0)
    );
    assert_eq!(sample(&text, "quiz_worker_events_applied_total"), Some(6.0));
    assert_eq!(sample(&text, "quiz_worker_events_stale_total"), Some(6.0));
    assert_eq!(sample(&text, "quiz_worker_events_skipped_total"), Some(1.0));
    assert_eq!(sample(&text, "quiz_worker_batch_size_count"), Some(3.0));
    assert!(
        text.contains(r#"quiz_worker_batch_size_bucket{le="5"} 3"#),
        "{text}"
    );
    assert_eq!(sample(&text, "quiz_worker_lag"), Some(0.0));
    assert!(text.contains("quiz_worker_apply_seconds_bucket"));
    assert!(text.contains("# HELP quiz_worker_events_consumed_total"));

    stop.send(()).unwrap();
    let report = worker.await.unwrap().unwrap();
    assert_eq!(report.consumed, 12);
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 503, "stopped: {body}");
    assert!(body.contains(r#""status":"stopped""#), "{body}");
    stop_http.send(()).unwrap();
    server.await.unwrap().unwrap();
}
