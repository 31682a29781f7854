//! One socket's session: who it is, which answers it sent, and how it has behaved. It
//! reads frames, answers each, and decides when the socket must be closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use poem::web::websocket::{Message, WebSocketStream};
use quiz_contracts::ws::{
    AnswerResultMsg, ClientMessage, ErrorCode, HostCommandName, HostOkMsg, PongMsg, ServerMessage,
    close,
};
use quiz_core::question::ShapeError;
use quiz_core::service::{AnswerOutcome, GameOpError, HostAction, SubmitError};
use quiz_core::{Answer, AnswerError, Player, PlayerId, QuestionId, QuizId};

use super::conduct::{Conduct, Rate};
use super::frames::{close_for_read_error, parse_client_message};
use super::{Who, error, refuse, shut_down, snapshot_json, to_json};
use crate::rooms::Outbox;
use crate::{AppState, auth, clock, telemetry};

/// Remembered answer ids per socket (for replaying replies to retries).
const ANSWER_ID_MEMORY: usize = 512;

/// One socket's state while it is open.
pub(super) struct Session {
    state: Arc<AppState>,
    who: Who,
    quiz: QuizId,
    /// Replies by `answer_id`, to replay them to retries on this connection.
    answered: HashMap<String, AnswerResultMsg>,
    conduct: Conduct,
}

impl Session {
    pub(super) fn new(state: Arc<AppState>, who: Who, quiz: QuizId) -> Self {
        let conduct = Conduct::new(state.limits.max_msgs_per_sec);
        Self {
            state,
            who,
            quiz,
            answered: HashMap::new(),
            conduct,
        }
    }

    /// Reads and answers frames until the socket closes, goes idle, floods, misbehaves or
    /// the server shuts down; every close goes out through the writer (`out`).
    pub(super) async fn run(
        mut self,
        mut stream: futures_util::stream::SplitStream<WebSocketStream>,
        out: &Outbox,
    ) {
        let idle = Duration::from_secs(self.state.limits.ping_secs * 3);
        let mut shutdown = self.state.shutdown.clone();
        loop {
            let next = tokio::select! {
                n = tokio::time::timeout(idle, stream.next()) => n,
                _ = shut_down(&mut shutdown) => {
                    // Hand the close to the writer (which owns the sink) before leaving, so
                    // the client always receives 1001 rather than a dropped connection.
                    out.close(close::GOING_AWAY, "server shutting down");
                    return;
                }
            };
            let msg = match next {
                Err(_) => {
                    out.close(close::GOING_AWAY, "idle timeout");
                    return;
                }
                Ok(None) => return,
                Ok(Some(Err(e))) => {
                    if let Some((code, reason)) = close_for_read_error(&e.to_string()) {
                        metrics::counter!(telemetry::WS_REJECTED, "code" => format!("close_{code}"))
                            .increment(1);
                        out.close(code, reason);
                    }
                    return;
                }
                Ok(Some(Ok(m))) => m,
            };
            // Text and binary frames alike count against the rate.
            let rate = match msg {
                Message::Text(_) | Message::Binary(_) => self.conduct.rate(),
                _ => Rate::Ok,
            };
            match rate {
                Rate::Ok => {}
                Rate::Notify => {
                    let notice = error(
                        ErrorCode::RateLimited,
                        format!(
                            "at most {} messages per second",
                            self.state.limits.max_msgs_per_sec
                        ),
                        None,
                    );
                    if out.event(notice).await.is_err() {
                        return;
                    }
                    continue;
                }
                Rate::Drop => continue,
                Rate::Close => {
                    out.close(close::RATE_LIMITED, "too many messages");
                    return;
                }
            }
            let reply = match msg {
                Message::Text(text) => self.handle_text(&text).await,
                Message::Binary(_) => {
                    self.conduct.invalid();
                    Some(error(
                        ErrorCode::BinaryFrame,
                        "only JSON text frames are accepted",
                        None,
                    ))
                }
                Message::Ping(_) | Message::Pong(_) => None,
                Message::Close(_) => return,
            };
            if let Some(json) = reply
                && out.event(json).await.is_err()
            {
                return;
            }
            if self.conduct.exhausted() {
                out.close(close::POLICY_VIOLATION, "too many invalid messages");
                return;
            }
        }
    }

