//! The abuse suite's image cases: hostile uploads against a real `quiz-server` process on
//! loopback (see `abuse.rs` for the harness: the good player who keeps playing, the memory
//! bound). Each attack checks its documented outcome, that nothing was stored, and that
//! the good player was not starved:
//!
//! - a renamed executable (`.png`, `Content-Type: image/png`) → 415 `unsupported_media`;
//! - a truncated PNG → 400 `bad_image`;
//! - a 30,000 × 30,000 PNG header (a decompression bomb's first bytes) → 400
//!   `image_too_large`, refused from the header;
//! - an SVG with a script → 415 `unsupported_media`;
//! - a flood of uploads from one address → the first 10 stored, the rest 429
//!   `rate_limited`; another address still uploads.
//!
//! No services needed: `cargo test -p quiz-server --test abuse_media`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

#[path = "media_support/mod.rs"]
mod media_support;
// Shared with `abuse.rs`, which uses parts this file does not.
#[allow(dead_code)]
#[path = "abuse/support.rs"]
mod support;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use media_support::{SVG_WITH_SCRIPT, executable, png, sha256};
use support::{ADMIN, GoodPlayer, Server, attacker, body_of, check_memory, connect_from, read_all};

/// Uploads `bytes` from `from` with the admin key; returns (status, response text).
async fn upload_from(
    from: IpAddr,
    to: SocketAddr,
    bytes: &[u8],
    content_type: &str,
) -> (u16, String) {
    let mut s = connect_from(from, to).await.unwrap();
    let head = format!(
        "POST /api/media HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Admin-Key: {ADMIN}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(bytes).await;
    let reply = read_all(&mut s).await.unwrap_or_default();
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, reply)
}

/// The status of `GET /media/{id}`.
async fn served(to: SocketAddr, id: &str) -> u16 {
    let mut s = connect_from(attacker(9), to).await.unwrap();
    s.write_all(
        format!("GET /media/{id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let reply = read_all(&mut s).await.unwrap_or_default();
    reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_are_refused_by_their_bytes_and_nothing_is_stored() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();
    let started = Instant::now();
    let truncated = png(64, 64, 4000)[..200].to_vec();
    let bomb = png(30_000, 30_000, 100);
    // Each from its own address, so the upload rate limit is not what refuses them.
    for (n, (what, bytes, status, code)) in [
        (
            "a renamed executable",
            executable(),
            415,
            "unsupported_media",
        ),
        ("a truncated PNG", truncated, 400, "bad_image"),
        ("a 30,000 × 30,000 PNG header", bomb, 400, "image_too_large"),
        (
            "an SVG with a script",
            SVG_WITH_SCRIPT.to_vec(),
            415,
            "unsupported_media",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let from = attacker(2 + u8::try_from(n).unwrap());
        let (got, reply) = upload_from(from, srv.addr, &bytes, "image/png").await;
        assert_eq!(
            (got, body_of(&reply)["code"].as_str()),
            (status, Some(code)),
            "{what}: {reply}"
        );
        assert_eq!(
            served(srv.addr, &sha256(&bytes)).await,
            404,
            "{what} was stored"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the refusals took {:?}",
        started.elapsed()
    );
    check_memory("hostile files", before, srv.rss_kib(), 64);
    good.finish("hostile files").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_uploads_from_one_address_stops_at_the_burst() {
    let srv = Server::start(&[]).await;
    let good = GoodPlayer::start(srv.addr).await;
    let before = srv.rss_kib();
    let flooder = attacker(20);
    let mut statuses = Vec::new();
    let mut ids = Vec::new();
    // 40 distinct images of 256 KiB each, one after the other.
    for i in 0..40 {
        let bytes = png(100 + i, 100, 256 * 1024);
        ids.push(sha256(&bytes));
        let (status, reply) = upload_from(flooder, srv.addr, &bytes, "image/png").await;
        if status == 429 {
            assert_eq!(body_of(&reply)["code"], "rate_limited", "{reply}");
        }
        statuses.push(status);
    }
    let stored = statuses.iter().filter(|s| **s == 201).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    println!("upload flood: {stored} stored, {limited} refused with 429");
    // The burst is 10; at 30 a minute, at most one more may refill during the flood.
    assert!((10..=11).contains(&stored), "{statuses:?}");
    assert_eq!(stored + limited, 40, "{statuses:?}");
    // The refused ones were not stored.
    for (id, status) in ids.iter().zip(&statuses) {
        let expected = if *status == 201 { 200 } else { 404 };
        assert_eq!(served(srv.addr, id).await, expected);
    }
    // Another address is not held back by the flooder.
    let (status, _) = upload_from(attacker(21), srv.addr, &png(7, 7, 10), "image/png").await;
    assert_eq!(status, 201);
    // 40 × 256 KiB were sent; at most 11 are kept.
    check_memory("upload flood", before, srv.rss_kib(), 48);
    good.finish("upload flood").await;
}
