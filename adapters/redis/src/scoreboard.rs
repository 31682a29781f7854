//! [`Scoreboard`] on a Redis sorted set per quiz.

use async_trait::async_trait;
use quiz_core::ports::{Scoreboard, ScoreboardError};
use std::sync::Arc;

use quiz_core::{
    AnswerRecord, AnswerResult, ArchivedStanding, PlayerId, QuestionId, QuizId, Ranked, Recorded,
    SortKey, Standing, Timestamp,
};
use redis::Value;

use crate::batch::{self, Batcher};
use crate::conn::{Failure, Shared};
use crate::reply::{self, Items};
use crate::{keys, scripts};

/// How often `restore` re-reads the board when it changed between the read and the
/// replacement (only live writes during a rebuild cause that).
const RESTORE_ATTEMPTS: usize = 5;

/// Largest `k` sent to the "around me" script: far above any board size, and small enough
/// that `rank + k` stays exact in Lua.
const MAX_AROUND: u64 = 1 << 50;

/// Live scores and ranks in Redis. Build it with [`crate::RedisAdapters`].
///
/// `record` is one Lua script (dedupe, streak, points, total, sort key, answer count,
/// stored result, rank), so it is atomic on a standalone server and on a cluster alike.
/// Concurrent `record` calls are gathered into batches, one script call each (per hash
/// slot), and `record_many` sends its answers the same way.
pub struct RedisScoreboard {
    shared: Shared,
    batcher: Arc<Batcher>,
}

impl RedisScoreboard {
    pub(crate) fn new(shared: Shared) -> Self {
        Self {
            batcher: Arc::new(Batcher::new(shared.clone())),
            shared,
        }
    }

