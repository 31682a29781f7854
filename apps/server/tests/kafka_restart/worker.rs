//! The worker, run in process on the private broker.

use std::sync::Arc;
use std::time::Duration;

use quiz_core::ports::ScoreArchive;
use quiz_kafka::{KafkaConfig, KafkaEventStream};
use quiz_worker::{RunError, RunReport, WorkerOptions};
use tokio::sync::oneshot;

pub(crate) struct Worker {
    stop: oneshot::Sender<()>,
    pub(crate) task: tokio::task::JoinHandle<Result<RunReport, RunError>>,
}

pub(crate) async fn start_worker(
    kc: &KafkaConfig,
    group: &str,
    archive: Arc<dyn ScoreArchive>,
) -> Worker {
    let mut source = KafkaEventStream::connect(kc, group).await.unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    // The production defaults (source and archive retries from 100 ms doubling to 5 s),
    // with short batch waits as in fullstack.rs.
    let options = WorkerOptions {
        batch_wait: Duration::from_millis(50),
        ..Default::default()
    };
    let task = tokio::spawn(async move {
        let result = quiz_worker::run(&mut source, archive, options, async move {
            let _ = rx.await;
        })
        .await;
        source.close().await;
        result
    });
    Worker { stop, task }
}

impl Worker {
    /// Stops the worker (it finishes its batch in hand) and returns its report, or why it
    /// failed.
    pub(crate) async fn stop(self) -> Result<RunReport, String> {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the worker did not stop within 30 s")
            .expect("the worker task panicked")
            .map_err(|e| quiz_common::chain(&e).to_string())
    }
}
