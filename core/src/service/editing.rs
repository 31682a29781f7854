//! The library's editing use cases: searching with what each quiz's players and game are
//! doing, updating (in place before anyone has joined, as a new version after), duplicating
//! and deleting (refused while a hosted game is live).
//!
//! A quiz that has been played is never changed: results refer to the questions that were
//! asked. "Played" is: anyone has joined, or a hosted game has left its lobby (a host may
//! start a game nobody joined). An update of a played quiz saves a new quiz `{id}-vN`
//! instead, with the first free `N` from 2 (a `-vN` suffix of the id is replaced, so
//! updating `quiz-v2` after it was played gives `quiz-v3`). A deleted quiz's id stays
//! taken ([`crate::ports::QuizCatalog::delete`]); its players, scores and results stay in their stores, where no
//! operation reaches them any more.
//!
//! The check and the write are two steps: a player who joins between them joins the quiz
//! as it was replaced (the window is one catalog write).

use crate::game::Phase;
use crate::ids::{MAX_ID_LEN, QuizId};
use crate::ports::{CatalogError, QuizQuery};
use crate::quiz::{MAX_TEXT_CHARS, Quiz, QuizDefError, QuizDraft, QuizMode, QuizStatus};
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

use super::Library;
use super::library::ImageCheckError;

impl From<ImageCheckError> for UpdateError {
    fn from(e: ImageCheckError) -> Self {
        match e {
            ImageCheckError::Missing(d) => Self::Invalid(d),
            ImageCheckError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// How many candidate ids `-vN` or `-copy-N` are tried before giving up.
pub const MAX_ID_TRIES: u32 = 1_000;

/// One quiz in a library page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryEntry {
    /// Its id.
    pub id: QuizId,
    /// Its title.
    pub title: String,
    /// Self-paced or hosted.
    pub mode: QuizMode,
    /// How many questions it has.
    pub questions: usize,
    /// Open or closed.
    pub status: QuizStatus,
    /// Players who have joined.
    pub players: u64,
    /// Whether it has been played: anyone joined, or its hosted game left the lobby.
    pub played: bool,
    /// The hosted game's phase name; `None` for a self-paced quiz or a game not yet opened.
    pub game: Option<&'static str>,
}

/// A page of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryPage {
    /// Quizzes matching in all.
    pub total: u64,
    /// The page, by title then id.
    pub quizzes: Vec<LibraryEntry>,
}

/// What an update saved.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The quiz as stored (the same id, or the new version's).
    pub quiz: Quiz,
    /// Whether it was saved as a new quiz because the old one had been played.
    pub copied: bool,
}

