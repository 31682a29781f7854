//! The HTTP API (poem-openapi), mounted under `/api`. The OpenAPI document is generated
//! from this module and committed as `contracts/openapi.json`.
//!
//! - [`types`]: request and response types (request bodies are documented types read by
//!   hand, see [`definition`]);
//! - [`responses`]: one response enum per operation with every status it can return;
//! - [`errors`]: the one error shape (`code`, `message`, `field`) and the mapping of
//!   request-parsing failures to it;
//! - [`params`]: ranged whole-number query parameters;
//! - [`definition`]: reading bodies with field paths, structure before content.
//!
//! The handlers speak only to [`quiz_core::QuizService`].

pub mod definition;
pub mod errors;
mod game;
pub mod params;
pub mod responses;
pub mod types;

use std::net::IpAddr;
use std::sync::Arc;

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::types::Any;
use quiz_contracts::ws::SnapshotMsg;
use quiz_core::service::{CreateQuizError, JoinQuizError, LookupError, QuizView, RebuildError};
use quiz_core::{PlayerId, PlayerName, Quiz, QuizId, QuizMode, QuizStatus};

use self::errors::{ApiError, ServerError, at_field, client, internal, unknown_quiz};
use self::params::{Bounded, Limit, Offset};
use self::responses::{
    CreateQuizResponse, GetGameResponse, GetQuizResponse, HostCommandResponse, JoinResponse,
    LeaderboardResponse, ListQuizzesResponse, RebuildResponse, ReportResponse, ResultsCsvResponse,
    ResultsJsonResponse, SetStatusResponse, StandingResponse,
};
use self::types::{
    AdminKey, Document, EntryOut, HostCommandIn, JoinIn, JoinOut, LeaderboardOut, QuizIn, QuizOut,
    QuizSummaryOut, RebuildOut, ResultOut, StandingOut,
};
use crate::pattern::{Matching, PlayerIdPattern, QuizIdPattern};
use crate::strict::Absent;
use crate::token::random_hex;
use crate::{AppState, clock, telemetry};

/// Why a quiz named in a path could not be used.
enum Missing {
    /// Malformed id (400).
    BadId(Json<ApiError>),
    /// No such quiz (404).
    NotFound(Json<ApiError>),
    /// The catalog failed (500).
    Internal(Json<ServerError>),
}

macro_rules! from_missing {
    ($($resp:ident),+) => {
        $(
            impl From<Missing> for $resp {
                fn from(m: Missing) -> Self {
                    match m {
                        Missing::BadId(e) => Self::BadRequest(e),
                        Missing::NotFound(e) => Self::NotFound(e),
                        Missing::Internal(e) => Self::Internal(e),
                    }
                }
            }
        )+
    };
}

from_missing!(
    GetQuizResponse,
    GetGameResponse,
    HostCommandResponse,
    ReportResponse,
    LeaderboardResponse,
    StandingResponse,
    ResultsJsonResponse,
    ResultsCsvResponse,
    SetStatusResponse,
    RebuildResponse
);

impl From<LookupError> for Missing {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => Self::NotFound(client("unknown_quiz", "no such quiz")),
            LookupError::Unavailable(u) => Self::Internal(internal(&u)),
        }
    }
}

/// The API's operations.
#[derive(Clone)]
pub struct Api {
    pub(crate) state: Arc<AppState>,
}

fn quiz_id(raw: &str) -> Result<QuizId, Missing> {
    QuizId::parse(raw).map_err(|e| Missing::BadId(at_field("bad_quiz_id", "quiz", e.to_string())))
}

