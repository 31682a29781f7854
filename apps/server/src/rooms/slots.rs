//! Fan-out slots: a large room sends its boards in up to [`SLOTS`] staggered groups of
//! sockets ("slots") spread over the throttle window. In this crate "slot" means only that.

use std::time::Duration;

/// Rooms with more sockets than this fan out in more than one slot.
pub const SLOT_SOCKETS: usize = 1_000;

/// The most slots a room fans out in.
pub const SLOTS: usize = 8;

/// The order in which a growing room takes slots into use (bit-reversed), so that the
/// slots in use spread over the window: two are half a window apart, four a quarter.
const SLOT_ORDER: [usize; SLOTS] = [0, 4, 2, 6, 1, 5, 3, 7];

/// The slot for a socket entering a room whose slots hold `sizes` sockets: the emptiest
/// of the slots a room of this size uses (one per `slot_sockets` sockets, at most
/// [`SLOTS`]), the first of them in [`SLOT_ORDER`] on a tie.
pub(super) fn pick_slot(sizes: &[usize; SLOTS], slot_sockets: usize) -> usize {
    let total: usize = sizes.iter().sum();
    let in_use = (total / slot_sockets.max(1) + 1).min(SLOTS);
    SLOT_ORDER[..in_use]
        .iter()
        .copied()
        .min_by_key(|&s| sizes[s])
        .unwrap_or(0)
}

/// When slot `slot` of a round gets its boards, after the round starts.
pub(super) fn slot_offset(slot: usize, window: Duration) -> Duration {
    window * slot as u32 / SLOTS as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_in_spread_order_and_stay_balanced() {
        let per = 10;
        let mut sizes = [0usize; SLOTS];
        let mut order = Vec::new();
        for t in 0..200 {
            let slot = pick_slot(&sizes, per);
            if sizes[slot] == 0 {
                order.push(slot);
            }
            sizes[slot] += 1;
            let used = sizes.iter().filter(|&&n| n > 0).count();
            // A room takes a slot per `per` sockets, and none overflows while one is free.
            assert_eq!(used, (t / per + 1).min(SLOTS), "after {} sockets", t + 1);
            if used < SLOTS {
                assert!(sizes.iter().all(|&n| n <= per), "{sizes:?}");
            }
        }
        assert_eq!(order, SLOT_ORDER);
        let (min, max) = (sizes.iter().min(), sizes.iter().max());
        assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{sizes:?}");
        // Small rooms use slot 0 only: one board read per round.
        assert_eq!(
            pick_slot(&[SLOT_SOCKETS - 1, 0, 0, 0, 0, 0, 0, 0], SLOT_SOCKETS),
            0
        );
        // Leavers make room: the emptiest slot in use takes the next socket.
        let mut sizes = [10, 0, 10, 0, 3, 0, 0, 0];
        assert_eq!(pick_slot(&sizes, 10), 4);
        sizes[4] = 10;
        assert_eq!(pick_slot(&sizes, 10), 6);
    }

    #[test]
    fn every_slot_goes_out_within_the_window() {
        let window = Duration::from_millis(500);
        let offsets: Vec<Duration> = (0..SLOTS).map(|s| slot_offset(s, window)).collect();
        assert_eq!(offsets[0], Duration::ZERO);
        assert_eq!(offsets[4], window / 2);
        assert!(offsets.windows(2).all(|w| w[0] < w[1]));
        assert!(offsets.iter().all(|&o| o < window));
    }
}
