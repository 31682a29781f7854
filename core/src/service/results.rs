//! The results export: every line of the board with what the board does not show — how
//! many answers were right, and which came suspiciously fast.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ids::{PlayerId, QuestionId};
use crate::model::BoardEntry;
use crate::ports::{GameStore, Scoreboard};
use crate::quiz::{Quiz, QuizMode};
use crate::unavailable::Unavailable;

use super::{Boards, Ports};

/// What the results export knows of one player's answers beyond the board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many answers were correct.
    pub correct: u64,
    /// The questions answered faster than the quiz's `min_answer_ms` after they opened for
    /// the player, in quiz order.
    pub fast: Vec<QuestionId>,
}

/// One line of the results: the player's board line and their tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerResult {
    /// Rank, player, name and score as the board shows them.
    pub entry: BoardEntry,
    /// Correct and suspiciously fast answers.
    pub tally: Tally,
}

/// The results export.
#[derive(Clone)]
pub struct Results {
    boards: Boards,
    scoreboard: Arc<dyn Scoreboard>,
    games: Arc<dyn GameStore>,
}

impl Results {
    pub(super) fn new(ports: &Ports, boards: Boards) -> Self {
        Self {
            boards,
            scoreboard: ports.scoreboard.clone(),
            games: ports.games.clone(),
        }
    }

    /// Every player on the board, best first, with their tally: from the game's answers
    /// for a hosted quiz (one read per question), from each player's answered questions
    /// otherwise (one read per player).
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn results(&self, quiz: &Quiz) -> Result<Vec<PlayerResult>, Unavailable> {
        let entries = self.boards.all(quiz.id()).await?;
        let mut tallies = if quiz.mode() == QuizMode::Hosted {
            self.hosted_tallies(quiz).await?
        } else {
            let players: Vec<&PlayerId> = entries.iter().map(|e| &e.player).collect();
            self.self_paced_tallies(quiz, &players).await?
        };
        Ok(entries
            .into_iter()
            .map(|entry| PlayerResult {
                tally: tallies.remove(&entry.player).unwrap_or_default(),
                entry,
            })
            .collect())
    }

    /// Each player's tally from a hosted game's answers (answer times count from each
    /// question's opening for everyone).
    async fn hosted_tallies(&self, quiz: &Quiz) -> Result<HashMap<PlayerId, Tally>, Unavailable> {
        let mut tallies: HashMap<PlayerId, Tally> = HashMap::new();
        for (index, q) in quiz.questions().iter().enumerate() {
            for a in self.games.answers(quiz.id(), index).await? {
                let fast = quiz.is_fast(a.elapsed_ms);
                let t = tallies.entry(a.player).or_default();
                t.correct += u64::from(a.correct);
                if fast {
                    t.fast.push(q.id.clone());
                }
            }
        }
        Ok(tallies)
    }

    /// Each of `players`' tally from their answered questions (answer times count from
    /// each question's opening for that player).
    async fn self_paced_tallies(
        &self,
        quiz: &Quiz,
        players: &[&PlayerId],
    ) -> Result<HashMap<PlayerId, Tally>, Unavailable> {
        let order: HashMap<&QuestionId, usize> = quiz
            .questions()
            .iter()
            .enumerate()
            .map(|(i, q)| (&q.id, i))
            .collect();
        let mut tallies = HashMap::with_capacity(players.len());
        for &p in players {
            let answers = self.scoreboard.answers(quiz.id(), p).await?;
            let mut fast: Vec<&QuestionId> = answers
                .iter()
                .filter(|(_, r)| r.elapsed_ms.is_some_and(|ms| quiz.is_fast(ms)))
                .map(|(q, _)| q)
                .collect();
            fast.sort_by_key(|q| order.get(q).copied().unwrap_or(usize::MAX));
            tallies.insert(
                p.clone(),
                Tally {
                    correct: answers.iter().filter(|(_, r)| r.correct).count() as u64,
                    fast: fast.into_iter().cloned().collect(),
                },
            );
        }
        Ok(tallies)
    }
}
