//! The ranking rule and its encoding as one sortable number.
//!
//! **Rule**: higher score first; equal scores ordered by who reached that score first;
//! then by player id (ascending bytes), so the order is total and deterministic.
//!
//! **Encoding** ([`SortKey`]): one integer where *lower is better*, so a store that sorts
//! ascending and breaks ties by member ascending (a Redis sorted set read with `ZRANGE` /
//! `ZRANK`) reproduces the rule exactly:
//!
//! ```text
//!  bit 52 ............ 32 31 ............................ 0
//! [ MAX_SCORE - score (21) | ms since quiz creation (32) ]
//! ```
//!
//! The key stays below 2^53, so it converts to an `f64` (Redis' sorted-set score type) and
//! back without loss. Limits: a score of at most [`MAX_SCORE`] = 2,097,151 points (quiz
//! definitions whose maximum total is larger are refused) and a time of at most
//! [`MAX_ELAPSED_MS`] ≈ 49.7 days after the quiz was created (later answers are refused as
//! "quiz closed").

use std::cmp::Ordering;

use crate::ids::PlayerId;
use crate::time::Timestamp;

/// The largest score the encoding can hold.
pub const MAX_SCORE: u64 = (1 << 21) - 1;
/// The largest time, in ms after the quiz's creation, the encoding can hold.
pub const MAX_ELAPSED_MS: u64 = (1 << 32) - 1;

/// A score and reach-time packed into one number; lower sorts first (better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SortKey(u64);

/// A score or time outside the encoding's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortKeyError {
    /// Score above [`MAX_SCORE`].
    #[error("score {0} exceeds the maximum {MAX_SCORE}")]
    Score(u64),
    /// Time above [`MAX_ELAPSED_MS`] after quiz creation.
    #[error("{0} ms after quiz creation exceeds the maximum {MAX_ELAPSED_MS}")]
    Elapsed(u64),
    /// A raw value that no encoding produces.
    #[error("{0} is not a valid sort key")]
    Raw(u64),
}

impl SortKey {
    /// Encodes `score`, reached `elapsed_ms` after the quiz's creation.
    ///
    /// # Errors
    /// [`SortKeyError`] when either value is out of range.
    pub fn encode(score: u64, elapsed_ms: u64) -> Result<Self, SortKeyError> {
        if score > MAX_SCORE {
            return Err(SortKeyError::Score(score));
        }
        if elapsed_ms > MAX_ELAPSED_MS {
            return Err(SortKeyError::Elapsed(elapsed_ms));
        }
        Ok(Self(((MAX_SCORE - score) << 32) | elapsed_ms))
    }

    /// Encodes `score` reached at `at`, for a quiz created at `created`. Times before the
    /// creation count as the creation instant.
    ///
    /// # Errors
    /// As [`SortKey::encode`].
    pub fn at(score: u64, created: Timestamp, at: Timestamp) -> Result<Self, SortKeyError> {
        Self::encode(score, at.since(created))
    }

    /// `(score, elapsed_ms)`.
    pub fn decode(self) -> (u64, u64) {
        (MAX_SCORE - (self.0 >> 32), self.0 & MAX_ELAPSED_MS)
    }

    /// The score part.
    pub fn score(self) -> u64 {
        self.decode().0
    }

    /// The reach time as a timestamp, for a quiz created at `created`.
    pub fn reached_at(self, created: Timestamp) -> Timestamp {
        created.plus_ms(self.decode().1)
    }

    /// The raw number.
    pub fn raw(self) -> u64 {
        self.0
    }

    /// Rebuilds a key from its raw number.
    ///
    /// # Errors
    /// [`SortKeyError::Raw`] for a number at or above 2^53.
    pub fn from_raw(raw: u64) -> Result<Self, SortKeyError> {
        if raw >> 53 == 0 {
            Ok(Self(raw))
        } else {
            Err(SortKeyError::Raw(raw))
        }
    }

    /// As a float, exactly (the key is below 2^53).
    pub fn to_f64(self) -> f64 {
        self.0 as f64
    }

    /// From a float read back from a store.
    ///
    /// # Errors
    /// [`SortKeyError::Raw`] for a negative, fractional or too-large number.
    pub fn from_f64(f: f64) -> Result<Self, SortKeyError> {
        if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 9_007_199_254_740_992.0 {
            Ok(Self(f as u64))
        } else {
            Err(SortKeyError::Raw(f.to_bits()))
        }
    }
}

/// The ranking rule as a comparison: `Less` means `a` ranks above `b`.
pub fn compare(a: (SortKey, &PlayerId), b: (SortKey, &PlayerId)) -> Ordering {
    a.0.cmp(&b.0).then_with(|| a.1.as_str().cmp(b.1.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule written directly, independent of the encoding.
    fn rule(a: (u64, u64, &str), b: (u64, u64, &str)) -> Ordering {
        b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2))
    }

    #[test]
    fn extremes_fit_below_two_to_the_53() {
        let worst = SortKey::encode(0, MAX_ELAPSED_MS).unwrap();
        assert_eq!(worst.raw(), (1u64 << 53) - 1);
        assert_eq!(SortKey::from_f64(worst.to_f64()), Ok(worst));
        assert!(SortKey::encode(MAX_SCORE + 1, 0).is_err());
        assert!(SortKey::encode(0, MAX_ELAPSED_MS + 1).is_err());
        assert!(SortKey::from_f64(-1.0).is_err());
        assert!(SortKey::from_f64(0.5).is_err());
    }

    proptest! {
        #[test]
        fn encoded_order_equals_the_rule(
            s1 in 0..=MAX_SCORE, t1 in 0..=MAX_ELAPSED_MS, p1 in "[a-c]{1,3}",
            s2 in 0..=MAX_SCORE, t2 in 0..=MAX_ELAPSED_MS, p2 in "[a-c]{1,3}",
        ) {
            let k1 = SortKey::encode(s1, t1).unwrap();
            let k2 = SortKey::encode(s2, t2).unwrap();
            let id1 = PlayerId::parse(p1.clone()).unwrap();
            let id2 = PlayerId::parse(p2.clone()).unwrap();
            prop_assert_eq!(compare((k1, &id1), (k2, &id2)), rule((s1, t1, &p1), (s2, t2, &p2)));
            // The float form (what Redis stores) orders the same way.
            prop_assert_eq!(k1.to_f64().partial_cmp(&k2.to_f64()), Some(k1.cmp(&k2)));
        }

        #[test]
        fn decoding_round_trips(s in 0..=MAX_SCORE, t in 0..=MAX_ELAPSED_MS) {
            let k = SortKey::encode(s, t).unwrap();
            prop_assert_eq!(k.decode(), (s, t));
            prop_assert_eq!(SortKey::from_f64(k.to_f64()), Ok(k));
            prop_assert_eq!(SortKey::from_raw(k.raw()), Ok(k));
        }
    }
}
