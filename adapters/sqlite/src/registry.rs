//! [`PlayerRegistry`] on the `players`, `player_names` and `player_counters` tables.
//!
//! A join is one write job (so it is atomic against every other write): it checks the
//! player count kept in `player_counters` against the limit, takes the case-folded name in
//! `player_names` (taken already: `NameTaken`, nothing written), then issues `p<n>` from the
//! quiz's counter. Names are only ever added, as the port requires of `restore`.

use std::collections::HashMap;

use async_trait::async_trait;
use quiz_core::ports::{JoinError, PlayerRegistry, RegistryError};
use quiz_core::{Player, PlayerId, PlayerName, QuizId, Timestamp};
use rusqlite::Connection;

use crate::error::StoreError;
use crate::{SqliteStore, optional, player_id, player_name};

fn unavailable(e: StoreError) -> RegistryError {
    RegistryError::Unavailable(Box::new(e))
}

/// A join's outcome inside the write job (refusals write nothing).
enum Joined {
    Player(PlayerId),
    NameTaken,
    Full,
}

/// The quiz's counters, `(issued, players)`; zeros when it has none yet.
fn counters(c: &Connection, quiz: &str) -> Result<(u64, u64), StoreError> {
    c.prepare_cached("SELECT issued, players FROM player_counters WHERE quiz = ?1")
        .and_then(|mut st| optional(st.query_row([quiz], |r| Ok((r.get(0)?, r.get(1)?)))))
        .map(Option::unwrap_or_default)
        .map_err(StoreError::sql("read player counters"))
}

fn set_counters(c: &Connection, quiz: &str, issued: u64, players: u64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO player_counters (quiz, issued, players) VALUES (?1, ?2, ?3) \
         ON CONFLICT (quiz) DO UPDATE SET issued = excluded.issued, players = excluded.players",
    )
    .and_then(|mut st| st.execute((quiz, issued, players)))
    .map(drop)
    .map_err(StoreError::sql("write player counters"))
}

fn take_name(c: &Connection, quiz: &str, folded: &str) -> Result<bool, StoreError> {
    c.prepare_cached("INSERT OR IGNORE INTO player_names (quiz, folded) VALUES (?1, ?2)")
        .and_then(|mut st| st.execute((quiz, folded)))
        .map(|n| n > 0)
        .map_err(StoreError::sql("take player name"))
}

