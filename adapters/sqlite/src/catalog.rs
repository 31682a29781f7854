//! [`QuizCatalog`] on the `quizzes` table: the quiz as JSON (validated again when read,
//! like any input) plus its id, title, question count and status in columns, so `list`
//! and `status` read a few small columns instead of every question. The `status` column is
//! what counts; the JSON keeps the status the quiz was created with. `mode` (schema 2) is a
//! column too, for `search`, which reads the small columns of every quiz and filters and
//! pages them with the core's rule ([`QuizQuery::page`]: SQLite's `lower()` folds ASCII
//! only). A deleted quiz's row is removed and its id kept in `deleted_quizzes`, which
//! `create` checks in the same statement.

use async_trait::async_trait;
use quiz_core::ports::{CatalogError, ListedQuiz, QuizCatalog, QuizPage, QuizQuery};
use quiz_core::quiz::{Quiz, QuizMode, QuizStatus};
use quiz_core::{QuizId, QuizSummary};

use crate::error::StoreError;
use crate::{SqliteStore, corrupt, optional, quiz_id};

fn unavailable(e: StoreError) -> CatalogError {
    CatalogError::Unavailable(Box::new(e))
}

fn status_text(s: QuizStatus) -> &'static str {
    match s {
        QuizStatus::Open => "open",
        QuizStatus::Closed => "closed",
    }
}

fn parse_status(id: &str, s: &str) -> Result<QuizStatus, StoreError> {
    match s {
        "open" => Ok(QuizStatus::Open),
        "closed" => Ok(QuizStatus::Closed),
        other => Err(corrupt(
            format!("status of quiz {id:?}"),
            format!("{other:?}"),
        )),
    }
}

fn mode_text(m: QuizMode) -> &'static str {
    match m {
        QuizMode::SelfPaced => "self_paced",
        QuizMode::Hosted => "hosted",
    }
}

fn parse_mode(id: &str, s: &str) -> Result<QuizMode, StoreError> {
    match s {
        "self_paced" => Ok(QuizMode::SelfPaced),
        "hosted" => Ok(QuizMode::Hosted),
        other => Err(corrupt(
            format!("mode of quiz {id:?}"),
            format!("{other:?}"),
        )),
    }
}

/// A quiz's row: id, title, question count, status, mode, body.
type Row = (String, String, usize, &'static str, &'static str, String);

fn row(quiz: &Quiz) -> Result<Row, CatalogError> {
    let body = serde_json::to_string(quiz).map_err(|e| {
        unavailable(StoreError::Encode {
            what: "quiz",
            reason: e.to_string(),
        })
    })?;
    Ok((
        quiz.id().as_str().to_owned(),
        quiz.title().to_owned(),
        quiz.questions().len(),
        status_text(quiz.status()),
        mode_text(quiz.mode()),
        body,
    ))
}

