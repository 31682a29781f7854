//! [`ScoreArchive`] on the `answers` collection: inserts (and a conditional update for a
//! repeat that raises its result), without transactions.
//!
//! # How a batch is applied
//!
//! One document per answer in `answers`, `_id` = `quiz/player/question` (the deterministic
//! event id, recomputed from the event's fields so that it is keyed exactly like the
//! reference adapter, which dedupes by question). Each document carries the answer's result
//! *and* the standing the event reports (name, join time, total, answer count, when the
//! total was reached). Repeats within the batch are dropped before writing; the rest go in
//! one unordered `insert` (FerretDB and MongoDB both continue past a duplicate in an
//! unordered insert and report each one by index). A duplicate `_id` means "already kept".
//! That is the whole write of a batch without repeats: one command, whatever the number of
//! players.
//!
//! # How standings are read
//!
//! A player's standing is the one carried by their document with the highest answer
//! count; their results are all their documents. Since the standing travels with the
//! result it belongs to, there is nothing to keep consistent between two writes, and any
//! order of delivery converges to the same standings.
//!
//! Archives written by earlier versions also have a `standings` collection (one document
//! per player, moved up by a conditional `findAndModify` per player per batch) and answer
//! documents without the standing fields. Those are still read: a player's standing is the
//! highest-count one of either source. Nothing writes `standings` any more.
//!
//! Why inserts: FerretDB 1.x's SQLite backend uses no index for a string `_id` filter, so a
//! per-player conditional update scans the collection; inserts go through the unique `_id`
//! index (BENCHMARKS.md, "Findings and fixes", has the measurements).
//!
//! # Repeats
//!
//! A repeat (an event whose result is kept already) is usually the same event delivered
//! again, but a re-sent answer republishes its stored result with the player's *current*
//! total and count, and a result written by an earlier version carries no standing at all.
//! So the repeats of a batch, when there are any, are looked up in one `find` by `_id`; a
//! repeat with a higher count than its result carries (or with a result that carries none)
//! raises that document's standing (`$set`, conditional on the lower count).
//!
//! # Counting
//!
//! An event is *applied* when its result was new or it raised its result's standing,
//! *stale* otherwise. The reference adapter compares a repeat's count with the highest
//! count of the player rather than of that result, so a re-sent answer whose count another
//! result already carries is stale there and applied here; the standings are the same.
//! For repeated deliveries of the same events the two count alike, which the
//! shuffled-batches test holds the adapter to.
//!
//! # Concurrency
//!
//! Inserts, and conditional updates (`answers` below the new count), each atomic on its
//! own document: two writers of one quiz (a consumer group rebalancing) converge on
//! MongoDB. On FerretDB an update is a read, then a write of the whole document, so two
//! writers raising the same result at once could lose one raise; the worker's consumer
//! group gives a quiz to one worker at a time.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{self, Bson, Document, doc};
use mongodb::error::ErrorKind;
use serde::{Deserialize, Serialize};

use quiz_core::ports::{ArchiveError, ScoreArchive};
use quiz_core::{
    AnswerResult, ApplySummary, ArchivedStanding, PlayerId, PlayerName, QuestionId, QuizId,
    ScoreEvent, Timestamp,
};

use crate::error::{DUPLICATE_KEY, MongoError};
use crate::store::MongoStore;

/// A standing of the legacy `standings` collection (besides its `_id`).
#[derive(Deserialize)]
struct StandingDoc {
    player: PlayerId,
    name: PlayerName,
    /// The player's join time (ms). Documents written before events carried it have none;
    /// they read as 0.
    #[serde(default)]
    joined_at: Timestamp,
    total: u64,
    answers: u32,
    reached_at: Timestamp,
}

/// A result as written, with the standing its event reports.
#[derive(Serialize)]
struct AnswerDoc<'a> {
    #[serde(rename = "_id")]
    id: String,
    event_id: &'a str,
    quiz: &'a QuizId,
    player: &'a PlayerId,
    question: &'a QuestionId,
    correct: bool,
    points: u32,
    streak: u32,
    at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    elapsed_ms: Option<u64>,
    #[serde(flatten)]
    standing: StandingSet<'a>,
}

/// The standing an event reports, as a result carries it (written with the result, or
/// `$set` on it by a repeat that raises it).
#[derive(Serialize)]
struct StandingSet<'a> {
    name: &'a PlayerName,
    joined_at: Timestamp,
    total: u64,
    answers: u32,
    reached_at: Timestamp,
}

impl<'a> StandingSet<'a> {
    fn of(e: &'a ScoreEvent) -> Self {
        Self {
            name: &e.player_name,
            joined_at: e.joined_at,
            total: e.total,
            answers: e.answers,
            reached_at: e.reached_at,
        }
    }
}

/// A result as read back; the standing fields are absent from documents written before
/// results carried them (all of them or none).
#[derive(Deserialize)]
struct AnswerRow {
    player: PlayerId,
    question: QuestionId,
    correct: bool,
    points: u32,
    streak: u32,
    at: Timestamp,
    #[serde(default)]
    elapsed_ms: Option<u64>,
    #[serde(default)]
    name: Option<PlayerName>,
    #[serde(default)]
    joined_at: Option<Timestamp>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    answers: Option<u32>,
    #[serde(default)]
    reached_at: Option<Timestamp>,
}