/// Errors of [`Library::update`].
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// The definition breaks a rule; nothing changed.
    #[error(transparent)]
    Invalid(#[from] QuizDefError),
    /// The quiz was played and no `-vN` id is free within the id length and
    /// [`MAX_ID_TRIES`].
    #[error("no free id for a new version of this quiz")]
    NoFreeId,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Errors of [`Library::duplicate`].
#[derive(Debug, thiserror::Error)]
pub enum DuplicateError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// The copy breaks a rule (a title too long); nothing was stored.
    #[error(transparent)]
    Invalid(#[from] QuizDefError),
    /// The id asked for is taken.
    #[error("a quiz with that id already exists")]
    AlreadyExists,
    /// No `-copy`/`-copy-N` id is free within the id length and [`MAX_ID_TRIES`].
    #[error("no free id for a copy of this quiz")]
    NoFreeId,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Errors of [`Library::delete`].
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// A hosted game of the quiz is past its lobby and before its podium.
    #[error("a game of this quiz is live")]
    GameLive,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Whether a game in `phase` is live: past the lobby, before the podium.
fn live(phase: &Phase) -> bool {
    !matches!(phase, Phase::Lobby { .. } | Phase::Podium)
}

/// `id` without a trailing `-vN` (N a whole number).
fn version_base(id: &str) -> &str {
    match id.rsplit_once("-v") {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => id,
    }
}

/// The candidate ids `make(n)` for n = first.., those that are valid ids.
fn candidates(first: u32, make: impl Fn(u32) -> String) -> impl Iterator<Item = QuizId> {
    (first..first + MAX_ID_TRIES)
        .map(make)
        .take_while(|s| s.len() <= MAX_ID_LEN)
        .filter_map(|s| QuizId::parse(s).ok())
}

/// "{title} (copy)", the title cut so the whole fits the title limit.
fn copy_title(title: &str) -> String {
    const SUFFIX: &str = " (copy)";
    let keep = MAX_TEXT_CHARS.saturating_sub(SUFFIX.chars().count());
    let cut: String = title.chars().take(keep).collect();
    format!("{}{SUFFIX}", cut.trim_end())
}

impl Library {
    /// The page of quizzes whose id or title contains `text` (case-insensitive), by title
    /// then id, each with its players, whether it was played and its game's phase.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn search(
        &self,
        text: &str,
        offset: u64,
        limit: u64,
    ) -> Result<LibraryPage, Unavailable> {
        let page = self
            .catalog
            .search(&QuizQuery::new(text, offset, limit))
            .await?;
        let mut quizzes = Vec::with_capacity(page.quizzes.len());
        for listed in page.quizzes {
            let s = listed.summary;
            let players = self.registry.count(&s.id).await?;
            let phase = match listed.mode {
                QuizMode::Hosted => self.games.get(&s.id).await?.map(|g| g.phase),
                QuizMode::SelfPaced => None,
            };
            quizzes.push(LibraryEntry {
                played: players > 0
                    || phase
                        .as_ref()
                        .is_some_and(|p| !matches!(p, Phase::Lobby { .. })),
                game: phase.as_ref().map(Phase::name),
                players,
                id: s.id,
                title: s.title,
                mode: listed.mode,
                questions: s.questions,
                status: s.status,
            });
        }
        Ok(LibraryPage {
            total: page.total,
            quizzes,
        })
    }

    /// Whether `quiz` has been played: anyone joined, or its game left the lobby.
    async fn played(&self, quiz: &QuizId) -> Result<bool, Unavailable> {
        if self.registry.count(quiz).await? > 0 {
            return Ok(true);
        }
        Ok(self
            .games
            .get(quiz)
            .await?
            .is_some_and(|g| !matches!(g.phase, Phase::Lobby { .. })))
    }

    /// Stores `draft` under the first free id `make` gives.
    async fn create_first_free(
        &self,
        mut draft: QuizDraft,
        ids: impl Iterator<Item = QuizId>,
    ) -> Result<Option<Quiz>, Unavailable> {
        for id in ids {
            draft.id = id;
            let quiz = Quiz::try_from(draft.clone()).map_err(|e| {
                // The draft was valid under another id of the same rules: an id never
                // breaks a definition rule, so this cannot happen; say so if it does.
                Unavailable::new("quiz library", e)
            })?;
            match self.catalog.create(&quiz).await {
                Ok(()) => return Ok(Some(quiz)),
                Err(CatalogError::AlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Replaces quiz `id` with `draft` (its id is taken from `id`): in place when nobody has
    /// played it (keeping its status and creation time, hence its host key), otherwise as
    /// a new quiz `{id}-vN` created at `now`, open, leaving the old one and its results as
    /// they were.
    ///
    /// # Errors
    /// [`UpdateError`] naming why; on error nothing changed.
    pub async fn update(
        &self,
        id: &QuizId,
        mut draft: QuizDraft,
        now: Timestamp,
    ) -> Result<Saved, UpdateError> {
        draft.id = id.clone();
        // The rules first: a refused definition changes nothing.
        let checked = Quiz::try_from(draft.clone())?;
        self.check_images(&checked).await?;
        let old = match self.catalog.get(id).await {
            Ok(Some(q)) => q,
            Ok(None) => return Err(UpdateError::UnknownQuiz),
            Err(e) => return Err(Unavailable::from(e).into()),
        };
        if !self.played(id).await? {
            draft.status = old.status();
            draft.created_at = old.created_at();
            let quiz = Quiz::try_from(draft)?;
            return match self.catalog.update(&quiz).await {
                Ok(()) => Ok(Saved {
                    quiz,
                    copied: false,
                }),
                Err(CatalogError::NotFound) => Err(UpdateError::UnknownQuiz),
                Err(e) => Err(Unavailable::from(e).into()),
            };
        }
        draft.status = QuizStatus::Open;
        draft.created_at = now;
        let base = version_base(id.as_str());
        let ids = candidates(2, |n| format!("{base}-v{n}"));
        match self.create_first_free(draft, ids).await? {
            Some(quiz) => Ok(Saved { quiz, copied: true }),
            None => Err(UpdateError::NoFreeId),
        }
    }

    /// Copies quiz `id` as a new open quiz created at `now`: under `new_id` if given
    /// (refused if taken), else `{id}-copy` or the first free `{id}-copy-N` (N from 2);
    /// titled `title` if given, else "{title} (copy)".
    ///
    /// # Errors
    /// [`DuplicateError`] naming why; on error nothing was stored.
    pub async fn duplicate(
        &self,
        id: &QuizId,
        new_id: Option<QuizId>,
        title: Option<String>,
        now: Timestamp,
    ) -> Result<Quiz, DuplicateError> {
        let old = match self.catalog.get(id).await {
            Ok(Some(q)) => q,
            Ok(None) => return Err(DuplicateError::UnknownQuiz),
            Err(e) => return Err(Unavailable::from(e).into()),
        };
        let mut draft = QuizDraft::from(old.clone());
        draft.title = title.unwrap_or_else(|| copy_title(old.title()));
        draft.status = QuizStatus::Open;
        draft.created_at = now;
        if let Some(new_id) = new_id {
            draft.id = new_id;
            let quiz = Quiz::try_from(draft)?;
            return match self.catalog.create(&quiz).await {
                Ok(()) => Ok(quiz),
                Err(CatalogError::AlreadyExists) => Err(DuplicateError::AlreadyExists),
                Err(e) => Err(Unavailable::from(e).into()),
            };
        }
        // The rules once, under the first candidate's id.
        Quiz::try_from(draft.clone())?;
        let first = format!("{id}-copy");
        let ids = QuizId::parse(first.clone())
            .into_iter()
            .chain(candidates(2, |n| format!("{first}-{n}")));
        match self.create_first_free(draft, ids).await? {
            Some(quiz) => Ok(quiz),
            None => Err(DuplicateError::NoFreeId),
        }
    }

    /// Deletes quiz `id`, unless a hosted game of it is live (past the lobby, before the
    /// podium). The id stays taken.
    ///
    /// # Errors
    /// [`DeleteError`] naming why; on error nothing changed.
    pub async fn delete(&self, id: &QuizId) -> Result<(), DeleteError> {
        let quiz = match self.catalog.get(id).await {
            Ok(Some(q)) => q,
            Ok(None) => return Err(DeleteError::UnknownQuiz),
            Err(e) => return Err(Unavailable::from(e).into()),
        };
        if quiz.mode() == QuizMode::Hosted
            && let Some(game) = self.games.get(id).await.map_err(Unavailable::from)?
            && live(&game.phase)
        {
            return Err(DeleteError::GameLive);
        }
        match self.catalog.delete(id).await {
            Ok(()) => Ok(()),
            Err(CatalogError::NotFound) => Err(DeleteError::UnknownQuiz),
            Err(e) => Err(Unavailable::from(e).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_suffixes_are_replaced_not_stacked() {
        assert_eq!(version_base("quiz-v2"), "quiz");
        assert_eq!(version_base("quiz-v12"), "quiz");
        assert_eq!(version_base("quiz"), "quiz");
        assert_eq!(version_base("quiz-v"), "quiz-v");
        assert_eq!(version_base("quiz-vx2"), "quiz-vx2");
        assert_eq!(version_base("-v2"), "-v2");
    }

    #[test]
    fn candidates_stop_at_the_id_length() {
        let long = "a".repeat(MAX_ID_LEN - 3);
        let ids: Vec<_> = candidates(2, |n| format!("{long}-v{n}")).collect();
        // "-v2" … "-v9" fit; "-v10" is one character too many.
        assert_eq!(ids.len(), 8);
        assert!(ids.iter().all(|i| i.as_str().len() <= MAX_ID_LEN));
    }

    #[test]
    fn a_copy_title_fits_the_limit() {
        assert_eq!(copy_title("Capitals"), "Capitals (copy)");
        let long = "x".repeat(MAX_TEXT_CHARS);
        assert_eq!(copy_title(&long).chars().count(), MAX_TEXT_CHARS);
    }
}
