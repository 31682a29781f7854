//! Leaderboard staleness bookkeeping, as a pure state machine (time is passed in).
//!
//! Staleness is the time from an answer's acknowledgement (on the answering player's
//! socket) to the first `board` on an *observer's* socket that shows that player with the
//! new total or more. Only players the observer can see are measurable: those in the
//! `top` or `around` part of the observer's latest board. So, per observer, the tracker
//! remembers which players its last board showed and with what score, and keeps the
//! acknowledgements of those players that no board has reflected yet.
//!
//! - An ack whose total the observer's last board already shows (the board overtook the
//!   ack on the wire) counts as staleness 0.
//! - An ack of a player the observer cannot see is not tracked.
//! - When a board no longer shows a player with pending acks (they left the top or the
//!   observer's neighbourhood), those acks are dropped and counted as `dropped`: they
//!   cannot be measured on this observer.
//!
//! Times are microseconds since the start of the run, so the tracker needs no clock.

use std::collections::{HashMap, VecDeque};

/// Most unreflected acks remembered per (observer, player); older ones are dropped.
const MAX_PENDING_PER_PLAYER: usize = 64;

/// What one observer last saw and what it still waits for.
#[derive(Debug, Default)]
struct ObserverView {
    /// Players on the observer's latest board, with their score there.
    seen: HashMap<String, u64>,
    /// Acks not yet reflected, per player: (new total, ack time in µs), oldest first.
    pending: HashMap<String, VecDeque<(u64, u64)>>,
}

/// The staleness bookkeeping of one quiz (all its observers).
#[derive(Debug, Default)]
pub struct Staleness {
    observers: Vec<ObserverView>,
    dropped: u64,
}

impl Staleness {
    /// A tracker for `observers` observer sockets.
    pub fn new(observers: usize) -> Self {
        Self {
            observers: (0..observers).map(|_| ObserverView::default()).collect(),
            dropped: 0,
        }
    }

    /// Acks that could not be measured (the player left the observer's view first).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Player `player` was acknowledged with new total `total` at `at_us`. Pushes the
    /// staleness of acks already reflected (0 µs) into `samples`.
    pub fn on_ack(&mut self, player: &str, total: u64, at_us: u64, samples: &mut Vec<u64>) {
        for obs in &mut self.observers {
            let Some(&seen) = obs.seen.get(player) else {
                continue;
            };
            if seen >= total {
                samples.push(0);
                continue;
            }
            let queue = obs.pending.entry(player.to_owned()).or_default();
            if queue.len() >= MAX_PENDING_PER_PLAYER {
                queue.pop_front();
                self.dropped += 1;
            }
            queue.push_back((total, at_us));
        }
    }

    /// Observer `observer` received a board at `at_us` showing `entries` (player, score),
    /// `top` and `around` together. Pushes the staleness of every ack this board reflects
    /// into `samples` (µs).
    pub fn on_board<'a>(
        &mut self,
        observer: usize,
        entries: impl IntoIterator<Item = (&'a str, u64)>,
        at_us: u64,
        samples: &mut Vec<u64>,
    ) {
        let Some(obs) = self.observers.get_mut(observer) else {
            return;
        };
        obs.seen.clear();
        for (player, score) in entries {
            let best = obs.seen.entry(player.to_owned()).or_insert(score);
            *best = (*best).max(score);
        }
        let seen = &obs.seen;
        let mut dropped = 0u64;
        obs.pending.retain(|player, queue| {
            let Some(&score) = seen.get(player) else {
                dropped += queue.len() as u64;
                return false;
            };
            while let Some(&(total, acked)) = queue.front() {
                if total > score {
                    break;
                }
                samples.push(at_us.saturating_sub(acked));
                queue.pop_front();
            }
            !queue.is_empty()
        });
        self.dropped += dropped;
    }

    /// Acks still waiting for a board (for the report).
    pub fn pending(&self) -> u64 {
        self.observers
            .iter()
            .flat_map(|o| o.pending.values())
            .map(|q| q.len() as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_of_an_unseen_player_is_not_tracked() {
        let mut s = Staleness::new(1);
        let mut out = Vec::new();
        s.on_ack("p1", 100, 10, &mut out);
        assert!(out.is_empty());
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn the_first_board_showing_the_new_total_resolves_the_ack() {
        let mut s = Staleness::new(1);
        let mut out = Vec::new();
        s.on_board(0, [("p1", 0), ("p2", 0)], 0, &mut out);
        s.on_ack("p1", 100, 1_000, &mut out);
        // A board read before the answer still shows the old score: keep waiting.
        s.on_board(0, [("p1", 0), ("p2", 0)], 2_000, &mut out);
        assert!(out.is_empty());
        assert_eq!(s.pending(), 1);
        s.on_board(0, [("p1", 100), ("p2", 0)], 501_000, &mut out);
        assert_eq!(out, vec![500_000]);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn one_board_resolves_every_ack_it_covers() {
        let mut s = Staleness::new(1);
        let mut out = Vec::new();
        s.on_board(0, [("p1", 0)], 0, &mut out);
        s.on_ack("p1", 100, 1_000, &mut out);
        s.on_ack("p1", 200, 2_000, &mut out);
        s.on_ack("p1", 300, 3_000, &mut out);
        s.on_board(0, [("p1", 200)], 10_000, &mut out);
        assert_eq!(out, vec![9_000, 8_000]);
        assert_eq!(s.pending(), 1);
    }

    #[test]
    fn a_board_that_overtook_the_ack_counts_as_zero() {
        let mut s = Staleness::new(1);
        let mut out = Vec::new();
        s.on_board(0, [("p1", 100)], 0, &mut out);
        s.on_ack("p1", 100, 5, &mut out);
        assert_eq!(out, vec![0]);
    }

    #[test]
    fn a_player_leaving_the_view_drops_their_pending_acks() {
        let mut s = Staleness::new(1);
        let mut out = Vec::new();
        s.on_board(0, [("p1", 0)], 0, &mut out);
        s.on_ack("p1", 100, 1_000, &mut out);
        s.on_board(0, [("p2", 50)], 2_000, &mut out);
        assert!(out.is_empty());
        assert_eq!(s.dropped(), 1);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn every_observer_that_sees_the_player_measures_it() {
        let mut s = Staleness::new(2);
        let mut out = Vec::new();
        s.on_board(0, [("p1", 0)], 0, &mut out);
        s.on_board(1, [("p9", 0)], 0, &mut out);
        s.on_ack("p1", 10, 100, &mut out);
        s.on_board(1, [("p1", 10)], 300, &mut out);
        assert!(
            out.is_empty(),
            "observer 1 did not see p1 when the ack came"
        );
        s.on_board(0, [("p1", 10)], 400, &mut out);
        assert_eq!(out, vec![300]);
    }

    #[test]
    fn an_unknown_observer_is_ignored() {
        let mut s = Staleness::new(1);
        let mut out = Vec::new();
        s.on_board(7, [("p1", 0)], 0, &mut out);
        assert!(out.is_empty());
    }
}
