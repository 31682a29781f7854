use std::collections::{BTreeMap, BTreeSet};
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;
use quiz_core::ports::{CatalogError, ListedQuiz, QuizCatalog, QuizPage, QuizQuery};
use quiz_core::quiz::{Quiz, QuizStatus};
use quiz_core::{QuizId, QuizSummary};

/// Quiz definitions in memory.
#[derive(Default)]
pub struct MemoryCatalog {
    inner: RwLock<Shelves>,
}

/// The quizzes and the ids of deleted ones (which stay taken), under one lock.
#[derive(Default)]
struct Shelves {
    quizzes: BTreeMap<QuizId, Quiz>,
    deleted: BTreeSet<QuizId>,
}

impl MemoryCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }
}

fn summary(q: &Quiz) -> QuizSummary {
    QuizSummary {
        id: q.id().clone(),
        title: q.title().to_owned(),
        questions: q.questions().len(),
        status: q.status(),
    }
}

#[async_trait]
impl QuizCatalog for MemoryCatalog {
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if s.quizzes.contains_key(quiz.id()) || s.deleted.contains(quiz.id()) {
            return Err(CatalogError::AlreadyExists);
        }
        s.quizzes.insert(quiz.id().clone(), quiz.clone());
        Ok(())
    }

    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
        let s = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(s.quizzes.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        let s = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(s.quizzes.values().map(summary).collect())
    }

    async fn search(&self, query: &QuizQuery) -> Result<QuizPage, CatalogError> {
        let s = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(query.page(s.quizzes.values().map(|q| ListedQuiz {
            summary: summary(q),
            mode: q.mode(),
        })))
    }

    async fn update(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let stored = s.quizzes.get_mut(quiz.id()).ok_or(CatalogError::NotFound)?;
        *stored = quiz.clone();
        Ok(())
    }

    async fn delete(&self, id: &QuizId) -> Result<(), CatalogError> {
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if s.quizzes.remove(id).is_none() {
            return Err(CatalogError::NotFound);
        }
        s.deleted.insert(id.clone());
        Ok(())
    }

    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let q = s.quizzes.get_mut(id).ok_or(CatalogError::NotFound)?;
        *q = q.with_status(status);
        Ok(())
    }
}
