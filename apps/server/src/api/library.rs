//! The library operations: the admin's search over every quiz, and what the admin or a
//! quiz's host may do to that quiz — export, update, duplicate, delete.
//!
//! Who may: the admin key in `X-Admin-Key`, or the quiz's host key (or the admin key) in
//! `X-Host-Key`, checked after the quiz is found, as for the host's commands.

use poem_openapi::payload::Json;
use poem_openapi::types::Any;
use quiz_core::service::{DeleteError, DuplicateError, QuizView, Saved, UpdateError};
use quiz_core::{Quiz, QuizId, QuizMode};
use serde_json::Value;

use super::errors::{ApiError, at_field, client, internal, unknown_quiz};
use super::responses::{
    DeleteQuizResponse, DuplicateQuizResponse, ExportQuizResponse, LibraryResponse,
    UpdateQuizResponse,
};
use super::types::{AdminKey, LibraryOut, QuizOut, SavedOut};
use super::{Api, definition};
use crate::clock;
use crate::strict::Absent;

/// The longest search text, characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The keys a library request may carry.
pub(super) struct Keys {
    /// `X-Admin-Key`.
    pub admin: Option<String>,
    /// `X-Host-Key`.
    pub host: Option<String>,
}

fn wrong_keys() -> Json<ApiError> {
    at_field(
        "unauthorized",
        "X-Host-Key",
        "the admin key (X-Admin-Key) or this quiz's host key (X-Host-Key) is required",
    )
}

impl Api {
    /// Whether `keys` let their sender edit `quiz`.
    fn may_edit(&self, quiz: &Quiz, keys: &Keys) -> bool {
        keys.admin
            .as_deref()
            .is_some_and(|k| crate::auth::is_admin_key(&self.state.admin_key, k))
            || self.host_ok(quiz, keys.host.as_deref())
    }

    /// The quiz at `raw` if `keys` may edit it, or the response that says why not.
    async fn editable<R: From<super::missing::Missing>>(
        &self,
        raw: &str,
        keys: &Keys,
        unauthorized: impl FnOnce(Json<ApiError>) -> R,
    ) -> Result<Quiz, R> {
        let quiz = self.lookup(raw).await.map_err(R::from)?;
        if self.may_edit(&quiz, keys) {
            Ok(quiz)
        } else {
            Err(unauthorized(wrong_keys()))
        }
    }

    /// The create response's body for `q`: with the host key and console of a hosted quiz.
    pub(super) fn created(&self, q: &Quiz) -> QuizOut {
        let mut out = QuizOut::from(QuizView::from(q));
        if q.mode() == QuizMode::Hosted {
            let key = self.state.tokens.host_key(q.id(), q.created_at());
            out.host_url = Absent(Some(format!("/host/{}#key={key}", q.id())));
            out.host_key = Absent(Some(key));
        }
        out
    }

