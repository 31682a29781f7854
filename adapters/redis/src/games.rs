//! [`GameStore`] on Redis: a hosted game's state in one hash, moved by a compare-and-set
//! script; each question's answers in a hash of their own and the removed players in a set; both keys carry the quiz's hash tag,
//! so the script runs on the node that holds the rest of the quiz.

use async_trait::async_trait;
use quiz_core::game::GameState;
use quiz_core::ports::{GameAnswer, GameStore, GameStoreError};
use quiz_core::{PlayerId, QuizId};
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

    async fn record_answer(
        &self,
        quiz: &QuizId,
        question: usize,
        answer: &GameAnswer,
    ) -> Result<u64, GameStoreError> {
        let encoded = format!(
            "{}:{}:{}:{}",
            answer.option,
            u8::from(answer.correct),
            answer.points,
            answer.elapsed_ms
        );
        self.shared
            .eval(
                &scripts::GAME_ANSWER,
                &[keys::game_answers(quiz, question)],
                &[answer.player.to_string(), encoded],
            )
            .await
            .map_err(unavailable)
    }

    async fn answer_count(&self, quiz: &QuizId, question: usize) -> Result<u64, GameStoreError> {
        let mut cmd = redis::cmd("HLEN");
        cmd.arg(keys::game_answers(quiz, question));
        self.shared
            .query("game answer count", &cmd)
            .await
            .map_err(unavailable)
    }

    async fn answers(
        &self,
        quiz: &QuizId,
        question: usize,
    ) -> Result<Vec<GameAnswer>, GameStoreError> {
        const OP: &str = "game answers";
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(keys::game_answers(quiz, question));
        let stored: Vec<(String, String)> =
            self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        stored
            .into_iter()
            .map(|(player, encoded)| {
                decode_answer(&player, &encoded).ok_or_else(|| {
                    unavailable(Failure::malformed(
                        OP,
                        format!("stored answer {encoded:?} of {player:?}"),
                    ))
                })
            })
            .collect()
    }

    async fn kick(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), GameStoreError> {
        let mut cmd = redis::cmd("SADD");
        cmd.arg(keys::game_kicked(quiz)).arg(player.as_str());
        let _: Value = self
            .shared
            .query("game kick", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn kicked(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, GameStoreError> {
        const OP: &str = "game kicked";
        let mut cmd = redis::cmd("SMEMBERS");
        cmd.arg(keys::game_kicked(quiz));
        let ids: Vec<String> = self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        ids.into_iter()
            .map(|id| {
                PlayerId::parse(&id).map_err(|e| {
                    unavailable(Failure::malformed(OP, format!("stored player id: {e}")))
                })
            })
            .collect()
    }

    async fn clear(&self, quiz: &QuizId, questions: usize) -> Result<(), GameStoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys::game(quiz)).arg(keys::game_kicked(quiz));
        for i in 0..questions {
            cmd.arg(keys::game_answers(quiz, i));
        }
        let _: Value = self
            .shared
            .query("game clear", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// Reads `<option>:<0/1>:<points>:<elapsed ms>` back.
fn decode_answer(player: &str, encoded: &str) -> Option<GameAnswer> {
    let mut parts = encoded.split(':');
    let option = parts.next()?.parse().ok()?;
    let correct = match parts.next()? {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let points = parts.next()?.parse().ok()?;
    let elapsed_ms = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(GameAnswer {
        player: PlayerId::parse(player).ok()?,
        option,
        correct,
        points,
        elapsed_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_answers_decode_and_garbage_is_refused() {
        let a = decode_answer("p1", "2:1:93:4200").unwrap();
        assert_eq!(
            (a.option, a.correct, a.points, a.elapsed_ms),
            (2, true, 93, 4200)
        );
        for bad in ["", "2:1:93", "2:2:93:1", "x:1:93:1", "2:1:93:1:9"] {
            assert_eq!(decode_answer("p1", bad), None, "{bad:?}");
        }
    }
}
