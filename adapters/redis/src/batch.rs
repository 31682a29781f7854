//! Recording answers in batches: one script call records many answers.
//!
//! [`record_batch`] records a slice of answers with one [`scripts::RECORD`] call per hash
//! slot (a standalone server takes them all in one call; a cluster needs one call per slot,
//! that is per quiz, and runs those calls concurrently). Each answer gets its own result.
//!
//! [`Batcher`] gathers answers from concurrent `record` calls (many sockets) into such
//! batches without waiting for a timer: an answer that arrives while fewer than
//! [`MAX_IN_FLIGHT`] calls are out starts a call at once (alone, at low load); answers that
//! arrive while that many are out wait for one of them to come back and then go together,
//! up to [`crate::RedisOptions::record_batch`] per call. So a batch never adds more than one
//! call's round trip to an answer's wait, and under load the number of round trips and
//! script invocations per answer falls with the batch size.
//!
//! Order: answers are taken in arrival order, calls go out on one multiplexed connection
//! per node in the order they are made, and Redis runs a connection's commands in order,
//! so two answers of one socket are recorded in the order they were sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use quiz_core::ports::ScoreboardError;
use quiz_core::ranking::{MAX_ELAPSED_MS, SortKeyError};
use quiz_core::{AnswerRecord, Grade, Recorded, Timestamp};
use redis::Value;
use tokio::sync::oneshot;

use crate::conn::{Failure, Shared};
use crate::reply::{self, Items};
use crate::{keys, scripts};

/// How many batched calls may be out at once (over all nodes). Past it, answers queue and
/// go in the next call. Four keeps a cluster's nodes busy in parallel while still letting
/// batches grow under load; more would mostly make batches smaller.
pub(crate) const MAX_IN_FLIGHT: usize = 4;

const OP: &str = "record";

fn unavailable(f: Failure) -> ScoreboardError {
    ScoreboardError::Unavailable(Box::new(f))
}

/// Records `answers` in order, one script call per hash slot; one result per answer, in
/// the same order.
pub(crate) async fn record_batch(
    shared: &Shared,
    answers: &[AnswerRecord],
) -> Vec<Result<Recorded, ScoreboardError>> {
    let mut groups: Vec<(Option<redis::cluster_routing::Slot>, Vec<usize>)> = Vec::new();
    if answers.len() == 1 {
        groups.push((None, vec![0]));
    } else {
        let mut by_slot: HashMap<Option<redis::cluster_routing::Slot>, usize> = HashMap::new();
        for (i, a) in answers.iter().enumerate() {
            let slot = shared.slot_of(&keys::board(&a.quiz));
            let g = *by_slot.entry(slot).or_insert_with(|| {
                groups.push((slot, Vec::new()));
                groups.len() - 1
            });
            if let Some((_, members)) = groups.get_mut(g) {
                members.push(i);
            }
        }
    }
    let calls = groups.iter().map(|(_, members)| async move {
        let group: Vec<&AnswerRecord> = members.iter().filter_map(|&i| answers.get(i)).collect();
        record_group(shared, &group).await
    });
    let replies = futures_util::future::join_all(calls).await;
    let mut out: Vec<Option<Result<Recorded, ScoreboardError>>> =
        (0..answers.len()).map(|_| None).collect();
    for ((_, members), results) in groups.iter().zip(replies) {
        for (&i, r) in members.iter().zip(results) {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(r);
            }
        }
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(unavailable(Failure::malformed(
                    OP,
                    "no reply for an answer of the batch",
                )))
            })
        })
        .collect()
}

/// One script call for answers whose keys share a slot.
async fn record_group(
    shared: &Shared,
    group: &[&AnswerRecord],
) -> Vec<Result<Recorded, ScoreboardError>> {
    let Some(first) = group.first() else {
        return Vec::new();
    };
    let mut keys_arg = Vec::with_capacity(3 * group.len());
    let mut args = Vec::with_capacity(1 + 11 * group.len());
    args.push(group.len().to_string());
    for a in group {
        keys_arg.push(keys::board(&a.quiz));
        keys_arg.push(keys::player_state(&a.quiz, &a.player));
        keys_arg.push(keys::player_answers(&a.quiz, &a.player));
        push_args(&mut args, a);
    }
    metrics::counter!(crate::RECORD_CALLS_METRIC).increment(1);
    metrics::counter!(crate::RECORD_ANSWERS_METRIC).increment(group.len() as u64);
    let call = async {
        let reply: Value = shared.eval(&scripts::RECORD, &keys_arg, &args).await?;
        // Acknowledged only once the replicas asked for have it (none by default).
        shared.wait_replicas(&keys::board(&first.quiz)).await?;
        Ok::<_, Failure>(reply)
    };
    let replies = match call.await {
        Ok(reply) => match Items::of(OP, reply) {
            Ok(items) => items,
            Err(e) => return every(group.len(), &e),
        },
        Err(e) => return every(group.len(), &e),
    };
    let mut replies = replies;
    group
        .iter()
        .map(|a| match replies.value("answer's reply") {
            Ok(v) => decode(a, v),
            Err(e) => Err(unavailable(e)),
        })
        .collect()
}

/// The failure of a whole call, told to each of its `n` answers.
fn every(n: usize, e: &Failure) -> Vec<Result<Recorded, ScoreboardError>> {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    (0..n)
        .map(|_| {
            Err(unavailable(Failure::Refused {
                op: OP,
                detail: detail.clone(),
            }))
        })
        .collect()
}

