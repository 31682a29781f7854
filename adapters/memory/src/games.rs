//! [`GameStore`] in memory: each compare-and-set runs under one lock, so it is atomic.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use quiz_core::QuizId;
use quiz_core::game::GameState;
use quiz_core::ports::{GameStore, GameStoreError};

/// One quiz's game: its state and the answer count of each question round that had
/// answers (at most one per question, so nothing needs pruning).
#[derive(Default)]
struct Game {
    state: Option<GameState>,
    counts: HashMap<u64, u64>,
}

/// Hosted games in process memory.
#[derive(Default)]
pub struct MemoryGames {
    games: Mutex<HashMap<QuizId, Game>>,
}

impl MemoryGames {
    /// No games.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, quiz: &QuizId, f: impl FnOnce(&mut Game) -> T) -> T {
        // Every update below is one assignment, so a panicking holder leaves no half state.
        let mut games = self.games.lock().unwrap_or_else(PoisonError::into_inner);
        f(games.entry(quiz.clone()).or_default())
    }
}

#[async_trait]
impl GameStore for MemoryGames {
    async fn get(&self, quiz: &QuizId) -> Result<Option<GameState>, GameStoreError> {
        Ok(self.with(quiz, |g| g.state.clone()))
    }

    async fn compare_and_set(
        &self,
        quiz: &QuizId,
        expected: Option<u64>,
        next: &GameState,
    ) -> Result<bool, GameStoreError> {
        Ok(self.with(quiz, |g| {
            if g.state.as_ref().map(|s| s.seq) != expected {
                return false;
            }
            g.state = Some(next.clone());
            true
        }))
    }

    async fn count_answer(&self, quiz: &QuizId, round: u64) -> Result<u64, GameStoreError> {
        Ok(self.with(quiz, |g| {
            let n = g.counts.entry(round).or_insert(0);
            *n += 1;
            *n
        }))
    }

    async fn clear(&self, quiz: &QuizId) -> Result<(), GameStoreError> {
        self.with(quiz, |g| *g = Game::default());
        Ok(())
    }
}
