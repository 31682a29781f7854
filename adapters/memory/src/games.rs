//! [`GameStore`] in memory: each compare-and-set runs under one lock, so it is atomic.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use quiz_core::game::GameState;
use quiz_core::ports::{GameAnswer, GameStore, GameStoreError};
use quiz_core::{PlayerId, QuizId};

/// One quiz's game: its state, each question's answers by player, and the removed players.
#[derive(Default)]
struct Game {
    state: Option<GameState>,
    answers: HashMap<usize, HashMap<PlayerId, GameAnswer>>,
    removed: HashSet<PlayerId>,
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
        // Every update below is one insertion or assignment, so a panicking holder leaves no
        // half state.
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

    async fn record_answer(
        &self,
        quiz: &QuizId,
        question: usize,
        answer: &GameAnswer,
    ) -> Result<u64, GameStoreError> {
        Ok(self.with(quiz, |g| {
            let answers = g.answers.entry(question).or_default();
            answers
                .entry(answer.player.clone())
                .or_insert_with(|| answer.clone());
            answers.len() as u64
        }))
    }

    async fn answer_count(&self, quiz: &QuizId, question: usize) -> Result<u64, GameStoreError> {
        Ok(self.with(quiz, |g| {
            g.answers.get(&question).map_or(0, |a| a.len() as u64)
        }))
    }

    async fn answers(
        &self,
        quiz: &QuizId,
        question: usize,
    ) -> Result<Vec<GameAnswer>, GameStoreError> {
        Ok(self.with(quiz, |g| {
            g.answers
                .get(&question)
                .map(|a| a.values().cloned().collect())
                .unwrap_or_default()
        }))
    }

    async fn remove_player(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), GameStoreError> {
        self.with(quiz, |g| g.removed.insert(player.clone()));
        Ok(())
    }

    async fn removed_players(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, GameStoreError> {
        Ok(self.with(quiz, |g| g.removed.iter().cloned().collect()))
    }

    async fn clear(&self, quiz: &QuizId, _questions: usize) -> Result<(), GameStoreError> {
        self.with(quiz, |g| *g = Game::default());
        Ok(())
    }
}
