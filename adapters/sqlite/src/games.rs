//! [`GameStore`] on the `games`, `game_answers`, `game_answer_counts` and `game_removed`
//! tables. A game's state is stored as JSON with its `seq` in a column; a compare-and-set
//! and "record an answer and count" are each one write job, so they are atomic against
//! every other write.

use async_trait::async_trait;
use quiz_core::game::GameState;
use quiz_core::ports::{GameAnswer, GameStore, GameStoreError};
use quiz_core::question::{Given, OptionSet};
use quiz_core::{PlayerId, QuizId};
use rusqlite::Connection;

use crate::error::StoreError;
use crate::{SqliteStore, corrupt, optional, player_id};

fn unavailable(e: StoreError) -> GameStoreError {
    GameStoreError::Unavailable(Box::new(e))
}

fn answered(c: &Connection, quiz: &str, question: usize) -> Result<u64, StoreError> {
    c.prepare_cached("SELECT answered FROM game_answer_counts WHERE quiz = ?1 AND question = ?2")
        .and_then(|mut st| optional(st.query_row((quiz, question), |r| r.get(0))))
        .map(Option::unwrap_or_default)
        .map_err(StoreError::sql("read answer count"))
}

/// An answer row: player, text, picks, correct, points, elapsed_ms.
type AnswerRow = (String, Option<String>, u32, bool, u32, u64);

#[async_trait]
impl GameStore for SqliteStore {
    async fn get(&self, quiz: &QuizId) -> Result<Option<GameState>, GameStoreError> {
        let q = quiz.as_str().to_owned();
        let json: Option<String> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT state FROM games WHERE quiz = ?1")
                    .and_then(|mut st| optional(st.query_row([&q], |r| r.get(0))))
                    .map_err(StoreError::sql("read game"))
            })
            .await
            .map_err(unavailable)?;
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| unavailable(corrupt(format!("game of quiz {:?}", quiz.as_str()), e)))
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
            unavailable(StoreError::Encode {
                what: "game state",
                reason: e.to_string(),
            })
        })?;
        let (q, seq) = (quiz.as_str().to_owned(), next.seq);
        self.db
            .write(move |c| {
                let stored: Option<u64> = c
                    .prepare_cached("SELECT seq FROM games WHERE quiz = ?1")
                    .and_then(|mut st| optional(st.query_row([&q], |r| r.get(0))))
                    .map_err(StoreError::sql("read game seq"))?;
                if stored != expected {
                    return Ok(false);
                }
                c.prepare_cached(
                    "INSERT INTO games (quiz, seq, state) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (quiz) DO UPDATE SET seq = excluded.seq, state = excluded.state",
                )
                .and_then(|mut st| st.execute((&q, seq, &json)))
                .map_err(StoreError::sql("write game"))?;
                Ok(true)
            })
            .await
            .map_err(unavailable)
    }

    async fn record_answer(
        &self,
        quiz: &QuizId,
        question: usize,
        answer: &GameAnswer,
    ) -> Result<u64, GameStoreError> {
        let (text, picks) = match &answer.given {
            Given::Picks(set) => (None, set.bits()),
            Given::Text(t) => (Some(t.clone()), 0),
        };
        let (q, p) = (quiz.as_str().to_owned(), answer.player.as_str().to_owned());
        let (correct, points, elapsed) = (answer.correct, answer.points, answer.elapsed_ms);
        self.db
            .write(move |c| {
                let new = c
                    .prepare_cached(
                        "INSERT OR IGNORE INTO game_answers \
                         (quiz, question, player, text, picks, correct, points, elapsed_ms) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )
                    .and_then(|mut st| {
                        st.execute((&q, question, &p, &text, picks, correct, points, elapsed))
                    })
                    .map_err(StoreError::sql("insert game answer"))?
                    > 0;
                if new {
                    c.prepare_cached(
                        "INSERT INTO game_answer_counts (quiz, question, answered) \
                         VALUES (?1, ?2, 1) ON CONFLICT (quiz, question) \
                         DO UPDATE SET answered = answered + 1",
                    )
                    .and_then(|mut st| st.execute((&q, question)))
                    .map_err(StoreError::sql("count game answer"))?;
                }
                answered(c, &q, question)
            })
            .await
            .map_err(unavailable)
    }

    async fn answer_count(&self, quiz: &QuizId, question: usize) -> Result<u64, GameStoreError> {
        let q = quiz.as_str().to_owned();
        self.db
            .read(move |c| answered(c, &q, question))
            .await
            .map_err(unavailable)
    }

    async fn answers(
        &self,
        quiz: &QuizId,
        question: usize,
    ) -> Result<Vec<GameAnswer>, GameStoreError> {
        let q = quiz.as_str().to_owned();
        let rows: Vec<AnswerRow> = self
            .db
            .read(move |c| {
                c.prepare_cached(
                    "SELECT player, text, picks, correct, points, elapsed_ms \
                     FROM game_answers WHERE quiz = ?1 AND question = ?2",
                )
                .and_then(|mut st| {
                    st.query_map((&q, question), |r| {
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
                .map_err(StoreError::sql("read game answers"))
            })
            .await
            .map_err(unavailable)?;
        rows.into_iter()
            .map(|(player, text, picks, correct, points, elapsed_ms)| {
                Ok(GameAnswer {
                    player: player_id(&player)?,
                    given: match text {
                        Some(t) => Given::Text(t),
                        None => Given::Picks(OptionSet::from_bits(picks)),
                    },
                    correct,
                    points,
                    elapsed_ms,
                })
            })
            .collect::<Result<_, StoreError>>()
            .map_err(unavailable)
    }

    async fn remove_player(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), GameStoreError> {
        let (q, p) = (quiz.as_str().to_owned(), player.as_str().to_owned());
        self.db
            .write(move |c| {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO game_removed (quiz, player) VALUES (?1, ?2)",
                )
                .and_then(|mut st| st.execute((&q, &p)))
                .map(drop)
                .map_err(StoreError::sql("remove player"))
            })
            .await
            .map_err(unavailable)
    }

    async fn removed_players(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, GameStoreError> {
        let q = quiz.as_str().to_owned();
        let ids: Vec<String> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT player FROM game_removed WHERE quiz = ?1")
                    .and_then(|mut st| st.query_map([&q], |r| r.get(0))?.collect())
                    .map_err(StoreError::sql("read removed players"))
            })
            .await
            .map_err(unavailable)?;
        ids.iter()
            .map(|id| player_id(id))
            .collect::<Result<_, _>>()
            .map_err(unavailable)
    }

    async fn clear(&self, quiz: &QuizId, _questions: usize) -> Result<(), GameStoreError> {
        let q = quiz.as_str().to_owned();
        self.db
            .write(move |c| {
                for table in [
                    "games",
                    "game_answers",
                    "game_answer_counts",
                    "game_removed",
                ] {
                    c.execute(&format!("DELETE FROM {table} WHERE quiz = ?1"), [&q])
                        .map_err(StoreError::sql("clear game"))?;
                }
                Ok(())
            })
            .await
            .map_err(unavailable)
    }
}
