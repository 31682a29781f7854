//! [`ScoreArchive`] on the `standings` and `answers` collections, without transactions.
//!
//! # How a batch is applied
//!
//! Each event carries the player's new total and answer count, so the archive keeps, per
//! (quiz, player), the standing of the event with the highest `answers`, and each
//! (quiz, player, question) result once. That needs no transaction:
//!
//! 1. **Results**: one document per answer in `answers`, `_id` = `quiz/player/question`
//!    (the deterministic event id, recomputed from the event's fields so that it is keyed
//!    exactly like the reference adapter, which dedupes by question). Repeats within the
//!    batch are dropped before writing; the rest go in one unordered `insert` (FerretDB and
//!    MongoDB both continue past a duplicate in an unordered insert and report each one by
//!    index). A duplicate `_id` means "already kept".
//! 2. **Standings**: the batch is reduced to its highest-`answers` event per player (the
//!    first one on a tie, as the reference adapter keeps the first), then one
//!    `findAndModify` per player: filter `{_id, answers: {$lt: n}}`, `$set` the standing,
//!    `upsert`, return the document *before* the change. A match returns the old count; no
//!    document upserts a new one; a document with an equal or higher count makes the
//!    upsert collide with the unique `_id` and fail with a duplicate key, which means
//!    "stale", not an error. One command per document: FerretDB's multi-statement `update`
//!    stops at the first error, and a stale upsert *is* an error.
//!
//! Results are written before standings, so a failure half-way leaves results without the
//! standing that counts them, never a total without its results; applying the batch again
//! completes it.
//!
//! # Counting
//!
//! `ApplySummary` counts exactly like `quiz-memory`, event by event in batch order: an event
//! is *applied* when its result was new or its `answers` is above every count stored or seen
//! before it in the batch. The old count comes back from the `findAndModify`, so the
//! per-event verdicts are replayed in memory from it without extra round trips.
//!
//! # Concurrency
//!
//! The adapter relies on a single writer per quiz: the worker consumes Kafka partitions
//! keyed by quiz id in one consumer group, so one worker at a time writes a quiz's
//! documents. On MongoDB the conditional update is atomic per document anyway, so even two
//! writers converge. FerretDB 1.x's SQLite backend implements `findAndModify` as a read,
//! then a whole-document write, so two concurrent writers to one standing could lose an
//! update there; the single-writer rule is what makes FerretDB safe.

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{self, Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::options::ReturnDocument;
use serde::{Deserialize, Serialize};

use quiz_core::ports::{ArchiveError, ScoreArchive};
use quiz_core::{
    AnswerResult, ApplySummary, ArchivedStanding, PlayerId, PlayerName, QuestionId, QuizId,
    ScoreEvent, Timestamp,
};

use crate::error::{DUPLICATE_KEY, MongoError, is_duplicate_key};
use crate::store::MongoStore;

/// A standing as stored (besides its `_id`).
#[derive(Serialize, Deserialize)]
struct StandingDoc {
    quiz: QuizId,
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

/// A result as written.
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
}

/// A result as read back.
#[derive(Deserialize)]
struct AnswerRow {
    player: PlayerId,
    question: QuestionId,
    correct: bool,
    points: u32,
    streak: u32,
    at: Timestamp,
}

/// `_id` of a standing. Ids are `[A-Za-z0-9_-]`, so `/` cannot be ambiguous.
fn standing_id(quiz: &QuizId, player: &PlayerId) -> String {
    format!("{quiz}/{player}")
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

/// A stored count as a number, whatever numeric type the server kept it as.
fn count_of(v: Option<&Bson>) -> Option<u64> {
    match v? {
        Bson::Int32(n) => u64::try_from(*n).ok(),
        Bson::Int64(n) => u64::try_from(*n).ok(),
        Bson::Double(f) if f.is_finite() && *f >= 0.0 => Some(*f as u64),
        _ => None,
    }
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

    /// Moves each player's standing to the batch's highest-`answers` event when that is
    /// above what is stored; returns, per event, whether it raised the standing (replaying
    /// the reference adapter's event-by-event rule from the count stored before).
    async fn raise_standings(&self, events: &[ScoreEvent]) -> Result<Vec<bool>, MongoError> {
        // Group event indexes by standing, in order of first appearance.
        let mut group_of: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let id = standing_id(&e.quiz, &e.player);
            match group_of.get(&id) {
                Some(&g) => groups[g].1.push(i),
                None => {
                    group_of.insert(id.clone(), groups.len());
                    groups.push((id, vec![i]));
                }
            }
        }

        let mut raised = vec![false; events.len()];
        for (id, members) in groups {
            // The highest count; the first of equals, as later equal ones are stale.
            let Some(best) = members
                .iter()
                .map(|&i| &events[i])
                .reduce(|best, e| if e.answers > best.answers { e } else { best })
            else {
                continue;
            };
            let set = encode(
                "standing",
                &StandingDoc {
                    quiz: best.quiz.clone(),
                    player: best.player.clone(),
                    name: best.player_name.clone(),
                    joined_at: best.joined_at,
                    total: best.total,
                    answers: best.answers,
                    reached_at: best.reached_at,
                },
            )?;
            let outcome = self
                .standings
                .find_one_and_update(
                    doc! { "_id": &id, "answers": { "$lt": i64::from(best.answers) } },
                    doc! { "$set": set },
                )
                .upsert(true)
                .return_document(ReturnDocument::Before)
                // No projection: FerretDB 1.x refuses `fields` in findAndModify (code 238,
                // NotImplemented), and a standing is a few small fields anyway.
                .await;
            let mut stored = match outcome {
                // Raised from the count it had (unreadable counts only affect the tally).
                Ok(Some(before)) => count_of(before.get("answers")).unwrap_or(0),
                // Created.
                Ok(None) => 0,
                // A standing with as many answers or more exists: the whole group is stale.
                Err(e) if is_duplicate_key(&e) => u64::from(best.answers),
                Err(e) => return Err(MongoError::driver("findAndModify in standings", e)),
            };
            for i in members {
                let n = u64::from(events[i].answers);
                raised[i] = n > stored;
                stored = stored.max(n);
            }
        }
        Ok(raised)
    }
}

#[async_trait]
impl ScoreArchive for MongoStore {
    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError> {
        if events.is_empty() {
            return Ok(ApplySummary::default());
        }
        let new_results = self.insert_results(events).await?;
        let raised = self.raise_standings(events).await?;
        let applied = new_results
            .iter()
            .zip(&raised)
            .filter(|(r, s)| **r || **s)
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
                "_id": 0, "player": 1, "question": 1, "correct": 1,
                "points": 1, "streak": 1, "at": 1,
            })
            .await
            .map_err(|e| MongoError::driver("find in answers", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of answers", e))?;
        let mut results: HashMap<PlayerId, Vec<(QuestionId, AnswerResult)>> = HashMap::new();
        for d in rows {
            let r: AnswerRow = bson::from_document(d).map_err(|e| MongoError::Corrupt {
                what: format!("a result of quiz {:?} in answers", quiz.as_str()),
                reason: e.to_string(),
            })?;
            results.entry(r.player).or_default().push((
                r.question,
                AnswerResult {
                    correct: r.correct,
                    points: r.points,
                    streak: r.streak,
                    at: r.at,
                },
            ));
        }

        let docs: Vec<Document> = self
            .standings
            .find(filter)
            .await
            .map_err(|e| MongoError::driver("find in standings", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of standings", e))?;
        // A result whose standing is missing (a failure between the two writes, repaired by
        // the next apply) is not reported: the standing, not the result, makes a player.
        docs.into_iter()
            .map(|d| {
                let id = d.get("_id").cloned().unwrap_or(Bson::Null);
                let s: StandingDoc = bson::from_document(d).map_err(|e| MongoError::Corrupt {
                    what: format!("standing {id} in standings"),
                    reason: e.to_string(),
                })?;
                Ok(ArchivedStanding {
                    results: results.remove(&s.player).unwrap_or_default(),
                    player: s.player,
                    name: s.name,
                    joined_at: s.joined_at,
                    total: s.total,
                    answers: s.answers,
                    reached_at: s.reached_at,
                })
            })
            .collect::<Result<_, MongoError>>()
            .map_err(Into::into)
    }
}
