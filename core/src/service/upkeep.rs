//! Keeping the service whole: rebuilding a quiz's board from the archive after losing the
//! store behind it, and telling which parts cannot serve now (readiness).

use crate::ids::QuizId;
use crate::model::Player;
use crate::unavailable::Unavailable;

use super::{Library, LookupError, Ports};

/// Errors of [`Upkeep::rebuild_leaderboard`].
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<LookupError> for RebuildError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => Self::UnknownQuiz,
            LookupError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// Rebuilding after a loss, and readiness.
#[derive(Clone)]
pub struct Upkeep {
    ports: Ports,
    library: Library,
}

impl Upkeep {
    pub(super) fn new(ports: Ports, library: Library) -> Self {
        Self { ports, library }
    }

    /// Restores a quiz's leaderboard — its board and its player registry — from the
    /// long-term archive (after losing the store behind the scoreboard and the registry).
    /// Returns how many players were restored.
    ///
    /// Every archived player is re-registered with their id, name and join time, so they
    /// can reconnect with the token they hold, then the board is replaced by the archived
    /// standings (totals, tie-break times, answered questions, streaks). Players who joined
    /// but never answered have no archived standing and are not restored; standings
    /// archived before score events carried the join time restore with join time 0, so
    /// those players' names come back but their old tokens are refused as stale.
    ///
    /// # Order and failures
    /// The registry is restored first, then the board. If the registry restore fails, the
    /// board is untouched; if the board restore fails after it, the players are registered
    /// but the board is not rebuilt yet. Both steps are idempotent, so after any failure
    /// the remedy is to run the rebuild again.
    ///
    /// # Errors
    /// [`RebuildError`].
    pub async fn rebuild_leaderboard(&self, quiz_id: &QuizId) -> Result<usize, RebuildError> {
        let quiz = self.library.quiz(quiz_id).await?;
        let standings = self
            .ports
            .archive
            .standings(quiz_id)
            .await
            .map_err(Unavailable::from)?;
        let players: Vec<Player> = standings
            .iter()
            .map(|s| Player {
                quiz: quiz_id.clone(),
                id: s.player.clone(),
                name: s.name.clone(),
                joined_at: s.joined_at,
            })
            .collect();
        self.ports
            .registry
            .restore(quiz_id, &players)
            .await
            .map_err(Unavailable::from)?;
        self.ports
            .scoreboard
            .restore(quiz_id, quiz.created_at(), &standings)
            .await
            .map_err(Unavailable::from)?;
        let _ = self.ports.bus.announce(quiz_id).await;
        Ok(standings.len())
    }

    /// Which parts cannot serve now, by name: `quiz catalog`, `scoreboard` (unreachable),
    /// `scoreboard lost its data` (until a rebuild), `player registry`, `score archive`,
    /// `event log` (cannot take events); empty when all can. Each check is one cheap round
    /// trip whatever the data size (no query that grows with the archive).
    pub async fn unreachable_parts(&self) -> Vec<&'static str> {
        // Read only, never created.
        let probe = QuizId::parse("readyz-probe").unwrap_or_else(|_| unreachable!("valid id"));
        let mut failing = Vec::new();
        if self.ports.catalog.get(&probe).await.is_err() {
            failing.push("quiz catalog");
        }
        match self.ports.scoreboard.intact().await {
            Ok(true) => {}
            Ok(false) => failing.push("scoreboard lost its data"),
            Err(_) => failing.push("scoreboard"),
        }
        if self.ports.registry.count(&probe).await.is_err() {
            failing.push("player registry");
        }
        if self.ports.archive.ping().await.is_err() {
            failing.push("score archive");
        }
        if self.ports.events.ready().await.is_err() {
            failing.push("event log");
        }
        failing
    }
}
