use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use quiz_core::ports::{JoinError, PlayerRegistry, RegistryError};
use quiz_core::{Player, PlayerId, PlayerName, QuizId, Timestamp};

use crate::Sharded;

#[derive(Default)]
struct QuizPlayers {
    issued: u64,
    by_id: HashMap<PlayerId, Player>,
    folded_names: HashSet<String>,
}

/// The largest restored id number the counter moves past: the limit of the Redis adapter
/// (whose join script formats the counter as a double, exact up to 2^53 − 1), kept here
/// too so both adapters reserve the same ids on restore.
const MAX_ISSUED: u64 = (1 << 53) - 1;

/// The `n` of an id of the issued form `p<n>` (decimal, `n` ≤ [`MAX_ISSUED`]), else
/// `None`.
fn issued_number(id: &PlayerId) -> Option<u64> {
    let digits = id.as_str().strip_prefix('p')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().filter(|n| *n <= MAX_ISSUED)
}

/// Players in memory. Ids are issued per quiz as `p1`, `p2`, …; they need not be secret,
/// because a socket is bound to a player by a signed token, not by the id.
///
/// `restore` runs under the quiz's lock, so it is atomic whatever the number of players.
pub struct MemoryRegistry {
    quizzes: Sharded<QuizId, QuizPlayers>,
}

impl MemoryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            quizzes: Sharded::new(),
        }
    }
}

impl Default for MemoryRegistry {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PlayerRegistry for MemoryRegistry {
    async fn join(
        &self,
        quiz: &QuizId,
        name: &PlayerName,
        at: Timestamp,
        max_players: u64,
    ) -> Result<Player, JoinError> {
        self.quizzes.with(quiz, |q| {
            if q.by_id.len() as u64 >= max_players {
                return Err(JoinError::QuizFull);
            }
            if !q.folded_names.insert(name.folded()) {
                return Err(JoinError::NameTaken);
            }
            q.issued += 1;
            let id = PlayerId::parse(format!("p{}", q.issued))
                .map_err(|e| JoinError::Unavailable(Box::new(e)))?;
            let player = Player {
                quiz: quiz.clone(),
                id: id.clone(),
                name: name.clone(),
                joined_at: at,
            };
            q.by_id.insert(id, player.clone());
            Ok(player)
        })
    }

    async fn get(&self, quiz: &QuizId, player: &PlayerId) -> Result<Option<Player>, RegistryError> {
        Ok(self
            .quizzes
            .read(quiz, |q| q.by_id.get(player).cloned())
            .flatten())
    }

    async fn names(
        &self,
        quiz: &QuizId,
        players: &[PlayerId],
    ) -> Result<HashMap<PlayerId, PlayerName>, RegistryError> {
        Ok(self
            .quizzes
            .read(quiz, |q| {
                players
                    .iter()
                    .filter_map(|p| q.by_id.get(p).map(|pl| (p.clone(), pl.name.clone())))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn count(&self, quiz: &QuizId) -> Result<u64, RegistryError> {
        Ok(self
            .quizzes
            .read(quiz, |q| q.by_id.len() as u64)
            .unwrap_or(0))
    }

    async fn restore(&self, quiz: &QuizId, players: &[Player]) -> Result<(), RegistryError> {
        if players.is_empty() {
            return Ok(());
        }
        self.quizzes.with(quiz, |q| {
            for p in players {
                q.folded_names.insert(p.name.folded());
                if let Some(n) = issued_number(&p.id) {
                    q.issued = q.issued.max(n);
                }
                q.by_id.insert(
                    p.id.clone(),
                    Player {
                        quiz: quiz.clone(),
                        ..p.clone()
                    },
                );
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_issued_ids_reserve_numbers() {
        let n = |s: &str| issued_number(&PlayerId::parse(s).unwrap());
        assert_eq!(n("p1"), Some(1));
        assert_eq!(n("p007"), Some(7));
        assert_eq!(n("p9007199254740991"), Some(MAX_ISSUED));
        assert_eq!(n("p9007199254740992"), None);
        assert_eq!(n("p99999999999999999999999"), None);
        assert_eq!(n("p"), None);
        assert_eq!(n("px1"), None);
        assert_eq!(n("q1"), None);
        assert_eq!(n("P1"), None);
    }
}
