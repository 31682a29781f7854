//! The shared score-event-log conformance suite against a real Kafka broker, one fresh
//! topic per case (3 partitions, so "per-quiz order" is about keying, not luck).

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use quiz_kafka::KafkaEventLog;

mod events {
    use super::*;
    quiz_conformance::event_log_suite!(async {
        let config = common::config("conf", 3);
        let log = Arc::new(KafkaEventLog::connect(&config).await.expect("connect"));
        (log, common::TopicReader(config))
    });
}
