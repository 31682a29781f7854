//! [`GamePins`] on the `game_pins` table: one row per claimed PIN, unique by PIN and by
//! quiz, with its expiry. A claim is one write job (drop the expired rows it would collide
//! with, then insert), so it is atomic against every other write.

use async_trait::async_trait;
use quiz_core::pins::{GamePin, GamePins, PinClaim, PinStoreError};
use quiz_core::{QuizId, Timestamp};
use rusqlite::Connection;

use crate::error::StoreError;
use crate::{SqliteStore, corrupt, optional};

fn unavailable(e: StoreError) -> PinStoreError {
    PinStoreError::Unavailable(Box::new(e))
}

fn pin(raw: String) -> Result<GamePin, StoreError> {
    GamePin::parse(&raw).map_err(|e| corrupt(format!("game PIN {raw:?}"), e))
}

fn quiz_id(raw: String) -> Result<QuizId, StoreError> {
    QuizId::parse(&raw).map_err(|e| corrupt(format!("quiz id {raw:?} of a game PIN"), e))
}

/// The quiz's live PIN.
fn live_pin(c: &Connection, quiz: &str, now: u64) -> Result<Option<String>, StoreError> {
    c.prepare_cached("SELECT pin FROM game_pins WHERE quiz = ?1 AND until > ?2")
        .and_then(|mut st| optional(st.query_row((quiz, now), |r| r.get(0))))
        .map_err(StoreError::sql("read game PIN"))
}

#[async_trait]
impl GamePins for SqliteStore {
    async fn claim(
        &self,
        quiz: &QuizId,
        candidate: &GamePin,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<PinClaim, PinStoreError> {
        let (q, p) = (quiz.as_str().to_owned(), candidate.as_str().to_owned());
        let (until, now) = (until.0, now.0);
        let claimed = self
            .db
            .write(move |c| {
                if let Some(held) = live_pin(c, &q, now)? {
                    return Ok(Err(held));
                }
                c.prepare_cached(
                    "DELETE FROM game_pins WHERE (quiz = ?1 OR pin = ?2) AND until <= ?3",
                )
                .and_then(|mut st| st.execute((&q, &p, now)))
                .map_err(StoreError::sql("drop expired game PINs"))?;
                let inserted = c
                    .prepare_cached(
                        "INSERT OR IGNORE INTO game_pins (pin, quiz, until) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut st| st.execute((&p, &q, until)))
                    .map_err(StoreError::sql("claim game PIN"))?;
                Ok(Ok(inserted > 0))
            })
            .await
            .map_err(unavailable)?;
        match claimed {
            Err(held) => Ok(PinClaim::Held(pin(held).map_err(unavailable)?)),
            Ok(true) => Ok(PinClaim::Claimed(candidate.clone())),
            Ok(false) => Ok(PinClaim::Taken),
        }
    }

    async fn resolve(
        &self,
        pin: &GamePin,
        now: Timestamp,
    ) -> Result<Option<QuizId>, PinStoreError> {
        let (p, now) = (pin.as_str().to_owned(), now.0);
        let quiz: Option<String> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT quiz FROM game_pins WHERE pin = ?1 AND until > ?2")
                    .and_then(|mut st| optional(st.query_row((&p, now), |r| r.get(0))))
                    .map_err(StoreError::sql("resolve game PIN"))
            })
            .await
            .map_err(unavailable)?;
        quiz.map(quiz_id).transpose().map_err(unavailable)
    }

    async fn pin_of(
        &self,
        quiz: &QuizId,
        now: Timestamp,
    ) -> Result<Option<GamePin>, PinStoreError> {
        let (q, now) = (quiz.as_str().to_owned(), now.0);
        let held = self
            .db
            .read(move |c| live_pin(c, &q, now))
            .await
            .map_err(unavailable)?;
        held.map(pin).transpose().map_err(unavailable)
    }

    async fn expire_by(
        &self,
        quiz: &QuizId,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(), PinStoreError> {
        let (q, until, now) = (quiz.as_str().to_owned(), until.0, now.0);
        self.db
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE game_pins SET until = ?2 WHERE quiz = ?1 AND until > ?3 AND until > ?2",
                )
                .and_then(|mut st| st.execute((&q, until, now)))
                .map_err(StoreError::sql("expire game PIN"))
                .map(drop)
            })
            .await
            .map_err(unavailable)
    }

    async fn release(&self, quiz: &QuizId) -> Result<(), PinStoreError> {
        let q = quiz.as_str().to_owned();
        self.db
            .write(move |c| {
                c.prepare_cached("DELETE FROM game_pins WHERE quiz = ?1")
                    .and_then(|mut st| st.execute([&q]))
                    .map_err(StoreError::sql("release game PIN"))
                    .map(drop)
            })
            .await
            .map_err(unavailable)
    }
}
