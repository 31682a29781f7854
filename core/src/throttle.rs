//! The per-room leaderboard throttle as a pure state machine.
//!
//! Fed "the board changed at t" and "the timer fired at t", it answers "broadcast now",
//! "wait until t" or "nothing to do". Its promises (each a property test below):
//!
//! 1. A change arriving when nothing was broadcast in the last window is broadcast at once.
//! 2. Changes inside a window are coalesced into one broadcast at the window's end.
//! 3. No two broadcasts are closer than the window.
//! 4. The latest change is always broadcast (no change is left pending forever, provided
//!    the caller wakes the machine at the time it asks for).
//!
//! The caller owns the timer: on [`Decision::WaitUntil`] it arranges a [`Throttle::tick`]
//! at (or after) that time.

use crate::time::Timestamp;

/// The default window: at most two boards per second per room.
pub const DEFAULT_WINDOW_MS: u64 = 500;

/// What the caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the current board to the room now.
    BroadcastNow,
    /// A change is pending; call [`Throttle::tick`] at this time.
    WaitUntil(Timestamp),
    /// Nothing pending.
    Idle,
}

/// One room's throttle state.
#[derive(Debug, Clone)]
pub struct Throttle {
    window_ms: u64,
    last_sent: Option<Timestamp>,
    pending: bool,
}

impl Throttle {
    /// A throttle that allows one broadcast per `window_ms` milliseconds.
    pub fn new(window_ms: u64) -> Self {
        Self {
            window_ms,
            last_sent: None,
            pending: false,
        }
    }

    /// The window length in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.window_ms
    }

    fn next_allowed(&self) -> Option<Timestamp> {
        self.last_sent.map(|t| t.plus_ms(self.window_ms))
    }

    fn try_send(&mut self, now: Timestamp) -> Decision {
        match self.next_allowed() {
            Some(next) if now < next => {
                self.pending = true;
                Decision::WaitUntil(next)
            }
            _ => {
                self.last_sent = Some(now);
                self.pending = false;
                Decision::BroadcastNow
            }
        }
    }

    /// The board changed at `now`.
    pub fn changed(&mut self, now: Timestamp) -> Decision {
        self.try_send(now)
    }

    /// The timer fired at `now`.
    pub fn tick(&mut self, now: Timestamp) -> Decision {
        if self.pending {
            self.try_send(now)
        } else {
            Decision::Idle
        }
    }

    /// Whether a change is waiting to be broadcast.
    pub fn is_pending(&self) -> bool {
        self.pending
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Replays changes at the given (sorted) times, ticking exactly when the machine asks,
    /// and returns the broadcast times.
    fn simulate(window: u64, changes: &[u64]) -> Vec<u64> {
        let mut th = Throttle::new(window);
        let mut sent = Vec::new();
        let mut wake: Option<u64> = None;
        let mut i = 0;
        loop {
            let next_change = changes.get(i).copied();
            let (now, is_tick) = match (next_change, wake) {
                (Some(c), Some(w)) if w <= c => (w, true),
                (Some(c), _) => (c, false),
                (None, Some(w)) => (w, true),
                (None, None) => break,
            };
            let d = if is_tick {
                wake = None;
                th.tick(Timestamp(now))
            } else {
                i += 1;
                th.changed(Timestamp(now))
            };
            match d {
                Decision::BroadcastNow => sent.push(now),
                Decision::WaitUntil(t) => wake = Some(t.0),
                Decision::Idle => {}
            }
        }
        sent
    }

    fn sorted(mut v: Vec<u64>) -> Vec<u64> {
        v.sort_unstable();
        v
    }

    #[test]
    fn burst_gives_one_immediate_and_one_coalesced_broadcast() {
        let changes: Vec<u64> = (0..1000).map(|i| i / 10).collect(); // 1,000 in 100 ms
        assert_eq!(simulate(500, &changes), vec![0, 500]);
    }

    proptest! {
        #[test]
        fn idle_room_broadcasts_at_once(window in 1u64..2000, changes in proptest::collection::vec(0u64..10_000, 1..50)) {
            let changes = sorted(changes);
            let sent = simulate(window, &changes);
            // (1) Any change with no broadcast in the preceding window is sent at its own time.
            for &c in &changes {
                let recent = sent.iter().any(|&s| s <= c && c < s + window);
                if !recent {
                    prop_assert!(false, "change at {c} not covered by an immediate broadcast");
                }
            }
        }

        #[test]
        fn changes_inside_a_window_coalesce(window in 1u64..2000, changes in proptest::collection::vec(0u64..10_000, 1..50)) {
            let changes = sorted(changes);
            let sent = simulate(window, &changes);
            // (2) Every broadcast is either at a change time or exactly at a window end.
            for (i, &s) in sent.iter().enumerate() {
                let at_change = changes.contains(&s);
                let at_window_end = i > 0 && s == sent[i - 1] + window;
                prop_assert!(at_change || at_window_end);
            }
            prop_assert!(sent.len() <= changes.len());
        }

        #[test]
        fn broadcasts_are_never_closer_than_the_window(window in 1u64..2000, changes in proptest::collection::vec(0u64..10_000, 0..50)) {
            let sent = simulate(window, &sorted(changes));
            // (3)
            for pair in sent.windows(2) {
                prop_assert!(pair[1] - pair[0] >= window);
            }
        }

        #[test]
        fn the_latest_change_is_always_broadcast(window in 1u64..2000, changes in proptest::collection::vec(0u64..10_000, 1..50)) {
            let changes = sorted(changes);
            let sent = simulate(window, &changes);
            // (4) The last broadcast happens at or after the last change, within one window.
            let last_change = *changes.last().unwrap();
            let last_sent = *sent.last().unwrap();
            prop_assert!(last_sent >= last_change);
            prop_assert!(last_sent <= last_change + window);
        }
    }
}