    /// Parses and handles one text frame; returns the reply to send, if any.
    async fn handle_text(&mut self, text: &str) -> Option<String> {
        match parse_client_message(text, self.state.limits.max_json_depth) {
            Ok(message) => self.handle_message(message).await,
            Err(refusal) => {
                self.conduct.invalid();
                Some(refuse(
                    refusal.code,
                    refusal.field.as_deref(),
                    refusal.message,
                    None,
                ))
            }
        }
    }

    /// Handles one well-formed client message; returns the reply to send, if any.
    async fn handle_message(&mut self, message: ClientMessage) -> Option<String> {
        match message {
            ClientMessage::Ping { nonce } => {
                self.conduct.valid();
                Some(to_json(&ServerMessage::Pong(PongMsg {
                    nonce,
                    server_time: clock::now().0,
                })))
            }
            ClientMessage::Snapshot {} => {
                self.conduct.valid();
                let Who::Player(player) = &self.who else {
                    return Some(error(
                        ErrorCode::NotAPlayer,
                        "a host's socket has no snapshot; the current phase comes by itself",
                        None,
                    ));
                };
                match snapshot_json(&self.state, player).await {
                    Ok(json) => Some(json),
                    Err(e) => {
                        tracing::warn!(error = %e, "snapshot failed");
                        Some(error(
                            ErrorCode::Unavailable,
                            "temporarily unavailable; try again",
                            None,
                        ))
                    }
                }
            }
            ClientMessage::Host { command, player } => {
                self.conduct.valid();
                Some(self.host(command, player).await)
            }
            ClientMessage::Answer {
                answer_id,
                question,
                option,
                options,
                text,
            } => {
                let started = Instant::now();
                let reply = self
                    .answer(answer_id, &question, (option, options, text))
                    .await;
                metrics::histogram!(telemetry::ANSWER_LATENCY)
                    .record(started.elapsed().as_secs_f64());
                Some(reply)
            }
        }
    }

    /// Runs a host's command; the reply is `host_ok` or an `error`.
    async fn host(&mut self, command: HostCommandName, player: Option<String>) -> String {
        if matches!(self.who, Who::Player(_)) {
            return refuse(
                ErrorCode::NotHost,
                Some("type"),
                "only the host's socket (connected with ?host_key=) may send host commands",
                None,
            );
        }
        let action = match (auth::phase_command(command), player) {
            (Some(c), None) => HostAction::Phase(c),
            (Some(_), Some(_)) => {
                return refuse(
                    ErrorCode::InvalidMessage,
                    Some("player"),
                    "only kick takes a player",
                    None,
                );
            }
            (None, Some(p)) => match PlayerId::parse(&p) {
                Ok(id) => HostAction::Kick(id),
                Err(_) => {
                    return refuse(
                        ErrorCode::UnknownPlayer,
                        Some("player"),
                        format!("no player {p:?} in this quiz"),
                        None,
                    );
                }
            },
            (None, None) => {
                return refuse(
                    ErrorCode::InvalidMessage,
                    Some("player"),
                    "kick needs the player's id in \"player\"",
                    None,
                );
            }
        };
        match self
            .state
            .service
            .host(&self.quiz, action, clock::now())
            .await
        {
            Ok(state) => to_json(&ServerMessage::HostOk(HostOkMsg {
                command,
                seq: state.seq,
            })),
            Err(e) => {
                let (code, field) = match &e {
                    GameOpError::UnknownQuiz => (ErrorCode::UnknownQuiz, None),
                    GameOpError::NotHosted => (ErrorCode::NotHosted, None),
                    GameOpError::NotNow(_) => (ErrorCode::NotNow, Some("command")),
                    GameOpError::UnknownPlayer => (ErrorCode::UnknownPlayer, Some("player")),
                    GameOpError::Unavailable(u) => {
                        tracing::error!(error = %u, "host command failed");
                        (ErrorCode::Unavailable, None)
                    }
                };
                refuse(code, field, e.to_string(), None)
            }
        }
    }

