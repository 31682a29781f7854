//! Board frames: what one broadcast shares between the sockets of a room (each shown line
//! serialized once) and the splicing of one socket's `board` message from those lines.

use std::fmt::Write as _;
use std::sync::Arc;

use quiz_core::Ranked;
use quiz_core::board::ViewIndex;
use quiz_core::ports::Names;

/// What one broadcast shares between every socket of the room: its lines, each
/// serialized once.
pub(super) struct BoardFrame {
    pub(super) seq: u64,
    /// The inside of the `top` array.
    pub(super) top_json: String,
    /// Every line a view may index, serialized (unshown lines are empty).
    pub(super) lines: Vec<String>,
    pub(super) players: u64,
    pub(super) server_time: u64,
}

/// One socket's board: the broadcast's shared frame and the socket's own view of it. The
/// socket's writer turns it into JSON when it sends it ([`SocketBoard::to_json`]), so the
/// broadcast itself only hands out references, and the per-socket work of a 10,000-socket
/// room runs in the writers, on every core, instead of in one loop before the first send.
#[derive(Clone)]
pub struct SocketBoard {
    pub(super) frame: Arc<BoardFrame>,
    pub(super) view: ViewIndex,
}

impl SocketBoard {
    /// The board's sequence number.
    pub fn seq(&self) -> u64 {
        self.frame.seq
    }

    /// The `board` message for this socket.
    pub fn to_json(&self) -> String {
        let f = &*self.frame;
        board_json(
            f.seq,
            &f.top_json,
            &f.lines,
            &self.view,
            f.players,
            f.server_time,
        )
    }
}

/// One board line as JSON: what `serde_json` makes of the contract's `EntryMsg` for it
/// (a test checks), serialized from borrowed fields instead of four string copies.
pub(super) fn line_json(r: &Ranked, names: &Names) -> String {
    /// `EntryMsg` with borrowed strings; the same fields in the same order.
    #[derive(serde::Serialize)]
    struct Line<'a> {
        rank: u64,
        player: &'a str,
        name: &'a str,
        score: u64,
    }
    let player = r.player.as_str();
    let line = Line {
        rank: r.standing.rank,
        player,
        name: names.get(&r.player).map_or(player, |n| n.as_str()),
        score: r.score(),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// Joins serialized entries into the inside of a JSON array.
pub(super) fn join(parts: &[String]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(p);
    }
    s
}

/// The `board` message of one socket, spliced from serialized lines. It is byte for byte
/// what `serde_json::to_string(&ServerMessage::Board(..))` produces (a test checks), so the
/// wire contract is unchanged.
fn board_json(
    seq: u64,
    top_json: &str,
    lines: &[String],
    view: &ViewIndex,
    players: u64,
    server_time: u64,
) -> String {
    let around: usize = lines[view.around.clone()].iter().map(|l| l.len() + 1).sum();
    let me = view.me.map_or(0, |i| lines[i].len());
    let mut s = String::with_capacity(top_json.len() + around + me + 96);
    let _ = write!(s, r#"{{"type":"board","seq":{seq},"top":["#);
    s.push_str(top_json);
    s.push(']');
    if let Some(i) = view.me {
        s.push_str(r#","me":"#);
        s.push_str(&lines[i]);
    }
    s.push_str(r#","around":["#);
    s.push_str(&join(&lines[view.around.clone()]));
    let _ = write!(s, r#"],"players":{players},"server_time":{server_time}}}"#);
    s
}

#[cfg(test)]
mod tests {
    use quiz_contracts::ws::{BoardMsg, EntryMsg, ServerMessage};
    use quiz_core::board::{build_view, entry};
    use quiz_core::{PlayerId, PlayerName, SortKey, Standing, Timestamp};

    use super::*;

    fn ranked(id: &str, rank: u64, score: u64) -> Ranked {
        Ranked {
            player: PlayerId::parse(id).unwrap(),
            standing: Standing {
                rank,
                key: SortKey::at(score, Timestamp(0), Timestamp(rank)).unwrap(),
            },
        }
    }

    /// The spliced board equals serde's serialization of the same view, with and without
    /// the viewer's own line, with names from the registry and ids as fallback.
    #[test]
    fn spliced_boards_match_serde_byte_for_byte() {
        let lines: Vec<Ranked> = (1..=6)
            .map(|i| ranked(&format!("p{i}"), i, 100 - i))
            .collect();
        let mut names = Names::new();
        names.insert(
            PlayerId::parse("p1").unwrap(),
            PlayerName::parse("Ann \"the\" ⚡").unwrap(),
        );
        let json: Vec<String> = lines
            .iter()
            .map(|r| {
                let json = line_json(r, &names);
                assert_eq!(
                    json,
                    serde_json::to_string(&EntryMsg::from(&entry(r, &names))).unwrap()
                );
                json
            })
            .collect();
        let top_json = join(&json[0..3]);
        for view in [
            ViewIndex {
                me: Some(4),
                around: 2..6,
            },
            ViewIndex::EMPTY,
        ] {
            let spliced = board_json(7, &top_json, &json, &view, 6, 1_700_000_000_000);
            let me = view.me.map(|i| &lines[i]);
            let around = &lines[view.around.clone()];
            let expected = serde_json::to_string(&ServerMessage::Board(BoardMsg::new(
                &build_view(&lines[0..3], me, around, 6, &names),
                7,
                1_700_000_000_000,
            )))
            .unwrap();
            assert_eq!(spliced, expected);
        }
    }

    #[test]
    fn joining_nothing_is_empty() {
        assert_eq!(join(&[]), "");
        assert_eq!(join(&["a".into(), "b".into()]), "a,b");
    }
}
