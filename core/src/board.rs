//! Building the leaderboard views players see from ranked ids and names.

use crate::model::{BoardEntry, BoardView, Ranked};
use crate::ports::Names;

/// One displayed line. A player whose name is missing from the registry is shown by id.
pub fn entry(r: &Ranked, names: &Names) -> BoardEntry {
    BoardEntry {
        rank: r.standing.rank,
        player: r.player.clone(),
        name: names
            .get(&r.player)
            .map_or_else(|| r.player.to_string(), |n| n.to_string()),
        score: r.score(),
    }
}

/// Assembles a [`BoardView`].
pub fn build_view(
    top: &[Ranked],
    me: Option<&Ranked>,
    around: &[Ranked],
    players: u64,
    names: &Names,
) -> BoardView {
    BoardView {
        top: top.iter().map(|r| entry(r, names)).collect(),
        me: me.map(|r| entry(r, names)),
        around: around.iter().map(|r| entry(r, names)).collect(),
        players,
    }
}
