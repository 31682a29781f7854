//! A read-through cache in front of the quiz catalog.
//!
//! Every answer needs its quiz (the answer key and timings); with MongoDB behind the
//! catalog that would be one round trip per answer. Once anyone has joined, quizzes change
//! only in status (the library copies a played quiz instead of changing it), so `get` is
//! cached for a short time-to-live. Writes through this instance (create, update, delete,
//! status) invalidate at once; a status change or a delete made on another instance is seen
//! here within the TTL (default 1 s) plus one catalog round trip, which bounds how long a
//! closed quiz may still accept answers there. An in-place update (a quiz nobody has joined
//! yet) made on another instance is not seen by revalidation, which reads the status only:
//! a copy cached here before it stays until the entry is dropped (a restart, or the cache
//! growing past `MAX_ENTRIES`).
//!
//! An expired quiz is revalidated with [`QuizCatalog::status`] (quizzes change only in
//! status), not read again whole: with MongoDB that is a small document instead of every
//! question, and on FerretDB, which scans a collection for every lookup, a scan of small
//! documents.
//!
//! Loads are single-flight per quiz: when an entry is missing, one caller reads the
//! catalog and concurrent callers wait for that read; when it has expired, one caller
//! refreshes it while the others keep getting the expired copy for at most
//! [`STALE_GRACE`] longer, so an expiry does not send every answer in flight to the
//! catalog at once (BENCHMARKS.md, "Findings and fixes").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use quiz_core::ports::{CatalogError, QuizCatalog, QuizPage, QuizQuery};
use quiz_core::{Quiz, QuizId, QuizStatus, QuizSummary};
// Tokio's clock: the real one, except in tests that pause it.
use tokio::time::Instant;

/// Caches `get` results of an inner catalog for `ttl`.
pub struct CachedCatalog {
    inner: Arc<dyn QuizCatalog>,
    ttl: Duration,
    entries: Mutex<HashMap<QuizId, Entry>>,
}

/// One quiz's cache entry.
#[derive(Default)]
struct Entry {
    /// When the value was read, and the value (`None`: no such quiz).
    value: Option<(Instant, Option<Quiz>)>,
    /// Held by the one caller that reads the catalog for this quiz. A tokio mutex, as it
    /// is held across that read; the map itself is behind a std mutex that is never held
    /// across an await.
    load: Arc<tokio::sync::Mutex<()>>,
    /// Bumped by every write through this cache, so a read that was under way during a
    /// write does not store what it read before the write.
    generation: u64,
}

/// Most quizzes kept; the cache is cleared when it grows past this (quizzes are few).
const MAX_ENTRIES: usize = 10_000;

/// How long past its TTL an entry is still served while another caller refreshes it. A
/// refresh that takes longer (a hung catalog) makes later callers wait for it instead.
pub const STALE_GRACE: Duration = Duration::from_secs(2);

