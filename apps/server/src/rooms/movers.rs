//! Who moved up the board with the last question, for a hosted game's board phase.
//!
//! **What a move is**: a player's position on this board (the `#` the room sees, one per
//! line: equal scores are told apart by who reached them first) is better than the
//! position the board after the previous question showed them at. Ties count as shown: a
//! player tied with another and listed below them who passes them has moved. The room
//! remembers the positions of the board it showed ([`positions`]); a room that did not
//! show the previous board (an instance that started since, or had no socket of the game
//! then) ranks the scores before the question instead, ties kept in today's order.

use std::collections::HashMap;

use quiz_contracts::ws::MoverMsg;
use quiz_core::PlayerId;
use quiz_core::board::RoomBoards;
use quiz_core::service::Reveal;

/// Most movers a board frame lists.
const MOVERS: usize = 5;

/// Each player's position on a board, as the room showed it.
pub(super) type Positions = HashMap<PlayerId, u64>;

/// The positions of a board read in full (`None` for a board read in part).
pub(super) fn positions(b: &RoomBoards) -> Option<Positions> {
    (b.lines.len() as u64 == b.players).then(|| {
        b.lines
            .iter()
            .map(|r| (r.player.clone(), r.standing.rank))
            .collect()
    })
}

/// Who moved up with the question of `reveal`: each player's position on the board now
/// against their position on the board after the previous question, as the room showed it
/// (`previous`), or, without it, their rank by the score they had before the question (the
/// board minus that question's points). Only a board read in full (every line) is compared.
pub(super) fn movers(
    b: &RoomBoards,
    reveal: &Reveal,
    previous: Option<&Positions>,
) -> Vec<MoverMsg> {
    if b.lines.len() as u64 != b.players {
        return Vec::new();
    }
    let from: Vec<Option<u64>> = match previous {
        Some(shown) => b
            .lines
            .iter()
            .map(|r| shown.get(&r.player).copied())
            .collect(),
        None => ranks_before(b, reveal),
    };
    let mut moved: Vec<MoverMsg> = b
        .lines
        .iter()
        .zip(&from)
        .enumerate()
        .filter_map(|(i, (r, from))| {
            // Only players some view shows have their names read.
            if !b.shown.get(i).copied().unwrap_or(false) {
                return None;
            }
            let (from, to) = ((*from)?, r.standing.rank);
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

/// Each line's rank by the score before the question of `reveal`, ties kept in today's
/// order (what a room that did not show the previous board can tell).
fn ranks_before(b: &RoomBoards, reveal: &Reveal) -> Vec<Option<u64>> {
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
    let mut ranks = vec![None; b.lines.len()];
    for (old, (i, _)) in before.iter().enumerate() {
        if let Some(r) = ranks.get_mut(*i) {
            *r = Some(old as u64 + 1);
        }
    }
    ranks
}
