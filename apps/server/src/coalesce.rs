//! Coalescing "quiz changed" announcements before they reach a shared room bus.
//!
//! Every accepted answer announces its quiz. On Redis that is one `PUBLISH` per answer
//! and one delivery per answer to every instance, although a room pushes at most one board
//! per throttle window (500 ms) and a board reads the whole current state anyway.
//! [`CoalescingBus`] passes the first announcement of a quiz straight through and folds
//! every further one within `interval` into a single announcement at the end of that
//! interval.
//!
//! Why this does not make boards later, as long as `interval` is shorter than the throttle
//! window: an announcement is only held back when one for the same quiz went out less
//! than `interval` ago. That one reached every room of the quiz and either started a
//! broadcast or found one pending, so each room's next broadcast is due a full window
//! after its last, later than the held-back announcement arrives; that broadcast reads the
//! board after the held-back answer was recorded. A quiz with sparse answers is never
//! delayed at all (nothing went out in the last `interval`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use quiz_core::ports::{BusError, BusSubscription, RoomBus};
use quiz_core::{PlayerId, QuizId};
// Tokio's clock: the real one, except in tests that pause it.
use tokio::time::Instant;

/// Quizzes remembered before idle entries are dropped.
const PRUNE_AT: usize = 4_096;

/// What this instance last did for one quiz.
#[derive(Clone, Copy)]
struct Sent {
    /// When the last announcement was sent (or is due, when one is scheduled).
    sent_at: Instant,
    /// An announcement is scheduled at `sent_at` and covers every change until then.
    scheduled: bool,
}

/// A [`RoomBus`] that sends at most one announcement per quiz per `interval`, the first at
/// once and the rest folded into one at the end of the interval. Subscriptions pass
/// through unchanged.
pub struct CoalescingBus {
    inner: Arc<dyn RoomBus>,
    interval: Duration,
    sent: Arc<Mutex<HashMap<QuizId, Sent>>>,
}

impl CoalescingBus {
    /// Wraps `inner`. `interval` should be well below the rooms' throttle window (see the
    /// module docs).
    pub fn new(inner: Arc<dyn RoomBus>, interval: Duration) -> Self {
        Self {
            inner,
            interval,
            sent: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// What `announce` decided under the lock.
enum Plan {
    SendNow,
    Covered,
    SendAt(Instant),
}

#[async_trait]
impl RoomBus for CoalescingBus {
    async fn announce(&self, quiz: &QuizId) -> Result<(), BusError> {
        let now = Instant::now();
        let plan = {
            let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
            if sent.len() >= PRUNE_AT {
                let interval = self.interval;
                sent.retain(|_, s| s.scheduled || now.duration_since(s.sent_at) < interval);
            }
            match sent.get_mut(quiz) {
                Some(s) if s.scheduled => Plan::Covered,
                Some(s) if now.duration_since(s.sent_at) < self.interval => {
                    s.sent_at += self.interval;
                    s.scheduled = true;
                    Plan::SendAt(s.sent_at)
                }
                _ => {
                    sent.insert(
                        quiz.clone(),
                        Sent {
                            sent_at: now,
                            scheduled: false,
                        },
                    );
                    Plan::SendNow
                }
            }
        };
        match plan {
            Plan::SendNow => self.inner.announce(quiz).await,
            Plan::Covered => Ok(()),
            Plan::SendAt(at) => {
                let inner = self.inner.clone();
                let sent = self.sent.clone();
                let quiz = quiz.clone();
                tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    // From here on, changes need an announcement of their own.
                    if let Some(s) = sent
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_mut(&quiz)
                    {
                        s.scheduled = false;
                    }
                    if let Err(e) = inner.announce(&quiz).await {
                        // Boards of other instances catch up with the next announcement.
                        tracing::warn!(%quiz, error = %e, "deferred room announcement failed");
                    }
                });
                Ok(())
            }
        }
    }

    async fn take_over(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        socket: &str,
        since: u64,
    ) -> Result<(), BusError> {
        // Rare, and each one matters: never coalesced.
        self.inner.take_over(quiz, player, socket, since).await
    }

    async fn subscribe(&self) -> Result<Box<dyn BusSubscription>, BusError> {
        self.inner.subscribe().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Records when each announcement reached it.
    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<(QuizId, Instant)>>,
        fail: AtomicUsize,
    }

    #[async_trait]
    impl RoomBus for Recorder {
        async fn announce(&self, quiz: &QuizId) -> Result<(), BusError> {
            self.sent
                .lock()
                .unwrap()
                .push((quiz.clone(), Instant::now()));
            if self.fail.load(Ordering::SeqCst) > 0 {
                return Err(BusError::Unavailable("down".into()));
            }
            Ok(())
        }
        async fn take_over(
            &self,
            _: &QuizId,
            _: &PlayerId,
            _: &str,
            _: u64,
        ) -> Result<(), BusError> {
            Ok(())
        }
        async fn subscribe(&self) -> Result<Box<dyn BusSubscription>, BusError> {
            Err(BusError::Unavailable("not in this test".into()))
        }
    }

    /// A coalescing bus with a 50 ms interval in front of a recorder.
    fn recorded() -> (Arc<Recorder>, CoalescingBus) {
        let rec = Arc::new(Recorder::default());
        let bus = CoalescingBus::new(rec.clone(), Duration::from_millis(50));
        (rec, bus)
    }

    fn q(s: &str) -> QuizId {
        QuizId::parse(s).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_goes_at_once_and_a_burst_becomes_one_more() {
        let (rec, bus) = recorded();
        let t0 = Instant::now();
        for _ in 0..100 {
            bus.announce(&q("a")).await.unwrap();
        }
        bus.announce(&q("b")).await.unwrap();
        {
            let sent = rec.sent.lock().unwrap();
            assert_eq!(sent.len(), 2, "a's first and b's first, nothing else yet");
            assert!(sent.iter().all(|(_, at)| *at == t0));
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        let sent = rec.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[2], (q("a"), t0 + Duration::from_millis(50)));
    }

    #[tokio::test(start_paused = true)]
    async fn sparse_announcements_are_never_delayed() {
        let (rec, bus) = recorded();
        for i in 0..5u64 {
            let before = Instant::now();
            bus.announce(&q("a")).await.unwrap();
            assert_eq!(rec.sent.lock().unwrap().len() as u64, i + 1);
            assert_eq!(rec.sent.lock().unwrap()[i as usize].1, before);
            tokio::time::sleep(Duration::from_millis(51)).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_after_the_deferred_send_gets_its_own() {
        let (rec, bus) = recorded();
        let t0 = Instant::now();
        bus.announce(&q("a")).await.unwrap(); // t0, at once
        bus.announce(&q("a")).await.unwrap(); // deferred to t0 + 50
        tokio::time::sleep(Duration::from_millis(70)).await;
        bus.announce(&q("a")).await.unwrap(); // within 50 ms of the deferred one: t0 + 100
        tokio::time::sleep(Duration::from_millis(100)).await;
        let times: Vec<Duration> = rec
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(_, at)| at.duration_since(t0))
            .collect();
        assert_eq!(
            times,
            [0, 50, 100].map(Duration::from_millis).to_vec(),
            "no two closer than the interval, none later than one interval"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_is_reported_when_sent_at_once() {
        let (rec, bus) = recorded();
        rec.fail.store(1, Ordering::SeqCst);
        assert!(bus.announce(&q("a")).await.is_err());
    }
}
