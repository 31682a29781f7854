//! Values the ports and services exchange: players, standings, answer results, events.

use serde::{Deserialize, Serialize};

use crate::ids::{PlayerId, PlayerName, QuestionId, QuizId};
use crate::ranking::{SortKey, SortKeyError};
use crate::scoring::StreakBonus;
use crate::time::Timestamp;

/// A player of one quiz, as issued by the registry at join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Player {
    /// The quiz joined.
    pub quiz: QuizId,
    /// Server-issued, unique within the quiz.
    pub id: PlayerId,
    /// Display name, unique within the quiz (case-insensitively).
    pub name: PlayerName,
    /// When the player joined; their question clock starts here.
    pub joined_at: Timestamp,
}

/// One answer, checked and ready for the scoreboard's atomic record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    /// The quiz answered, whose board records it.
    pub quiz: QuizId,
    /// The quiz's creation time (the ranking clock's zero).
    pub quiz_created_at: Timestamp,
    /// Who answered.
    pub player: PlayerId,
    /// The question answered: at most one record per player and question.
    pub question: QuestionId,
    /// How the answer was graded: correct extends the streak (and earns its bonus),
    /// partial and wrong end it, counted (a poll vote) keeps it.
    pub grade: Grade,
    /// Points before the streak bonus (0 unless correct or partial).
    pub base_points: u32,
    /// The quiz's streak bonus, applied by the scoreboard from the player's current streak.
    pub streak: Option<StreakBonus>,
    /// When the answer arrived.
    pub at: Timestamp,
    /// When the question opened for the player; the scoreboard stores the answer time
    /// counted from it ([`AnswerResult::elapsed_ms`]).
    pub opened: Opened,
}

/// When a question opened for a player: at `at`, or when they answered question `after`
/// if they did (a self-paced client shows the next question as soon as one is answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The question's opening for the player (its window's opening, or a hosted game's
    /// opening for everyone).
    pub at: Timestamp,
    /// The question answered just before, whose answer time (when there is one) is the
    /// opening instead.
    pub after: Option<QuestionId>,
}

impl Opened {
    /// Milliseconds from the opening to `now` (0 when `now` is before it), given when the
    /// player answered `after` (if they did).
    pub fn elapsed_ms(&self, previous_answer: Option<Timestamp>, now: Timestamp) -> u64 {
        now.since(previous_answer.unwrap_or(self.at))
    }
}

/// The stored outcome of one (player, question) answer. Retries return this unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerResult {
    /// Whether it was correct.
    pub correct: bool,
    /// Points awarded, streak bonus included.
    pub points: u32,
    /// The streak length after this answer (0 after a wrong answer).
    pub streak: u32,
    /// When the answer was accepted.
    pub at: Timestamp,
    /// Milliseconds from the question's opening for the player to the answer (absent from
    /// results recorded before answer times were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// What the scoreboard returns for a record call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The answer's result: the first one recorded for this (player, question).
    pub result: AnswerResult,
    /// The player's total now.
    pub total: u64,
    /// How many questions the player has answered now.
    pub answers: u32,
    /// The player's rank now (1 = first).
    pub rank: u64,
    /// The time the player reached `total` (the tie-break time).
    pub reached_at: Timestamp,
    /// True when this (player, question) had already been recorded and nothing changed.
    pub duplicate: bool,
}

/// One player's place on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Rank, 1 = first.
    pub rank: u64,
    /// The sort key (score and tie-break time).
    pub key: SortKey,
}

/// A player's place on a board, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// The player.
    pub player: PlayerId,
    /// Where they stand.
    pub standing: Standing,
}

impl Ranked {
    /// The player's score.
    pub fn score(&self) -> u64 {
        self.standing.key.score()
    }
}

/// One line of a leaderboard as shown to players.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEntry {
    /// Rank, 1 = first.
    pub rank: u64,
    /// The player's id.
    pub player: PlayerId,
    /// The player's display name.
    pub name: String,
    /// The player's score.
    pub score: u64,
}

