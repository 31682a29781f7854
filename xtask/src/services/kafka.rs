//! The Apache Kafka broker from Maven Central jars, single node in KRaft mode.

use super::*;

// ---------------------------------------------------------------------------------------------
// Kafka

pub(super) fn ensure_kafka(dirs: &Dirs) -> Result<(), String> {
    let p = kafka_proc(dirs);
    if let Some(pid) = owned_pid(dirs, &p) {
        wait_ready(dirs, &p, Watch::Pid(pid), KAFKA_TIMEOUT, kafka_ready)?;
        say(&p.name, format!("already running (pid {pid})"));
        return Ok(());
    }
    ensure_port_free(&p.name, KAFKA_PORT)?;
    ensure_port_free(&p.name, KAFKA_CONTROLLER_PORT)?;

    let libs = kafka_libs()?;
    let classpath = format!("{}/*", libs.display());
    let dir = kafka_dir(dirs);
    // Always a fresh, freshly formatted log dir: stale data gives "cluster ID mismatch".
    recreate_dir(&dir)?;
    let data = dir.join("data");
    let config = dir.join("server.properties");
    write_atomically(&config, &kafka_properties(&data))?;

    let java_tool = |args: &[&str]| {
        let mut cmd = Command::new("java");
        cmd.args(["-Xmx256m", "-cp", &classpath, "kafka.tools.StorageTool"])
            .args(args)
            .current_dir(&dir);
        cmd
    };
    let uuid_out = run_checked(&mut java_tool(&["random-uuid"]), TOOL_TIMEOUT)?;
    let cluster_id = String::from_utf8_lossy(&uuid_out.stdout).trim().to_owned();
    if cluster_id.len() != 22 {
        return Err(format!(
            "`StorageTool random-uuid` printed {cluster_id:?}, not a cluster id"
        ));
    }
    let config_arg = config.to_string_lossy();
    run_checked(
        &mut java_tool(&["format", "-t", &cluster_id, "-c", &config_arg]),
        TOOL_TIMEOUT,
    )?;

    let mut cmd = Command::new("java");
    cmd.args([
        "-Xms256m",
        "-Xmx512m",
        "-Djava.awt.headless=true",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
        "-cp",
        &classpath,
        "kafka.Kafka",
    ])
    .arg(&config)
    .current_dir(&dir);
    let mut child = spawn(dirs, &p, &mut cmd)?;
    wait_ready(
        dirs,
        &p,
        Watch::Child(&mut child),
        KAFKA_TIMEOUT,
        kafka_ready,
    )?;
    say(
        &p.name,
        format!(
            "ready on {HOST}:{KAFKA_PORT} (Kafka {KAFKA_VERSION}, KRaft, pid {})",
            child.id()
        ),
    );
    Ok(())
}

pub(super) fn kafka_properties(data: &Path) -> String {
    format!(
        "# Written by `cargo xtask services up`: single-node KRaft (broker + controller).\n\
         process.roles=broker,controller\n\
         node.id=1\n\
         controller.quorum.voters=1@{HOST}:{KAFKA_CONTROLLER_PORT}\n\
         listeners=PLAINTEXT://{HOST}:{KAFKA_PORT},CONTROLLER://{HOST}:{KAFKA_CONTROLLER_PORT}\n\
         advertised.listeners=PLAINTEXT://{HOST}:{KAFKA_PORT}\n\
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
         # Tests: consumer groups form at once instead of after 3 s.\n\
         group.initial.rebalance.delay.ms=0\n\
         log.dirs={}\n",
        data.display()
    )
}

/// Resolves the Kafka broker jars (plus an SLF4J binding) with Maven, once per version.
pub(super) fn kafka_libs() -> Result<PathBuf, String> {
    let cache = cache_dir()?;
    let dir = cache.join(format!("kafka_2.13-{KAFKA_VERSION}-slf4j-{SLF4J_VERSION}"));
    let libs = dir.join("libs");
    let complete = libs.join(".complete");
    if complete.is_file() {
        return Ok(libs);
    }
    say(
        "kafka",
        format!("resolving kafka_2.13 {KAFKA_VERSION} jars from Maven Central (first run only)"),
    );
    create_dir(&dir)?;
    write_atomically(&dir.join("pom.xml"), &kafka_pom())?;
    let tmp = dir.join("libs.tmp");
    remove_dir(&tmp)?;
    let mut mvn = Command::new("mvn");
    mvn.args(["-B", "-q", "-Dstyle.color=never"])
        .arg(format!("-Dmaven.repo.local={}", cache.join("m2").display()))
        .arg(format!("{MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies"))
        .arg(format!("-DoutputDirectory={}", tmp.display()))
        .arg("-DincludeScope=runtime")
        .current_dir(&dir);
    run_checked(&mut mvn, BUILD_TIMEOUT)?;
    write_atomically(&tmp.join(".complete"), "")?;
    remove_dir(&libs)?;
    fs::rename(&tmp, &libs)
        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), libs.display()))?;
    Ok(libs)
}

pub(super) fn kafka_pom() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by `cargo xtask services up`: only used to resolve the Kafka broker jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.quiz</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>{SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"#
    )
}

/// Ready when the broker answers a metadata request and lists itself.
pub(super) fn kafka_ready() -> Result<(), String> {
    if !port_answers(KAFKA_PORT) {
        return Err(format!("port {KAFKA_PORT} is not open yet"));
    }
    let broker = format!("{HOST}:{KAFKA_PORT}");
    let out = run_captured(
        Command::new("kcat").args(["-b", &broker, "-L", "-m", "3"]),
        Duration::from_secs(10),
    )?;
    let listing = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && listing.contains(&format!("broker 1 at {broker}")) {
        Ok(())
    } else {
        Err(format!(
            "`kcat -L` does not list broker 1 yet: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

pub(super) fn check_java() -> Result<(), String> {
    let output = run_captured(Command::new("java").arg("-version"), TOOL_TIMEOUT)?;
    // `openjdk version "17.0.15" 2025-04-15` (stderr); old releases say "1.8.0_…".
    let text = String::from_utf8_lossy(&output.stderr);
    let version = text
        .split('"')
        .nth(1)
        .ok_or_else(|| format!("cannot read the Java version from `java -version`: {text}"))?;
    let mut parts = version.split(['.', '-', '+', '_']);
    let major = match parts.next() {
        Some("1") => parts.next(),
        first => first,
    }
    .and_then(|m| m.parse::<u32>().ok())
    .ok_or_else(|| format!("cannot read the Java version from `java -version`: {text}"))?;
    if major < MIN_JAVA {
        return Err(format!(
            "Kafka {KAFKA_VERSION} needs Java {MIN_JAVA} or newer, but `java` is {version}; \
             install openjdk-17-jre-headless (or newer) and make it the default `java`"
        ));
    }
    Ok(())
}