#[async_trait]
impl QuizCatalog for SqliteStore {
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let row = row(quiz)?;
        let inserted = self
            .db
            .write(move |c| {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO quizzes (id, title, questions, status, mode, body) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                     WHERE NOT EXISTS (SELECT 1 FROM deleted_quizzes WHERE id = ?1)",
                )
                .and_then(|mut st| st.execute(row))
                .map_err(StoreError::sql("insert quiz"))
            })
            .await
            .map_err(unavailable)?;
        if inserted == 0 {
            return Err(CatalogError::AlreadyExists);
        }
        Ok(())
    }

    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError> {
        let key = id.as_str().to_owned();
        let row: Option<(String, String)> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT status, body FROM quizzes WHERE id = ?1")
                    .and_then(|mut st| {
                        optional(st.query_row([&key], |r| Ok((r.get(0)?, r.get(1)?))))
                    })
                    .map_err(StoreError::sql("read quiz"))
            })
            .await
            .map_err(unavailable)?;
        let Some((status, body)) = row else {
            return Ok(None);
        };
        let status = parse_status(id.as_str(), &status).map_err(unavailable)?;
        let quiz: Quiz = serde_json::from_str(&body)
            .map_err(|e| unavailable(corrupt(format!("quiz {:?}", id.as_str()), e)))?;
        if quiz.id() != id {
            return Err(unavailable(corrupt(
                format!("quiz {:?}", id.as_str()),
                format!("its body has id {:?}", quiz.id().as_str()),
            )));
        }
        Ok(Some(if quiz.status() == status {
            quiz
        } else {
            quiz.with_status(status)
        }))
    }

    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError> {
        let rows: Vec<(String, String, usize, String)> = self
            .db
            .read(|c| {
                let mut st = c
                    .prepare_cached("SELECT id, title, questions, status FROM quizzes ORDER BY id")
                    .map_err(StoreError::sql("list quizzes"))?;
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .and_then(Iterator::collect)
                    .map_err(StoreError::sql("list quizzes"))
            })
            .await
            .map_err(unavailable)?;
        rows.into_iter()
            .map(|(id, title, questions, status)| {
                Ok(QuizSummary {
                    status: parse_status(&id, &status)?,
                    id: quiz_id(&id)?,
                    title,
                    questions,
                })
            })
            .collect::<Result<_, StoreError>>()
            .map_err(unavailable)
    }

    async fn search(&self, query: &QuizQuery) -> Result<QuizPage, CatalogError> {
        let rows: Vec<(String, String, usize, String, String)> = self
            .db
            .read(|c| {
                let mut st = c
                    .prepare_cached("SELECT id, title, questions, status, mode FROM quizzes")
                    .map_err(StoreError::sql("search quizzes"))?;
                st.query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .and_then(Iterator::collect)
                .map_err(StoreError::sql("search quizzes"))
            })
            .await
            .map_err(unavailable)?;
        let listed = rows
            .into_iter()
            .map(|(id, title, questions, status, mode)| {
                Ok(ListedQuiz {
                    mode: parse_mode(&id, &mode)?,
                    summary: QuizSummary {
                        status: parse_status(&id, &status)?,
                        id: quiz_id(&id)?,
                        title,
                        questions,
                    },
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(unavailable)?;
        Ok(query.page(listed))
    }

    async fn update(&self, quiz: &Quiz) -> Result<(), CatalogError> {
        let row = row(quiz)?;
        let changed = self
            .db
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE quizzes SET title = ?2, questions = ?3, status = ?4, mode = ?5, \
                     body = ?6 WHERE id = ?1",
                )
                .and_then(|mut st| st.execute(row))
                .map_err(StoreError::sql("update quiz"))
            })
            .await
            .map_err(unavailable)?;
        if changed == 0 {
            return Err(CatalogError::NotFound);
        }
        Ok(())
    }

    async fn delete(&self, id: &QuizId) -> Result<(), CatalogError> {
        let key = id.as_str().to_owned();
        let deleted = self
            .db
            .write(move |c| {
                let n = c
                    .prepare_cached("DELETE FROM quizzes WHERE id = ?1")
                    .and_then(|mut st| st.execute([&key]))
                    .map_err(StoreError::sql("delete quiz"))?;
                if n > 0 {
                    c.prepare_cached("INSERT OR IGNORE INTO deleted_quizzes (id) VALUES (?1)")
                        .and_then(|mut st| st.execute([&key]))
                        .map_err(StoreError::sql("keep a deleted quiz's id"))?;
                }
                Ok(n)
            })
            .await
            .map_err(unavailable)?;
        if deleted == 0 {
            return Err(CatalogError::NotFound);
        }
        Ok(())
    }

    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError> {
        let key = id.as_str().to_owned();
        let changed = self
            .db
            .write(move |c| {
                c.prepare_cached("UPDATE quizzes SET status = ?2 WHERE id = ?1")
                    .and_then(|mut st| st.execute((&key, status_text(status))))
                    .map_err(StoreError::sql("update quiz status"))
            })
            .await
            .map_err(unavailable)?;
        if changed == 0 {
            return Err(CatalogError::NotFound);
        }
        Ok(())
    }

    async fn status(&self, id: &QuizId) -> Result<Option<QuizStatus>, CatalogError> {
        let key = id.as_str().to_owned();
        let status: Option<String> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT status FROM quizzes WHERE id = ?1")
                    .and_then(|mut st| optional(st.query_row([&key], |r| r.get(0))))
                    .map_err(StoreError::sql("read quiz status"))
            })
            .await
            .map_err(unavailable)?;
        status
            .map(|s| parse_status(id.as_str(), &s))
            .transpose()
            .map_err(unavailable)
    }
}
