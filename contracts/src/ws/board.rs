//! The live leaderboard.

use quiz_core::{BoardEntry, BoardView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One leaderboard line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntryMsg {
    /// Rank, 1 = first.
    pub rank: u64,
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
    /// Score.
    pub score: u64,
}

impl From<&BoardEntry> for EntryMsg {
    fn from(e: &BoardEntry) -> Self {
        Self {
            rank: e.rank,
            player: e.player.to_string(),
            name: e.name.clone(),
            score: e.score,
        }
    }
}

/// The leaderboard as the receiving player sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BoardMsg {
    /// Grows with every board sent on this socket; a client drops a board whose `seq` is
    /// not above the last one it showed.
    pub seq: u64,
    /// The top N.
    pub top: Vec<EntryMsg>,
    /// The receiving player's line (absent before they are on the board).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<EntryMsg>,
    /// The receiving player's neighbours, themselves included, best first.
    pub around: Vec<EntryMsg>,
    /// How many players are on the board.
    pub players: u64,
    /// Server time when the board was read, ms since the Unix epoch.
    pub server_time: u64,
}

impl BoardMsg {
    /// Builds a board message.
    pub fn new(view: &BoardView, seq: u64, server_time: u64) -> Self {
        Self {
            seq,
            top: view.top.iter().map(EntryMsg::from).collect(),
            me: view.me.as_ref().map(EntryMsg::from),
            around: view.around.iter().map(EntryMsg::from).collect(),
            players: view.players,
            server_time,
        }
    }
}
