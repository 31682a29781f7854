use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use quiz_core::ScoreEvent;
use quiz_core::ports::{PublishError, ScoreArchive, ScoreEventLog};

enum Sink {
    /// Keep events in a list (tests read them back with [`MemoryEventLog::events`]).
    Keep { capacity: usize },
    /// Apply each event to an archive before returning: "durable" in the embedded sense.
    Forward(Arc<dyn ScoreArchive>),
}

/// The score event log in memory.
pub struct MemoryEventLog {
    sink: Sink,
    kept: Mutex<Vec<ScoreEvent>>,
}

impl MemoryEventLog {
    /// A log that keeps every event, without bound.
    pub fn new() -> Self {
        Self::with_capacity(usize::MAX)
    }

    /// A log that keeps at most `capacity` events and then answers
    /// [`PublishError::Backpressure`] (for testing what callers do when a log is full).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            sink: Sink::Keep { capacity },
            kept: Mutex::new(Vec::new()),
        }
    }

    /// A log that applies each event to `archive` before `publish` returns. This is how the
    /// embedded server persists without a worker.
    pub fn forwarding_to(archive: Arc<dyn ScoreArchive>) -> Self {
        Self {
            sink: Sink::Forward(archive),
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Every event kept so far, in publish order.
    pub fn events(&self) -> Vec<ScoreEvent> {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Default for MemoryEventLog {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl ScoreEventLog for MemoryEventLog {
    async fn publish(&self, event: &ScoreEvent) -> Result<(), PublishError> {
        match &self.sink {
            Sink::Keep { capacity } => {
                let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
                if kept.len() >= *capacity {
                    return Err(PublishError::Backpressure);
                }
                kept.push(event.clone());
                Ok(())
            }
            Sink::Forward(archive) => archive
                .apply(std::slice::from_ref(event))
                .await
                .map(|_| ())
                .map_err(|e| PublishError::Unavailable(Box::new(e))),
        }
    }
}