#[async_trait]
impl PlayerRegistry for SqliteStore {
    async fn join(
        &self,
        quiz: &QuizId,
        name: &PlayerName,
        at: Timestamp,
        max_players: u64,
    ) -> Result<Player, JoinError> {
        let (q, n, folded) = (
            quiz.as_str().to_owned(),
            name.as_str().to_owned(),
            name.folded(),
        );
        let joined = self
            .db
            .write(move |c| {
                let (issued, players) = counters(c, &q)?;
                if players >= max_players {
                    return Ok(Joined::Full);
                }
                if !take_name(c, &q, &folded)? {
                    return Ok(Joined::NameTaken);
                }
                let issued = issued + 1;
                let id = PlayerId::parse(format!("p{issued}")).map_err(|e| StoreError::Encode {
                    what: "player id",
                    reason: e.to_string(),
                })?;
                c.prepare_cached(
                    "INSERT INTO players (quiz, id, name, joined_at) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut st| st.execute((&q, id.as_str(), &n, at.0)))
                .map_err(StoreError::sql("insert player"))?;
                set_counters(c, &q, issued, players + 1)?;
                Ok(Joined::Player(id))
            })
            .await
            .map_err(|e| JoinError::Unavailable(Box::new(e)))?;
        match joined {
            Joined::Player(id) => Ok(Player {
                quiz: quiz.clone(),
                id,
                name: name.clone(),
                joined_at: at,
            }),
            Joined::NameTaken => Err(JoinError::NameTaken),
            Joined::Full => Err(JoinError::QuizFull),
        }
    }

    async fn get(&self, quiz: &QuizId, player: &PlayerId) -> Result<Option<Player>, RegistryError> {
        let (q, p) = (quiz.as_str().to_owned(), player.as_str().to_owned());
        let row: Option<(String, u64)> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT name, joined_at FROM players WHERE quiz = ?1 AND id = ?2")
                    .and_then(|mut st| {
                        optional(st.query_row((&q, &p), |r| Ok((r.get(0)?, r.get(1)?))))
                    })
                    .map_err(StoreError::sql("read player"))
            })
            .await
            .map_err(unavailable)?;
        row.map(|(name, joined)| {
            Ok(Player {
                quiz: quiz.clone(),
                id: player.clone(),
                name: player_name(&name)?,
                joined_at: Timestamp(joined),
            })
        })
        .transpose()
        .map_err(unavailable)
    }

    async fn names(
        &self,
        quiz: &QuizId,
        players: &[PlayerId],
    ) -> Result<HashMap<PlayerId, PlayerName>, RegistryError> {
        if players.is_empty() {
            return Ok(HashMap::new());
        }
        let q = quiz.as_str().to_owned();
        let ids: Vec<String> = players.iter().map(|p| p.as_str().to_owned()).collect();
        let rows: Vec<(String, String)> = self
            .db
            .read(move |c| {
                let mut st = c
                    .prepare_cached("SELECT name FROM players WHERE quiz = ?1 AND id = ?2")
                    .map_err(StoreError::sql("read player names"))?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(name) = optional(st.query_row((&q, &id), |r| r.get(0)))
                        .map_err(StoreError::sql("read player names"))?
                    {
                        out.push((id, name));
                    }
                }
                Ok(out)
            })
            .await
            .map_err(unavailable)?;
        rows.into_iter()
            .map(|(id, name)| Ok((player_id(&id)?, player_name(&name)?)))
            .collect::<Result<_, StoreError>>()
            .map_err(unavailable)
    }

    async fn count(&self, quiz: &QuizId) -> Result<u64, RegistryError> {
        let q = quiz.as_str().to_owned();
        self.db
            .read(move |c| Ok(counters(c, &q)?.1))
            .await
            .map_err(unavailable)
    }

    async fn restore(&self, quiz: &QuizId, players: &[Player]) -> Result<(), RegistryError> {
        if players.is_empty() {
            return Ok(());
        }
        let q = quiz.as_str().to_owned();
        let rows: Vec<(String, String, String, Option<u64>, u64)> = players
            .iter()
            .map(|p| {
                (
                    p.id.as_str().to_owned(),
                    p.name.as_str().to_owned(),
                    p.name.folded(),
                    p.id.issued_number(),
                    p.joined_at.0,
                )
            })
            .collect();
        // One job, so the whole restore is atomic.
        self.db
            .write(move |c| {
                let (mut issued, mut count) = counters(c, &q)?;
                for (id, name, folded, number, joined) in &rows {
                    take_name(c, &q, folded)?;
                    if let Some(n) = number {
                        issued = issued.max(*n);
                    }
                    let existed = c
                        .prepare_cached("SELECT 1 FROM players WHERE quiz = ?1 AND id = ?2")
                        .and_then(|mut st| st.exists((&q, id)))
                        .map_err(StoreError::sql("find player"))?;
                    c.prepare_cached(
                        "INSERT INTO players (quiz, id, name, joined_at) VALUES (?1, ?2, ?3, ?4) \
                         ON CONFLICT (quiz, id) DO UPDATE SET name = excluded.name, \
                         joined_at = excluded.joined_at",
                    )
                    .and_then(|mut st| st.execute((&q, id, name, joined)))
                    .map_err(StoreError::sql("restore player"))?;
                    if !existed {
                        count += 1;
                    }
                }
                set_counters(c, &q, issued, count)
            })
            .await
            .map_err(unavailable)
    }
}
