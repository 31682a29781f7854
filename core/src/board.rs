//! Building the leaderboard views players see from ranked ids and names: one view for one
//! viewer ([`build_view`]), and the views of a whole room at once ([`RoomBoards`]).

use std::collections::HashMap;
use std::ops::Range;

use crate::ids::PlayerId;
use crate::model::{BoardEntry, BoardView, Ranked};
use crate::ports::Names;

/// Boards of rooms with at most this many players are computed from one full read of the
/// board; larger rooms read each viewer's neighbourhood separately.
pub const FULL_READ_LIMIT: u64 = 50_000;

/// One viewer's part of a room's boards: its own line and its neighbourhood, as indices
/// into [`RoomBoards::lines`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewIndex {
    /// The viewer's own line, when they are on the board.
    pub me: Option<usize>,
    /// The viewer's neighbours (their own line included).
    pub around: Range<usize>,
}

impl ViewIndex {
    /// A viewer not on the board.
    pub const EMPTY: ViewIndex = ViewIndex {
        me: None,
        around: 0..0,
    };
}

/// Every viewer's board of one room from one read: the lines any view shows, and per viewer
/// which of them are theirs. A line reads the same to every viewer, so a caller can render
/// each shown line once and share it (see the server's fan-out).
#[derive(Debug)]
pub struct RoomBoards {
    /// Every line a view may index: the full board, or (rooms over [`FULL_READ_LIMIT`]) the
    /// top N followed by each viewer's separately read neighbourhood.
    pub lines: Vec<Ranked>,
    /// Whether some view shows the line (the top N or a neighbourhood).
    pub shown: Vec<bool>,
    /// The top N: `lines[top]`.
    pub top: Range<usize>,
    /// One per viewer, in the order asked.
    pub views: Vec<ViewIndex>,
    /// Players on the board.
    pub players: u64,
    /// Names of shown players the caller did not know yet (read from the registry).
    pub new_names: Names,
    /// Set when reading those names failed (the lines then show ids).
    pub names_failed: Option<crate::unavailable::Unavailable>,
}

/// The views of `viewers` over a full board `lines` (rank order), `k` neighbours each side.
pub fn full_board_views(lines: &[Ranked], viewers: &[PlayerId], k: usize) -> Vec<ViewIndex> {
    let pos: HashMap<&PlayerId, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.player, i))
        .collect();
    viewers
        .iter()
        .map(|v| match pos.get(v) {
            Some(&i) => ViewIndex {
                me: Some(i),
                around: i.saturating_sub(k)..(i + k + 1).min(lines.len()),
            },
            None => ViewIndex::EMPTY,
        })
        .collect()
}

/// Which lines some view shows: the top and every neighbourhood.
pub fn shown_lines(len: usize, top: &Range<usize>, views: &[ViewIndex]) -> Vec<bool> {
    let mut shown = vec![false; len];
    for i in top
        .clone()
        .chain(views.iter().flat_map(|v| v.around.clone()))
    {
        shown[i] = true;
    }
    shown
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Standing;
    use crate::ranking::SortKey;
    use crate::time::Timestamp;

    fn ranked(n: u64) -> Ranked {
        Ranked {
            player: PlayerId::parse(format!("p{n}")).unwrap(),
            standing: Standing {
                rank: n,
                key: SortKey::at(100 - n, Timestamp(0), Timestamp(n)).unwrap(),
            },
        }
    }

    #[test]
    fn views_index_each_viewer_and_its_neighbours() {
        let lines: Vec<Ranked> = (1..=6).map(ranked).collect();
        let viewers = [
            PlayerId::parse("p1").unwrap(),
            PlayerId::parse("p5").unwrap(),
            PlayerId::parse("nobody").unwrap(),
        ];
        let views = full_board_views(&lines, &viewers, 2);
        assert_eq!(
            views[0],
            ViewIndex {
                me: Some(0),
                around: 0..3
            }
        );
        assert_eq!(
            views[1],
            ViewIndex {
                me: Some(4),
                around: 2..6
            }
        );
        assert_eq!(views[2], ViewIndex::EMPTY);
        let shown = shown_lines(lines.len(), &(0..1), &views);
        assert_eq!(shown, [true, true, true, true, true, true]);
        let shown = shown_lines(lines.len(), &(0..1), &views[..1]);
        assert_eq!(shown, [true, true, true, false, false, false]);
    }
}
