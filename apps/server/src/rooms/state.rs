//! What a room remembers of its hosted game between checks: whether a check runs, the
//! deadline a timer is armed for, the phase the room last queued, the positions of the
//! boards it showed (for the movers of the next), and the counts its sockets last got, with the per-room count throttle: the answer count and the roster
//! go out at most once per [`COUNT_INTERVAL`], to every socket of the room together.

use std::sync::Arc;
use std::time::Duration;

use quiz_core::Quiz;

use super::movers::Positions;
// Tokio's clock: the real one, except in tests that pause it.
use tokio::time::Instant;

/// The shortest time between two rounds of counts (`answered`, `roster`) in a room: at
/// most 4 of each per second reach a socket, however many answers and joins arrive.
pub const COUNT_INTERVAL: Duration = Duration::from_millis(250);

/// The answer count a room's sockets last got for an open (or paused) question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AnsweredSent {
    /// The phase it was counted in.
    pub(super) seq: u64,
    /// The question.
    pub(super) index: usize,
    pub(super) answered: u64,
    pub(super) expected: u64,
}

/// The counts a room's sockets last got, and when.
#[derive(Debug, Default)]
pub(super) struct Counts {
    /// The answer count of the room's current (or last) question phase.
    pub(super) answered: Option<AnsweredSent>,
    /// The players in the game: (phase seq, players).
    pub(super) roster: Option<(u64, u64)>,
    /// When counts were last read for sending.
    last: Option<Instant>,
    /// A timer is armed to send what changed since.
    timer: bool,
}

impl Counts {
    /// `Ok` when counts may be read and sent at `now`; otherwise the moment they may.
    pub(super) fn due(&self, now: Instant) -> Result<(), Instant> {
        match self.last {
            Some(last) if now < last + COUNT_INTERVAL => Err(last + COUNT_INTERVAL),
            _ => Ok(()),
        }
    }

    /// Counts were read for sending at `now`.
    pub(super) fn read_at(&mut self, now: Instant) {
        self.last = Some(now);
    }

    /// Arms the count timer; `false` when one is armed already.
    pub(super) fn arm(&mut self) -> bool {
        !std::mem::replace(&mut self.timer, true)
    }

    /// The count timer fired.
    pub(super) fn fired(&mut self) {
        self.timer = false;
    }
}

/// A room's hosted-game state.
pub(super) struct GameRoom {
    pub(super) quiz: Quiz,
    /// A check runs.
    pub(super) running: bool,
    /// Something changed while it ran: it runs once more.
    pub(super) dirty: bool,
    /// The game `seq` a deadline timer is armed for.
    pub(super) timer_seq: Option<u64>,
    /// The `seq` of the phase this room last queued to its sockets.
    pub(super) phase_seq: Option<u64>,
    /// Sockets that entered the room so far, and how many of them a check has seen: while
    /// the phase and the sockets stay the same, a check need not look at every socket.
    pub(super) entered: u64,
    pub(super) seen: u64,
    pub(super) counts: Counts,
    /// The positions of the last two boards this room showed, by question index: the
    /// next board's movers are measured from the one before it (`super::movers`).
    boards: Vec<(usize, Arc<Positions>)>,
}

impl GameRoom {
    pub(super) fn new(quiz: Quiz) -> Self {
        Self {
            quiz,
            running: false,
            dirty: false,
            timer_seq: None,
            phase_seq: None,
            entered: 0,
            seen: 0,
            counts: Counts::default(),
            boards: Vec::new(),
        }
    }

    /// The positions of the board after question `index`, if this room showed it.
    pub(super) fn shown_board(&self, index: usize) -> Option<Arc<Positions>> {
        self.boards
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, p)| p.clone())
    }

    /// Remembers the positions of the board after question `index` (the first time it
    /// is shown: a socket that gets it later sees the same board); only the last two stay.
    pub(super) fn board_shown(&mut self, index: usize, positions: Positions) {
        if self.shown_board(index).is_some() {
            return;
        }
        self.boards.push((index, Arc::new(positions)));
        self.boards.sort_by_key(|(i, _)| *i);
        if self.boards.len() > 2 {
            self.boards.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn counts_go_out_at_most_once_per_interval_and_one_timer_waits_for_the_next() {
        let mut c = Counts::default();
        let t0 = Instant::now();
        assert_eq!(c.due(t0), Ok(()));
        c.read_at(t0);
        let almost = t0 + COUNT_INTERVAL - Duration::from_millis(1);
        assert_eq!(c.due(almost), Err(t0 + COUNT_INTERVAL));
        assert!(c.arm());
        assert!(!c.arm(), "one timer at a time");
        c.fired();
        assert_eq!(c.due(t0 + COUNT_INTERVAL), Ok(()));
        assert!(c.arm());
    }
}