    /// Answers an `answer` message: who may answer, the answer id, the answer's shape, a
    /// replay for a retry on this connection, then the core's verdict. The reply is an
    /// `answer_result` or an `error`.
    async fn answer(
        &mut self,
        answer_id: String,
        question: &str,
        given: (Option<u32>, Option<Vec<u32>>, Option<String>),
    ) -> String {
        let (player, answer) = match self.check_answer(&answer_id, question, given) {
            Ok(checked) => checked,
            Err(reply) => return reply,
        };
        self.conduct.valid();
        let Ok(question_id) = QuestionId::parse(question) else {
            count_answer("rejected");
            return refuse(
                ErrorCode::UnknownQuestion,
                Some("question"),
                "unknown question",
                Some(answer_id),
            );
        };
        let submitted = self
            .state
            .service
            .submit_answer(&player, &question_id, &answer, clock::now())
            .await;
        match submitted {
            Ok(outcome) => self.accepted(answer_id, &outcome),
            Err(e) => submit_refusal(e, &answer, answer_id),
        }
    }

    /// The player and the answer, or the reply that ends the matter: a refusal, or the
    /// replay of a retry.
    fn check_answer(
        &mut self,
        answer_id: &str,
        question: &str,
        given: (Option<u32>, Option<Vec<u32>>, Option<String>),
    ) -> Result<(Player, Answer), String> {
        let player = self.answering_player(answer_id)?;
        let answer = self.given_answer(answer_id, given)?;
        match self.replay(answer_id, question) {
            Some(reply) => Err(reply),
            None => Ok((player, answer)),
        }
    }

    /// The player answering, unless this is a host's socket or the answer id is malformed
    /// (then the refusal to send).
    fn answering_player(&mut self, answer_id: &str) -> Result<Player, String> {
        let Who::Player(player) = &self.who else {
            self.conduct.invalid();
            count_answer("invalid");
            return Err(refuse(
                ErrorCode::NotAPlayer,
                Some("type"),
                "a host's socket cannot answer",
                Some(answer_id.to_owned()),
            ));
        };
        if !valid_answer_id(answer_id) {
            self.conduct.invalid();
            count_answer("invalid");
            return Err(refuse(
                ErrorCode::BadAnswerId,
                Some("answer_id"),
                "answer_id must be 1-64 characters of A-Z a-z 0-9 _ -",
                None,
            ));
        }
        Ok(player.clone())
    }

    /// The answer given: exactly one of `option`, `options`, `text`.
    fn given_answer(
        &mut self,
        answer_id: &str,
        given: (Option<u32>, Option<Vec<u32>>, Option<String>),
    ) -> Result<Answer, String> {
        match given {
            (Some(o), None, None) => Ok(Answer::Option(o)),
            (None, Some(list), None) => Ok(Answer::Options(list)),
            (None, None, Some(text)) => Ok(Answer::Text(text)),
            _ => {
                self.conduct.invalid();
                count_answer("invalid");
                Err(refuse(
                    ErrorCode::InvalidMessage,
                    Some("option"),
                    "an answer has exactly one of option (single, true_false, poll), \
                     options (multi) or text (type_answer)",
                    Some(answer_id.to_owned()),
                ))
            }
        }
    }

