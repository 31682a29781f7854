//! A read-through cache in front of the quiz catalog.
//!
//! Every answer needs its quiz (the answer key and timings); with MongoDB behind the
//! catalog that would be one round trip per answer. Quizzes are immutable apart from their
//! status, so `get` is cached for a short time-to-live. Writes through this instance
//! invalidate at once; a status change made on another instance is seen here within the
//! TTL (default 1 s), which bounds how long a closed quiz may still accept answers there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use quiz_core::ports::{CatalogError, QuizCatalog};
use quiz_core::{Quiz, QuizId, QuizStatus, QuizSummary};

/// Caches `get` results of an inner catalog for `ttl`.
pub struct CachedCatalog {
    inner: Arc<dyn QuizCatalog>,
    ttl: Duration,
    entries: Mutex<HashMap<QuizId, (Instant, Option<Quiz>)>>,
}

/// Most quizzes kept; the cache is cleared when it grows past this (quizzes are few).
const MAX_ENTRIES: usize = 10_000;

impl CachedCatalog {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn QuizCatalog>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn forget(&self, id: &QuizId) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

#[async_trait]
impl QuizCatalog for CachedCatalog {
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let r = self.inner.create(quiz).await;
        self.forget(quiz.id());
        r
    }

    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
        if let Some((at, q)) = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            && at.elapsed() < self.ttl
        {
            return Ok(q.clone());
        }
        let fresh = self.inner.get(id).await?;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id.clone(), (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        self.inner.list().await
    }

    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
        let r = self.inner.set_status(id, status).await;
        self.forget(id);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiz_memory::MemoryCatalog;

    fn quiz() -> Quiz {
        crate::demo::demo_quiz(quiz_core::Timestamp(1))
            .try_into()
            .unwrap()
    }

    #[tokio::test]
    async fn gets_are_served_from_the_cache_and_writes_invalidate() {
        let inner = Arc::new(MemoryCatalog::new());
        let cached = CachedCatalog::new(inner.clone(), Duration::from_secs(60));
        let q = quiz();
        assert_eq!(cached.get(q.id()).await.unwrap(), None);
        cached.create(&q).await.unwrap();
        assert_eq!(
            cached.get(q.id()).await.unwrap().map(|x| x.status()),
            Some(QuizStatus::Open)
        );
        // A change behind the cache's back is not seen until the TTL passes…
        inner.set_status(q.id(), QuizStatus::Closed).await.unwrap();
        assert_eq!(
            cached.get(q.id()).await.unwrap().map(|x| x.status()),
            Some(QuizStatus::Open)
        );
        // …but a change through the cache is seen at once.
        cached.set_status(q.id(), QuizStatus::Closed).await.unwrap();
        assert_eq!(
            cached.get(q.id()).await.unwrap().map(|x| x.status()),
            Some(QuizStatus::Closed)
        );
    }

    #[tokio::test]
    async fn entries_expire_after_the_ttl() {
        let inner = Arc::new(MemoryCatalog::new());
        let cached = CachedCatalog::new(inner.clone(), Duration::from_millis(20));
        let q = quiz();
        inner.create(&q).await.unwrap();
        assert!(cached.get(q.id()).await.unwrap().is_some());
        inner.set_status(q.id(), QuizStatus::Closed).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            cached.get(q.id()).await.unwrap().map(|x| x.status()),
            Some(QuizStatus::Closed)
        );
    }
}