    pub(super) async fn library_page(
        &self,
        auth: &AdminKey,
        text: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> LibraryResponse {
        if !self.admin_ok(auth) {
            return LibraryResponse::Unauthorized(Self::wrong_key());
        }
        let text = text.unwrap_or_default();
        if text.chars().count() > MAX_SEARCH_CHARS {
            return LibraryResponse::BadRequest(at_field(
                "bad_parameter",
                "q",
                format!("at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        match self
            .state
            .service
            .library()
            .search(text, offset, limit)
            .await
        {
            Ok(page) => LibraryResponse::Ok(Json(LibraryOut::new(page, offset, limit))),
            Err(u) => LibraryResponse::Internal(internal(&u)),
        }
    }

    pub(super) async fn export(&self, raw: &str, keys: &Keys) -> ExportQuizResponse {
        let quiz = match self
            .editable(raw, keys, ExportQuizResponse::Unauthorized)
            .await
        {
            Ok(q) => q,
            Err(r) => return r,
        };
        ExportQuizResponse::Ok(
            Json(Any(definition::export::definition(&quiz))),
            format!("attachment; filename=\"{}.json\"", quiz.id()),
        )
    }

    pub(super) async fn update(&self, raw: &str, keys: &Keys, body: &Value) -> UpdateQuizResponse {
        let quiz = match self
            .editable(raw, keys, UpdateQuizResponse::Unauthorized)
            .await
        {
            Ok(q) => q,
            Err(r) => return r,
        };
        let now = clock::now();
        let draft = match definition::quiz(body, quiz.id().as_str(), now) {
            Ok(d) if d.id == *quiz.id() => d,
            Ok(_) => {
                return UpdateQuizResponse::BadRequest(at_field(
                    "invalid_quiz",
                    "id",
                    format!("must be {} (the quiz in the path) or left out", quiz.id()),
                ));
            }
            Err(e) if e.field.is_empty() => {
                return UpdateQuizResponse::BadRequest(client("bad_json", e.message));
            }
            Err(e) => {
                return UpdateQuizResponse::BadRequest(at_field(
                    "invalid_quiz",
                    e.field,
                    e.message,
                ));
            }
        };
        match self
            .state
            .service
            .library()
            .update(quiz.id(), draft, now)
            .await
        {
            Ok(Saved {
                quiz: q,
                copied: false,
            }) => {
                // A host console open on the lobby holds the quiz in its room.
                self.state.rooms.replaced(&q);
                UpdateQuizResponse::Ok(Json(SavedOut {
                    quiz: q.id().to_string(),
                    copied: false,
                    host_key: Absent(None),
                    host_url: Absent(None),
                }))
            }
            Ok(Saved { quiz: q, .. }) => {
                let created = self.created(&q);
                UpdateQuizResponse::Created(Json(SavedOut {
                    quiz: q.id().to_string(),
                    copied: true,
                    host_key: created.host_key,
                    host_url: created.host_url,
                }))
            }
            Err(UpdateError::UnknownQuiz) => UpdateQuizResponse::NotFound(unknown_quiz(quiz.id())),
            Err(UpdateError::Invalid(e)) => {
                UpdateQuizResponse::BadRequest(at_field("invalid_quiz", e.field(), e.to_string()))
            }
            Err(UpdateError::NoFreeId) => UpdateQuizResponse::Conflict(at_field(
                "quiz_exists",
                "id",
                format!(
                    "the quiz has been played and no id {}-vN is free for the new version",
                    quiz.id()
                ),
            )),
            Err(UpdateError::Unavailable(u)) => UpdateQuizResponse::Internal(internal(&u)),
        }
    }

    pub(super) async fn duplicate(
        &self,
        raw: &str,
        keys: &Keys,
        body: Option<&Value>,
    ) -> DuplicateQuizResponse {
        let quiz = match self
            .editable(raw, keys, DuplicateQuizResponse::Unauthorized)
            .await
        {
            Ok(q) => q,
            Err(r) => return r,
        };
        let (id, title) = match body.map(definition::duplicate).transpose() {
            Ok(fields) => fields.unwrap_or_default(),
            Err(e) if e.field.is_empty() => {
                return DuplicateQuizResponse::BadRequest(client("bad_json", e.message));
            }
            Err(e) => {
                return DuplicateQuizResponse::BadRequest(at_field(
                    "invalid_quiz",
                    e.field,
                    e.message,
                ));
            }
        };
        let asked: Option<QuizId> = id;
        match self
            .state
            .service
            .library()
            .duplicate(quiz.id(), asked.clone(), title, clock::now())
            .await
        {
            Ok(q) => DuplicateQuizResponse::Created(Json(self.created(&q))),
            Err(DuplicateError::UnknownQuiz) => {
                DuplicateQuizResponse::NotFound(unknown_quiz(quiz.id()))
            }
            Err(DuplicateError::Invalid(e)) => DuplicateQuizResponse::BadRequest(at_field(
                "invalid_quiz",
                e.field(),
                e.to_string(),
            )),
            Err(DuplicateError::AlreadyExists) => DuplicateQuizResponse::Conflict(at_field(
                "quiz_exists",
                "id",
                "a quiz with that id already exists",
            )),
            Err(DuplicateError::NoFreeId) => DuplicateQuizResponse::Conflict(at_field(
                "quiz_exists",
                "id",
                format!("no id {}-copy-N is free; name the copy's id", quiz.id()),
            )),
            Err(DuplicateError::Unavailable(u)) => DuplicateQuizResponse::Internal(internal(&u)),
        }
    }

    pub(super) async fn delete(&self, raw: &str, keys: &Keys) -> DeleteQuizResponse {
        let quiz = match self
            .editable(raw, keys, DeleteQuizResponse::Unauthorized)
            .await
        {
            Ok(q) => q,
            Err(r) => return r,
        };
        match self.state.service.library().delete(quiz.id()).await {
            Ok(()) => DeleteQuizResponse::NoContent,
            Err(DeleteError::UnknownQuiz) => DeleteQuizResponse::NotFound(unknown_quiz(quiz.id())),
            Err(DeleteError::GameLive) => DeleteQuizResponse::Conflict(client(
                "game_live",
                "a game of this quiz is running; end it (or let it reach the podium) first",
            )),
            Err(DeleteError::Unavailable(u)) => DeleteQuizResponse::Internal(internal(&u)),
        }
    }
}
