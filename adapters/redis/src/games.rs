//! [`GameStore`] on Redis: a hosted game's state in one hash, moved by a compare-and-set
//! script, and its per-phase answer counts in another; both keys carry the quiz's hash tag,
//! so the script runs on the node that holds the rest of the quiz.

use async_trait::async_trait;
use quiz_core::QuizId;
use quiz_core::game::GameState;
use quiz_core::ports::{GameStore, GameStoreError};
use redis::Value;

use crate::conn::{Failure, Shared};
use crate::{keys, scripts};

/// Hosted games in Redis. Build it with [`crate::RedisAdapters`].
pub struct RedisGames {
    shared: Shared,
}

impl RedisGames {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

fn unavailable(f: Failure) -> GameStoreError {
    GameStoreError::Unavailable(Box::new(f))
}

#[async_trait]
impl GameStore for RedisGames {
    async fn get(&self, quiz: &QuizId) -> Result<Option<GameState>, GameStoreError> {
        const OP: &str = "game get";
        let mut cmd = redis::cmd("HGET");
        cmd.arg(keys::game(quiz)).arg("state");
        let stored: Option<String> = self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        stored
            .map(|json| {
                serde_json::from_str(&json).map_err(|e| {
                    unavailable(Failure::malformed(OP, format!("stored game state: {e}")))
                })
            })
            .transpose()
    }

    async fn compare_and_set(
        &self,
        quiz: &QuizId,
        expected: Option<u64>,
        next: &GameState,
    ) -> Result<bool, GameStoreError> {
        let json = serde_json::to_string(next).map_err(|e| {
            unavailable(Failure::malformed(
                "game set",
                format!("encoding the state: {e}"),
            ))
        })?;
        let reply: Value = self
            .shared
            .eval(
                &scripts::GAME_CAS,
                &[keys::game(quiz)],
                &[
                    expected.map_or_else(String::new, |s| s.to_string()),
                    next.seq.to_string(),
                    json,
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(matches!(reply, Value::Int(1)))
    }

    async fn count_answer(&self, quiz: &QuizId, round: u64) -> Result<u64, GameStoreError> {
        let mut cmd = redis::cmd("HINCRBY");
        cmd.arg(keys::game_counts(quiz)).arg(round).arg(1);
        self.shared
            .query("game count", &cmd)
            .await
            .map_err(unavailable)
    }

    async fn clear(&self, quiz: &QuizId) -> Result<(), GameStoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys::game(quiz)).arg(keys::game_counts(quiz));
        let _: Value = self
            .shared
            .query("game clear", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
