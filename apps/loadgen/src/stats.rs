//! Measurements shared by the socket tasks.
//!
//! Socket tasks record into one of several sharded [`Window`]s (a `std::sync::Mutex` each,
//! held for a few counter updates, never across an `.await`); sharding keeps the two
//! worker threads from contending on one lock at 100,000+ records per second. Once per
//! second the collector drains every shard into a one-second window, which becomes a
//! point of the time series and is added to the run's totals.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use hdrhistogram::Histogram;

/// Highest latency the histograms hold, µs (larger values are clamped): 5 minutes.
const MAX_US: u64 = 300_000_000;
/// Shards of the live window.
const SHARDS: usize = 16;

/// An HDR histogram of microseconds with 3 significant figures.
pub fn histogram() -> Histogram<u64> {
    // Constant bounds that hdrhistogram accepts (low >= 1, high >= 2 * low, sigfig <= 5):
    // this cannot fail at run time.
    Histogram::new_with_bounds(1, MAX_US, 3).expect("constant histogram bounds are valid")
}

/// Counters and histograms of a span of time.
#[derive(Debug, Clone)]
pub struct Window {
    /// Answers sent.
    pub sent: u64,
    /// Answers acknowledged with an `answer_result` (not a replayed duplicate).
    pub acked: u64,
    /// Ack latency, µs.
    pub latency: Histogram<u64>,
    /// Leaderboard staleness, µs.
    pub staleness: Histogram<u64>,
    /// Board delivery to observers (the board's `server_time` stamp to its arrival), µs.
    pub delivery: Histogram<u64>,
    /// `board` messages received, all sockets.
    pub boards: u64,
    /// Successful joins.
    pub joins: u64,
    /// Successful WebSocket handshakes.
    pub connects: u64,
    /// Errors by kind (`error:<code>`, `close:<code>`, `connect:…`, `join:…`, `timeout`).
    pub errors: BTreeMap<String, u64>,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            sent: 0,
            acked: 0,
            latency: histogram(),
            staleness: histogram(),
            delivery: histogram(),
            boards: 0,
            joins: 0,
            connects: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl Window {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Window) {
        self.sent += other.sent;
        self.acked += other.acked;
        // Both histograms have the same bounds, so adding cannot fail; a failure would only
        // lose samples, never crash the run.
        let _ = self.latency.add(&other.latency);
        let _ = self.staleness.add(&other.staleness);
        let _ = self.delivery.add(&other.delivery);
        self.boards += other.boards;
        self.joins += other.joins;
        self.connects += other.connects;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }

    /// Clears every count, keeping the allocations.
    pub fn reset(&mut self) {
        self.sent = 0;
        self.acked = 0;
        self.latency.reset();
        self.staleness.reset();
        self.delivery.reset();
        self.boards = 0;
        self.joins = 0;
        self.connects = 0;
        self.errors.clear();
    }

    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: &str) {
        if let Some(n) = self.errors.get_mut(kind) {
            *n += 1;
        } else {
            self.errors.insert(kind.to_owned(), 1);
        }
    }

    /// Total errors.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// The live, sharded measurements of a run.
pub struct Stats {
    shards: Vec<Mutex<Window>>,
    /// When the run's clock started (phase times are relative to it).
    pub start: Instant,
    /// Sockets open now (players and observers).
    pub open: AtomicUsize,
    /// Player sockets open now.
    pub open_players: AtomicUsize,
}

impl Stats {
    /// Empty measurements; the clock starts now.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Window::default())).collect(),
            start: Instant::now(),
            open: AtomicUsize::new(0),
            open_players: AtomicUsize::new(0),
        }
    }

    /// Microseconds since the start of the run.
    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// Runs `f` on shard `key`'s live window.
    pub fn with<R>(&self, key: usize, f: impl FnOnce(&mut Window) -> R) -> R {
        let shard = &self.shards[key % SHARDS];
        let mut w = shard.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut w)
    }

    /// Counts one error of `kind` on shard `key`.
    pub fn error(&self, key: usize, kind: &str) {
        self.with(key, |w| w.error(kind));
    }

    /// Moves everything recorded since the last drain into `into`.
    pub fn drain_into(&self, into: &mut Window) {
        for shard in &self.shards {
            let mut w = shard.lock().unwrap_or_else(PoisonError::into_inner);
            into.add(&w);
            w.reset();
        }
    }
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

/// Records `v` µs into `h`, clamping to the histogram's range.
pub fn record(h: &mut Histogram<u64>, v: u64) {
    let v = v.clamp(1, h.high().max(1));
    // In range by construction; an error would only lose one sample.
    let _ = h.record(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_add_and_reset() {
        let mut a = Window::default();
        let mut b = Window {
            acked: 3,
            ..Window::default()
        };
        record(&mut b.latency, 1_000);
        record(&mut b.latency, 0);
        b.error("error:rate_limited");
        b.error("error:rate_limited");
        a.add(&b);
        assert_eq!(a.acked, 3);
        assert_eq!(a.latency.len(), 2);
        assert_eq!(a.errors["error:rate_limited"], 2);
        assert_eq!(a.error_total(), 2);
        a.reset();
        assert_eq!(a.latency.len(), 0);
        assert!(a.errors.is_empty());
    }

    #[test]
    fn huge_values_are_clamped_not_lost() {
        let mut h = histogram();
        record(&mut h, u64::MAX);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn stats_drain_every_shard() {
        let s = Stats::new();
        for k in 0..40 {
            s.with(k, |w| w.acked += 1);
        }
        let mut w = Window::default();
        s.drain_into(&mut w);
        assert_eq!(w.acked, 40);
        let mut again = Window::default();
        s.drain_into(&mut again);
        assert_eq!(again.acked, 0);
    }
}
