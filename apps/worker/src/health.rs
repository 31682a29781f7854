//! What `/healthz` reports: whether the loop runs and whether its last contact with the
//! event source and with the archive succeeded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared health flags, updated by [`crate::run`] and read by the HTTP endpoint. Cheap to
/// clone (all clones share one state).
#[derive(Debug, Clone)]
pub struct Health(Arc<Flags>);

#[derive(Debug)]
struct Flags {
    running: AtomicBool,
    stopped: AtomicBool,
    source_ok: AtomicBool,
    archive_ok: AtomicBool,
    consuming: AtomicBool,
}

/// A point-in-time reading of [`Health`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthReport {
    /// The loop is running (false before it starts and after it stops).
    pub running: bool,
    /// The loop has run and stopped.
    pub stopped: bool,
    /// The last call to the event source succeeded.
    pub source_ok: bool,
    /// The last archive write succeeded (true until one fails).
    pub archive_ok: bool,
    /// The source has a share of the stream to read (false while the consumer group
    /// assigns this member no partition: during a rebalance, after a restart until the
    /// group takes it back, or with more workers than partitions).
    pub consuming: bool,
}

impl HealthReport {
    /// Running, with both ends answering and a share of the stream to read.
    pub fn healthy(&self) -> bool {
        self.running && self.source_ok && self.archive_ok && self.consuming
    }

    /// One word for the state: `starting`, `ok`, `not consuming` (running, both ends
    /// answer, but no partition is assigned), `degraded` (running, but the source or the
    /// archive is failing) or `stopped`.
    pub fn status(&self) -> &'static str {
        match (self.running, self.stopped) {
            (true, _) if self.healthy() => "ok",
            (true, _) if self.source_ok && self.archive_ok => "not consuming",
            (true, _) => "degraded",
            (false, true) => "stopped",
            (false, false) => "starting",
        }
    }
}

impl Health {
    /// Not running yet; no failure seen.
    pub fn new() -> Self {
        Self(Arc::new(Flags {
            running: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            source_ok: AtomicBool::new(true),
            archive_ok: AtomicBool::new(true),
            consuming: AtomicBool::new(true),
        }))
    }

    /// The current flags.
    pub fn report(&self) -> HealthReport {
        HealthReport {
            running: self.0.running.load(Ordering::Relaxed),
            stopped: self.0.stopped.load(Ordering::Relaxed),
            source_ok: self.0.source_ok.load(Ordering::Relaxed),
            archive_ok: self.0.archive_ok.load(Ordering::Relaxed),
            consuming: self.0.consuming.load(Ordering::Relaxed),
        }
    }

    /// Marks the loop as started (`true`) or as stopped for good (`false`).
    pub(crate) fn set_running(&self, v: bool) {
        self.0.running.store(v, Ordering::Relaxed);
        if !v {
            self.0.stopped.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_source_ok(&self, v: bool) {
        self.0.source_ok.store(v, Ordering::Relaxed);
    }

    pub(crate) fn set_consuming(&self, v: bool) {
        self.0.consuming.store(v, Ordering::Relaxed);
    }

    pub(crate) fn set_archive_ok(&self, v: bool) {
        self.0.archive_ok.store(v, Ordering::Relaxed);
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}
