//! A fresh data directory per test, under the system's temporary directory.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A new, not yet existing directory path, unique to this process and call.
pub fn fresh_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "quiz-sqlite-{tag}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A store on a fresh data directory.
pub fn store(tag: &str) -> quiz_sqlite::SqliteStore {
    quiz_sqlite::SqliteStore::open(&fresh_dir(tag)).expect("open a fresh store")
}
