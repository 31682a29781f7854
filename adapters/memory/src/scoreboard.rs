use std::collections::HashMap;

use async_trait::async_trait;
use quiz_core::ports::{Scoreboard, ScoreboardError};
use quiz_core::{
    AnswerRecord, AnswerResult, ArchivedStanding, Grade, PlayerId, QuestionId, QuizId, Ranked,
    Recorded, SortKey, Standing, Timestamp,
};

use crate::Sharded;

#[derive(Default)]
struct PlayerState {
    key: Option<SortKey>,
    total: u64,
    answers: u32,
    streak: u32,
    reached_at: Timestamp,
    results: HashMap<QuestionId, AnswerResult>,
}

#[derive(Default)]
struct Board {
    players: HashMap<PlayerId, PlayerState>,
    /// Best first: ascending sort key, then player id (the ranking rule). An
    /// order-statistic tree, because every answer asks for the player's rank: counting a
    /// std `BTreeSet` range made that O(rank), 27 % of the server's CPU with 10,000 players
    /// in one quiz (BENCHMARKS.md).
    order: indexset::BTreeSet<(SortKey, PlayerId)>,
}

impl Board {
    fn rank(&self, key: SortKey, player: &PlayerId) -> u64 {
        self.order.rank(&(key, player.clone())) as u64 + 1
    }

    fn set_key(&mut self, player: &PlayerId, key: SortKey) {
        let st = self.players.entry(player.clone()).or_default();
        if let Some(old) = st.key.replace(key) {
            self.order.remove(&(old, player.clone()));
        }
        self.order.insert((key, player.clone()));
    }

    /// Up to `limit` lines from 0-based position `offset`, in O(log n + limit).
    fn slice(&self, offset: u64, limit: u64) -> Vec<Ranked> {
        let len = self.order.len();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
        let end = start
            .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
            .min(len);
        self.order
            .range_idx(start..end)
            .enumerate()
            .map(|(i, e)| self.ranked_at(start + i, e))
            .collect()
    }

    fn ranked_at(&self, idx: usize, entry: &(SortKey, PlayerId)) -> Ranked {
        Ranked {
            player: entry.1.clone(),
            standing: Standing {
                rank: idx as u64 + 1,
                key: entry.0,
            },
        }
    }
}

/// Live scores in memory, one mutex per quiz.
pub struct MemoryScoreboard {
    boards: Sharded<QuizId, Board>,
}

impl MemoryScoreboard {
    /// An empty scoreboard.
    pub fn new() -> Self {
        Self {
            boards: Sharded::new(),
        }
    }
}

impl Default for MemoryScoreboard {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Scoreboard for MemoryScoreboard {
    async fn enroll(
        &self,
        quiz: &QuizId,
        quiz_created_at: Timestamp,
        player: &PlayerId,
        at: Timestamp,
    ) -> Result<(), ScoreboardError> {
        let key = SortKey::at(0, quiz_created_at, at)?;
        self.boards.with(quiz, |b| {
            if b.players.get(player).is_none_or(|p| p.key.is_none()) {
                b.set_key(player, key);
                if let Some(st) = b.players.get_mut(player) {
                    st.reached_at = at;
                }
            }
        });
        Ok(())
    }

    async fn remove(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), ScoreboardError> {
        self.boards.with(quiz, |b| {
            if let Some(key) = b.players.remove(player).and_then(|st| st.key) {
                b.order.remove(&(key, player.clone()));
            }
        });
        Ok(())
    }

