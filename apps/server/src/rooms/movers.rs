//! Who moved up the board with the last question, for a hosted game's board phase.

use std::collections::HashMap;

use quiz_contracts::ws::MoverMsg;
use quiz_core::PlayerId;
use quiz_core::board::RoomBoards;
use quiz_core::service::Reveal;

/// Most movers a board frame lists.
const MOVERS: usize = 5;

/// Who moved up with the question of `reveal`: each player's rank on the board now against
/// their rank by the score they had before it (the board minus that question's points).
/// Only a board read in full (every line) is compared.
pub(super) fn movers(b: &RoomBoards, reveal: &Reveal) -> Vec<MoverMsg> {
    if b.lines.len() as u64 != b.players {
        return Vec::new();
    }
    let gained: HashMap<&PlayerId, u64> = reveal
        .answers
        .iter()
        .map(|a| (&a.player, u64::from(a.points)))
        .collect();
    // Before: sorted by the earlier score, ties kept in today's order.
    let mut before: Vec<(usize, u64)> = b
        .lines
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let g = gained.get(&r.player).copied().unwrap_or(0);
            (i, r.score().saturating_sub(g))
        })
        .collect();
    before.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let mut moved: Vec<MoverMsg> = before
        .iter()
        .enumerate()
        .filter_map(|(old, (i, _))| {
            let r = &b.lines[*i];
            // Only players some view shows have their names read.
            if !b.shown.get(*i).copied().unwrap_or(false) {
                return None;
            }
            let (from, to) = (old as u64 + 1, r.standing.rank);
            (to < from).then(|| MoverMsg {
                player: r.player.to_string(),
                name: b
                    .new_names
                    .get(&r.player)
                    .map_or_else(|| r.player.to_string(), |n| n.to_string()),
                from,
                to,
            })
        })
        .collect();
    moved.sort_by(|x, y| (y.from - y.to).cmp(&(x.from - x.to)).then(x.to.cmp(&y.to)));
    moved.truncate(MOVERS);
    moved
}