    /// Sets the canary ([`keys::CANARY`]): where none is (`NX`) when connecting, so a fresh
    /// Redis counts as intact (an instance started after a loss cannot tell the loss from a
    /// fresh Redis: the instances running at the loss report it); always after a restore.
    pub(crate) async fn mark_intact(&self, overwrite: bool) -> Result<(), ScoreboardError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::CANARY).arg("1");
        if !overwrite {
            cmd.arg("NX");
        }
        let _: Value = self
            .shared
            .query("mark intact", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn unavailable(f: Failure) -> ScoreboardError {
    ScoreboardError::Unavailable(Box::new(f))
}

/// Redis range bounds are signed 64-bit: past that, nothing can be there.
fn index(n: u64) -> Option<i64> {
    i64::try_from(n).ok()
}

#[async_trait]
impl Scoreboard for RedisScoreboard {
    async fn enroll(
        &self,
        quiz: &QuizId,
        quiz_created_at: Timestamp,
        player: &PlayerId,
        at: Timestamp,
    ) -> Result<(), ScoreboardError> {
        let key = SortKey::at(0, quiz_created_at, at)?;
        let _: Value = self
            .shared
            .eval(
                &scripts::ENROLL,
                &[keys::board(quiz), keys::player_state(quiz, player)],
                &[
                    player.to_string(),
                    key.raw().to_string(),
                    at.millis().to_string(),
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn record(&self, a: &AnswerRecord) -> Result<Recorded, ScoreboardError> {
        self.batcher.record(a).await
    }

    async fn record_many(
        &self,
        answers: &[AnswerRecord],
    ) -> Vec<Result<Recorded, ScoreboardError>> {
        let mut out = Vec::with_capacity(answers.len());
        for chunk in answers.chunks(self.shared.options().record_batch.max(1)) {
            out.extend(batch::record_batch(&self.shared, chunk).await);
        }
        out
    }

    async fn top(
        &self,
        quiz: &QuizId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, ScoreboardError> {
        const OP: &str = "top";
        let (Some(start), true) = (index(offset), limit > 0) else {
            return Ok(Vec::new());
        };
        let stop = index(offset.saturating_add(limit - 1)).unwrap_or(i64::MAX);
        let mut cmd = redis::cmd("ZRANGE");
        cmd.arg(keys::board(quiz))
            .arg(start)
            .arg(stop)
            .arg("WITHSCORES");
        let reply: Value = self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        reply::ranked(OP, reply, offset + 1).map_err(unavailable)
    }

    async fn standing(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Option<Standing>, ScoreboardError> {
        const OP: &str = "standing";
        let reply: Value = self
            .shared
            .eval(
                &scripts::STANDING,
                &[keys::board(quiz)],
                &[player.to_string()],
            )
            .await
            .map_err(unavailable)?;
        if reply == Value::Nil {
            return Ok(None);
        }
        let parse = || -> Result<Standing, Failure> {
            let mut items = Items::of(OP, reply)?;
            let rank = items.uint("rank")? + 1;
            let key = reply::sort_key(OP, items.value("score")?)?;
            Ok(Standing { rank, key })
        };
        parse().map(Some).map_err(unavailable)
    }

    async fn around(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        k: u64,
    ) -> Result<Vec<Ranked>, ScoreboardError> {
        const OP: &str = "around";
        let reply: Value = self
            .shared
            .eval(
                &scripts::AROUND,
                &[keys::board(quiz)],
                &[player.to_string(), k.min(MAX_AROUND).to_string()],
            )
            .await
            .map_err(unavailable)?;
        let parse = || -> Result<Vec<Ranked>, Failure> {
            let mut items = Items::of(OP, reply)?;
            if items.is_empty() {
                return Ok(Vec::new());
            }
            let first = items.uint("first rank")?;
            let entries = items.value("entries")?;
            reply::ranked(OP, entries, first + 1)
        };
        parse().map_err(unavailable)
    }

    async fn count(&self, quiz: &QuizId) -> Result<u64, ScoreboardError> {
        let mut cmd = redis::cmd("ZCARD");
        cmd.arg(keys::board(quiz));
        self.shared.query("count", &cmd).await.map_err(unavailable)
    }

    async fn answers(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Vec<(QuestionId, AnswerResult)>, ScoreboardError> {
        const OP: &str = "answers";
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(keys::player_answers(quiz, player));
        let stored: Vec<(String, String)> =
            self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        stored
            .into_iter()
            .map(|(q, r)| Ok((reply::question_id(OP, q)?, reply::decode_result(OP, &r)?)))
            .collect::<Result<_, Failure>>()
            .map_err(unavailable)
    }

    async fn intact(&self) -> Result<bool, ScoreboardError> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(keys::CANARY);
        let n: u64 = self
            .shared
            .query("intact", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(n == 1)
    }

    async fn remove(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), ScoreboardError> {
        let _: Value = self
            .shared
            .eval(
                &scripts::REMOVE_PLAYER,
                &[
                    keys::board(quiz),
                    keys::player_state(quiz, player),
                    keys::player_answers(quiz, player),
                ],
                &[player.to_string()],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn restore(
        &self,
        quiz: &QuizId,
        quiz_created_at: Timestamp,
        standings: &[ArchivedStanding],
    ) -> Result<(), ScoreboardError> {
        let sort_keys = ArchivedStanding::sort_keys(standings, quiz_created_at)?;
        let mut new_keys = Vec::with_capacity(2 * standings.len());
        let mut new_args = vec![standings.len().to_string()];
        for (s, key) in standings.iter().zip(&sort_keys) {
            let streak = s.current_streak();
            new_keys.push(keys::player_state(quiz, &s.player));
            new_keys.push(keys::player_answers(quiz, &s.player));
            new_args.extend([
                s.player.to_string(),
                key.raw().to_string(),
                s.total.to_string(),
                s.answers.to_string(),
                streak.to_string(),
                s.reached_at.millis().to_string(),
                s.results.len().to_string(),
            ]);
            for (q, r) in &s.results {
                new_args.push(q.to_string());
                new_args.push(reply::encode_result(r));
            }
        }
        for _ in 0..RESTORE_ATTEMPTS {
            let mut cmd = redis::cmd("ZRANGE");
            cmd.arg(keys::board(quiz)).arg(0).arg(-1);
            let old: Vec<String> = self
                .shared
                .query("restore", &cmd)
                .await
                .map_err(unavailable)?;
            let old_ids = old
                .into_iter()
                .map(|id| reply::player_id("restore", id))
                .collect::<Result<Vec<_>, _>>()
                .map_err(unavailable)?;
            let mut keys_arg = Vec::with_capacity(1 + 2 * old_ids.len() + new_keys.len());
            keys_arg.push(keys::board(quiz));
            for id in &old_ids {
                keys_arg.push(keys::player_state(quiz, id));
                keys_arg.push(keys::player_answers(quiz, id));
            }
            keys_arg.extend(new_keys.iter().cloned());
            let mut args = Vec::with_capacity(1 + old_ids.len() + new_args.len());
            args.push(old_ids.len().to_string());
            args.extend(old_ids.iter().map(ToString::to_string));
            args.extend(new_args.iter().cloned());
            let status: String = self
                .shared
                .eval(&scripts::RESTORE, &keys_arg, &args)
                .await
                .map_err(unavailable)?;
            match status.as_str() {
                "ok" => return self.mark_intact(true).await,
                "retry" => continue,
                other => {
                    return Err(unavailable(Failure::malformed(
                        "restore",
                        format!("unknown status {other:?}"),
                    )));
                }
            }
        }
        Err(unavailable(Failure::Contended {
            op: "restore",
            detail: format!("the board kept changing during {RESTORE_ATTEMPTS} attempts"),
        }))
    }
}
