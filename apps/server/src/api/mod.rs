//! The HTTP API (poem-openapi), mounted under `/api`. The OpenAPI document is generated
//! from this module and committed as `contracts/openapi.json`.
//!
//! - [`types`]: request and response types (request bodies are documented types read by
//!   hand, see [`definition`]);
//! - [`responses`]: one response enum per operation with every status it can return;
//! - [`errors`]: the one error shape (`code`, `message`, `field`) and the mapping of
//!   request-parsing failures to it;
//! - [`params`]: ranged whole-number query parameters;
//! - [`definition`]: reading bodies with field paths, structure before content;
//! - [`import`]: quiz files (CSV, Kahoot's .xlsx, Open Trivia DB) to definitions, its own
//!   operations.
//!
//! The handlers speak only to [`quiz_core::QuizService`].

pub mod definition;
pub mod errors;
mod game;
pub mod import;
pub mod library;
pub mod media;
mod missing;
pub mod params;
pub mod pins;
pub mod responses;
mod results;
pub mod types;

pub use results::{csv_safe, results_csv};

use std::net::IpAddr;
use std::sync::Arc;

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Binary, Json, PlainText};
use poem_openapi::types::Any;
use quiz_contracts::ws::SnapshotMsg;
use quiz_core::service::{CreateQuizError, JoinQuizError, LookupError, QuizView, RebuildError};
use quiz_core::{PlayerId, PlayerName, Quiz, QuizId, QuizStatus};

use self::errors::{ApiError, at_field, client, internal, unknown_quiz};
use self::library::Keys;
use self::missing::{Missing, quiz_id};
use self::params::{Bounded, LibraryLimit, Limit, Offset};
use self::responses::{
    CreateQuizResponse, DeleteQuizResponse, DuplicateQuizResponse, ExportQuizResponse,
    GetGameResponse, GetQuizResponse, HostCommandResponse, JoinResponse, LeaderboardResponse,
    LibraryResponse, ListQuizzesResponse, RebuildResponse, ReportResponse, ResultsCsvResponse,
    ResultsJsonResponse, SetStatusResponse, StandingResponse, UpdateQuizResponse,
    UploadMediaResponse,
};
use self::types::{
    AdminKey, Document, DuplicateIn, EntryOut, HostCommandIn, JoinIn, JoinOut, LeaderboardOut,
    OptionalBody, QuizIn, QuizSummaryOut, RebuildOut, StandingOut,
};
use crate::pattern::{Matching, PlayerIdPattern, QuizIdPattern};
use crate::token::random_hex;
use crate::{AppState, clock, telemetry};

/// The API's operations.
#[derive(Clone)]
pub struct Api {
    pub(crate) state: Arc<AppState>,
}

/// The client's address: with `trust_forwarded`, the last `X-Forwarded-For` entry — the one
/// the trusted proxy in front appended — since every entry before it is whatever the client
/// sent; otherwise the peer address.
pub(crate) fn client_ip(req: &Request, trust_forwarded: bool) -> Option<IpAddr> {
    if trust_forwarded
        && let Some(ip) = req
            .header("x-forwarded-for")
            .and_then(|h| h.rsplit(',').next())
            .and_then(|s| s.trim().parse().ok())
    {
        return Some(ip);
    }
    req.remote_addr().as_socket_addr().map(|a| a.ip())
}

fn entry(e: quiz_core::BoardEntry) -> EntryOut {
    EntryOut {
        rank: e.rank,
        player: e.player.to_string(),
        name: e.name,
        score: e.score,
    }
}

fn summary(q: &Quiz) -> QuizSummaryOut {
    QuizSummaryOut {
        id: q.id().to_string(),
        title: q.title().to_owned(),
        questions: q.questions().len() as u64,
        status: q.status().into(),
    }
}

// The key checks live in `auth`, shared with the WebSocket.
pub(crate) use crate::auth::is_admin_key;

impl Api {
    fn admin_ok(&self, key: &AdminKey) -> bool {
        is_admin_key(&self.state.admin_key, &key.0.key)
    }

    fn wrong_key() -> Json<ApiError> {
        at_field("unauthorized", "X-Admin-Key", "wrong admin key")
    }