/// The script's 11 arguments for one answer (see [`scripts::RECORD`]).
fn push_args(args: &mut Vec<String>, a: &AnswerRecord) {
    let elapsed = a.at.since(a.quiz_created_at);
    // Out of range is decided by the script, after the duplicate check: a late retry of an
    // answer recorded in time still gets its stored result.
    let elapsed_arg = if elapsed > MAX_ELAPSED_MS {
        "-1".to_owned()
    } else {
        elapsed.to_string()
    };
    let (has_bonus, step, cap) = match a.streak {
        Some(s) => ("1", s.step, s.cap),
        None => ("0", 0, 0),
    };
    args.extend([
        a.player.to_string(),
        a.question.to_string(),
        match a.grade {
            Grade::Correct => "1",
            Grade::Wrong => "0",
            Grade::Partial => "p",
            Grade::Counted => "n",
        }
        .to_owned(),
        a.base_points.to_string(),
        has_bonus.to_owned(),
        step.to_string(),
        cap.to_string(),
        a.at.millis().to_string(),
        elapsed_arg,
        a.opened
            .after
            .as_ref()
            .map_or_else(String::new, ToString::to_string),
        a.opened.at.millis().to_string(),
    ]);
}

/// One answer's entry of the script's reply.
fn decode(a: &AnswerRecord, reply: Value) -> Result<Recorded, ScoreboardError> {
    let mut items = Items::of(OP, reply).map_err(unavailable)?;
    let status = items.text("status").map_err(unavailable)?;
    let duplicate = match status.as_str() {
        "new" => false,
        "dup" => true,
        "score" => {
            let total = items.uint("total").map_err(unavailable)?;
            return Err(SortKeyError::Score(total).into());
        }
        "elapsed" => return Err(SortKeyError::Elapsed(a.at.since(a.quiz_created_at)).into()),
        "err" => {
            let detail = items.text("message").map_err(unavailable)?;
            return Err(unavailable(Failure::Refused { op: OP, detail }));
        }
        other => {
            return Err(unavailable(Failure::malformed(
                OP,
                format!("unknown status {other:?}"),
            )));
        }
    };
    let parse = |items: &mut Items| -> Result<Recorded, Failure> {
        let result = reply::decode_result(OP, &items.text("result")?)?;
        let total = items.uint("total")?;
        let answers = items.uint("answers")?;
        let answers = u32::try_from(answers)
            .map_err(|_| Failure::malformed(OP, format!("answer count {answers}")))?;
        let rank = items.uint("rank")?;
        let reached = items.text("reached_at")?;
        let reached_at = Timestamp(
            reached
                .parse()
                .map_err(|_| Failure::malformed(OP, format!("reached_at {reached:?}")))?,
        );
        Ok(Recorded {
            result,
            total,
            answers,
            rank,
            reached_at,
            duplicate,
        })
    };
    parse(&mut items).map_err(unavailable)
}

/// One answer waiting for its batch.
struct Pending {
    answer: AnswerRecord,
    reply: oneshot::Sender<Result<Recorded, ScoreboardError>>,
}

/// Answers waiting for the next call, and how many calls are out.
#[derive(Default)]
struct Queue {
    waiting: Vec<Pending>,
    in_flight: usize,
}

/// Gathers concurrent `record` calls into batches (see the module docs).
pub(crate) struct Batcher {
    shared: Shared,
    max_batch: usize,
    queue: Mutex<Queue>,
}

impl Batcher {
    pub(crate) fn new(shared: Shared) -> Self {
        let max_batch = shared.options().record_batch.max(1);
        Self {
            shared,
            max_batch,
            queue: Mutex::new(Queue::default()),
        }
    }

    /// Records one answer, in a batch with whatever else is waiting.
    pub(crate) async fn record(
        self: &Arc<Self>,
        a: &AnswerRecord,
    ) -> Result<Recorded, ScoreboardError> {
        if self.max_batch == 1 {
            let mut results = record_batch(&self.shared, std::slice::from_ref(a)).await;
            return results.pop().unwrap_or_else(|| {
                Err(unavailable(Failure::malformed(
                    OP,
                    "no reply for the answer",
                )))
            });
        }
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.waiting.push(Pending {
                answer: a.clone(),
                reply: tx,
            });
            if q.in_flight < MAX_IN_FLIGHT {
                q.in_flight += 1;
                Some(self.take(&mut q))
            } else {
                None
            }
        };
        // The call runs in a task of its own, so that a caller that stops waiting (its
        // socket closed) cannot abandon the other answers of its batch.
        if let Some(batch) = start {
            tokio::spawn(Arc::clone(self).drive(batch));
        }
        rx.await.unwrap_or_else(|_| {
            Err(unavailable(Failure::Refused {
                op: OP,
                detail:
                    "the batch carrying this answer was abandoned (the runtime is shutting down)"
                        .into(),
            }))
        })
    }

    /// The next batch: the oldest waiting answers, at most `max_batch`.
    fn take(&self, q: &mut Queue) -> Vec<Pending> {
        let n = q.waiting.len().min(self.max_batch);
        q.waiting.drain(..n).collect()
    }

    /// Sends `batch`, hands out its results, and goes on with whatever queued meanwhile.
    async fn drive(self: Arc<Self>, mut batch: Vec<Pending>) {
        loop {
            let (answers, replies): (Vec<AnswerRecord>, Vec<_>) =
                batch.into_iter().map(|p| (p.answer, p.reply)).unzip();
            let results = record_batch(&self.shared, &answers).await;
            for (reply, result) in replies.into_iter().zip(results) {
                // The caller may have stopped waiting; its answer is recorded all the same.
                let _ = reply.send(result);
            }
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if q.waiting.is_empty() {
                q.in_flight = q.in_flight.saturating_sub(1);
                return;
            }
            batch = self.take(&mut q);
        }
    }
}
