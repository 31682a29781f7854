//! [`QuizCatalog`] on the `quizzes` and `quiz_status` collections.
//!
//! A `quizzes` document is the quiz serialised through `QuizDraft` (answer key included: the
//! server needs it), plus `_id` = quiz id and a denormalised `question_count` so `list` can
//! project three small fields instead of fetching every question (FerretDB 1.x cannot
//! compute `$size` in a find projection).
//!
//! A `quiz_status` document `{_id: <quiz id>, status}` repeats the quiz's status, so
//! [`QuizCatalog::status`] (what a cache revalidates with, every second per quiz) reads a
//! few bytes instead of the whole quiz. That matters on FerretDB 1.x, whose SQLite backend
//! finds a string `_id` by scanning the collection and decoding each document: 20 quizzes
//! of 200 questions cost ~14 ms a lookup there, and the full-stack benchmark spent most of
//! FerretDB's time on them. Where both exist, `quiz_status` is what every read reports;
//! a quiz without one (created by an earlier version, or whose status write failed) reports
//! the status in its `quizzes` document. `set_status` writes `quizzes` first (which also
//! finds out whether the quiz exists), then `quiz_status`; if the second write fails the
//! call fails and readers see the old status where a `quiz_status` document exists (the
//! new one where none does), until it is called again. `create` writes `quiz_status` only
//! if it is missing, so a status change racing the creation is not undone. Two concurrent
//! `set_status` calls may leave the two documents different; `quiz_status` is what counts.
//!
//! `update` replaces the `quizzes` document (one write: readers see the old quiz or the new
//! one), then sets `quiz_status`. `delete` replaces the document with a tombstone
//! `{_id, deleted: true}` and removes the `quiz_status` document: the `_id` stays taken, so
//! `create`'s insert is refused by the server as for any stored quiz, and every read treats
//! a tombstone as no quiz. `search` projects the small fields of every quiz and filters and
//! pages them with the core's rule ([`QuizQuery::page`]), so case folding and ordering are
//! the same as on the other adapters.

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{self, Bson, Document, doc};
use serde::Deserialize;

use quiz_core::ports::{CatalogError, ListedQuiz, QuizCatalog, QuizPage, QuizQuery};
use quiz_core::quiz::{Quiz, QuizMode, QuizStatus};
use quiz_core::{QuizId, QuizSummary};

use crate::error::{MongoError, is_duplicate_key};
use crate::store::MongoStore;

/// The fields `list` projects.
#[derive(Deserialize)]
struct SummaryDoc {
    #[serde(rename = "_id")]
    id: QuizId,
    title: String,
    status: QuizStatus,
    question_count: usize,
    #[serde(default)]
    mode: QuizMode,
}

/// The filter that leaves tombstones out.
fn live() -> Document {
    doc! { "deleted": { "$exists": false } }
}

fn tombstone(d: &Document) -> bool {
    d.get_bool("deleted").unwrap_or(false)
}

/// A `quiz_status` document (besides its `_id`).
#[derive(Deserialize)]
struct StatusDoc {
    status: QuizStatus,
}

/// The stored form of a quiz.
fn encode(quiz: &Quiz) -> Result<Document, MongoError> {
    let body = bson::to_document(quiz).map_err(|e| MongoError::Encode {
        what: "quiz",
        reason: e.to_string(),
    })?;
    let count = i64::try_from(quiz.questions().len()).map_err(|e| MongoError::Encode {
        what: "question count",
        reason: e.to_string(),
    })?;
    let mut d = doc! { "_id": quiz.id().as_str(), "question_count": count };
    d.extend(body);
    Ok(d)
}

/// Reads a stored quiz back through the same validation as any other input.
fn decode(id: &QuizId, mut d: Document) -> Result<Quiz, MongoError> {
    let corrupt = |reason: String| MongoError::Corrupt {
        what: format!("quiz {:?} in quizzes", id.as_str()),
        reason,
    };
    d.remove("_id");
    d.remove("question_count");
    let quiz: Quiz = bson::from_document(d).map_err(|e| corrupt(e.to_string()))?;
    if quiz.id() != id {
        return Err(corrupt(format!(
            "its id field says {:?}",
            quiz.id().as_str()
        )));
    }
    Ok(quiz)
}