    async fn record(&self, a: &AnswerRecord) -> Result<Recorded, ScoreboardError> {
        self.boards.with(&a.quiz, |b| {
            let st = b.players.entry(a.player.clone()).or_default();
            if let Some(result) = st.results.get(&a.question).copied() {
                let (total, answers, reached_at) = (st.total, st.answers, st.reached_at);
                let key = match st.key {
                    Some(k) => k,
                    None => SortKey::at(total, a.quiz_created_at, reached_at)?,
                };
                return Ok(Recorded {
                    result,
                    total,
                    answers,
                    rank: b.rank(key, &a.player),
                    reached_at,
                    duplicate: true,
                });
            }
            let correct = a.grade == Grade::Correct;
            let streak = match a.grade {
                Grade::Correct => st.streak + 1,
                Grade::Counted => st.streak,
                Grade::Partial | Grade::Wrong => 0,
            };
            let bonus = match (correct, a.streak) {
                (true, Some(s)) => s.bonus(streak),
                _ => 0,
            };
            let points = match a.grade {
                Grade::Correct => a.base_points + bonus,
                Grade::Partial => a.base_points,
                Grade::Wrong | Grade::Counted => 0,
            };
            let previous = a
                .opened
                .after
                .as_ref()
                .and_then(|q| st.results.get(q))
                .map(|r| r.at);
            let new_total = st.total + u64::from(points);
            let moves = points > 0 || st.key.is_none();
            let key = if moves {
                SortKey::at(new_total, a.quiz_created_at, a.at)?
            } else {
                st.key
                    .unwrap_or(SortKey::at(new_total, a.quiz_created_at, a.at)?)
            };
            let result = AnswerResult {
                correct,
                points,
                streak,
                at: a.at,
                elapsed_ms: Some(a.opened.elapsed_ms(previous, a.at)),
            };
            st.results.insert(a.question.clone(), result);
            st.streak = streak;
            st.total = new_total;
            st.answers += 1;
            if moves {
                st.reached_at = a.at;
            }
            let (answers, reached_at) = (st.answers, st.reached_at);
            if moves {
                b.set_key(&a.player, key);
            }
            Ok(Recorded {
                result,
                total: new_total,
                answers,
                rank: b.rank(key, &a.player),
                reached_at,
                duplicate: false,
            })
        })
    }

    async fn top(
        &self,
        quiz: &QuizId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, ScoreboardError> {
        Ok(self
            .boards
            .read(quiz, |b| b.slice(offset, limit))
            .unwrap_or_default())
    }

    async fn standing(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Option<Standing>, ScoreboardError> {
        Ok(self
            .boards
            .read(quiz, |b| {
                let key = b.players.get(player)?.key?;
                Some(Standing {
                    rank: b.rank(key, player),
                    key,
                })
            })
            .flatten())
    }

    async fn around(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        k: u64,
    ) -> Result<Vec<Ranked>, ScoreboardError> {
        Ok(self
            .boards
            .read(quiz, |b| {
                let Some(key) = b.players.get(player).and_then(|p| p.key) else {
                    return Vec::new();
                };
                let idx = b.rank(key, player) - 1;
                let from = idx.saturating_sub(k);
                b.slice(from, (idx - from).saturating_add(k).saturating_add(1))
            })
            .unwrap_or_default())
    }

    async fn count(&self, quiz: &QuizId) -> Result<u64, ScoreboardError> {
        Ok(self
            .boards
            .read(quiz, |b| b.order.len() as u64)
            .unwrap_or(0))
    }

    async fn answers(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Vec<(QuestionId, AnswerResult)>, ScoreboardError> {
        Ok(self
            .boards
            .read(quiz, |b| {
                b.players
                    .get(player)
                    .map(|p| p.results.iter().map(|(q, r)| (q.clone(), *r)).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default())
    }

    async fn restore(
        &self,
        quiz: &QuizId,
        quiz_created_at: Timestamp,
        standings: &[ArchivedStanding],
    ) -> Result<(), ScoreboardError> {
        let keys = ArchivedStanding::sort_keys(standings, quiz_created_at)?;
        self.boards.with(quiz, |b| {
            *b = Board::default();
            for (s, key) in standings.iter().zip(keys) {
                let streak = s.current_streak();
                // A player listed twice keeps the last entry, without a stale board line.
                if let Some(old) = b.players.get(&s.player).and_then(|p| p.key) {
                    b.order.remove(&(old, s.player.clone()));
                }
                b.players.insert(
                    s.player.clone(),
                    PlayerState {
                        key: None,
                        total: s.total,
                        answers: s.answers,
                        streak,
                        reached_at: s.reached_at,
                        results: s.results.iter().cloned().collect(),
                    },
                );
                b.set_key(&s.player, key);
            }
        });
        Ok(())
    }
}
