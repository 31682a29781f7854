//! What the test suite and the local services need on the machine, and installing it.
//!
//! `cargo xtask test` is the one command a newcomer runs on a fresh machine, so it installs
//! everything the whole suite needs (Debian packages, with `apt-get`, when running as root)
//! before it starts anything, printing one line per thing it installs. When it cannot
//! install (not root, no `apt-get`), it fails with the package names and the command to run.
//! `cargo xtask services up` checks only the part the services need.
//!
//! Go and Node.js come from their own releases on the build machines (Debian's Go is too old
//! for FerretDB 1.24): when missing, the error says so instead of installing an unusable one.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::services::procs::run_checked;

/// How long one `apt-get` call may take (Chromium alone is ~100 MB).
const APT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// One thing the suite needs, how to tell it is there, and the Debian packages that bring it.
pub struct Need {
    /// What is missing, in the words of the message (`nginx`, `zlib.h`).
    pub what: &'static str,
    /// Why the suite needs it.
    pub why: &'static str,
    /// Debian packages that provide it.
    pub packages: &'static [&'static str],
    /// Whether it is already there.
    pub present: fn() -> bool,
}

/// What `cargo xtask services up` runs.
pub const SERVICES: &[Need] = &[
    Need {
        what: "redis-server",
        why: "Redis and the Redis Cluster",
        packages: &["redis-server"],
        present: || on_path("redis-server"),
    },
    Need {
        what: "redis-cli",
        why: "creating the Redis Cluster",
        packages: &["redis-tools"],
        present: || on_path("redis-cli"),
    },
    Need {
        what: "kcat",
        why: "checking that Kafka is ready",
        packages: &["kcat"],
        present: || on_path("kcat"),
    },
    Need {
        what: "java",
        why: "running the Kafka broker",
        packages: &["default-jre-headless"],
        present: || on_path("java"),
    },
    Need {
        what: "mvn",
        why: "fetching the Kafka broker's jars from Maven Central",
        packages: &["maven"],
        present: || on_path("mvn"),
    },
];

/// What the rest of `cargo xtask test` needs beyond the services.
pub const SUITE: &[Need] = &[
    Need {
        what: "nginx",
        why: "the load balancer in the multi-instance test",
        packages: &["nginx-light"],
        present: || on_path("nginx") || is_executable(Path::new("/usr/sbin/nginx")),
    },
    Need {
        what: "prometheus",
        why: "monitoring the local stack (`make startup`), and promtool for the alert rules",
        packages: &["prometheus"],
        present: || on_path("prometheus") && on_path("promtool"),
    },
    Need {
        what: "prometheus-redis-exporter",
        why: "Redis metrics for the local stack's Prometheus",
        packages: &["prometheus-redis-exporter"],
        present: || on_path("prometheus-redis-exporter"),
    },
    Need {
        what: "chromium",
        why: "the browser test (Debian's build; downloaded browsers do not run here)",
        packages: &["chromium"],
        present: || is_executable(Path::new("/usr/bin/chromium")),
    },
    Need {
        what: "pkg-config",
        why: "building librdkafka",
        packages: &["pkg-config"],
        present: || on_path("pkg-config"),
    },
    Need {
        what: "zlib.h",
        why: "building librdkafka with compression",
        packages: &["zlib1g-dev"],
        present: || Path::new("/usr/include/zlib.h").is_file(),
    },
    Need {
        what: "python3 with venv",
        why: "schemathesis runs in a virtualenv",
        packages: &["python3", "python3-venv"],
        present: python_venv_works,
    },
];

/// Installs whatever of `needs` is missing; one line per missing thing, then one
/// `apt-get install` for all of them.
pub fn ensure(needs: &[&Need]) -> Result<(), String> {
    let missing: Vec<&Need> = needs.iter().copied().filter(|n| !(n.present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = Vec::new();
    for need in &missing {
        eprintln!(
            "xtask: installing {} ({}: {})",
            need.packages.join(" "),
            need.what,
            need.why
        );
        for p in need.packages {
            if !packages.contains(p) {
                packages.push(p);
            }
        }
    }
    apt_install(&packages)?;
    let still: Vec<String> = missing
        .iter()
        .filter(|n| !(n.present)())
        .map(|n| format!("{} (package {})", n.what, n.packages.join(" ")))
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "still missing after `apt-get install`: {}; install them by hand",
            still.join(", ")
        ))
    }
}

/// Every need of the whole suite, services first.
pub fn everything() -> Vec<&'static Need> {
    SERVICES.iter().chain(SUITE).collect()
}

/// Fails with what to install where Go is missing (no usable Debian package).
pub fn go() -> Result<PathBuf, String> {
    find_on_path("go")
        .or_else(|| {
            let fallback = PathBuf::from("/usr/local/go/bin/go");
            is_executable(&fallback).then_some(fallback)
        })
        .ok_or_else(|| {
            "Go (1.24 or newer) is required to build the FerretDB wrapper and to check the \
             compose file, but `go` is neither on PATH nor at /usr/local/go/bin/go. Install a Go \
             release from go.dev (Debian's `golang` package is too old for FerretDB 1.24)"
                .to_owned()
        })
}

/// Fails with what to install where Node.js is missing.
pub fn node() -> Result<(), String> {
    if on_path("node") && on_path("npm") {
        Ok(())
    } else {
        Err(
            "Node.js 20 or newer with npm is required for the browser test and the TypeScript \
             checks; install a release from nodejs.org (or Debian's `nodejs` and `npm` packages)"
                .to_owned(),
        )
    }
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let manual = format!("apt-get install -y {}", packages.join(" "));
    if find_on_path("apt-get").is_none() {
        return Err(format!(
            "missing packages and no apt-get here; install the equivalent of `{manual}`"
        ));
    }
    if !is_root() {
        return Err(format!(
            "missing packages; not root, so run `sudo {manual}` and try again"
        ));
    }
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive");
        run_checked(&mut cmd, APT_TIMEOUT)
    };
    if install().is_ok() {
        return Ok(());
    }
    // A fresh machine may have empty or stale package lists.
    eprintln!("xtask: apt-get install failed; running apt-get update and retrying");
    let mut update = Command::new("apt-get");
    update
        .args(["update", "-q"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    run_checked(&mut update, APT_TIMEOUT)?;
    install()
        .map(|_| ())
        .map_err(|e| format!("could not install {}: {e}", packages.join(" ")))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn python_venv_works() -> bool {
    // Debian's python3 has `venv` but not `ensurepip` until python3-venv is installed, and a
    // virtualenv cannot get pip without it.
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(tool: &str) -> bool {
    find_on_path(tool).is_some()
}

/// The first executable called `tool` on `PATH`.
pub fn find_on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_need_names_a_package_and_a_reason() {
        for need in everything() {
            assert!(!need.packages.is_empty(), "{}", need.what);
            assert!(!need.why.is_empty(), "{}", need.what);
        }
    }

    #[test]
    fn nothing_to_install_is_a_no_op() {
        let there = Need {
            what: "there",
            why: "test",
            packages: &["never-installed"],
            present: || true,
        };
        assert_eq!(ensure(&[&there]), Ok(()));
    }
}