/// A standing without its results.
struct Standing {
    name: PlayerName,
    joined_at: Timestamp,
    total: u64,
    answers: u32,
    reached_at: Timestamp,
}

impl AnswerRow {
    /// The standing this result carries: `Ok(None)` for a legacy document without one, an
    /// error when only some of the fields are there.
    fn standing(&self) -> Result<Option<Standing>, &'static str> {
        match (
            &self.name,
            self.joined_at,
            self.total,
            self.answers,
            self.reached_at,
        ) {
            (None, None, None, None, None) => Ok(None),
            (Some(name), Some(joined_at), Some(total), Some(answers), Some(reached_at)) => {
                Ok(Some(Standing {
                    name: name.clone(),
                    joined_at,
                    total,
                    answers,
                    reached_at,
                }))
            }
            _ => Err("some but not all of name, joined_at, total, answers, reached_at"),
        }
    }
}

/// `_id` of a result: the deterministic event id of that (quiz, player, question).
fn answer_id(e: &ScoreEvent) -> String {
    ScoreEvent::id_for(&e.quiz, &e.player, &e.question)
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Document, MongoError> {
    bson::to_document(value).map_err(|e| MongoError::Encode {
        what,
        reason: e.to_string(),
    })
}

/// True when an unordered insert failed only on duplicate keys; clears their flags in
/// `inserted` (indexed like the documents sent).
fn only_duplicates(e: &mongodb::error::Error, inserted: &mut [bool]) -> bool {
    let ErrorKind::InsertMany(failure) = e.kind.as_ref() else {
        return false;
    };
    let Some(errors) = &failure.write_errors else {
        return false;
    };
    if failure.write_concern_error.is_some() {
        return false;
    }
    for w in errors {
        match inserted.get_mut(w.index) {
            Some(slot) if w.code == DUPLICATE_KEY => *slot = false,
            _ => return false,
        }
    }
    true
}

impl MongoStore {
    /// Inserts each event's result unless kept already; returns, per event, whether its
    /// result was new.
    async fn insert_results(&self, events: &[ScoreEvent]) -> Result<Vec<bool>, MongoError> {
        // The first event carrying a key writes it; later ones in the batch are repeats.
        let mut slot_of_key: HashMap<String, usize> = HashMap::new();
        let mut slot_of_event: Vec<Option<usize>> = Vec::with_capacity(events.len());
        let mut docs: Vec<Document> = Vec::new();
        for e in events {
            let id = answer_id(e);
            if slot_of_key.contains_key(&id) {
                slot_of_event.push(None);
                continue;
            }
            slot_of_key.insert(id.clone(), docs.len());
            slot_of_event.push(Some(docs.len()));
            docs.push(encode(
                "answer",
                &AnswerDoc {
                    id,
                    event_id: &e.event_id,
                    quiz: &e.quiz,
                    player: &e.player,
                    question: &e.question,
                    correct: e.result.correct,
                    points: e.result.points,
                    streak: e.result.streak,
                    at: e.result.at,
                    elapsed_ms: e.result.elapsed_ms,
                    standing: StandingSet::of(e),
                },
            )?);
        }

        let mut inserted = vec![true; docs.len()];
        if let Err(e) = self.answers.insert_many(&docs).ordered(false).await
            && !only_duplicates(&e, &mut inserted)
        {
            return Err(MongoError::driver("insert into answers", e));
        }
        Ok(slot_of_event
            .into_iter()
            .map(|slot| slot.is_some_and(|i| inserted.get(i).copied().unwrap_or(false)))
            .collect())
    }

    /// Lets each repeat (an event whose result was kept already) raise the standing its
    /// result carries when the repeat reports a higher answer count, or when the result was
    /// written by an earlier version without one; returns, per event, whether it did.
    /// Events whose result was new (`new[i]`) are left alone. Reads the repeated results'
    /// counts once (nothing to read when the batch has no repeat, the usual case).
    async fn raise_repeats(
        &self,
        events: &[ScoreEvent],
        new: &[bool],
    ) -> Result<Vec<bool>, MongoError> {
        let mut raised = vec![false; events.len()];
        let repeats: Vec<String> = events
            .iter()
            .zip(new)
            .filter(|(_, new)| !**new)
            .map(|(e, _)| answer_id(e))
            .collect::<std::collections::HashSet<_>>()
            .into_iter()
            .collect();
        if repeats.is_empty() {
            return Ok(raised);
        }
        let stored: Vec<Document> = self
            .answers
            .find(doc! { "_id": { "$in": &repeats } })
            .projection(doc! { "_id": 1, "answers": 1 })
            .await
            .map_err(|e| MongoError::driver("find in answers", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of answers", e))?;
        // The count each repeated result carries (`None`: written without a standing).
        let mut count: HashMap<String, Option<i64>> = HashMap::new();
        for d in stored {
            let answers = match d.get("answers") {
                Some(Bson::Int64(n)) => Some(*n),
                Some(Bson::Int32(n)) => Some(i64::from(*n)),
                _ => None,
            };
            if let Some(id) = d.get_str("_id").ok().map(str::to_owned) {
                count.insert(id, answers);
            }
        }
        // Replay the batch in order; the last raise of a result is what gets written.
        let mut best: HashMap<String, usize> = HashMap::new();
        for (i, e) in events.iter().enumerate() {
            let id = answer_id(e);
            let Some(stored) = count.get_mut(&id) else {
                continue; // not a repeat (or its result vanished: nothing to raise)
            };
            if new[i] {
                // The batch's own first write of this result: its count is the floor.
                *stored = Some(i64::from(e.answers));
                continue;
            }
            if stored.is_none_or(|n| i64::from(e.answers) > n) {
                *stored = Some(i64::from(e.answers));
                raised[i] = true;
                best.insert(id, i);
            }
        }
        for (id, i) in best {
            let e = &events[i];
            let set = encode("standing", &StandingSet::of(e))?;
            let n = i64::from(e.answers);
            self.answers
                .update_one(
                    doc! { "_id": &id, "$or": [
                        { "answers": { "$exists": false } },
                        { "answers": { "$lt": n } },
                    ] },
                    doc! { "$set": set },
                )
                .await
                .map_err(|e| MongoError::driver("update in answers", e))?;
        }
        Ok(raised)
    }
}

#[async_trait]
impl ScoreArchive for MongoStore {
    async fn ping(&self) -> Result<(), ArchiveError> {
        MongoStore::ping(self).await.map_err(ArchiveError::from)
    }

    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        if events.is_empty() {
            return Ok(ApplySummary::default());
        }
        let new_results = self.insert_results(events).await?;
        let raised = self.raise_repeats(events, &new_results).await?;
        let applied = new_results
            .iter()
            .zip(&raised)
            .filter(|(new, raised)| **new || **raised)
            .count() as u64;
        let summary = ApplySummary {
            applied,
            stale: events.len() as u64 - applied,
        };
        tracing::debug!(
            events = events.len(),
            applied = summary.applied,
            stale = summary.stale,
            "applied score events to the archive"
        );
        Ok(summary)
    }

    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError> {
        let filter = doc! { "quiz": quiz.as_str() };
        let rows: Vec<Document> = self
            .answers
            .find(filter.clone())
            .projection(doc! {
                "_id": 0, "player": 1, "question": 1, "correct": 1, "points": 1,
                "streak": 1, "at": 1, "elapsed_ms": 1, "name": 1, "joined_at": 1, "total": 1,
                "answers": 1, "reached_at": 1,
            })
            .await
            .map_err(|e| MongoError::driver("find in answers", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of answers", e))?;
        let corrupt = |reason: String| MongoError::Corrupt {
            what: format!("a result of quiz {:?} in answers", quiz.as_str()),
            reason,
        };
        // Per player: every result, and the highest-count standing seen (the first of
        // equals: equal counts report the same state).
        let mut players: BTreeMap<PlayerId, (Vec<(QuestionId, AnswerResult)>, Option<Standing>)> =
            BTreeMap::new();
        for d in rows {
            let r: AnswerRow = bson::from_document(d).map_err(|e| corrupt(e.to_string()))?;
            let standing = r.standing().map_err(|why| corrupt(why.to_owned()))?;
            let (results, best) = players.entry(r.player).or_default();
            results.push((
                r.question,
                AnswerResult {
                    correct: r.correct,
                    points: r.points,
                    streak: r.streak,
                    at: r.at,
                    elapsed_ms: r.elapsed_ms,
                },
            ));
            if let Some(s) = standing
                && best.as_ref().is_none_or(|b| s.answers > b.answers)
            {
                *best = Some(s);
            }
        }

        // Standings written by earlier versions.
        let legacy: Vec<Document> = self
            .standings
            .find(filter)
            .await
            .map_err(|e| MongoError::driver("find in standings", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of standings", e))?;
        for d in legacy {
            let id = d.get("_id").cloned().unwrap_or(Bson::Null);
            let s: StandingDoc = bson::from_document(d).map_err(|e| MongoError::Corrupt {
                what: format!("standing {id} in standings"),
                reason: e.to_string(),
            })?;
            let (_, best) = players.entry(s.player).or_default();
            if best.as_ref().is_none_or(|b| s.answers > b.answers) {
                *best = Some(Standing {
                    name: s.name,
                    joined_at: s.joined_at,
                    total: s.total,
                    answers: s.answers,
                    reached_at: s.reached_at,
                });
            }
        }

        // A player whose results carry no standing (an earlier version's batch interrupted
        // between its two writes; completed when the batch is delivered again, see
        // `raise_repeats`) is not reported: a standing makes a player.
        Ok(players
            .into_iter()
            .filter_map(|(player, (results, best))| {
                best.map(|s| ArchivedStanding {
                    player,
                    name: s.name,
                    joined_at: s.joined_at,
                    total: s.total,
                    answers: s.answers,
                    reached_at: s.reached_at,
                    results,
                })
            })
            .collect())
    }
}
