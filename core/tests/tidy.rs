//! House rules for `quiz-core`, enforced as ordinary tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use std::process::Command;

/// Everything `quiz-core` may link in normal (non-dev) builds: the domain needs error
/// derives, async traits and serde derives; nothing that does I/O or runs a runtime.
const ALLOWED: &[&str] = &[
    "quiz-core",
    "async-trait",
    "thiserror",
    "thiserror-impl",
    "serde",
    "serde_core",
    "serde_derive",
    // Proc-macro support for the derives above (compile time only).
    "proc-macro2",
    "quote",
    "syn",
    "unicode-ident",
    // Name rules: Unicode normalisation (no I/O), and its small-vector helper.
    "unicode-normalization",
    "tinyvec",
    "tinyvec_macros",
];

#[test]
fn core_depends_only_on_the_allow_list() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "quiz-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(package_dir())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).expect("utf-8");
    let mut names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(
        names.contains(&"quiz-core"),
        "unexpected cargo tree output: {tree}"
    );
    let extra: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !ALLOWED.contains(n))
        .collect();
    assert!(
        extra.is_empty(),
        "quiz-core must stay free of I/O, runtimes and drivers; new dependencies: {extra:?}"
    );
}

#[test]
fn core_reads_no_clock_and_spawns_nothing() {
    let src = package_dir().join("src");
    let mut offenders = Vec::new();
    visit(&src, &mut |path, text| {
        for bad in [
            "SystemTime::now",
            "Instant::now",
            "std::thread::spawn",
            "std::net::",
            "std::fs::",
        ] {
            if text.contains(bad) {
                offenders.push(format!("{}: {bad}", path.display()));
            }
        }
    });
    assert!(
        offenders.is_empty(),
        "time is passed in and I/O lives in adapters: {offenders:?}"
    );
}

/// This package's directory: cargo runs tests from it. (A compile-time path could name
/// another checkout when a build directory is shared.)
fn package_dir() -> std::path::PathBuf {
    std::env::current_dir().expect("a working directory")
}

fn visit(dir: &std::path::Path, f: &mut dyn FnMut(&std::path::Path, &str)) {
    for entry in std::fs::read_dir(dir).expect("readable src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable source");
            f(&path, &text);
        }
    }
}