/// A leaderboard as one player sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardView {
    /// The first N players.
    pub top: Vec<BoardEntry>,
    /// The viewing player's own line, if they are on the board.
    pub me: Option<BoardEntry>,
    /// Up to k players above and below the viewer, the viewer included.
    pub around: Vec<BoardEntry>,
    /// How many players are on the board.
    pub players: u64,
}

/// A score change, published to the event log once per accepted answer and applied to the
/// long-term archive. It carries the player's new total and answer count, so an archive can
/// apply events idempotently and in any order: an event whose `answers` is not above what is
/// stored is stale and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreEvent {
    /// Deterministic: `quiz/player/question`, so a republished event has the same id.
    pub event_id: String,
    /// The quiz answered; the event log's key, so one quiz's events stay in order.
    pub quiz: QuizId,
    /// Who answered; the archive keeps one standing per player.
    pub player: PlayerId,
    /// The player's display name (so the archive can rebuild a named board).
    pub player_name: PlayerName,
    /// When the player joined (so a rebuild can re-register the player with the join time
    /// their signed token carries).
    pub joined_at: Timestamp,
    /// The question answered.
    pub question: QuestionId,
    /// The answer's result.
    pub result: AnswerResult,
    /// The player's total after this answer.
    pub total: u64,
    /// The number of questions the player had answered after this answer.
    pub answers: u32,
    /// When the player reached `total` (tie-break time).
    pub reached_at: Timestamp,
}

impl ScoreEvent {
    /// The deterministic event id for one (quiz, player, question).
    pub fn id_for(quiz: &QuizId, player: &PlayerId, question: &QuestionId) -> String {
        format!("{quiz}/{player}/{question}")
    }
}

/// A player's standing as kept by the long-term archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedStanding {
    /// Who stands there, with the id their token names.
    pub player: PlayerId,
    /// Their display name, restored to the registry by a rebuild.
    pub name: PlayerName,
    /// When they joined: the join time of the event that set this standing
    /// (`Timestamp(0)` for standings archived before events carried it).
    pub joined_at: Timestamp,
    /// Their total.
    pub total: u64,
    /// How many questions they answered.
    pub answers: u32,
    /// When they reached `total`.
    pub reached_at: Timestamp,
    /// Each answered question's result (restores the at-most-once rule after a rebuild).
    pub results: Vec<(QuestionId, AnswerResult)>,
}

impl ArchivedStanding {
    /// The sort keys of `standings` on the board of a quiz created at `quiz_created_at`,
    /// all or none: a scoreboard's `restore` checks every key before it changes anything,
    /// so a bad standing leaves the board untouched.
    ///
    /// # Errors
    /// The first standing whose total or time the ranking encoding cannot hold.
    pub fn sort_keys(
        standings: &[ArchivedStanding],
        quiz_created_at: Timestamp,
    ) -> Result<Vec<SortKey>, SortKeyError> {
        standings
            .iter()
            .map(|s| SortKey::at(s.total, quiz_created_at, s.reached_at))
            .collect()
    }

    /// The running streak to restore: the streak after the latest answer (the last of
    /// answers with equal times).
    pub fn current_streak(&self) -> u32 {
        self.results
            .iter()
            .max_by_key(|(_, r)| r.at)
            .map_or(0, |(_, r)| r.streak)
    }
}

/// Counts from applying a batch of events to the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplySummary {
    /// Events that changed a standing.
    pub applied: u64,
    /// Events already reflected (repeats or older than what is stored).
    pub stale: u64,
}

/// A quiz as listed in a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizSummary {
    /// The id players join by.
    pub id: QuizId,
    /// The title shown in lists.
    pub title: String,
    /// How many questions the quiz has.
    pub questions: usize,
    /// Whether it accepts joins and answers.
    pub status: QuizStatus,
}

/// Whether a quiz accepts joins and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuizStatus {
    /// Players may join and answer.
    Open,
    /// No joins, no answers; the board stays readable.
    Closed,
}

/// How one answer was graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grade {
    /// Right: earns the question's (weighted) points and extends the streak.
    Correct,
    /// A `multi` answer partly right under partial scoring: some points, the streak ends.
    Partial,
    /// Wrong: no points, the streak ends.
    Wrong,
    /// A poll vote: no points, the streak is kept.
    Counted,
}
