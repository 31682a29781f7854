//! A private single-node KRaft broker.

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quiz_conformance::service_url;
use quiz_kafka::KafkaConfig;

/// Bound on the broker's start-up (JVM start, log recovery, KRaft election, topic leaders).
const BROKER_READY: Duration = Duration::from_secs(60);
/// Bound on a graceful broker stop before SIGKILL.
const BROKER_STOP: Duration = Duration::from_secs(20);
/// Bound on formatting the storage (one JVM run each for `random-uuid` and `format`).
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// A Kafka broker+controller of our own, on free loopback ports and a temporary directory.
/// Dropping it kills the process and waits for it; after a panic the directory (with
/// `broker.log`) is kept and the end of the log printed.
pub(crate) struct Broker {
    libs: PathBuf,
    dir: PathBuf,
    port: u16,
    controller_port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Writes `server.properties`, formats the storage and starts the broker (without
    /// waiting for it to be ready).
    pub(crate) fn create(tag: &str) -> Self {
        let libs = PathBuf::from(service_url("QUIZ_TEST_KAFKA_LIBS"));
        assert!(
            libs.is_dir(),
            "QUIZ_TEST_KAFKA_LIBS={} is not a directory; run `cargo xtask services up`",
            libs.display()
        );
        let (port, controller_port) = free_port_pair();
        let dir = std::env::temp_dir().join(format!("quiz-kafka-restart-{tag}"));
        fs::create_dir_all(&dir).unwrap();
        let mut broker = Self {
            libs,
            dir,
            port,
            controller_port,
            child: None,
        };
        fs::write(broker.properties(), broker.properties_text()).unwrap();
        broker.format();
        broker.spawn();
        broker
    }

    fn properties(&self) -> PathBuf {
        self.dir.join("server.properties")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("broker.log")
    }

    fn classpath(&self) -> String {
        format!("{}/*", self.libs.display())
    }

    /// `host:port` for clients.
    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The shared broker's settings (`xtask/src/services.rs`) on this broker's ports.
    fn properties_text(&self) -> String {
        let (port, ctrl) = (self.port, self.controller_port);
        format!(
            "# Written by apps/server/tests/kafka_restart/broker.rs: single-node KRaft (broker + controller).\n\
             process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{ctrl}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctrl}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=PLAINTEXT\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             offsets.topic.replication.factor=1\n\
             transaction.state.log.replication.factor=1\n\
             transaction.state.log.min.isr=1\n\
             share.coordinator.state.topic.replication.factor=1\n\
             share.coordinator.state.topic.min.isr=1\n\
             num.partitions=3\n\
             auto.create.topics.enable=true\n\
             group.initial.rebalance.delay.ms=0\n\
             log.dirs={}\n",
            self.dir.join("data").display()
        )
    }

    /// Runs `kafka.tools.StorageTool` with `args`, bounded; returns its stdout.
    fn storage_tool(&self, args: &[&str]) -> String {
        let child = Command::new("java")
            .args([
                "-Xmx256m",
                "-cp",
                &self.classpath(),
                "kafka.tools.StorageTool",
            ])
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`java` runs (Java 17 on PATH)");
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = match rx.recv_timeout(TOOL_TIMEOUT) {
            Ok(output) => output.unwrap(),
            Err(_) => {
                signal(pid, "KILL");
                panic!("StorageTool {args:?} did not finish within {TOOL_TIMEOUT:?}");
            }
        };
        assert!(
            output.status.success(),
            "StorageTool {args:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Formats the storage once, with a new cluster id.
    fn format(&self) {
        let cluster_id = self.storage_tool(&["random-uuid"]);
        assert_eq!(cluster_id.len(), 22, "not a cluster id: {cluster_id:?}");
        let config = self.properties().to_string_lossy().into_owned();
        self.storage_tool(&["format", "-t", &cluster_id, "-c", &config]);
    }

    /// Starts the broker on the existing (formatted) storage; output appended to the log.
    pub(crate) fn spawn(&mut self) {
        assert!(self.child.is_none(), "the broker is already running");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap();
        let child = Command::new("java")
            .args([
                "-Xmx384m",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
                "-cp",
                &self.classpath(),
                "kafka.Kafka",
            ])
            .arg(self.properties())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("`java` runs (Java 17 on PATH)");
        self.child = Some(child);
    }

    /// Waits until the broker answers metadata requests and `config.topic` exists with a
    /// leader on every partition (creating it on the first start). Returns how long it took.
    pub(crate) async fn wait_ready(&mut self, config: &KafkaConfig) -> Duration {
        let started = Instant::now();
        let mut probe = config.clone();
        probe.request_timeout = Duration::from_secs(3);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "the private Kafka broker exited during start-up ({status})\n{}",
                    self.log_tail()
                );
            }
            let last = match quiz_kafka::ensure_topic(&probe).await {
                Ok(()) => return started.elapsed(),
                Err(e) => quiz_common::chain(&e).to_string(),
            };
            assert!(
                started.elapsed() < BROKER_READY,
                "the private Kafka broker on {} was not ready within {BROKER_READY:?} \
                 (last: {last})\n{}",
                self.address(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops the broker: SIGTERM, then SIGKILL after [`BROKER_STOP`]. Returns how long it
    /// took and whether the stop was graceful.
    pub(crate) async fn stop(&mut self) -> (Duration, bool) {
        let started = Instant::now();
        let mut child = self.child.take().expect("the broker runs");
        signal(child.id(), "TERM");
        let graceful = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if started.elapsed() > BROKER_STOP {
                let _ = child.kill();
                break false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        child.wait().unwrap();
        (started.elapsed(), graceful)
    }

    fn log_tail(&self) -> String {
        let text = fs::read(self.log())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- last lines of {} ---\n{}",
            self.log().display(),
            lines[lines.len().saturating_sub(40)..].join("\n")
        )
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "private Kafka broker data kept in {}\n{}",
                self.dir.display(),
                self.log_tail()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Two distinct free loopback ports below the ephemeral range (so that no outgoing
/// connection takes one while the broker is down) and away from the shared services.
fn free_port_pair() -> (u16, u16) {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ std::process::id().wrapping_mul(2_654_435_761);
    let mut found = Vec::new();
    for i in 0..6000u32 {
        let port = 21_000 + ((seed.wrapping_add(i.wrapping_mul(7919))) % 6000) as u16;
        if !found.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            found.push(port);
            if found.len() == 2 {
                return (found[0], found[1]);
            }
        }
    }
    panic!("no two free ports in 127.0.0.1:21000-26999");
}

fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}