    async fn lookup(&self, raw: &str) -> Result<Quiz, Missing> {
        let id = quiz_id(raw)?;
        match self.state.service.library().quiz(&id).await {
            Ok(q) => Ok(q),
            Err(LookupError::UnknownQuiz) => Err(Missing::NotFound(unknown_quiz(&id))),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `key` is the quiz's host key or the admin key.
    fn host_ok(&self, quiz: &Quiz, key: Option<&str>) -> bool {
        key.is_some_and(|k| crate::auth::is_host_key(&self.state, quiz, k))
    }

    /// The PIN of a new hosted quiz's game (its lobby is opened for it).
    async fn hosted_pin(
        &self,
        quiz: &Quiz,
    ) -> Result<Option<String>, quiz_core::service::Unavailable> {
        let svc = &self.state.service;
        let now = clock::now();
        let state = match svc.games().current(quiz, now).await {
            Ok(s) => s,
            Err(quiz_core::service::GameOpError::Unavailable(u)) => return Err(u),
            Err(_) => return Ok(None),
        };
        let pin = svc
            .pins()
            .for_game(quiz, &state, now, &mut crate::token::random_u64)
            .await?;
        Ok(pin.map(|p| p.to_string()))
    }

    async fn set_status(&self, auth: AdminKey, raw: &str, status: QuizStatus) -> SetStatusResponse {
        if !self.admin_ok(&auth) {
            return SetStatusResponse::Unauthorized(Self::wrong_key());
        }
        let id = match quiz_id(raw) {
            Ok(id) => id,
            Err(m) => return m.into(),
        };
        match self.state.service.library().set_status(&id, status).await {
            Ok(q) => SetStatusResponse::Ok(Json(summary(&q))),
            Err(LookupError::UnknownQuiz) => SetStatusResponse::NotFound(unknown_quiz(&id)),
            Err(e) => Missing::from(e).into(),
        }
    }
}

#[OpenApi]
impl Api {
    /// Create a quiz (admin).
    #[oai(path = "/quizzes", method = "post")]
    async fn create_quiz(
        &self,
        auth: AdminKey,
        body: Json<Document<QuizIn>>,
    ) -> CreateQuizResponse {
        if !self.admin_ok(&auth) {
            return CreateQuizResponse::Unauthorized(Self::wrong_key());
        }
        let generated = format!("q{}", random_hex(5));
        let draft = match definition::quiz(&body.0.0, &generated, clock::now()) {
            Ok(d) => d,
            Err(e) if e.field.is_empty() => {
                return CreateQuizResponse::BadRequest(client("bad_json", e.message));
            }
            Err(e) => {
                return CreateQuizResponse::BadRequest(at_field(
                    "invalid_quiz",
                    e.field,
                    e.message,
                ));
            }
        };
        match self.state.service.library().create(draft).await {
            Ok(q) => {
                let mut out = self.created(&q);
                if q.mode() == quiz_core::QuizMode::Hosted {
                    out.pin = crate::strict::Absent(match self.hosted_pin(&q).await {
                        Ok(pin) => pin,
                        Err(u) => return CreateQuizResponse::Internal(internal(&u)),
                    });
                }
                CreateQuizResponse::Created(Json(out))
            }
            Err(CreateQuizError::Invalid(e)) => {
                CreateQuizResponse::BadRequest(at_field("invalid_quiz", e.field(), e.to_string()))
            }
            Err(CreateQuizError::AlreadyExists) => CreateQuizResponse::Conflict(at_field(
                "quiz_exists",
                "id",
                "a quiz with that id already exists",
            )),
            Err(CreateQuizError::Unavailable(u)) => CreateQuizResponse::Internal(internal(&u)),
        }
    }

    /// List quizzes.
    #[oai(path = "/quizzes", method = "get")]
    async fn list_quizzes(&self) -> ListQuizzesResponse {
        match self.state.service.library().list().await {
            Ok(l) => ListQuizzesResponse::Ok(Json(l.into_iter().map(Into::into).collect())),
            Err(u) => ListQuizzesResponse::Internal(internal(&u)),
        }
    }

    /// Get a quiz (never its answer key).
    #[oai(path = "/quizzes/:quiz", method = "get")]
    async fn get_quiz(&self, quiz: Path<Matching<QuizIdPattern>>) -> GetQuizResponse {
        match self.lookup(&quiz.0).await {
            Ok(q) => GetQuizResponse::Ok(Json(QuizView::from(&q).into())),
            Err(m) => m.into(),
        }
    }

    /// The quiz library: quizzes whose id or title contains `q` (case-insensitive), by
    /// title then id, a page at a time, each with its players and game (admin).
    #[oai(path = "/library", method = "get")]
    async fn library(
        &self,
        auth: AdminKey,
        /// Text to look for in ids and titles (at most 200 characters; empty: every quiz).
        q: Query<Option<String>>,
        /// Quizzes to skip (default 0).
        #[oai(default)]
        offset: Query<Bounded<Offset>>,
        /// Quizzes to return, 1–100 (default 20).
        #[oai(default)]
        limit: Query<Bounded<LibraryLimit>>,
    ) -> LibraryResponse {
        self.library_page(&auth, q.0.as_deref(), offset.0.0, limit.0.0)
            .await
    }

    /// Export a quiz's full definition, answer key included, as `POST /quizzes` accepts it
    /// (admin key, or the quiz's host key in `X-Host-Key`).
    #[oai(path = "/quizzes/:quiz/export", method = "get")]
    async fn export_quiz(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        #[oai(name = "X-Admin-Key")] admin: Header<Option<String>>,
        #[oai(name = "X-Host-Key")] host: Header<Option<String>>,
    ) -> ExportQuizResponse {
        let keys = Keys {
            admin: admin.0,
            host: host.0,
        };
        self.export(&quiz.0, &keys).await
    }

    /// Update a quiz (admin key, or the quiz's host key in `X-Host-Key`): replaced in place
    /// while nobody has played it; once played, saved as a new quiz `{quiz}-vN` and the
    /// old one left as it is, results included.
    #[oai(path = "/quizzes/:quiz", method = "put")]
    async fn update_quiz(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        #[oai(name = "X-Admin-Key")] admin: Header<Option<String>>,
        #[oai(name = "X-Host-Key")] host: Header<Option<String>>,
        body: Json<Document<QuizIn>>,
    ) -> UpdateQuizResponse {
        let keys = Keys {
            admin: admin.0,
            host: host.0,
        };
        self.update(&quiz.0, &keys, &body.0.0).await
    }

    /// Copy a quiz as a new open quiz (admin key, or the quiz's host key in
    /// `X-Host-Key`); the body is optional.
    #[oai(path = "/quizzes/:quiz/duplicate", method = "post")]
    async fn duplicate_quiz(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        #[oai(name = "X-Admin-Key")] admin: Header<Option<String>>,
        #[oai(name = "X-Host-Key")] host: Header<Option<String>>,
        body: OptionalBody<DuplicateIn>,
    ) -> DuplicateQuizResponse {
        let keys = Keys {
            admin: admin.0,
            host: host.0,
        };
        self.duplicate(&quiz.0, &keys, body.0.as_ref()).await
    }

    /// Delete a quiz (admin key, or the quiz's host key in `X-Host-Key`); refused while a
    /// hosted game of it is live. The id stays taken.
    #[oai(path = "/quizzes/:quiz", method = "delete")]
    async fn delete_quiz(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        #[oai(name = "X-Admin-Key")] admin: Header<Option<String>>,
        #[oai(name = "X-Host-Key")] host: Header<Option<String>>,
    ) -> DeleteQuizResponse {
        let keys = Keys {
            admin: admin.0,
            host: host.0,
        };
        self.delete(&quiz.0, &keys).await
    }

    /// Upload an image for questions (admin): the raw bytes as the body, any
    /// `Content-Type` (the bytes decide). PNG, JPEG, GIF or WebP, at most 2 MiB, each side
    /// at most 4096 pixels and 16,000,000 pixels in all, read from the header. Stored under
    /// its SHA-256; at most 10 uploads at once, then 30 a minute, per address.
    #[oai(path = "/media", method = "post")]
    async fn upload_media(
        &self,
        req: &Request,
        auth: AdminKey,
        body: Binary<Vec<u8>>,
    ) -> UploadMediaResponse {
        self.upload(req, &auth, &body.0).await
    }

    /// Join a quiz under a display name.
    #[oai(path = "/quizzes/:quiz/join", method = "post")]
    async fn join(
        &self,
        req: &Request,
        quiz: Path<Matching<QuizIdPattern>>,
        body: Json<Document<JoinIn>>,
    ) -> JoinResponse {
        let id = match QuizId::parse(&*quiz.0) {
            Ok(id) => id,
            Err(e) => {
                return JoinResponse::BadRequest(at_field("bad_quiz_id", "quiz", e.to_string()));
            }
        };
        let raw = match definition::join_name(&body.0.0) {
            Ok(n) => n,
            Err(e) if e.field == "name" => {
                return JoinResponse::BadRequest(at_field("bad_name", "name", e.message));
            }
            Err(e) if e.field.is_empty() => {
                return JoinResponse::BadRequest(client("bad_json", e.message));
            }
            Err(e) => {
                return JoinResponse::BadRequest(at_field("unknown_field", e.field, e.message));
            }
        };
        let name = match PlayerName::parse(&raw) {
            Ok(n) => n,
            Err(e) => return JoinResponse::BadRequest(at_field("bad_name", "name", e.to_string())),
        };
        if let Some(ip) = client_ip(req, self.state.limits.trust_forwarded_for)
            && self.state.join_limiter.check_key(&ip).is_err()
        {
            metrics::counter!(telemetry::JOINS, "outcome" => "rate_limited").increment(1);
            return JoinResponse::TooManyRequests(client(
                "rate_limited",
                format!(
                    "at most {} joins at once, then {} per minute, from one address",
                    self.state.limits.max_joins_burst, self.state.limits.max_joins_per_min
                ),
            ));
        }
        let svc = &self.state.service;
        let now = clock::now();
        let player = match svc.players().join(&id, &name, now).await {
            Ok(p) => p,
            Err(e) => {
                let (outcome, resp) = match e {
                    JoinQuizError::UnknownQuiz => {
                        ("unknown_quiz", JoinResponse::NotFound(unknown_quiz(&id)))
                    }
                    JoinQuizError::QuizClosed => (
                        "quiz_closed",
                        JoinResponse::Conflict(client("quiz_closed", "the quiz is closed")),
                    ),
                    JoinQuizError::NameTaken => (
                        "name_taken",
                        JoinResponse::Conflict(at_field(
                            "name_taken",
                            "name",
                            "that name is taken in this quiz",
                        )),
                    ),
                    JoinQuizError::QuizFull => (
                        "quiz_full",
                        JoinResponse::Conflict(client("quiz_full", "the quiz is full")),
                    ),
                    JoinQuizError::NameNotAllowed => (
                        "name_not_allowed",
                        JoinResponse::BadRequest(at_field(
                            "name_not_allowed",
                            "name",
                            "that name is not allowed; choose another",
                        )),
                    ),
                    JoinQuizError::LobbyLocked => (
                        "lobby_locked",
                        JoinResponse::Conflict(client(
                            "lobby_locked",
                            "the host locked the lobby; ask them to unlock it",
                        )),
                    ),
                    JoinQuizError::GameOver => (
                        "game_over",
                        JoinResponse::Conflict(client("game_over", "the game is over")),
                    ),
                    JoinQuizError::Unavailable(u) => {
                        ("error", JoinResponse::Internal(internal(&u)))
                    }
                };
                metrics::counter!(telemetry::JOINS, "outcome" => outcome).increment(1);
                return resp;
            }
        };
        metrics::counter!(telemetry::JOINS, "outcome" => "joined").increment(1);
        let snapshot = match svc.players().snapshot(&player, now).await {
            Ok(s) => s,
            Err(LookupError::UnknownQuiz) => return JoinResponse::NotFound(unknown_quiz(&id)),
            Err(LookupError::Unavailable(u)) => return JoinResponse::Internal(internal(&u)),
        };
        let token = self.state.tokens.issue(&id, &player.id, player.joined_at);
        JoinResponse::Ok(Json(JoinOut {
            quiz: id.to_string(),
            player_id: player.id.to_string(),
            name: player.name.to_string(),
            joined_at: player.joined_at.0,
            ws_path: format!("/ws/{id}?token={token}"),
            token,
            snapshot: Any(SnapshotMsg::new(&snapshot, self.state.rooms.seq(&id))),
        }))
    }

    /// A page of the leaderboard.
    #[oai(path = "/quizzes/:quiz/leaderboard", method = "get")]
    async fn leaderboard(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        /// Lines to skip (default 0).
        #[oai(default)]
        offset: Query<Bounded<Offset>>,
        /// Lines to return, 1–100 (default 10).
        #[oai(default)]
        limit: Query<Bounded<Limit>>,
    ) -> LeaderboardResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        let page = self
            .state
            .service
            .boards()
            .page(q.id(), offset.0.0, limit.0.0);
        match page.await {
            Ok(page) => LeaderboardResponse::Ok(Json(LeaderboardOut {
                quiz: q.id().to_string(),
                players: page.players,
                offset: offset.0.0,
                entries: page.entries.into_iter().map(entry).collect(),
            })),
            Err(u) => LeaderboardResponse::Internal(internal(&u)),
        }
    }

    /// One player's standing.
    #[oai(path = "/quizzes/:quiz/players/:player", method = "get")]
    async fn standing(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        player: Path<Matching<PlayerIdPattern>>,
    ) -> StandingResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        let pid = match PlayerId::parse(&*player.0) {
            Ok(p) => p,
            Err(e) => {
                return StandingResponse::BadRequest(at_field(
                    "bad_player_id",
                    "player",
                    e.to_string(),
                ));
            }
        };
        match self.state.service.players().standing(q.id(), &pid).await {
            Ok(Some(s)) => StandingResponse::Ok(Json(StandingOut {
                player: pid.to_string(),
                name: s.player.name.to_string(),
                rank: s.rank,
                score: s.score,
                answers: s.answers,
            })),
            Ok(None) => StandingResponse::NotFound(at_field(
                "unknown_player",
                "player",
                "no such player in this quiz",
            )),
            Err(u) => StandingResponse::Internal(internal(&u)),
        }
    }

