//! [`ScoreArchive`] on the `standings` and `results` tables. A batch is one write job:
//! each event's result is inserted unless the (player, question) has one, and the standing
//! is replaced only by an event with more answers (an upsert with a `WHERE`), so applying
//! events again or in any order converges on the same rows.

use std::collections::HashMap;

use async_trait::async_trait;
use quiz_core::ports::{ArchiveError, ScoreArchive};
use quiz_core::{AnswerResult, ApplySummary, ArchivedStanding, QuizId, ScoreEvent, Timestamp};

use crate::error::StoreError;
use crate::{SqliteStore, player_id, player_name};

fn unavailable(e: StoreError) -> ArchiveError {
    ArchiveError::Unavailable(Box::new(e))
}

/// A standing row: player, name, joined_at, total, answers, reached_at.
type StandingRow = (String, String, u64, u64, u32, u64);
/// A result row: player, question, correct, points, streak, at, elapsed_ms.
type ResultRow = (String, String, bool, u32, u32, u64, Option<u64>);

#[async_trait]
impl ScoreArchive for SqliteStore {
    async fn ping(&self) -> Result<(), ArchiveError> {
        self.db
            .read(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(StoreError::sql("ping"))
            })
            .await
            .map_err(unavailable)
    }

    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        if events.is_empty() {
            return Ok(ApplySummary::default());
        }
        let events = events.to_vec();
        self.db
            .write(move |c| {
                let mut result = c
                    .prepare_cached(
                        "INSERT OR IGNORE INTO results \
                         (quiz, player, question, correct, points, streak, at, elapsed_ms) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )
                    .map_err(StoreError::sql("prepare result insert"))?;
                let mut standing = c
                    .prepare_cached(
                        "INSERT INTO standings \
                         (quiz, player, name, joined_at, total, answers, reached_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                         ON CONFLICT (quiz, player) DO UPDATE SET name = excluded.name, \
                         joined_at = excluded.joined_at, total = excluded.total, \
                         answers = excluded.answers, reached_at = excluded.reached_at \
                         WHERE excluded.answers > standings.answers",
                    )
                    .map_err(StoreError::sql("prepare standing upsert"))?;
                let mut summary = ApplySummary::default();
                for e in &events {
                    let r = &e.result;
                    let (q, p) = (e.quiz.as_str(), e.player.as_str());
                    let new_result = result
                        .execute((
                            q,
                            p,
                            e.question.as_str(),
                            r.correct,
                            r.points,
                            r.streak,
                            r.at.0,
                            r.elapsed_ms,
                        ))
                        .map_err(StoreError::sql("insert result"))?
                        > 0;
                    // As the reference archive: a standing first seen with no answers
                    // counted starts at zero.
                    let total = if e.answers > 0 { e.total } else { 0 };
                    let new_standing = standing
                        .execute((
                            q,
                            p,
                            e.player_name.as_str(),
                            e.joined_at.0,
                            total,
                            e.answers,
                            e.reached_at.0,
                        ))
                        .map_err(StoreError::sql("upsert standing"))?
                        > 0;
                    if new_result || new_standing {
                        summary.applied += 1;
                    } else {
                        summary.stale += 1;
                    }
                }
                Ok(summary)
            })
            .await
            .map_err(unavailable)
    }

    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError> {
        let q = quiz.as_str().to_owned();
        let (standings, results): (Vec<StandingRow>, Vec<ResultRow>) = self
            .db
            .read(move |c| {
                // One snapshot for both tables.
                let tx = c
                    .unchecked_transaction()
                    .map_err(StoreError::sql("begin read"))?;
                let standings = tx
                    .prepare_cached(
                        "SELECT player, name, joined_at, total, answers, reached_at \
                         FROM standings WHERE quiz = ?1",
                    )
                    .and_then(|mut st| {
                        st.query_map([&q], |r| {
                            Ok((
                                r.get(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                            ))
                        })?
                        .collect()
                    })
                    .map_err(StoreError::sql("read standings"))?;
                let results = tx
                    .prepare_cached(
                        "SELECT player, question, correct, points, streak, at, elapsed_ms \
                         FROM results WHERE quiz = ?1",
                    )
                    .and_then(|mut st| {
                        st.query_map([&q], |r| {
                            Ok((
                                r.get(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                                r.get(6)?,
                            ))
                        })?
                        .collect()
                    })
                    .map_err(StoreError::sql("read results"))?;
                Ok((standings, results))
            })
            .await
            .map_err(unavailable)?;
        let decode = || -> Result<Vec<ArchivedStanding>, StoreError> {
            let mut by_player: HashMap<String, Vec<(quiz_core::QuestionId, AnswerResult)>> =
                HashMap::new();
            for (player, question, correct, points, streak, at, elapsed_ms) in results {
                let question = quiz_core::QuestionId::parse(&question)
                    .map_err(|e| crate::corrupt(format!("question id {question:?}"), e))?;
                by_player.entry(player).or_default().push((
                    question,
                    AnswerResult {
                        correct,
                        points,
                        streak,
                        at: Timestamp(at),
                        elapsed_ms,
                    },
                ));
            }
            standings
                .into_iter()
                .map(|(player, name, joined_at, total, answers, reached_at)| {
                    Ok(ArchivedStanding {
                        results: by_player.remove(&player).unwrap_or_default(),
                        player: player_id(&player)?,
                        name: player_name(&name)?,
                        joined_at: Timestamp(joined_at),
                        total,
                        answers,
                        reached_at: Timestamp(reached_at),
                    })
                })
                .collect()
        };
        decode().map_err(unavailable)
    }
}
