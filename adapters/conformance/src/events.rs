//! Score-event-log cases. Reading back is adapter-specific (a Kafka consumer, a memory
//! list), so the suite takes a reader.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use quiz_core::ports::ScoreEventLog;
use quiz_core::{QuizId, ScoreEvent};

use crate::archive::events;
use crate::fixtures::unique_quiz;

/// Reads back what a log made durable.
pub trait ReadBack: Send + Sync {
    /// Every event of `quiz` in the log, in log order, waiting until at least `n` are there
    /// (or a bounded time has passed).
    fn read<'a>(
        &'a self,
        quiz: &'a QuizId,
        n: usize,
    ) -> Pin<Box<dyn Future<Output = Vec<ScoreEvent>> + Send + 'a>>;
}

/// Publish returns only once the event is durable: everything published reads back, with
/// each quiz's events in publish order.
pub async fn published_events_are_durable_and_keep_per_quiz_order<L, R>((log, reader): (Arc<L>, R))
where
    L: ScoreEventLog + ?Sized,
    R: ReadBack,
{
    let q = unique_quiz("ev");
    let evs = events(&q);
    for e in &evs {
        log.publish(e).await.unwrap();
    }
    // A republished event (a retry) is allowed.
    log.publish(&evs[0]).await.unwrap();
    let back = reader.read(&q, evs.len() + 1).await;
    assert_eq!(back.len(), evs.len() + 1, "all published events read back");
    assert_eq!(&back[..evs.len()], &evs[..]);
}
