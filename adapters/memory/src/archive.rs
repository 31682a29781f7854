use std::collections::HashMap;

use async_trait::async_trait;
use quiz_core::ports::{ArchiveError, ScoreArchive};
use quiz_core::{ApplySummary, ArchivedStanding, PlayerId, QuizId, ScoreEvent};

use crate::Sharded;

/// Long-term standings in memory. A standing's name and join time are those of the event
/// that set it (the highest `answers`).
pub struct MemoryArchive {
    quizzes: Sharded<QuizId, HashMap<PlayerId, ArchivedStanding>>,
}

impl MemoryArchive {
    /// An empty archive.
    pub fn new() -> Self {
        Self {
            quizzes: Sharded::new(),
        }
    }
}

impl Default for MemoryArchive {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl ScoreArchive for MemoryArchive {
    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        let mut summary = ApplySummary::default();
        for e in events {
            let changed = self.quizzes.with(&e.quiz, |players| {
                let st = players
                    .entry(e.player.clone())
                    .or_insert_with(|| ArchivedStanding {
                        player: e.player.clone(),
                        name: e.player_name.clone(),
                        joined_at: e.joined_at,
                        total: 0,
                        answers: 0,
                        reached_at: e.reached_at,
                        results: Vec::new(),
                    });
                let mut changed = false;
                if !st.results.iter().any(|(q, _)| q == &e.question) {
                    st.results.push((e.question.clone(), e.result));
                    changed = true;
                }
                if e.answers > st.answers {
                    st.answers = e.answers;
                    st.total = e.total;
                    st.reached_at = e.reached_at;
                    st.name = e.player_name.clone();
                    st.joined_at = e.joined_at;
                    changed = true;
                }
                changed
            });
            if changed {
                summary.applied += 1;
            } else {
                summary.stale += 1;
            }
        }
        Ok(summary)
    }

    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError> {
        Ok(self
            .quizzes
            .read(quiz, |p| p.values().cloned().collect())
            .unwrap_or_default())
    }
}
