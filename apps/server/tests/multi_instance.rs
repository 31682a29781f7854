//! Two server instances behind a real nginx (Debian's), sharing Redis (scoreboard, players,
//! room bus) and MongoDB (catalog, archive). Players land on different instances and still
//! see each other's scores live: the room bus carries "quiz changed" across instances.
//!
//! Needs `cargo xtask services up` and nginx; fails without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{config, small_quiz, start_with};
use quiz_conformance::service_url;
use serde_json::json;

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_binary() -> String {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    panic!(
        "nginx is not installed (apt-get install nginx-light); this test needs a real load balancer"
    );
}

fn start_nginx(upstreams: &[std::net::SocketAddr]) -> (Nginx, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("quiz-nginx-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let servers: String = upstreams
        .iter()
        .map(|a| format!("        server {a};\n"))
        .collect();
    let d = dir.display();
    let conf = format!(
        r#"daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream quiz {{
        least_conn;
{servers}    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://quiz;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
        }}
    }}
}}
"#
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new(nginx_binary())
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start; see {}",
            dir.join("error.log").display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Nginx(child), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn players_on_different_instances_see_each_other_through_nginx() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{}_{nanos:x}", std::process::id());
    let quiz = format!("mi-{tag}");
    let mut cfg = config();
    cfg.redis_url = Some(service_url("QUIZ_TEST_REDIS_URL"));
    cfg.mongo_url = Some(service_url("QUIZ_TEST_MONGO_URL"));
    cfg.mongo_db = format!("multi_{tag}");
    cfg.token_secret = Some("multi-instance-test-secret-0123456789".into());
    cfg.trust_forwarded_for = true;

    let a_backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let b_backends = quiz_server::backends::connect(&cfg).await.unwrap();
    let a = start_with(cfg.clone(), a_backends.ports.clone()).await;
    let b = start_with(cfg.clone(), b_backends.ports.clone()).await;
    let (_nginx, port) = start_nginx(&[a.addr, b.addr]);

    // Everything goes through nginx: a "server" handle whose address is the balancer's.
    let lb = common::TestServer::external(format!("127.0.0.1:{port}").parse().unwrap());
    lb.create_quiz(&small_quiz(&quiz, 3)).await;
    let (mut alice, alice_join, _) = lb.player(&quiz, "Alice").await;
    let (mut bob, _, _) = lb.player(&quiz, "Bob").await;
    // least_conn spreads the two long-lived sockets over both instances.
    assert_eq!(
        (a.state.rooms.socket_count(), b.state.rooms.socket_count()),
        (1, 1)
    );

    let r = alice.answer("x1", "q0", 1).await;
    assert_eq!(
        (r["correct"].as_bool(), r["total"].as_u64()),
        (Some(true), Some(100))
    );
    let alice_id = alice_join["player_id"].as_str().unwrap();
    let sent = Instant::now();
    loop {
        let board = bob.recv_type("board").await;
        let seen = board["top"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["player"] == alice_id && e["score"] == 100);
        if seen {
            println!(
                "multi-instance: Bob (other instance) saw Alice's score after {:?}",
                sent.elapsed()
            );
            assert!(sent.elapsed() < Duration::from_millis(1_500));
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "Bob never saw Alice's score across instances"
        );
    }
    // HTTP through the balancer sees one consistent board whichever instance answers.
    for _ in 0..4 {
        let (status, page) = lb
            .http(
                "GET",
                &format!("/api/quizzes/{quiz}/leaderboard"),
                None,
                &[],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["entries"][0]["score"], json!(100));
    }
    a_backends.shutdown().await;
    b_backends.shutdown().await;
}