/// What a lookup in the map found.
enum Found {
    Fresh(Option<Quiz>),
    Stale(Option<Quiz>, Arc<tokio::sync::Mutex<()>>),
    /// Nothing servable; the copy held, if any, too old to serve but good to revalidate.
    Missing(Option<Quiz>, Arc<tokio::sync::Mutex<()>>),
}

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
        if let Some(e) = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(id)
        {
            e.value = None;
            e.generation += 1;
        }
    }

    fn find(&self, id: &QuizId) -> Found {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(id) {
            entries.clear();
        }
        let e = entries.entry(id.clone()).or_default();
        match &e.value {
            Some((at, q)) if at.elapsed() < self.ttl => Found::Fresh(q.clone()),
            Some((at, q)) if at.elapsed() < self.ttl + STALE_GRACE => {
                Found::Stale(q.clone(), e.load.clone())
            }
            Some((_, q)) => Found::Missing(q.clone(), e.load.clone()),
            None => Found::Missing(None, e.load.clone()),
        }
    }

    /// Reads the catalog and stores the result; the caller holds the entry's load lock.
    /// `known` is the copy held (expired): quizzes change only in status, so it is
    /// revalidated by reading the status alone.
    async fn load(&self, id: &QuizId, known: Option<Quiz>) -> Result<Option<Quiz>, CatalogError> {
        let generation = self.generation(id);
        let fresh = match known {
            Some(q) => match self.inner.status(id).await? {
                Some(s) if s == q.status() => Some(q),
                Some(s) => Some(q.with_status(s)),
                None => None,
            },
            None => self.inner.get(id).await?,
        };
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let e = entries.entry(id.clone()).or_default();
        if e.generation == generation {
            e.value = Some((Instant::now(), fresh.clone()));
        }
        Ok(fresh)
    }

    fn generation(&self, id: &QuizId) -> u64 {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .map_or(0, |e| e.generation)
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
        match self.find(id) {
            Found::Fresh(q) => Ok(q),
            Found::Stale(q, load) => match load.try_lock() {
                // Someone is refreshing: the expired copy will do meanwhile.
                Err(_) => Ok(q),
                Ok(_guard) => self.load(id, q).await,
            },
            Found::Missing(_, load) => {
                let _guard = load.lock().await;
                // Whoever held the lock may have loaded it meanwhile.
                match self.find(id) {
                    Found::Fresh(q) => Ok(q),
                    Found::Stale(q, _) | Found::Missing(q, _) => self.load(id, q).await,
                }
            }
        }
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        self.inner.list().await
    }

    async fn search(&self, query: &QuizQuery) -> Result<QuizPage, CatalogError> {
        self.inner.search(query).await
    }

    async fn update(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let r = self.inner.update(quiz).await;
        self.forget(quiz.id());
        r
    }

    async fn delete(&self, id: &QuizId) -> Result<(), CatalogError> {
        let r = self.inner.delete(id).await;
        self.forget(id);
        r
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

    /// A catalog that counts whole-quiz reads and status reads, and takes `delay` for each.
    struct Slow {
        inner: MemoryCatalog,
        reads: std::sync::atomic::AtomicUsize,
        status_reads: std::sync::atomic::AtomicUsize,
        /// Set: the catalog no longer has any quiz.
        gone: std::sync::atomic::AtomicBool,
        delay: Duration,
    }

    #[async_trait]
    impl QuizCatalog for Slow {
        async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
            self.inner.create(quiz).await
        }
        async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            if self.gone.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(None);
            }
            self.inner.get(id).await
        }
        async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
            self.inner.list().await
        }
        async fn search(&self, query: &QuizQuery) -> Result<QuizPage, CatalogError> {
            self.inner.search(query).await
        }
        async fn update(&self, quiz: &Quiz) -> Result<(), CatalogError> {
            self.inner.update(quiz).await
        }
        async fn delete(&self, id: &QuizId) -> Result<(), CatalogError> {
            self.inner.delete(id).await
        }
        async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
            self.inner.set_status(id, status).await
        }
        async fn status(&self, id: &QuizId) -> Result<Option<QuizStatus>, CatalogError> {
            self.status_reads
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            if self.gone.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(None);
            }
            self.inner.status(id).await
        }
    }

    fn slow() -> Arc<Slow> {
        Arc::new(Slow {
            inner: MemoryCatalog::new(),
            reads: std::sync::atomic::AtomicUsize::new(0),
            status_reads: std::sync::atomic::AtomicUsize::new(0),
            gone: std::sync::atomic::AtomicBool::new(false),
            delay: Duration::from_millis(50),
        })
    }

    /// A slow catalog holding the demo quiz, behind a cache with a 1 s TTL.
    async fn slow_with_quiz() -> (Arc<Slow>, Quiz, Arc<CachedCatalog>) {
        let inner = slow();
        let q = quiz();
        inner.create(&q).await.unwrap();
        let cached = Arc::new(CachedCatalog::new(inner.clone(), Duration::from_secs(1)));
        (inner, q, cached)
    }

    /// Reads of the inner catalog: whole quizzes, statuses.
    fn reads(s: &Slow) -> (usize, usize) {
        (
            s.reads.load(std::sync::atomic::Ordering::SeqCst),
            s.status_reads.load(std::sync::atomic::Ordering::SeqCst),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_read_the_catalog_once() {
        let (inner, q, cached) = slow_with_quiz().await;
        let gets: Vec<_> = (0..50)
            .map(|_| {
                let cached = cached.clone();
                let id = q.id().clone();
                tokio::spawn(async move { cached.get(&id).await })
            })
            .collect();
        for g in gets {
            assert_eq!(g.await.unwrap().unwrap().as_ref(), Some(&q));
        }
        assert_eq!(reads(&inner), (1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_entry_is_refreshed_once_while_the_old_copy_is_served() {
        let (inner, q, cached) = slow_with_quiz().await;
        cached.get(q.id()).await.unwrap();
        assert_eq!(reads(&inner), (1, 0));
        inner
            .inner
            .set_status(q.id(), QuizStatus::Closed)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1_100)).await;

        // The first caller after the expiry refreshes (reading the status only); everyone
        // else meanwhile gets the expired copy at once.
        let refresher = tokio::spawn({
            let cached = cached.clone();
            let id = q.id().clone();
            async move { cached.get(&id).await }
        });
        tokio::task::yield_now().await;
        for _ in 0..50 {
            let got = cached.get(q.id()).await.unwrap();
            assert_eq!(got.map(|x| x.status()), Some(QuizStatus::Open));
        }
        assert_eq!(
            refresher.await.unwrap().unwrap().map(|x| x.status()),
            Some(QuizStatus::Closed)
        );
        assert_eq!(reads(&inner), (1, 1));
        assert_eq!(
            cached.get(q.id()).await.unwrap().map(|x| x.status()),
            Some(QuizStatus::Closed)
        );

        // Far past the grace period nothing stale is served: the caller waits for a read.
        inner
            .inner
            .set_status(q.id(), QuizStatus::Open)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(1) + STALE_GRACE).await;
        assert_eq!(
            cached.get(q.id()).await.unwrap().map(|x| x.status()),
            Some(QuizStatus::Open)
        );
        assert_eq!(reads(&inner), (1, 2));
    }

    /// A quiz that vanished from the catalog is gone from the cache after the TTL, and an
    /// unknown id is looked up whole again (there is no status to revalidate).
    #[tokio::test(start_paused = true)]
    async fn revalidation_sees_a_vanished_quiz_and_unknown_ids_are_read_whole() {
        let (inner, q, cached) = slow_with_quiz().await;
        let unknown = QuizId::parse("nope").unwrap();
        assert_eq!(cached.get(&unknown).await.unwrap(), None);
        assert!(cached.get(q.id()).await.unwrap().is_some());
        assert_eq!(reads(&inner), (2, 0));
        inner.gone.store(true, std::sync::atomic::Ordering::SeqCst);
        // Far past the TTL and the grace, so no stale copy is served.
        tokio::time::sleep(Duration::from_secs(1) + STALE_GRACE).await;
        assert_eq!(cached.get(&unknown).await.unwrap(), None);
        assert_eq!(cached.get(q.id()).await.unwrap(), None);
        assert_eq!(reads(&inner), (3, 1));
        // Gone is gone: the next lookup after the TTL reads it whole.
        tokio::time::sleep(Duration::from_secs(1) + STALE_GRACE).await;
        assert_eq!(cached.get(q.id()).await.unwrap(), None);
        assert_eq!(reads(&inner), (4, 1));
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
