//! [`RoomBus`] on Redis pub/sub.
//!
//! Announcements are `PUBLISH quiz:changed <quiz id>`; a take-over is
//! `PUBLISH quiz:changed "T <quiz id> <player id> <since ms> <socket id>"` (ids never contain
//! spaces). A subscription is a dedicated pub/sub connection subscribed to that one channel.
//!
//! On a Redis Cluster, classic `PUBLISH` is forwarded to every node over the cluster bus,
//! so a subscriber connected to any single node hears every announcement; the subscriber
//! connects to one node (a different one each time) and nothing cluster-specific is needed.
//! Sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`) would spare that forwarding, but it does not
//! fit this port: a subscriber wants *every* quiz's announcements, sharded channels have no
//! pattern subscriptions, and subscribing to one channel per quiz would need to know every
//! quiz in advance (and, with `redis` 1.8, a RESP3 cluster connection with a push sender).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use quiz_core::ports::{BusError, BusEvent, BusSubscription, RoomBus};
use quiz_core::{PlayerId, QuizId};
use redis::Value;
use redis::aio::{PubSubSink, PubSubStream};

use crate::conn::{Failure, Shared};
use crate::keys::CHANNEL;

/// "Quiz changed" announcements across every server instance, over Redis pub/sub. Build it
/// with [`crate::RedisAdapters`].
pub struct RedisBus {
    shared: Shared,
}

impl RedisBus {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

fn unavailable(f: Failure) -> BusError {
    BusError::Unavailable(Box::new(f))
}

#[async_trait]
impl RoomBus for RedisBus {
    async fn announce(&self, quiz: &QuizId) -> Result<(), BusError> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(CHANNEL).arg(quiz.as_str());
        // The reply is the number of receivers on the node that took the message; zero is
        // not an error (nobody is watching yet, or they listen on other cluster nodes).
        let _: Value = self
            .shared
            .query("PUBLISH", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn take_over(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        socket: &str,
        since: u64,
    ) -> Result<(), BusError> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(CHANNEL)
            .arg(format!("T {quiz} {player} {since} {socket}"));
        let _: Value = self
            .shared
            .query("PUBLISH", &cmd)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self) -> Result<Box<dyn BusSubscription>, BusError> {
        let (sink, stream) = self.shared.subscribe(CHANNEL).await.map_err(unavailable)?;
        let o = self.shared.options();
        Ok(Box::new(Subscription {
            sink,
            stream,
            heartbeat: o.bus_heartbeat,
            ping_timeout: o.response_timeout,
            ended: false,
        }))
    }
}

/// One subscriber's pub/sub connection.
struct Subscription {
    /// Kept for heartbeats (and because dropping the sink side is how the connection is
    /// told nobody will subscribe any more).
    sink: PubSubSink,
    stream: PubSubStream,
    /// After this long without a message, the connection is checked with a `PING`: a peer
    /// that vanished without closing the socket would otherwise leave `next` waiting
    /// forever.
    heartbeat: Duration,
    ping_timeout: Duration,
    ended: bool,
}

#[async_trait]
impl BusSubscription for Subscription {
    async fn next(&mut self) -> Option<BusEvent> {
        while !self.ended {
            match tokio::time::timeout(self.heartbeat, self.stream.next()).await {
                Ok(Some(msg)) => {
                    match decode(&String::from_utf8_lossy(msg.get_payload_bytes())) {
                        Ok(event) => return Some(event),
                        // Someone else published on the channel: not ours to deliver.
                        Err(e) => {
                            tracing::warn!(error = %e, "ignoring a malformed quiz announcement")
                        }
                    }
                }
                Ok(None) => self.ended = true,
                Err(_idle) => {
                    let alive = tokio::time::timeout(self.ping_timeout, self.sink.ping::<Value>())
                        .await
                        .is_ok_and(|r| r.is_ok());
                    if !alive {
                        tracing::debug!("redis pub/sub connection stopped answering");
                        self.ended = true;
                    }
                }
            }
        }
        None
    }
}

/// Reads a message of the channel: a quiz id, or a take-over (see the module docs).
fn decode(payload: &str) -> Result<BusEvent, String> {
    let Some(rest) = payload.strip_prefix("T ") else {
        return QuizId::parse(payload)
            .map(BusEvent::Changed)
            .map_err(|e| e.to_string());
    };
    let parts: Vec<&str> = rest.split(' ').collect();
    let [quiz, player, since, socket] = parts.as_slice() else {
        return Err(format!("malformed take-over {payload:?}"));
    };
    Ok(BusEvent::TakenOver {
        quiz: QuizId::parse(*quiz).map_err(|e| e.to_string())?,
        player: PlayerId::parse(*player).map_err(|e| e.to_string())?,
        since: since
            .parse()
            .map_err(|_| format!("malformed time in {payload:?}"))?,
        socket: (*socket).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages_decode_and_garbage_is_refused() {
        assert_eq!(
            decode("q1"),
            Ok(BusEvent::Changed(QuizId::parse("q1").unwrap()))
        );
        assert_eq!(
            decode("T q1 p3 1700 i1-7"),
            Ok(BusEvent::TakenOver {
                quiz: QuizId::parse("q1").unwrap(),
                player: PlayerId::parse("p3").unwrap(),
                since: 1700,
                socket: "i1-7".into(),
            })
        );
        for bad in ["", "T q1 p3", "T q1 p3 x s", "a b", "T q1 p3 1 s extra"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
