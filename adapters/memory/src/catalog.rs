use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;
use quiz_core::ports::{CatalogError, QuizCatalog};
use quiz_core::quiz::{Quiz, QuizStatus};
use quiz_core::{QuizId, QuizSummary};

/// Quiz definitions in memory.
#[derive(Default)]
pub struct MemoryCatalog {
    quizzes: RwLock<BTreeMap<QuizId, Quiz>>,
}

impl MemoryCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl QuizCatalog for MemoryCatalog {
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let mut map = self.quizzes.write().unwrap_or_else(PoisonError::into_inner);
        if map.contains_key(quiz.id()) {
            return Err(CatalogError::AlreadyExists);
        }
        map.insert(quiz.id().clone(), quiz.clone());
        Ok(())
    }

    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
        let map = self.quizzes.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        let map = self.quizzes.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map
            .values()
            .map(|q| QuizSummary {
                id: q.id().clone(),
                title: q.title().to_owned(),
                questions: q.questions().len(),
                status: q.status(),
            })
            .collect())
    }

    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
        let mut map = self.quizzes.write().unwrap_or_else(PoisonError::into_inner);
        let q = map.get_mut(id).ok_or(CatalogError::NotFound)?;
        *q = q.with_status(status);
        Ok(())
    }
}
