//! What the sockets read from the server: the few fields of its messages the tool
//! needs (borrowed, so a burst of acks costs no allocations) and the kinds that name a
//! broken connection in the error counts.

use std::borrow::Cow;

use serde::Deserialize;

/// The fields of server messages the tool reads; everything else is skipped.
#[derive(Debug, Deserialize)]
pub(super) struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) ty: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) answer_id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) points: Option<u32>,
    #[serde(default)]
    pub(super) total: Option<u64>,
    #[serde(default)]
    pub(super) duplicate: Option<bool>,
    #[serde(default, borrow)]
    pub(super) code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) top: Vec<EntryIn<'a>>,
    #[serde(default, borrow)]
    pub(super) around: Vec<EntryIn<'a>>,
    #[serde(default)]
    pub(super) server_time: Option<u64>,
}

/// One leaderboard row: the player's id and score are all the staleness tracker compares.
#[derive(Debug, Deserialize)]
pub(super) struct EntryIn<'a> {
    #[serde(borrow)]
    pub(super) player: Cow<'a, str>,
    pub(super) score: u64,
}

/// Names a broken connection for the error counts: few kinds, so the report stays
/// readable, but enough to tell a closed socket from an I/O or protocol failure.
pub(super) fn ws_error_kind(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::ConnectionClosed | Error::AlreadyClosed => "ws:closed".into(),
        Error::Io(io) => format!("ws:io:{:?}", io.kind()),
        Error::Protocol(_) => "ws:protocol".into(),
        Error::Capacity(_) => "ws:capacity".into(),
        _ => "ws:other".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_parse_with_only_the_needed_fields() {
        let ack = r#"{"type":"answer_result","answer_id":"a7","question":"q1","correct":true,"points":100,"streak":1,"total":300,"answers":3,"rank":2,"duplicate":false}"#;
        let m: Incoming<'_> = serde_json::from_str(ack).unwrap();
        assert_eq!(m.ty, "answer_result");
        assert_eq!(m.answer_id.as_deref(), Some("a7"));
        assert_eq!(m.total, Some(300));
        let board = r#"{"type":"board","seq":3,"top":[{"rank":1,"player":"p1","name":"x","score":5}],"around":[],"players":1,"server_time":1}"#;
        let m: Incoming<'_> = serde_json::from_str(board).unwrap();
        assert_eq!(m.top[0].player, "p1");
        let err = r#"{"type":"error","code":"rate_limited","message":"slow down"}"#;
        let m: Incoming<'_> = serde_json::from_str(err).unwrap();
        assert_eq!(m.code.as_deref(), Some("rate_limited"));
    }
}