    /// The reply to an `answer_id` already used on this connection: its result again for
    /// the same question (a retry), a refusal for another.
    fn replay(&mut self, answer_id: &str, question: &str) -> Option<String> {
        let previous = self.answered.get(answer_id)?;
        if previous.question != question {
            let msg = format!(
                "answer_id {answer_id:?} was already used on this connection for question {:?}; \
                 use a new answer_id for each answer",
                previous.question
            );
            self.conduct.invalid();
            count_answer("invalid");
            return Some(refuse(
                ErrorCode::AnswerIdReused,
                Some("answer_id"),
                msg,
                Some(answer_id.to_owned()),
            ));
        }
        let mut replay = previous.clone();
        replay.duplicate = true;
        self.conduct.valid();
        count_answer("duplicate");
        Some(to_json(&ServerMessage::AnswerResult(replay)))
    }

    /// An answer the core recorded (or found recorded): remembered for retries, then the
    /// `answer_result`.
    fn accepted(&mut self, answer_id: String, outcome: &AnswerOutcome) -> String {
        count_answer(if outcome.duplicate {
            "duplicate"
        } else {
            "accepted"
        });
        if outcome.fast {
            metrics::counter!(telemetry::FAST_ANSWERS).increment(1);
        }
        let msg = AnswerResultMsg::new(answer_id.clone(), outcome);
        if self.answered.len() >= ANSWER_ID_MEMORY {
            self.answered.clear();
        }
        self.answered.insert(answer_id, msg.clone());
        to_json(&ServerMessage::AnswerResult(msg))
    }
}

fn count_answer(outcome: &'static str) {
    metrics::counter!(telemetry::ANSWERS, "outcome" => outcome).increment(1);
}

/// The `error` frame for an answer the core did not record.
fn submit_refusal(e: SubmitError, answer: &Answer, answer_id: String) -> String {
    match e {
        SubmitError::Rejected(e) => {
            count_answer("rejected");
            let (code, field) = rejection(&e, answer);
            refuse(code, field, e.to_string(), Some(answer_id))
        }
        SubmitError::NotDurable(e) => {
            count_answer("not_durable");
            tracing::warn!(error = %e, "answer not durable; player asked to retry");
            error(
                ErrorCode::TryAgain,
                "the answer could not be saved yet; send it again",
                Some(answer_id),
            )
        }
        SubmitError::Unavailable(e) => {
            count_answer("error");
            tracing::error!(error = %e, source = ?std::error::Error::source(&e), "answer failed");
            error(
                ErrorCode::Unavailable,
                "temporarily unavailable; try again",
                Some(answer_id),
            )
        }
    }
}

/// The error code (and the field at fault) of an answer the quiz's rules refused.
fn rejection(e: &AnswerError, answer: &Answer) -> (ErrorCode, Option<&'static str>) {
    match e {
        AnswerError::UnknownQuiz => (ErrorCode::UnknownQuiz, None),
        AnswerError::UnknownQuestion => (ErrorCode::UnknownQuestion, Some("question")),
        AnswerError::Shape(shape) => {
            let code = match shape {
                ShapeError::WrongType { .. } => ErrorCode::WrongAnswerType,
                ShapeError::Empty => ErrorCode::EmptyAnswer,
                ShapeError::Duplicate(_) => ErrorCode::DuplicateOption,
                ShapeError::OutOfRange { .. } => ErrorCode::OptionOutOfRange,
                ShapeError::TooLong => ErrorCode::AnswerTooLong,
            };
            (code, Some(answer.field()))
        }
        AnswerError::TooLate { .. } => (ErrorCode::TooLate, None),
        AnswerError::QuizClosed => (ErrorCode::QuizClosed, None),
        AnswerError::NoOpenQuestion => (ErrorCode::NoOpenQuestion, None),
        AnswerError::NotTheOpenQuestion { .. } => (ErrorCode::NotTheOpenQuestion, Some("question")),
        AnswerError::Removed => (ErrorCode::NotAPlayer, None),
    }
}

fn valid_answer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
