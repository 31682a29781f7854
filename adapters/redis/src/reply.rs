//! Defensive decoding of Redis replies and of the values this crate stores.
//!
//! Nothing here panics: a reply of an unexpected shape becomes [`Failure::Malformed`],
//! which the ports report as `Unavailable`.

use quiz_core::{AnswerResult, PlayerId, QuestionId, Ranked, SortKey, Standing, Timestamp};
use redis::Value;

use crate::conn::Failure;

/// A reply read item by item, each step checking the shape.
pub(crate) struct Items {
    op: &'static str,
    items: std::vec::IntoIter<Value>,
}

impl Items {
    /// The elements of an array reply.
    pub(crate) fn of(op: &'static str, v: Value) -> Result<Self, Failure> {
        match v {
            Value::Array(items) | Value::Set(items) => Ok(Self {
                op,
                items: items.into_iter(),
            }),
            other => Err(Failure::malformed(
                op,
                format!("expected an array, got {other:?}"),
            )),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    fn next_value(&mut self, what: &str) -> Result<Value, Failure> {
        self.items
            .next()
            .ok_or_else(|| Failure::malformed(self.op, format!("missing {what}")))
    }

    pub(crate) fn text(&mut self, what: &str) -> Result<String, Failure> {
        let v = self.next_value(what)?;
        text(self.op, what, v)
    }

    pub(crate) fn int(&mut self, what: &str) -> Result<i64, Failure> {
        let v = self.next_value(what)?;
        int(self.op, what, v)
    }

    pub(crate) fn uint(&mut self, what: &str) -> Result<u64, Failure> {
        let n = self.int(what)?;
        u64::try_from(n).map_err(|_| Failure::malformed(self.op, format!("negative {what}: {n}")))
    }

    pub(crate) fn value(&mut self, what: &str) -> Result<Value, Failure> {
        self.next_value(what)
    }
}

/// A text reply (bulk or simple string).
pub(crate) fn text(op: &'static str, what: &str, v: Value) -> Result<String, Failure> {
    match v {
        Value::BulkString(b) => {
            String::from_utf8(b).map_err(|_| Failure::malformed(op, format!("{what} is not UTF-8")))
        }
        Value::SimpleString(s) => Ok(s),
        Value::Okay => Ok("OK".into()),
        Value::Int(n) => Ok(n.to_string()),
        other => Err(Failure::malformed(
            op,
            format!("{what}: expected text, got {other:?}"),
        )),
    }
}

/// An integer reply (or its decimal text).
pub(crate) fn int(op: &'static str, what: &str, v: Value) -> Result<i64, Failure> {
    match v {
        Value::Int(n) => Ok(n),
        Value::BulkString(_) | Value::SimpleString(_) => {
            let s = text(op, what, v)?;
            s.trim()
                .parse()
                .map_err(|_| Failure::malformed(op, format!("{what} is not an integer: {s:?}")))
        }
        other => Err(Failure::malformed(
            op,
            format!("{what}: expected an integer, got {other:?}"),
        )),
    }
}

/// A sorted-set score (text in RESP2, a double in RESP3) as a sort key.
pub(crate) fn sort_key(op: &'static str, v: Value) -> Result<SortKey, Failure> {
    let f = match v {
        Value::Double(f) => f,
        Value::Int(n) => n as f64,
        other => {
            let s = text(op, "score", other)?;
            s.trim()
                .parse::<f64>()
                .map_err(|_| Failure::malformed(op, format!("score is not a number: {s:?}")))?
        }
    };
    SortKey::from_f64(f).map_err(|e| Failure::malformed(op, e.to_string()))
}

/// A player id read back from the board.
pub(crate) fn player_id(op: &'static str, s: String) -> Result<PlayerId, Failure> {
    PlayerId::parse(s)
        .map_err(|e| Failure::malformed(op, format!("bad player id on the board: {e}")))
}

/// `(member, score)` pairs of a `ZRANGE … WITHSCORES` reply, flat (RESP2, and scripts) or
/// nested as pairs (RESP3), ranked from `first_rank` on.
pub(crate) fn ranked(op: &'static str, v: Value, first_rank: u64) -> Result<Vec<Ranked>, Failure> {
    let mut items = Items::of(op, v)?;
    let mut out = Vec::new();
    while !items.is_empty() {
        let first = items.value("member")?;
        let (member, score) = match first {
            Value::Array(pair) => {
                let mut pair = Items::of(op, Value::Array(pair))?;
                (pair.text("member")?, pair.value("score")?)
            }
            member => (text(op, "member", member)?, items.value("score")?),
        };
        let rank = first_rank + out.len() as u64;
        out.push(Ranked {
            player: player_id(op, member)?,
            standing: Standing {
                rank,
                key: sort_key(op, score)?,
            },
        });
    }
    Ok(out)
}

/// How an [`AnswerResult`] is stored: `<correct 0|1>:<points>:<streak>:<at ms>:<elapsed ms>`
/// (results recorded before answer times were kept have no `:<elapsed ms>`). The record
/// script writes the same format.
pub(crate) fn encode_result(r: &AnswerResult) -> String {
    let mut s = format!(
        "{}:{}:{}:{}",
        u8::from(r.correct),
        r.points,
        r.streak,
        r.at.millis()
    );
    if let Some(ms) = r.elapsed_ms {
        s.push_str(&format!(":{ms}"));
    }
    s
}

/// The inverse of [`encode_result`].
pub(crate) fn decode_result(op: &'static str, s: &str) -> Result<AnswerResult, Failure> {
    let bad = || Failure::malformed(op, format!("stored answer result {s:?}"));
    let mut parts = s.split(':');
    let mut next = || parts.next().ok_or_else(bad);
    let correct = match next()? {
        "1" => true,
        "0" => false,
        _ => return Err(bad()),
    };
    let points = next()?.parse().map_err(|_| bad())?;
    let streak = next()?.parse().map_err(|_| bad())?;
    let at = Timestamp(next()?.parse().map_err(|_| bad())?);
    let elapsed_ms = match parts.next() {
        None => None,
        Some(ms) => Some(ms.parse().map_err(|_| bad())?),
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(AnswerResult {
        correct,
        points,
        streak,
        at,
        elapsed_ms,
    })
}

/// A question id read back from a player's answers hash.
pub(crate) fn question_id(op: &'static str, s: String) -> Result<QuestionId, Failure> {
    QuestionId::parse(s).map_err(|e| Failure::malformed(op, format!("bad question id: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn results_round_trip_and_garbage_is_refused() {
        let r = AnswerResult {
            correct: true,
            points: 115,
            streak: 3,
            at: Timestamp(1_700_000_003_000),
            elapsed_ms: Some(1_250),
        };
        assert_eq!(decode_result("t", &encode_result(&r)).unwrap(), r);
        let old = AnswerResult {
            elapsed_ms: None,
            ..r
        };
        assert_eq!(decode_result("t", "1:115:3:1700000003000").unwrap(), old);
        assert_eq!(decode_result("t", &encode_result(&old)).unwrap(), old);
        for bad in [
            "",
            "1",
            "2:1:1:1",
            "1:x:1:1",
            "1:1:1:1:1:1",
            "1:1:1:1:x",
            "1:-1:1:1",
        ] {
            assert!(decode_result("t", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scores_decode_from_every_reply_shape() {
        let top = SortKey::encode(0, quiz_core::ranking::MAX_ELAPSED_MS).unwrap();
        let text = Value::BulkString(b"9007199254740991".to_vec());
        assert_eq!(sort_key("t", text).unwrap(), top);
        assert_eq!(sort_key("t", Value::Double(top.to_f64())).unwrap(), top);
        assert!(sort_key("t", Value::BulkString(b"1.5".to_vec())).is_err());
        assert!(sort_key("t", Value::BulkString(b"-1".to_vec())).is_err());
        assert!(sort_key("t", Value::Nil).is_err());
    }

    #[test]
    fn ranked_reads_flat_and_paired_replies() {
        let b = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let flat = Value::Array(vec![b("a"), b("0"), b("b"), b("4294967296")]);
        let paired = Value::Array(vec![
            Value::Array(vec![b("a"), Value::Double(0.0)]),
            Value::Array(vec![b("b"), Value::Double(4_294_967_296.0)]),
        ]);
        for v in [flat, paired] {
            let r = ranked("t", v, 3).unwrap();
            assert_eq!(r.len(), 2);
            assert_eq!((r[0].player.as_str(), r[0].standing.rank), ("a", 3));
            assert_eq!((r[1].player.as_str(), r[1].standing.rank), ("b", 4));
            assert_eq!(r[1].standing.key.raw(), 1 << 32);
        }
        assert!(ranked("t", Value::Array(vec![b("a")]), 1).is_err());
        assert!(ranked("t", Value::Array(vec![b("a b"), b("0")]), 1).is_err());
    }
}