impl MongoStore {
    /// Every stored quiz's summary and mode, in no particular order, with the status
    /// `quiz_status` gives where it has one.
    async fn listed(&self) -> Result<Vec<ListedQuiz>, MongoError> {
        let docs: Vec<Document> = self
            .quizzes
            .find(live())
            .projection(doc! { "title": 1, "status": 1, "question_count": 1, "mode": 1 })
            .await
            .map_err(|e| MongoError::driver("find in quizzes", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of quizzes", e))?;
        let statuses: Vec<Document> = self
            .statuses
            .find(doc! {})
            .await
            .map_err(|e| MongoError::driver("find in quiz_status", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of quiz_status", e))?;
        let mut status_of: HashMap<String, QuizStatus> = HashMap::new();
        for d in statuses {
            let id = d.get_str("_id").unwrap_or_default().to_owned();
            let s: StatusDoc = bson::from_document(d).map_err(|e| MongoError::Corrupt {
                what: format!("status of quiz {id:?} in quiz_status"),
                reason: e.to_string(),
            })?;
            status_of.insert(id, s.status);
        }
        docs.into_iter()
            .map(|d| {
                let id = d.get("_id").cloned().unwrap_or(Bson::Null);
                let s: SummaryDoc = bson::from_document(d).map_err(|e| MongoError::Corrupt {
                    what: format!("quiz {id} in quizzes"),
                    reason: e.to_string(),
                })?;
                let status = status_of.get(s.id.as_str()).copied().unwrap_or(s.status);
                Ok(ListedQuiz {
                    summary: QuizSummary {
                        id: s.id,
                        title: s.title,
                        questions: s.question_count,
                        status,
                    },
                    mode: s.mode,
                })
            })
            .collect()
    }

    /// The status in `quiz_status`, if the quiz has a document there.
    async fn stored_status(&self, id: &QuizId) -> Result<Option<QuizStatus>, MongoError> {
        let found = self
            .statuses
            .find_one(doc! { "_id": id.as_str() })
            .await
            .map_err(|e| MongoError::driver("find in quiz_status", e))?;
        found
            .map(|d| {
                status_of(d, || {
                    format!("status of quiz {:?} in quiz_status", id.as_str())
                })
            })
            .transpose()
    }

    /// Writes the `quiz_status` document of a quiz; with `only_new`, only if it has none
    /// (a status change that got there first wins over the status a quiz was created with).
    async fn write_status(
        &self,
        id: &QuizId,
        status: QuizStatus,
        only_new: bool,
    ) -> Result<(), MongoError> {
        let status = encode_status(status)?;
        let op = if only_new { "$setOnInsert" } else { "$set" };
        self.statuses
            .update_one(
                doc! { "_id": id.as_str() },
                doc! { op: { "status": status } },
            )
            .upsert(true)
            .await
            .map(drop)
            .map_err(|e| MongoError::driver("upsert into quiz_status", e))
    }
}

/// The `status` field of a document; `what` names the document if it is not valid.
fn status_of(d: Document, what: impl FnOnce() -> String) -> Result<QuizStatus, MongoError> {
    bson::from_document::<StatusDoc>(d)
        .map(|s| s.status)
        .map_err(|e| MongoError::Corrupt {
            what: what(),
            reason: e.to_string(),
        })
}

fn encode_status(status: QuizStatus) -> Result<Bson, MongoError> {
    bson::to_bson(&status).map_err(|e| MongoError::Encode {
        what: "quiz status",
        reason: e.to_string(),
    })
}

#[async_trait]
impl QuizCatalog for MongoStore {
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let d = encode(quiz)?;
        match self.quizzes.insert_one(d).await {
            Ok(_) => {}
            // `_id` is the quiz id: the server refuses a second one and leaves the first
            // untouched.
            Err(e) if is_duplicate_key(&e) => return Err(CatalogError::AlreadyExists),
            Err(e) => return Err(MongoError::driver("insert into quizzes", e).into()),
        }
        // The quiz exists now, whatever happens next; without its status document it
        // reports the status in `quizzes` (only revalidating it costs more).
        if let Err(e) = self.write_status(quiz.id(), quiz.status(), true).await {
            tracing::warn!(quiz = %quiz.id(), error = %e, "quiz created without its quiz_status document");
        }
        Ok(())
    }

    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
        let found = self
            .quizzes
            .find_one(doc! { "_id": id.as_str() })
            .await
            .map_err(|e| MongoError::driver("find in quizzes", e))?;
        let Some(d) = found.filter(|d| !tombstone(d)) else {
            return Ok(None);
        };
        let quiz = decode(id, d)?;
        Ok(Some(match self.stored_status(id).await? {
            Some(s) if s != quiz.status() => quiz.with_status(s),
            _ => quiz,
        }))
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        let mut listed = self.listed().await?;
        listed.sort_by(|a, b| a.summary.id.cmp(&b.summary.id));
        Ok(listed.into_iter().map(|l| l.summary).collect())
    }

    async fn search(&self, query: &QuizQuery) -> Result<QuizPage, CatalogError> {
        Ok(query.page(self.listed().await?))
    }

    async fn update(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let d = encode(quiz)?;
        let mut filter = live();
        filter.insert("_id", quiz.id().as_str());
        let res = self
            .quizzes
            .replace_one(filter, d)
            .await
            .map_err(|e| MongoError::driver("replace in quizzes", e))?;
        if res.matched_count == 0 {
            return Err(CatalogError::NotFound);
        }
        self.write_status(quiz.id(), quiz.status(), false).await?;
        Ok(())
    }

    async fn delete(&self, id: &QuizId) -> Result<(), CatalogError> {
        let mut filter = live();
        filter.insert("_id", id.as_str());
        let res = self
            .quizzes
            .replace_one(filter, doc! { "_id": id.as_str(), "deleted": true })
            .await
            .map_err(|e| MongoError::driver("replace in quizzes", e))?;
        if res.matched_count == 0 {
            return Err(CatalogError::NotFound);
        }
        self.statuses
            .delete_one(doc! { "_id": id.as_str() })
            .await
            .map_err(|e| MongoError::driver("delete from quiz_status", e))?;
        Ok(())
    }

    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
        let mut filter = live();
        filter.insert("_id", id.as_str());
        let res = self
            .quizzes
            .update_one(
                filter,
                doc! { "$set": { "status": encode_status(status)? } },
            )
            .await
            .map_err(|e| MongoError::driver("update in quizzes", e))?;
        if res.matched_count == 0 {
            return Err(CatalogError::NotFound);
        }
        self.write_status(id, status, false).await?;
        Ok(())
    }

    async fn status(&self, id: &QuizId) -> Result<Option<QuizStatus>, CatalogError> {
        if let Some(s) = self.stored_status(id).await? {
            return Ok(Some(s));
        }
        // No status document: the quiz's own (an earlier version created it), or none.
        let found = self
            .quizzes
            .find_one(doc! { "_id": id.as_str() })
            .projection(doc! { "status": 1, "deleted": 1 })
            .await
            .map_err(|e| MongoError::driver("find in quizzes", e))?;
        Ok(found
            .filter(|d| !tombstone(d))
            .map(|d| status_of(d, || format!("quiz {:?} in quizzes", id.as_str())))
            .transpose()?)
    }
}
