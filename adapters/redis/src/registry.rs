//! [`PlayerRegistry`] on a Redis hash per quiz.

use std::collections::HashMap;

use async_trait::async_trait;
use quiz_core::ports::{JoinError, PlayerRegistry, RegistryError};
use quiz_core::{Player, PlayerId, PlayerName, QuizId, Timestamp};
use redis::Value;

use crate::conn::{Failure, Shared};
use crate::reply::Items;
use crate::{keys, scripts};

/// How many players one `restore` script call carries at most (3 arguments each), so a
/// large rebuild never sends one huge script call that blocks the node for long.
pub const PLAYER_RESTORE_CHUNK: usize = 1_000;

/// Players in Redis. Ids are issued per quiz as `p1`, `p2`, … (like the memory adapter);
/// they need not be secret, because a socket is bound to a player by a signed token.
/// Build it with [`crate::RedisAdapters`].
///
/// `restore` runs one Lua script per chunk of at most [`PLAYER_RESTORE_CHUNK`] players
/// (all keys of a quiz share its hash tag, so this works on a cluster). Each chunk is
/// atomic: it sets its players' records, takes their names and raises the id counter past
/// its ids. The chunks run in order; if one fails, the ones before it stay applied, and
/// restoring the whole input again is safe (every step is idempotent).
pub struct RedisRegistry {
    shared: Shared,
}

impl RedisRegistry {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

fn unavailable(f: Failure) -> RegistryError {
    RegistryError::Unavailable(Box::new(f))
}

/// How a player is stored in the quiz's players hash: `<joined_at ms>:<name>`. The name
/// comes last, so a `:` inside it needs no escaping.
fn encode(name: &PlayerName, joined_at: Timestamp) -> String {
    format!("{}:{}", joined_at.millis(), name.as_str())
}

fn decode(op: &'static str, stored: &str) -> Result<(Timestamp, PlayerName), Failure> {
    let bad = || Failure::malformed(op, format!("stored player {stored:?}"));
    let (at, name) = stored.split_once(':').ok_or_else(bad)?;
    let at = Timestamp(at.parse().map_err(|_| bad())?);
    let name = PlayerName::parse(name).map_err(|_| bad())?;
    Ok((at, name))
}

#[async_trait]
impl PlayerRegistry for RedisRegistry {
    async fn join(
        &self,
        quiz: &QuizId,
        name: &PlayerName,
        at: Timestamp,
        max_players: u64,
    ) -> Result<Player, JoinError> {
        const OP: &str = "join";
        let fail = |f: Failure| JoinError::Unavailable(Box::new(f));
        let reply: Value = self
            .shared
            .eval(
                &scripts::JOIN,
                &[
                    keys::players(quiz),
                    keys::names(quiz),
                    keys::seq(quiz),
                    keys::board(quiz),
                ],
                &[name.folded(), encode(name, at), max_players.to_string()],
            )
            .await
            .map_err(fail)?;
        let mut items = Items::of(OP, reply).map_err(fail)?;
        match items.text("status").map_err(fail)?.as_str() {
            "full" => Err(JoinError::QuizFull),
            "taken" => Err(JoinError::NameTaken),
            "ok" => {
                let id = items.text("player id").map_err(fail)?;
                let id = PlayerId::parse(id)
                    .map_err(|e| fail(Failure::malformed(OP, format!("issued id: {e}"))))?;
                Ok(Player {
                    quiz: quiz.clone(),
                    id,
                    name: name.clone(),
                    joined_at: at,
                })
            }
            other => Err(fail(Failure::malformed(
                OP,
                format!("unknown status {other:?}"),
            ))),
        }
    }

    async fn get(&self, quiz: &QuizId, player: &PlayerId) -> Result<Option<Player>, RegistryError> {
        const OP: &str = "get player";
        let mut cmd = redis::cmd("HGET");
        cmd.arg(keys::players(quiz)).arg(player.as_str());
        let stored: Option<String> = self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let (joined_at, name) = decode(OP, &stored).map_err(unavailable)?;
        Ok(Some(Player {
            quiz: quiz.clone(),
            id: player.clone(),
            name,
            joined_at,
        }))
    }

    async fn names(
        &self,
        quiz: &QuizId,
        players: &[PlayerId],
    ) -> Result<HashMap<PlayerId, PlayerName>, RegistryError> {
        const OP: &str = "names";
        if players.is_empty() {
            return Ok(HashMap::new());
        }
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(keys::players(quiz));
        for p in players {
            cmd.arg(p.as_str());
        }
        let stored: Vec<Option<String>> = self.shared.query(OP, &cmd).await.map_err(unavailable)?;
        if stored.len() != players.len() {
            return Err(unavailable(Failure::malformed(
                OP,
                format!("{} values for {} fields", stored.len(), players.len()),
            )));
        }
        let mut out = HashMap::with_capacity(players.len());
        for (p, s) in players.iter().zip(stored) {
            if let Some(s) = s {
                let (_, name) = decode(OP, &s).map_err(unavailable)?;
                out.insert(p.clone(), name);
            }
        }
        Ok(out)
    }

    async fn count(&self, quiz: &QuizId) -> Result<u64, RegistryError> {
        let mut cmd = redis::cmd("HLEN");
        cmd.arg(keys::players(quiz));
        self.shared
            .query("count players", &cmd)
            .await
            .map_err(unavailable)
    }

    async fn restore(&self, quiz: &QuizId, players: &[Player]) -> Result<(), RegistryError> {
        let keys = [keys::players(quiz), keys::names(quiz), keys::seq(quiz)];
        for chunk in players.chunks(PLAYER_RESTORE_CHUNK) {
            let floor = chunk
                .iter()
                .filter_map(|p| p.id.issued_number())
                .max()
                .unwrap_or(0);
            let mut args = Vec::with_capacity(1 + 3 * chunk.len());
            args.push(floor.to_string());
            for p in chunk {
                args.push(p.id.to_string());
                args.push(encode(&p.name, p.joined_at));
                args.push(p.name.folded());
            }
            let status: String = self
                .shared
                .eval(&scripts::RESTORE_PLAYERS, &keys, &args)
                .await
                .map_err(unavailable)?;
            if status != "ok" {
                return Err(unavailable(Failure::malformed(
                    "restore players",
                    format!("unknown status {status:?}"),
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stored_players_round_trip_even_with_colons_in_names() {
        let name = PlayerName::parse("a:b: c").unwrap();
        let s = encode(&name, Timestamp(42));
        assert_eq!(decode("t", &s).unwrap(), (Timestamp(42), name));
        assert!(decode("t", "x:Ann").is_err());
        assert!(decode("t", "12").is_err());
        assert!(decode("t", "12:").is_err());
    }
}
