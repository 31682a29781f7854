//! The quiz library: creating, reading, listing, opening and closing quizzes.

use std::sync::Arc;

use crate::game::HostedOptions;
use crate::ids::QuizId;
use crate::model::QuizSummary;
use crate::ports::{CatalogError, GameStore, PlayerRegistry, QuizCatalog};
use crate::quiz::{NameMode, PublicQuestion, Quiz, QuizDefError, QuizDraft, QuizMode, QuizStatus};
use crate::scoring::ScoringPolicy;
use crate::unavailable::Unavailable;

/// Errors of [`Library::create`].
#[derive(Debug, thiserror::Error)]
pub enum CreateQuizError {
    /// The definition breaks a rule.
    #[error(transparent)]
    Invalid(#[from] QuizDefError),
    /// The id is taken.
    #[error("a quiz with that id already exists")]
    AlreadyExists,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Why a quiz's images do not check out.
#[derive(Debug, thiserror::Error)]
pub(super) enum ImageCheckError {
    /// A question's image is not stored.
    #[error(transparent)]
    Missing(QuizDefError),
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<ImageCheckError> for CreateQuizError {
    fn from(e: ImageCheckError) -> Self {
        match e {
            ImageCheckError::Missing(d) => Self::Invalid(d),
            ImageCheckError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// Errors of lookups by quiz id.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// A quiz as players see it: no answer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizView {
    /// The id players join by.
    pub id: QuizId,
    /// The title shown above the questions.
    pub title: String,
    /// Whether joins and answers are accepted.
    pub status: QuizStatus,
    /// How answers earn points.
    pub scoring: ScoringPolicy,
    /// The questions without their key.
    pub questions: Vec<PublicQuestion>,
    /// The largest reachable total.
    pub max_total: u64,
    /// Self-paced (each player's own clock) or hosted (a host runs it).
    pub mode: QuizMode,
    /// How a hosted game runs.
    pub hosted: HostedOptions,
    /// Where players' display names come from.
    pub names: NameMode,
}

impl From<&Quiz> for QuizView {
    fn from(q: &Quiz) -> Self {
        Self {
            id: q.id().clone(),
            title: q.title().to_owned(),
            status: q.status(),
            scoring: q.scoring(),
            questions: q.public_questions(),
            max_total: q.max_total(),
            mode: q.mode(),
            hosted: q.hosted(),
            names: q.names(),
        }
    }
}

/// Creating, reading, listing, searching, updating, duplicating, deleting, opening and
/// closing quizzes (the editing use cases are in `editing`). The registry and the game
/// store are read only, to tell whether a quiz has been played and whether its game is
/// live.
#[derive(Clone)]
pub struct Library {
    pub(super) catalog: Arc<dyn QuizCatalog>,
    pub(super) registry: Arc<dyn PlayerRegistry>,
    pub(super) games: Arc<dyn GameStore>,
    /// Whether a question's image exists.
    pub(super) media: super::Media,
}

impl Library {
    pub(super) fn new(
        catalog: Arc<dyn QuizCatalog>,
        registry: Arc<dyn PlayerRegistry>,
        games: Arc<dyn GameStore>,
        media: super::Media,
    ) -> Self {
        Self {
            catalog,
            registry,
            games,
            media,
        }
    }

    /// Validates and stores a new quiz.
    ///
    /// # Errors
    /// [`CreateQuizError::Invalid`] naming the broken rule, [`CreateQuizError::AlreadyExists`],
    /// [`CreateQuizError::Unavailable`].
    pub async fn create(&self, draft: QuizDraft) -> Result<Quiz, CreateQuizError> {
        let quiz = Quiz::try_from(draft)?;
        self.check_images(&quiz).await?;
        match self.catalog.create(&quiz).await {
            Ok(()) => Ok(quiz),
            Err(CatalogError::AlreadyExists) => Err(CreateQuizError::AlreadyExists),
            Err(e) => Err(Unavailable::from(e).into()),
        }
    }

    /// Refuses a quiz whose questions name an image the media store does not have.
    ///
    /// # Errors
    /// [`ImageCheckError`] naming the first such question.
    pub(super) async fn check_images(&self, quiz: &Quiz) -> Result<(), ImageCheckError> {
        for (index, q) in quiz.questions().iter().enumerate() {
            if let Some(image) = &q.image
                && !self.media.exists(image).await?
            {
                return Err(ImageCheckError::Missing(QuizDefError::UnknownImage {
                    index,
                    id: q.id.clone(),
                }));
            }
        }
        Ok(())
    }

    /// A quiz with its key (for server-side use); a missing one is an error.
    ///
    /// # Errors
    /// [`LookupError::UnknownQuiz`], [`LookupError::Unavailable`].
    pub async fn quiz(&self, id: &QuizId) -> Result<Quiz, LookupError> {
        self.catalog
            .get(id)
            .await
            .map_err(Unavailable::from)?
            .ok_or(LookupError::UnknownQuiz)
    }

    /// Every quiz, ordered by id whatever order the catalog keeps them in.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn list(&self) -> Result<Vec<QuizSummary>, Unavailable> {
        let mut quizzes = self.catalog.list().await?;
        quizzes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(quizzes)
    }

    /// Opens or closes a quiz for joins and answers, and returns it with its new status.
    ///
    /// # Errors
    /// [`LookupError::UnknownQuiz`], [`LookupError::Unavailable`].
    pub async fn set_status(&self, quiz: &QuizId, status: QuizStatus) -> Result<Quiz, LookupError> {
        match self.catalog.set_status(quiz, status).await {
            Ok(()) => self.quiz(quiz).await,
            Err(CatalogError::NotFound) => Err(LookupError::UnknownQuiz),
            Err(e) => Err(Unavailable::from(e).into()),
        }
    }
}
