//! Game PINs: the short numbers a class types to join a hosted game, and the port that
//! keeps them unique among live games on every instance.
//!
//! A PIN is 6 or 7 decimal digits, the first one never `0` (a number typed into a phone's
//! numeric keypad keeps its first digit). It names a quiz only while that quiz's game is
//! live: each PIN carries an expiry (see [`crate::service::Pins`] for the rules), and an
//! expired PIN resolves to nothing and may be handed to another game. It gives away
//! nothing the quiz id does not: resolving one answers with the public quiz id only.

use std::fmt;

use async_trait::async_trait;

use crate::ids::QuizId;
use crate::ports::Source;
use crate::time::Timestamp;

/// A game PIN: 6 or 7 ASCII digits, the first one not `0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GamePin(String);

/// Why a text is not a [`GamePin`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a game PIN is 6 or 7 digits, not starting with 0")]
pub struct PinError;

impl GamePin {
    /// Shortest PIN, digits.
    pub const MIN_DIGITS: usize = 6;
    /// Longest PIN, digits.
    pub const MAX_DIGITS: usize = 7;

    /// Checks `raw`.
    ///
    /// # Errors
    /// [`PinError`] unless `raw` is 6 or 7 ASCII digits not starting with `0`.
    pub fn parse(raw: &str) -> Result<Self, PinError> {
        let ok = (Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_digit())
            && !raw.starts_with('0');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PinError)
        }
    }

    /// The PIN of `digits` digits (6 or 7, clamped) drawn from `random`, a uniformly random
    /// number (the caller's randomness: the core reads none).
    pub fn from_random(random: u64, digits: usize) -> Self {
        let digits = digits.clamp(Self::MIN_DIGITS, Self::MAX_DIGITS);
        // Digits 1..=9 first, then any: 900 000 (or 9 000 000) PINs.
        let low = 10u64.pow(digits as u32 - 1);
        let span = 9 * low;
        Self((low + random % span).to_string())
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GamePin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Errors of the [`GamePins`] port.
#[derive(Debug, thiserror::Error)]
pub enum PinStoreError {
    /// The store could not be reached or failed.
    #[error("pin store unavailable")]
    Unavailable(#[source] Source),
}

/// What [`GamePins::claim`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinClaim {
    /// The quiz already had this live PIN; nothing changed.
    Held(GamePin),
    /// The candidate is now the quiz's PIN, until the given expiry.
    Claimed(GamePin),
    /// The candidate belongs to another live game; nothing changed.
    Taken,
}

/// The live games' PINs, shared by every instance: at most one live PIN per quiz and one
/// quiz per live PIN. A PIN whose expiry is at or before `now` is not live: it resolves to
/// nothing and may be claimed again. Expiry times are milliseconds since the Unix epoch; an
/// adapter on a service with its own clock (Redis) may expire by that clock instead of
/// `now`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GamePins: Send + Sync {
    /// If `quiz` has a live PIN, returns it as [`PinClaim::Held`] and changes nothing;
    /// otherwise makes `candidate` the quiz's PIN until `until` unless another quiz holds it
    /// live ([`PinClaim::Taken`]). Atomic: of several instances claiming for one quiz, or
    /// the same candidate for two quizzes, one wins and the others see its result.
    ///
    /// # Errors
    /// [`PinStoreError::Unavailable`] only.
    async fn claim(
        &self,
        quiz: &QuizId,
        candidate: &GamePin,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<PinClaim, PinStoreError>;

    /// The quiz a live PIN belongs to.
    ///
    /// # Errors
    /// [`PinStoreError::Unavailable`] only.
    async fn resolve(&self, pin: &GamePin, now: Timestamp)
    -> Result<Option<QuizId>, PinStoreError>;

    /// The quiz's live PIN.
    ///
    /// # Errors
    /// [`PinStoreError::Unavailable`] only.
    async fn pin_of(&self, quiz: &QuizId, now: Timestamp)
    -> Result<Option<GamePin>, PinStoreError>;

    /// Brings the expiry of the quiz's PIN forward to `until` if it is later (never moves it
    /// back); nothing if the quiz has no live PIN.
    ///
    /// # Errors
    /// [`PinStoreError::Unavailable`] only.
    async fn expire_by(
        &self,
        quiz: &QuizId,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(), PinStoreError>;

    /// Forgets the quiz's PIN at once (the quiz is deleted or reset); idempotent.
    ///
    /// # Errors
    /// [`PinStoreError::Unavailable`] only.
    async fn release(&self, quiz: &QuizId) -> Result<(), PinStoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_or_seven_digits_without_a_leading_zero() {
        for ok in ["123456", "9999999", "100000"] {
            assert_eq!(GamePin::parse(ok).map(|p| p.to_string()), Ok(ok.to_owned()));
        }
        for bad in [
            "",
            "12345",
            "12345678",
            "012345",
            "12a456",
            " 123456",
            "１２３４５６",
        ] {
            assert_eq!(GamePin::parse(bad), Err(PinError), "{bad:?}");
        }
    }

    #[test]
    fn random_pins_are_valid_and_cover_the_range() {
        for (random, digits) in [
            (0, 6),
            (u64::MAX, 6),
            (899_999, 6),
            (7, 7),
            (u64::MAX, 7),
            (3, 2),
        ] {
            let pin = GamePin::from_random(random, digits);
            assert!(GamePin::parse(pin.as_str()).is_ok(), "{pin}");
        }
        assert_eq!(GamePin::from_random(0, 6).as_str(), "100000");
        assert_eq!(GamePin::from_random(899_999, 6).as_str(), "999999");
        assert_eq!(GamePin::from_random(900_000, 6).as_str(), "100000");
        assert_eq!(GamePin::from_random(0, 9).as_str(), "1000000");
    }
}
