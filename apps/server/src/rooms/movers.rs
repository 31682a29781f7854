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

#[cfg(test)]
mod tests {
    use quiz_core::board::RoomBoards;
    use quiz_core::ports::GameAnswer;
    use quiz_core::question::{Given, OptionSet, QuestionType};
    use quiz_core::{PlayerId, Ranked, SortKey, Standing, Timestamp};

    use super::*;

    fn id(s: &str) -> PlayerId {
        PlayerId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A full board of `(player, score, reached at)`, in rank order.
    fn board(lines: &[(&str, u64, u64)]) -> RoomBoards {
        let lines: Vec<Ranked> = lines
            .iter()
            .enumerate()
            .map(|(i, (p, score, at))| Ranked {
                player: id(p),
                standing: Standing {
                    rank: i as u64 + 1,
                    key: SortKey::at(*score, Timestamp(0), Timestamp(*at))
                        .unwrap_or_else(|e| panic!("{e}")),
                },
            })
            .collect();
        RoomBoards {
            shown: vec![true; lines.len()],
            top: 0..lines.len(),
            views: Vec::new(),
            players: lines.len() as u64,
            new_names: Default::default(),
            names_failed: None,
            lines,
        }
    }

    fn reveal(points: &[(&str, u32)]) -> Reveal {
        Reveal {
            kind: QuestionType::Single,
            correct_option: Some(0),
            correct_options: OptionSet::EMPTY,
            accepted: Vec::new(),
            counts: Vec::new(),
            texts: Vec::new(),
            answers: points
                .iter()
                .map(|(p, points)| GameAnswer {
                    player: id(p),
                    given: Given::Picks(OptionSet::EMPTY),
                    correct: *points > 0,
                    points: *points,
                    elapsed_ms: 0,
                })
                .collect(),
        }
    }

    fn moved(m: &[MoverMsg]) -> Vec<(String, u64, u64)> {
        m.iter().map(|m| (m.player.clone(), m.from, m.to)).collect()
    }

    /// The game: after question 1 Xan 100, Yas 50, Zoe 50 (tied, Yas first);
    /// after question 2 Xan 150, Zoe 100, Yas 50. Zoe passed Yas: #3 → #2.
    #[test]
    fn passing_a_tied_player_shown_above_is_a_move() {
        let before = board(&[("xan", 100, 10), ("yas", 50, 20), ("zoe", 50, 30)]);
        let after = board(&[("xan", 150, 40), ("zoe", 100, 50), ("yas", 50, 20)]);
        let q2 = reveal(&[("xan", 50), ("yas", 0), ("zoe", 50)]);
        let shown = positions(&before);
        assert_eq!(
            moved(&movers(&after, &q2, shown.as_ref())),
            vec![("zoe".to_owned(), 3, 2)]
        );
        // Without the board the room showed, the scores before the question tie and keep
        // today's order: the move is not seen (what a room that missed it can tell).
        assert_eq!(moved(&movers(&after, &q2, None)), Vec::new());
    }

    #[test]
    fn new_players_and_players_who_kept_their_place_are_not_movers() {
        let before = board(&[("a", 300, 1), ("b", 200, 2)]);
        let after = board(&[("c", 400, 5), ("a", 300, 1), ("b", 200, 2)]);
        let q = reveal(&[("c", 400)]);
        assert_eq!(
            moved(&movers(&after, &q, positions(&before).as_ref())),
            Vec::new(),
            "c is new; a and b went down"
        );
        // A board read in part has no positions and no movers.
        let mut part = board(&[("a", 300, 1)]);
        part.players = 5;
        assert_eq!(positions(&part), None);
        assert_eq!(movers(&part, &q, None), Vec::new());
    }
}
