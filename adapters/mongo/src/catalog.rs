//! [`QuizCatalog`] on the `quizzes` collection.
//!
//! A document is the quiz serialised through `QuizDraft` (answer key included: the server
//! needs it), plus `_id` = quiz id and a denormalised `question_count` so `list` can project
//! three small fields instead of fetching every question (FerretDB 1.x cannot compute
//! `$size` in a find projection).

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{self, Bson, Document, doc};
use serde::Deserialize;

use quiz_core::ports::{CatalogError, QuizCatalog};
use quiz_core::quiz::{Quiz, QuizStatus};
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

#[async_trait]
impl QuizCatalog for MongoStore {
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let d = encode(quiz)?;
        match self.quizzes.insert_one(d).await {
            Ok(_) => Ok(()),
            // `_id` is the quiz id: the server refuses a second one and leaves the first
            // untouched.
            Err(e) if is_duplicate_key(&e) => Err(CatalogError::AlreadyExists),
            Err(e) => Err(MongoError::driver("insert into quizzes", e).into()),
        }
    }

    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
        let found = self
            .quizzes
            .find_one(doc! { "_id": id.as_str() })
            .await
            .map_err(|e| MongoError::driver("find in quizzes", e))?;
        match found {
            None => Ok(None),
            Some(d) => Ok(Some(decode(id, d)?)),
        }
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        let docs: Vec<Document> = self
            .quizzes
            .find(doc! {})
            .projection(doc! { "title": 1, "status": 1, "question_count": 1 })
            .sort(doc! { "_id": 1 })
            .await
            .map_err(|e| MongoError::driver("find in quizzes", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of quizzes", e))?;
        docs.into_iter()
            .map(|d| {
                let id = d.get("_id").cloned().unwrap_or(Bson::Null);
                let s: SummaryDoc = bson::from_document(d).map_err(|e| MongoError::Corrupt {
                    what: format!("quiz {id} in quizzes"),
                    reason: e.to_string(),
                })?;
                Ok(QuizSummary {
                    id: s.id,
                    title: s.title,
                    questions: s.question_count,
                    status: s.status,
                })
            })
            .collect()
    }

    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
        let status = bson::to_bson(&status).map_err(|e| MongoError::Encode {
            what: "quiz status",
            reason: e.to_string(),
        })?;
        let res = self
            .quizzes
            .update_one(
                doc! { "_id": id.as_str() },
                doc! { "$set": { "status": status } },
            )
            .await
            .map_err(|e| MongoError::driver("update in quizzes", e))?;
        if res.matched_count == 0 {
            return Err(CatalogError::NotFound);
        }
        Ok(())
    }
}