    /// Every player's result as JSON, best first.
    #[oai(path = "/quizzes/:quiz/results.json", method = "get")]
    async fn results_json(&self, quiz: Path<Matching<QuizIdPattern>>) -> ResultsJsonResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        match self.results(&q).await {
            Ok(e) => ResultsJsonResponse::Ok(Json(e)),
            Err(m) => m.into(),
        }
    }

    /// Every player's result as CSV, best first.
    #[oai(path = "/quizzes/:quiz/results.csv", method = "get")]
    async fn results_csv(&self, quiz: Path<Matching<QuizIdPattern>>) -> ResultsCsvResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        let entries = match self.results(&q).await {
            Ok(e) => e,
            Err(m) => return m.into(),
        };
        // Writing a large quiz's rows is CPU work: off the threads that serve sockets.
        match tokio::task::spawn_blocking(move || results_csv(entries)).await {
            Ok(Ok(text)) => ResultsCsvResponse::Ok(PlainText(text)),
            Ok(Err(e)) => ResultsCsvResponse::Internal(internal(&e)),
            Err(e) => ResultsCsvResponse::Internal(internal(&e)),
        }
    }

    /// A hosted game's phase now.
    #[oai(path = "/quizzes/:quiz/game", method = "get")]
    async fn get_game(&self, quiz: Path<Matching<QuizIdPattern>>) -> GetGameResponse {
        let id = match quiz_id(&quiz.0) {
            Ok(id) => id,
            Err(m) => return m.into(),
        };
        match game::read(&self.state.service, &id, self.state.public_url.as_deref()).await {
            Ok(g) => GetGameResponse::Ok(Json(g)),
            Err(game::Refusal::NotFound(e)) => GetGameResponse::NotFound(e),
            Err(game::Refusal::Conflict(e)) => GetGameResponse::Conflict(e),
            Err(game::Refusal::Internal(e)) => GetGameResponse::Internal(e),
        }
    }

    /// Run a host's command in a hosted game (host key or admin key in `X-Host-Key`).
    #[oai(path = "/quizzes/:quiz/game", method = "post")]
    async fn host_command(
        &self,
        quiz: Path<Matching<QuizIdPattern>>,
        #[oai(name = "X-Host-Key")] key: Header<Option<String>>,
        body: Json<Document<HostCommandIn>>,
    ) -> HostCommandResponse {
        let q = match self.lookup(&quiz.0).await {
            Ok(q) => q,
            Err(m) => return m.into(),
        };
        if !self.host_ok(&q, key.0.as_deref()) {
            return HostCommandResponse::Unauthorized(at_field(
                "unauthorized",
                "X-Host-Key",
                "a valid X-Host-Key header (the quiz's host key or the admin key) is required",
            ));
        }
        let action = match definition::host_command(&body.0.0) {
            Ok(a) => a,
            Err(e) if e.field.is_empty() => {
                return HostCommandResponse::BadRequest(client("bad_json", e.message));
            }
            Err(e) => {
                return HostCommandResponse::BadRequest(at_field(
                    "invalid_command",
                    e.field,
                    e.message,
                ));
            }
        };
        match game::command(
            &self.state.service,
            q.id(),
            action,
            self.state.public_url.as_deref(),
        )
        .await
        {
            Ok(g) => HostCommandResponse::Ok(Json(g)),
            Err(game::Refusal::NotFound(e)) => HostCommandResponse::NotFound(e),
            Err(game::Refusal::Conflict(e)) => HostCommandResponse::Conflict(e),
            Err(game::Refusal::Internal(e)) => HostCommandResponse::Internal(e),
        }
    }

    /// A hosted game's per-question report: each question closed so far (all of them once
    /// the game is over) with how many answered, % correct, how many chose each option and
    /// the mean answer time.
    #[oai(path = "/quizzes/:quiz/report", method = "get")]
    async fn report(&self, quiz: Path<Matching<QuizIdPattern>>) -> ReportResponse {
        let id = match quiz_id(&quiz.0) {
            Ok(id) => id,
            Err(m) => return m.into(),
        };
        match game::report(&self.state.service, &id).await {
            Ok(r) => ReportResponse::Ok(Json(r)),
            Err(game::Refusal::NotFound(e)) => ReportResponse::NotFound(e),
            Err(game::Refusal::Conflict(e)) => ReportResponse::Conflict(e),
            Err(game::Refusal::Internal(e)) => ReportResponse::Internal(e),
        }
    }

    /// Close a quiz: no more joins or answers (admin).
    #[oai(path = "/quizzes/:quiz/close", method = "post")]
    async fn close_quiz(
        &self,
        auth: AdminKey,
        quiz: Path<Matching<QuizIdPattern>>,
    ) -> SetStatusResponse {
        self.set_status(auth, &quiz.0, QuizStatus::Closed).await
    }

    /// Reopen a closed quiz (admin).
    #[oai(path = "/quizzes/:quiz/open", method = "post")]
    async fn open_quiz(
        &self,
        auth: AdminKey,
        quiz: Path<Matching<QuizIdPattern>>,
    ) -> SetStatusResponse {
        self.set_status(auth, &quiz.0, QuizStatus::Open).await
    }

    /// Rebuild a quiz's live leaderboard from the long-term archive (admin).
    #[oai(path = "/quizzes/:quiz/rebuild-leaderboard", method = "post")]
    async fn rebuild(
        &self,
        auth: AdminKey,
        quiz: Path<Matching<QuizIdPattern>>,
    ) -> RebuildResponse {
        if !self.admin_ok(&auth) {
            return RebuildResponse::Unauthorized(Self::wrong_key());
        }
        let id = match quiz_id(&quiz.0) {
            Ok(id) => id,
            Err(m) => return m.into(),
        };
        match self.state.service.upkeep().rebuild_leaderboard(&id).await {
            Ok(n) => RebuildResponse::Ok(Json(RebuildOut { players: n as u64 })),
            Err(RebuildError::UnknownQuiz) => RebuildResponse::NotFound(unknown_quiz(&id)),
            Err(RebuildError::Unavailable(u)) => RebuildResponse::Internal(internal(&u)),
        }
    }
}
