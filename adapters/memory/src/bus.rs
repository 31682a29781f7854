use async_trait::async_trait;
use quiz_core::ports::{BusError, BusEvent, BusSubscription, RoomBus};
use quiz_core::{PlayerId, QuizId};
use tokio::sync::broadcast;

/// How many announcements a slow subscriber may fall behind before it skips some. A skipped
/// announcement only delays a board until the quiz's next change.
const CAPACITY: usize = 4096;

/// "Quiz changed" announcements within one process.
pub struct MemoryBus {
    tx: broadcast::Sender<BusEvent>,
}

impl MemoryBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::new()
    }
}

struct Sub(broadcast::Receiver<BusEvent>);

#[async_trait]
impl BusSubscription for Sub {
    async fn next(&mut self) -> Option<BusEvent> {
        loop {
            match self.0.recv().await {
                Ok(q) => return Some(q),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

#[async_trait]
impl RoomBus for MemoryBus {
    async fn announce(&self, quiz: &QuizId) -> Result<(), BusError> {
        // No subscriber is not an error: nobody is watching yet.
        let _ = self.tx.send(BusEvent::Changed(quiz.clone()));
        Ok(())
    }

    async fn take_over(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        socket: &str,
        since: u64,
    ) -> Result<(), BusError> {
        let _ = self.tx.send(BusEvent::TakenOver {
            quiz: quiz.clone(),
            player: player.clone(),
            socket: socket.to_owned(),
            since,
        });
        Ok(())
    }

    async fn subscribe(&self) -> Result<Box<dyn BusSubscription>, BusError> {
        Ok(Box::new(Sub(self.tx.subscribe())))
    }
}
