//! [`GamePins`] in memory: both directions (PIN → quiz, quiz → PIN) under one lock, so a
//! claim is atomic. Expired entries are dropped when they are next looked at.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use quiz_core::pins::{GamePin, GamePins, PinClaim, PinStoreError};
use quiz_core::{QuizId, Timestamp};

#[derive(Default)]
struct Table {
    /// PIN → (quiz, expiry).
    by_pin: HashMap<GamePin, (QuizId, Timestamp)>,
    /// Quiz → PIN.
    by_quiz: HashMap<QuizId, GamePin>,
}

impl Table {
    /// The quiz's PIN if it is live; an expired one is dropped.
    fn live_pin(&mut self, quiz: &QuizId, now: Timestamp) -> Option<GamePin> {
        let pin = self.by_quiz.get(quiz)?.clone();
        match self.by_pin.get(&pin) {
            Some((q, until)) if q == quiz && *until > now => Some(pin),
            Some((q, _)) if q == quiz => {
                self.by_pin.remove(&pin);
                self.by_quiz.remove(quiz);
                None
            }
            _ => {
                self.by_quiz.remove(quiz);
                None
            }
        }
    }
}

/// Live games' PINs in process memory.
#[derive(Default)]
pub struct MemoryPins {
    table: Mutex<Table>,
}

impl MemoryPins {
    /// No PINs.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Table) -> T) -> T {
        // Every update keeps both maps consistent at each step, so a panicking holder leaves
        // nothing half done that a later look would misread.
        f(&mut self.table.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait]
impl GamePins for MemoryPins {
    async fn claim(
        &self,
        quiz: &QuizId,
        candidate: &GamePin,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<PinClaim, PinStoreError> {
        Ok(self.with(|t| {
            if let Some(pin) = t.live_pin(quiz, now) {
                return PinClaim::Held(pin);
            }
            if let Some((other, expiry)) = t.by_pin.get(candidate) {
                if *expiry > now {
                    return PinClaim::Taken;
                }
                let other = other.clone();
                if t.by_quiz.get(&other) == Some(candidate) {
                    t.by_quiz.remove(&other);
                }
            }
            t.by_pin
                .insert(candidate.clone(), (quiz.clone(), until.max(now)));
            t.by_quiz.insert(quiz.clone(), candidate.clone());
            if until <= now {
                // Claimed already expired: it names the quiz for no instant.
                t.by_pin.remove(candidate);
                t.by_quiz.remove(quiz);
            }
            PinClaim::Claimed(candidate.clone())
        }))
    }

    async fn resolve(
        &self,
        pin: &GamePin,
        now: Timestamp,
    ) -> Result<Option<QuizId>, PinStoreError> {
        Ok(self.with(|t| {
            let quiz = t.by_pin.get(pin)?.0.clone();
            t.live_pin(&quiz, now).filter(|p| p == pin).map(|_| quiz)
        }))
    }

    async fn pin_of(
        &self,
        quiz: &QuizId,
        now: Timestamp,
    ) -> Result<Option<GamePin>, PinStoreError> {
        Ok(self.with(|t| t.live_pin(quiz, now)))
    }

    async fn expire_by(
        &self,
        quiz: &QuizId,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(), PinStoreError> {
        self.with(|t| {
            if let Some(pin) = t.live_pin(quiz, now)
                && let Some(entry) = t.by_pin.get_mut(&pin)
            {
                entry.1 = entry.1.min(until);
            }
        });
        Ok(())
    }

    async fn release(&self, quiz: &QuizId) -> Result<(), PinStoreError> {
        self.with(|t| {
            if let Some(pin) = t.by_quiz.remove(quiz)
                && t.by_pin.get(&pin).is_some_and(|(q, _)| q == quiz)
            {
                t.by_pin.remove(&pin);
            }
        });
        Ok(())
    }
}
