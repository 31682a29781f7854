//! # quiz-memory
//!
//! Every port of `quiz-core` in process memory: [`MemoryCatalog`], [`MemoryScoreboard`], [`MemoryGames`], [`MemoryPins`],
//! [`MemoryRegistry`], [`MemoryEventLog`], [`MemoryArchive`], [`MemoryBus`] and [`MemoryMedia`]. This is the
//! embedded default (the server with no configuration runs on it) and the reference
//! behaviour: the Redis, Kafka and MongoDB adapters must pass the same conformance suite.
//!
//! **What it is not**: durable or shared between processes. Everything is lost when the
//! process exits, and two server processes on memory adapters do not see each other.
//!
//! Concurrency: each quiz's state sits behind its own `std::sync::Mutex`, held only for
//! short, non-async critical sections (never across an `.await`), so a std mutex is
//! cheaper than an async one and cannot deadlock the runtime. Each port operation takes
//! the lock once, which is what makes "record an answer" atomic here.
//!
//! Tests: `cargo test -p quiz-memory` (no services needed); it runs the whole conformance
//! suite, including 100+ concurrent submitters.

mod archive;
mod bus;
mod catalog;
mod events;
mod games;
mod media;
mod pins;
mod registry;
mod scoreboard;

pub use archive::MemoryArchive;
pub use bus::MemoryBus;
pub use catalog::MemoryCatalog;
pub use events::MemoryEventLog;
pub use games::MemoryGames;
pub use media::MemoryMedia;
pub use pins::MemoryPins;
pub use registry::MemoryRegistry;
pub use scoreboard::MemoryScoreboard;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use quiz_core::service::Ports;

/// A map of per-key state, each value behind its own mutex, so work on one quiz never
/// waits for another.
pub(crate) struct Sharded<K, V> {
    map: RwLock<HashMap<K, Arc<Mutex<V>>>>,
}

impl<K: Eq + Hash + Clone, V: Default> Sharded<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
        }
    }

    /// Runs `f` on the value for `key`, creating a default one first if needed.
    pub(crate) fn with<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> R {
        let cell = self.cell(key);
        let mut guard = cell.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Runs `f` on the value for `key` if there is one.
    pub(crate) fn read<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        let cell = self
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()?;
        let guard = cell.lock().unwrap_or_else(PoisonError::into_inner);
        Some(f(&guard))
    }

    fn cell(&self, key: &K) -> Arc<Mutex<V>> {
        if let Some(c) = self
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return c.clone();
        }
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone()
    }
}

/// All ports in memory, wired the way the embedded server uses them: published events are
/// applied straight to the in-memory archive.
pub fn embedded_adapters() -> Ports {
    let archive = Arc::new(MemoryArchive::new());
    Ports {
        catalog: Arc::new(MemoryCatalog::new()),
        scoreboard: Arc::new(MemoryScoreboard::new()),
        registry: Arc::new(MemoryRegistry::new()),
        events: Arc::new(MemoryEventLog::forwarding_to(archive.clone())),
        archive,
        bus: Arc::new(MemoryBus::new()),
        games: Arc::new(MemoryGames::new()),
        pins: Arc::new(MemoryPins::new()),
        media: Arc::new(MemoryMedia::new()),
    }
}
