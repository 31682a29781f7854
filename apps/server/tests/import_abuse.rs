//! Hostile files against `POST /api/import` on a real `quiz-server` process (the abuse
//! suite's harness): a zip bomb posing as a workbook, a workbook declaring four billion
//! shared strings, a renamed executable, a truncated workbook, and CSV files of a million
//! rows. Each is refused with its documented outcome, the server's resident memory stays
//! bounded, and a connected player keeps getting answers to its pings meanwhile.
//!
//! No services needed: `cargo test -p quiz-server --test import_abuse`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

#[path = "abuse/support.rs"]
#[allow(dead_code)] // The suite's harness; this file uses part of it.
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use support::{ADMIN, GoodPlayer, Server, body_of, check_memory, read_all};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Posts `body` as an import of `format`; the status and the JSON answer. The body is
/// written whole unless the server answers and closes first.
async fn import(addr: SocketAddr, format: &str, body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/import?format={format} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         X-Admin-Key: {ADMIN}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // A refusal before the whole body is read closes the connection: stop writing then.
    let _ = s.write_all(body).await;
    let answer = read_all(&mut s).await.expect("an answer");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body_of(&answer))
}

/// The one file-level error of a refused import, its message.
fn file_error(status: u16, body: &Value) -> String {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "import_failed", "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["row"], 0, "{body}");
    errors[0]["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_workbooks_are_refused_cheaply() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();
    let kahoot = fixture("kahoot.xlsx");
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(64 * 1024, 0x90);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // 64 KiB that unpack to 64 MiB.
        ("zip bomb", fixture("bomb.xlsx"), "unpacks to more than"),
        (
            "shared-string bomb",
            fixture("strings_bomb.xlsx"),
            "shared strings",
        ),
        ("renamed executable", elf, "not an .xlsx workbook"),
        (
            "truncated workbook",
            kahoot[..kahoot.len() / 2].to_vec(),
            "not an .xlsx workbook",
        ),
    ];
    for (attack, body, says) in &cases {
        // Four at once, as the worst an admin's page would send.
        let started = Instant::now();
        let answers =
            futures_util::future::join_all((0..4).map(|_| import(srv.addr, "xlsx", body))).await;
        let took = started.elapsed();
        for (status, answer) in &answers {
            let message = file_error(*status, answer);
            assert!(message.contains(says), "{attack}: {message}");
        }
        println!("{attack}: 4 refused at once in {} ms", took.as_millis());
    }
    check_memory("hostile workbooks", before, srv.rss_kib(), 96);
    // The server still imports a real workbook.
    let (status, body) = import(srv.addr, "xlsx", &kahoot).await;
    assert_eq!(status, 200, "{body}");
    good.finish("hostile workbooks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_of_a_million_rows_is_refused_at_the_first_row_too_many() {
    // A body limit raised to 16 MiB, so that a million rows are read at all.
    let srv = Server::start(&["--max-body-bytes", "16777216"]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();
    let mut csv = b"prompt,option1,option2,correct\n".to_vec();
    for _ in 0..1_000_000 {
        csv.extend_from_slice(b"Q?,a,b,1\n");
    }
    let started = Instant::now();
    let (status, body) = import(srv.addr, "csv", &csv).await;
    println!(
        "a million CSV rows ({} MiB): refused in {} ms",
        csv.len() / (1024 * 1024),
        started.elapsed().as_millis()
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "import_failed", "{body}");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["errors"][0]["row"], 202, "{body}");
    // Two million: over the body limit, refused while it is read.
    for _ in 0..1_000_000 {
        csv.extend_from_slice(b"Q?,a,b,1\n");
    }
    let (status, body) = import(srv.addr, "csv", &csv).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    check_memory("a million CSV rows", before, srv.rss_kib(), 96);
    good.finish("a million CSV rows").await;
}
