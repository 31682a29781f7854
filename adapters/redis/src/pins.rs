//! [`GamePins`] on Redis: `pin:{<pin>}` → quiz id and `quiz:{<quiz>}:pin` → PIN, both set
//! with `SET … NX PXAT <expiry>`, so Redis expires them by its own clock and every instance
//! sees one owner. The two keys hash to different slots on a cluster, so a claim is two
//! conditional writes: the PIN first (whoever sets it owns it), then the quiz's link (the
//! loser of a race for one quiz gives its PIN back and reports the winner's).

use async_trait::async_trait;
use quiz_core::pins::{GamePin, GamePins, PinClaim, PinStoreError};
use quiz_core::{QuizId, Timestamp};
use redis::Value;

use crate::conn::{Failure, Shared};
use crate::{keys, scripts};

/// Live games' PINs in Redis. Build it with [`crate::RedisAdapters`].
pub struct RedisPins {
    shared: Shared,
}

impl RedisPins {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }

    async fn get(&self, op: &'static str, key: String) -> Result<Option<String>, PinStoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(key);
        self.shared.query(op, &cmd).await.map_err(unavailable)
    }

    /// `SET key value NX PXAT until`: whether it was set.
    async fn set_nx(
        &self,
        op: &'static str,
        key: String,
        value: &str,
        until: Timestamp,
    ) -> Result<bool, PinStoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key)
            .arg(value)
            .arg("NX")
            .arg("PXAT")
            .arg(until.0.max(1));
        let reply: Value = self.shared.query(op, &cmd).await.map_err(unavailable)?;
        Ok(!matches!(reply, Value::Nil))
    }

    /// Deletes `key` (`until` = `None`) or brings its expiry forward to `until`, only if it
    /// still holds `value`.
    async fn if_holds(
        &self,
        key: String,
        value: &str,
        until: Option<Timestamp>,
    ) -> Result<(), PinStoreError> {
        let _: Value = self
            .shared
            .eval(
                &scripts::PIN_IF_HOLDS,
                &[key],
                &[
                    value.to_owned(),
                    until.map_or_else(String::new, |t| t.0.max(1).to_string()),
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The quiz's PIN if both keys agree; a link to a PIN that is gone or another quiz's is
    /// removed.
    async fn live_pin(&self, quiz: &QuizId) -> Result<Option<GamePin>, PinStoreError> {
        let Some(raw) = self.get("pin of quiz", keys::quiz_pin(quiz)).await? else {
            return Ok(None);
        };
        let pin = GamePin::parse(&raw)
            .map_err(|e| unavailable(Failure::malformed("pin of quiz", format!("{raw:?}: {e}"))))?;
        let owner = self.get("pin owner", keys::pin(&pin)).await?;
        if owner.as_deref() == Some(quiz.as_str()) {
            return Ok(Some(pin));
        }
        self.if_holds(keys::quiz_pin(quiz), &raw, None).await?;
        Ok(None)
    }
}

fn unavailable(f: Failure) -> PinStoreError {
    PinStoreError::Unavailable(Box::new(f))
}

/// How many times a claim starts over when the quiz's link changed under it.
const CLAIM_ROUNDS: usize = 3;

#[async_trait]
impl GamePins for RedisPins {
    async fn claim(
        &self,
        quiz: &QuizId,
        candidate: &GamePin,
        until: Timestamp,
        _now: Timestamp,
    ) -> Result<PinClaim, PinStoreError> {
        for _ in 0..CLAIM_ROUNDS {
            if let Some(pin) = self.live_pin(quiz).await? {
                return Ok(PinClaim::Held(pin));
            }
            if !self
                .set_nx("claim pin", keys::pin(candidate), quiz.as_str(), until)
                .await?
            {
                return Ok(PinClaim::Taken);
            }
            if self
                .set_nx("link pin", keys::quiz_pin(quiz), candidate.as_str(), until)
                .await?
            {
                return Ok(PinClaim::Claimed(candidate.clone()));
            }
            // Another instance linked the quiz first: give the candidate back, take theirs.
            self.if_holds(keys::pin(candidate), quiz.as_str(), None)
                .await?;
        }
        Ok(PinClaim::Taken)
    }

    async fn resolve(
        &self,
        pin: &GamePin,
        _now: Timestamp,
    ) -> Result<Option<QuizId>, PinStoreError> {
        let Some(raw) = self.get("resolve pin", keys::pin(pin)).await? else {
            return Ok(None);
        };
        QuizId::parse(&raw)
            .map(Some)
            .map_err(|e| unavailable(Failure::malformed("resolve pin", format!("{raw:?}: {e}"))))
    }

    async fn pin_of(
        &self,
        quiz: &QuizId,
        _now: Timestamp,
    ) -> Result<Option<GamePin>, PinStoreError> {
        self.live_pin(quiz).await
    }

    async fn expire_by(
        &self,
        quiz: &QuizId,
        until: Timestamp,
        _now: Timestamp,
    ) -> Result<(), PinStoreError> {
        let Some(pin) = self.live_pin(quiz).await? else {
            return Ok(());
        };
        self.if_holds(keys::pin(&pin), quiz.as_str(), Some(until))
            .await?;
        self.if_holds(keys::quiz_pin(quiz), pin.as_str(), Some(until))
            .await
    }

    async fn release(&self, quiz: &QuizId) -> Result<(), PinStoreError> {
        let Some(raw) = self.get("pin of quiz", keys::quiz_pin(quiz)).await? else {
            return Ok(());
        };
        if let Ok(pin) = GamePin::parse(&raw) {
            self.if_holds(keys::pin(&pin), quiz.as_str(), None).await?;
        }
        self.if_holds(keys::quiz_pin(quiz), &raw, None).await
    }
}
