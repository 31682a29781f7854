//! [`GameStore`] on Redis: a hosted game's state in one hash, moved by a compare-and-set
//! script; each question's answers in a hash of their own and the removed players in a set; both keys carry the quiz's hash tag,
//! so the script runs on the node that holds the rest of the quiz.

use async_trait::async_trait;
use quiz_core::OptionIndex;
use quiz_core::game::GameState;
use quiz_core::ports::{GameAnswer, GameStore, GameStoreError};
use quiz_core::question::{Given, OptionSet};
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
        let encoded = encode_answer(answer);
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

    async fn remove_player(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), GameStoreError> {
        let mut cmd = redis::cmd("SADD");
        cmd.arg(keys::game_removed(quiz)).arg(player.as_str());
        let _: Value = self
            .shared
            .query("game remove player", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn removed_players(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, GameStoreError> {
        const OP: &str = "game removed players";
        let mut cmd = redis::cmd("SMEMBERS");
        cmd.arg(keys::game_removed(quiz));
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
        cmd.arg(keys::game(quiz)).arg(keys::game_removed(quiz));
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

/// How a game answer is stored: `<0/1 correct>:<points>:<elapsed ms>:<given>`, where
/// `<given>` is `p<bits>` (the options picked, bit i = option i) or `t<text>` (a typed
/// answer, normalised; it may contain `:`, so it comes last).
fn encode_answer(a: &GameAnswer) -> String {
    let given = match &a.given {
        Given::Picks(set) => format!("p{}", set.bits()),
        Given::Text(t) => format!("t{t}"),
    };
    format!(
        "{}:{}:{}:{given}",
        u8::from(a.correct),
        a.points,
        a.elapsed_ms
    )
}

/// Reads [`encode_answer`]'s format back, and the format written before question types
/// existed, `<option>:<0/1 correct>:<points>:<elapsed ms>`.
fn decode_answer(player: &str, encoded: &str) -> Option<GameAnswer> {
    let parts: Vec<&str> = encoded.splitn(4, ':').collect();
    let [a, b, c, d] = parts[..] else {
        return None;
    };
    let flag = |s: &str| match s {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let (given, correct, points, elapsed_ms) = if let Some(bits) = d.strip_prefix('p') {
        let bits: u32 = bits.parse().ok()?;
        (Given::Picks(OptionSet::from_bits(bits)), flag(a)?, b, c)
    } else if let Some(text) = d.strip_prefix('t') {
        (Given::Text(text.to_owned()), flag(a)?, b, c)
    } else {
        let option = OptionIndex::new(a.parse().ok()?).ok()?;
        let elapsed = d;
        (Given::Picks(OptionSet::one(option)), flag(b)?, c, elapsed)
    };
    Some(GameAnswer {
        player: PlayerId::parse(player).ok()?,
        given,
        correct,
        points: points.parse().ok()?,
        elapsed_ms: elapsed_ms.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_answers_decode_and_garbage_is_refused() {
        // Written before question types existed: `<option>:<correct>:<points>:<elapsed>`.
        let a = decode_answer("p1", "2:1:93:4200").unwrap();
        assert_eq!(
            (a.given, a.correct, a.points, a.elapsed_ms),
            (Given::Picks(OptionSet::from_bits(0b100)), true, 93, 4200)
        );
        for given in [
            Given::Picks(OptionSet::from_bits(0b101)),
            Given::Text("new york: the big apple".into()),
            Given::Text(String::new()),
        ] {
            let a = GameAnswer {
                player: PlayerId::parse("p1").unwrap(),
                given,
                correct: false,
                points: 7,
                elapsed_ms: 12,
            };
            assert_eq!(decode_answer("p1", &encode_answer(&a)), Some(a));
        }
        for bad in [
            "",
            "2:1:93",
            "2:2:93:1",
            "x:1:93:1",
            "2:1:93:1:9",
            "7:1:93:1",
            "1:5:6:px",
        ] {
            assert_eq!(decode_answer("p1", bad), None, "{bad:?}");
        }
    }
}
