//! Players: clients that keep unacknowledged answers and resend them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::common::{Client, Frame};

/// The longest wait for one reply: the delivery timeout, the producer's report grace and a
/// generous margin for a loaded machine.
const REPLY_WAIT: Duration = Duration::from_secs(30);
/// Bound on getting every answer acknowledged once the broker runs (again).
const ACK_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Before,
    During,
    After,
}

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    answer_id: String,
    question: String,
    option: u32,
}

enum Reply {
    Acked { points: u32, duplicate: bool },
    Retry,
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    /// Questions acknowledged (first acknowledgement of each), by phase.
    pub(crate) acked: [usize; 3],
    /// `try_again` replies, by phase.
    pub(crate) try_again: [usize; 3],
    /// `unavailable` replies, by phase.
    pub(crate) unavailable: [usize; 3],
    /// Answers sent again with the same `answer_id`.
    pub(crate) resent: usize,
    /// First acknowledgements that said `duplicate: true`: the retry found the record the
    /// refused attempt had left in the scoreboard.
    pub(crate) acked_as_duplicate: usize,
    /// Slowest and fastest `try_again` / `unavailable` reply.
    pub(crate) slowest_retry: Duration,
    pub(crate) fastest_retry: Option<Duration>,
}

pub(crate) struct Player {
    pub(crate) index: usize,
    pub(crate) id: String,
    pub(crate) client: Client,
    /// Question → points, from the first acknowledgement.
    pub(crate) acked: BTreeMap<String, u32>,
    pub(crate) pending: Vec<Pending>,
    pub(crate) counts: Counts,
}

impl Player {
    /// Sends one answer and waits for its reply (boards are skipped).
    async fn send(&mut self, a: &Pending, phase: Phase) -> Reply {
        let sent = Instant::now();
        self.client
            .send(&json!({"type": "answer", "answer_id": a.answer_id, "question": a.question, "option": a.option}))
            .await;
        let deadline = sent + REPLY_WAIT;
        let reply: Value = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.next_frame_within(left).await {
                None => panic!(
                    "player {}: no reply to answer {} within {REPLY_WAIT:?} ({phase:?})",
                    self.id, a.answer_id
                ),
                Some(Frame::Closed(code)) => panic!(
                    "player {}: socket closed ({code:?}) waiting for the reply to {} ({phase:?})",
                    self.id, a.answer_id
                ),
                Some(Frame::Json(v)) if v["type"] == "board" => {}
                Some(Frame::Json(v)) => break v,
            }
        };
        let took = sent.elapsed();
        assert_eq!(reply["answer_id"], a.answer_id.as_str(), "{reply}");
        let p = phase as usize;
        match (reply["type"].as_str(), reply["code"].as_str()) {
            (Some("answer_result"), _) => {
                assert_eq!(reply["question"], a.question.as_str(), "{reply}");
                return Reply::Acked {
                    points: u32::try_from(reply["points"].as_u64().unwrap()).unwrap(),
                    duplicate: reply["duplicate"] == true,
                };
            }
            (Some("error"), Some("try_again")) => self.counts.try_again[p] += 1,
            (Some("error"), Some("unavailable")) => self.counts.unavailable[p] += 1,
            _ => panic!(
                "player {}: unexpected reply to {} ({phase:?}): {reply}",
                self.id, a.answer_id
            ),
        }
        let c = &mut self.counts;
        c.slowest_retry = c.slowest_retry.max(took);
        c.fastest_retry = Some(c.fastest_retry.map_or(took, |f| f.min(took)));
        Reply::Retry
    }

    fn record_ack(&mut self, a: &Pending, points: u32, duplicate: bool, phase: Phase) {
        if let Some(before) = self.acked.get(&a.question) {
            assert_eq!(
                *before, points,
                "player {}: {} acknowledged twice with different points",
                self.id, a.question
            );
            return;
        }
        self.acked.insert(a.question.clone(), points);
        self.counts.acked[phase as usize] += 1;
        if duplicate {
            self.counts.acked_as_duplicate += 1;
        }
    }

    /// Answers each question of `questions` once; refused ones join the pending list.
    async fn answer(&mut self, questions: Range<usize>, phase: Phase) {
        for q in questions {
            let a = Pending {
                answer_id: format!("a-{}-{q}", self.index),
                question: format!("q{q}"),
                option: ((self.index + q) % 3) as u32,
            };
            match self.send(&a, phase).await {
                Reply::Acked { points, duplicate } => self.record_ack(&a, points, duplicate, phase),
                Reply::Retry => self.pending.push(a),
            }
        }
    }

    /// Sends every pending answer once more, with its original `answer_id`.
    pub(crate) async fn resend_pending(&mut self, phase: Phase) {
        for a in std::mem::take(&mut self.pending) {
            self.counts.resent += 1;
            match self.send(&a, phase).await {
                Reply::Acked { points, duplicate } => self.record_ack(&a, points, duplicate, phase),
                Reply::Retry => self.pending.push(a),
            }
        }
    }

    /// Resends pending answers until none is left; panics after `deadline`.
    async fn resend_until_acked(&mut self, phase: Phase, deadline: Instant) {
        while !self.pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "player {}: {} answers still unacknowledged after {ACK_WAIT:?} ({phase:?}): {:?}",
                self.id,
                self.pending.len(),
                self.pending
            );
            self.resend_pending(phase).await;
            if !self.pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

pub(crate) async fn answer_all(players: &mut [Player], questions: Range<usize>, phase: Phase) {
    join_all(
        players
            .iter_mut()
            .map(|p| p.answer(questions.clone(), phase)),
    )
    .await;
}

pub(crate) async fn ack_all(players: &mut [Player], phase: Phase) {
    let deadline = Instant::now() + ACK_WAIT;
    join_all(
        players
            .iter_mut()
            .map(|p| p.resend_until_acked(phase, deadline)),
    )
    .await;
}

pub(crate) fn sum(players: &[Player], f: impl Fn(&Counts) -> usize) -> usize {
    players.iter().map(|p| f(&p.counts)).sum()
}
