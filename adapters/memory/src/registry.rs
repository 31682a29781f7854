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
                if let Some(n) = p.id.issued_number() {
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