/// The client's address: with `trust_forwarded`, the last `X-Forwarded-For` entry — the one
/// the trusted proxy in front appended — since every entry before it is whatever the client
/// sent; otherwise the peer address.
fn client_ip(req: &Request, trust_forwarded: bool) -> Option<IpAddr> {
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

/// Guards a CSV cell against spreadsheet formula injection.
pub fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The results as CSV (`rank,player,name,score,correct,fast_answers,fast_questions`; the
/// fast questions' ids separated by spaces), names guarded against formulas.
///
/// # Errors
/// The CSV writer's error (it writes to memory, so only on a bug).
pub fn results_csv(entries: Vec<ResultOut>) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank",
        "player",
        "name",
        "score",
        "correct",
        "fast_answers",
        "fast_questions",
    ])?;
    for e in entries {
        w.write_record([
            e.rank.to_string(),
            e.player,
            csv_safe(&e.name),
            e.score.to_string(),
            e.correct.to_string(),
            e.fast_answers.to_string(),
            e.fast_questions.join(" "),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

// The key checks and the host-command mapping live in `auth`, shared with the WebSocket.
pub(crate) use crate::auth::{is_admin_key, phase_command};

impl Api {
    fn admin_ok(&self, key: &AdminKey) -> bool {
        is_admin_key(&self.state.admin_key, &key.0.key)
    }

    fn wrong_key() -> Json<ApiError> {
        at_field("unauthorized", "X-Admin-Key", "wrong admin key")
    }

    async fn lookup(&self, raw: &str) -> Result<Quiz, Missing> {
        let id = quiz_id(raw)?;
        match self.state.service.quiz(&id).await {
            Ok(q) => Ok(q),
            Err(LookupError::UnknownQuiz) => Err(Missing::NotFound(unknown_quiz(&id))),
            Err(e) => Err(e.into()),
        }
    }

    async fn all_entries(&self, quiz: &QuizId) -> Result<Vec<EntryOut>, Missing> {
        let svc = &self.state.service;
        let count = svc
            .player_count(quiz)
            .await
            .map_err(|u| Missing::Internal(internal(&u)))?;
        let page = svc
            .board_page(quiz, 0, count)
            .await
            .map_err(|u| Missing::Internal(internal(&u)))?;
        Ok(page.into_iter().map(entry).collect())
    }

    async fn results(&self, quiz: &Quiz) -> Result<Vec<ResultOut>, Missing> {
        let entries = self.all_entries(quiz.id()).await?;
        let ids: Vec<PlayerId> = entries
            .iter()
            .filter_map(|e| PlayerId::parse(&e.player).ok())
            .collect();
        let mut tallies = self
            .state
            .service
            .tallies(quiz, &ids)
            .await
            .map_err(|u| Missing::Internal(internal(&u)))?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let t = PlayerId::parse(&e.player)
                    .ok()
                    .and_then(|p| tallies.remove(&p))
                    .unwrap_or_default();
                (e, t)
            })
            .map(|(e, t)| ResultOut {
                correct: t.correct,
                fast_answers: t.fast.len() as u64,
                fast_questions: t.fast.iter().map(ToString::to_string).collect(),
                rank: e.rank,
                player: e.player,
                name: e.name,
                score: e.score,
            })
            .collect())
    }

    /// Whether `key` is the quiz's host key or the admin key.
    fn host_ok(&self, quiz: &Quiz, key: Option<&str>) -> bool {
        key.is_some_and(|k| crate::auth::is_host_key(&self.state, quiz, k))
    }

    async fn set_status(&self, auth: AdminKey, raw: &str, status: QuizStatus) -> SetStatusResponse {
        if !self.admin_ok(&auth) {
            return SetStatusResponse::Unauthorized(Self::wrong_key());
        }
        let id = match quiz_id(raw) {
            Ok(id) => id,
            Err(m) => return m.into(),
        };
        match self.state.service.set_status(&id, status).await {
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
        match self.state.service.create_quiz(draft).await {
            Ok(q) => {
                let mut out = QuizOut::from(QuizView::from(&q));
                if q.mode() == QuizMode::Hosted {
                    let key = self.state.tokens.host_key(q.id(), q.created_at());
                    out.host_url = Absent(Some(format!("/host/{}#key={key}", q.id())));
                    out.host_key = Absent(Some(key));
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
        match self.state.service.list_quizzes().await {
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
        let player = match svc.join(&id, &name, now).await {
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
        let snapshot = match svc.snapshot(&player, now).await {
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
        let svc = &self.state.service;
        let page = svc.board_page(q.id(), offset.0.0, limit.0.0).await;
        let players = svc.player_count(q.id()).await;
        match (page, players) {
            (Ok(entries), Ok(players)) => LeaderboardResponse::Ok(Json(LeaderboardOut {
                quiz: q.id().to_string(),
                players,
                offset: offset.0.0,
                entries: entries.into_iter().map(entry).collect(),
            })),
            (Err(u), _) | (_, Err(u)) => LeaderboardResponse::Internal(internal(&u)),
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
        match self.state.service.standing(q.id(), &pid).await {
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
        match game::read(&self.state.service, &id).await {
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
        match game::command(&self.state.service, q.id(), action).await {
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
        match self.state.service.rebuild_scoreboard(&id).await {
            Ok(n) => RebuildResponse::Ok(Json(RebuildOut { players: n as u64 })),
            Err(RebuildError::UnknownQuiz) => RebuildResponse::NotFound(unknown_quiz(&id)),
            Err(RebuildError::Unavailable(u)) => RebuildResponse::Internal(internal(&u)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_names_cannot_become_formulas() {
        let text = results_csv(vec![ResultOut {
            rank: 1,
            player: "p1".into(),
            name: "=1+1".into(),
            score: 5,
            correct: 2,
            fast_answers: 2,
            fast_questions: vec!["q1".into(), "q3".into()],
        }])
        .unwrap();
        assert_eq!(
            text,
            "rank,player,name,score,correct,fast_answers,fast_questions\n1,p1,'=1+1,5,2,2,q1 q3\n"
        );
    }
}
