//! One socket's session: who it is, which answers it sent, and how it has behaved. It
//! reads frames, answers each, and decides when the socket must be closed.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use governor::clock::QuantaClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use poem::web::websocket::{Message, WebSocketStream};
use quiz_contracts::ws::{
    AnswerResultMsg, ClientMessage, ErrorCode, HostCommandError, HostCommandName, HostOkMsg,
    PongMsg, ServerMessage, answer_of, close,
};
use quiz_core::question::ShapeError;
use quiz_core::service::{GameOpError, SubmitError};
use quiz_core::{Answer, AnswerError, QuestionId, QuizId};
use tokio::sync::mpsc;

use super::frames::{close_for_read_error, parse_client_message};
use super::{Out, Who, error, refuse, shut_down, snapshot_json, to_json};
use crate::{AppState, clock, telemetry};

/// Consecutive invalid messages after which the socket is closed (1008).
const MAX_INVALID_IN_A_ROW: u32 = 10;
/// Remembered answer ids per socket (for replaying replies to retries).
const ANSWER_ID_MEMORY: usize = 512;

/// The clock of the per-socket rate limiters, created once. `RateLimiter::direct` builds a
/// new quanta clock per socket, which probes the CPU with `cpuid`; in a virtual machine each
/// probe traps to the hypervisor (BENCHMARKS.md, "Findings and fixes").
fn rate_clock() -> QuantaClock {
    static CLOCK: OnceLock<QuantaClock> = OnceLock::new();
    CLOCK.get_or_init(QuantaClock::default).clone()
}

/// What the rate rule says about one more text frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rate {
    /// Within the rate: handle it.
    Ok,
    /// Over the rate: refuse it with a `rate_limited` notice.
    Notify,
    /// Over the rate, and a notice went out less than a second ago: drop it silently, so a
    /// flood is not answered with a flood.
    Drop,
    /// Over the rate for too long: close the socket (4029).
    Close,
}

/// How a socket has behaved: its message rate and its run of invalid messages.
pub(super) struct Conduct {
    limiter: RateLimiter<NotKeyed, InMemoryState, QuantaClock>,
    /// Refused-for-rate messages in the current 10 s window that close the socket.
    flood_close_at: u32,
    invalid_in_a_row: u32,
    limited_in_window: u32,
    window_start: Instant,
    last_limit_notice: Option<Instant>,
}

impl Conduct {
    /// `per_sec` messages per second, bursts of twice that; a socket still over the rate
    /// after `max(2 × per_sec, 50)` refusals within 10 s is closed.
    pub(super) fn new(per_sec: u32) -> Self {
        let rate = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::direct_with_clock(
                Quota::per_second(rate).allow_burst(burst),
                rate_clock(),
            ),
            flood_close_at: per_sec.saturating_mul(2).max(50),
            invalid_in_a_row: 0,
            limited_in_window: 0,
            window_start: Instant::now(),
            last_limit_notice: None,
        }
    }

    /// The rate rule for one more text frame.
    pub(super) fn rate(&mut self) -> Rate {
        if self.limiter.check().is_ok() {
            return Rate::Ok;
        }
        if self.window_start.elapsed() > Duration::from_secs(10) {
            self.window_start = Instant::now();
            self.limited_in_window = 0;
        }
        self.limited_in_window += 1;
        if self.limited_in_window >= self.flood_close_at {
            return Rate::Close;
        }
        if self
            .last_limit_notice
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return Rate::Drop;
        }
        self.last_limit_notice = Some(Instant::now());
        Rate::Notify
    }

    /// One more invalid message.
    pub(super) fn invalid(&mut self) {
        self.invalid_in_a_row += 1;
    }

    /// A valid message: the invalid run is over.
    pub(super) fn valid(&mut self) {
        self.invalid_in_a_row = 0;
    }

    /// Whether the invalid run is long enough to close the socket (1008).
    pub(super) fn exhausted(&self) -> bool {
        self.invalid_in_a_row >= MAX_INVALID_IN_A_ROW
    }
}

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
        out: &mpsc::Sender<Out>,
    ) {
        let idle = Duration::from_secs(self.state.limits.ping_secs * 3);
        let mut shutdown = self.state.shutdown.clone();
        loop {
            let next = tokio::select! {
                n = tokio::time::timeout(idle, stream.next()) => n,
                _ = shut_down(&mut shutdown) => {
                    // Hand the close to the writer (which owns the sink) before leaving, so
                    // the client always receives 1001 rather than a dropped connection.
                    let _ = out.send(Out::Close(close::GOING_AWAY, "server shutting down".into())).await;
                    return;
                }
            };
            let msg = match next {
                Err(_) => {
                    let _ = out
                        .send(Out::Close(close::GOING_AWAY, "idle timeout".into()))
                        .await;
                    return;
                }
                Ok(None) => return,
                Ok(Some(Err(e))) => {
                    if let Some((code, reason)) = close_for_read_error(&e.to_string()) {
                        metrics::counter!(telemetry::WS_REJECTED, "code" => format!("close_{code}"))
                            .increment(1);
                        let _ = out.send(Out::Close(code, reason.into())).await;
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
                    if out.send(Out::Text(notice)).await.is_err() {
                        return;
                    }
                    continue;
                }
                Rate::Drop => continue,
                Rate::Close => {
                    let _ = out
                        .send(Out::Close(close::RATE_LIMITED, "too many messages".into()))
                        .await;
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
                && out.send(Out::Text(json)).await.is_err()
            {
                return;
            }
            if self.conduct.exhausted() {
                let _ = out
                    .send(Out::Close(
                        close::POLICY_VIOLATION,
                        "too many invalid messages".into(),
                    ))
                    .await;
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
                    .answer(answer_id, &question, answer_of(option, options, text))
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
        let action = match command.action(player.as_deref()) {
            Ok(action) => action,
            Err(e @ HostCommandError::NotAPlayerId { .. }) => {
                return refuse(
                    ErrorCode::UnknownPlayer,
                    Some("player"),
                    e.to_string(),
                    None,
                );
            }
            Err(e) => {
                return refuse(
                    ErrorCode::InvalidMessage,
                    Some("player"),
                    e.to_string(),
                    None,
                );
            }
        };
        match self
            .state
            .service
            .games()
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

    async fn answer(&mut self, answer_id: String, question: &str, given: Option<Answer>) -> String {
        let count = |outcome: &'static str| {
            metrics::counter!(telemetry::ANSWERS, "outcome" => outcome).increment(1)
        };
        let Who::Player(player) = &self.who else {
            self.conduct.invalid();
            count("invalid");
            return refuse(
                ErrorCode::NotAPlayer,
                Some("type"),
                "a host's socket cannot answer",
                Some(answer_id),
            );
        };
        let player = player.clone();
        if !valid_answer_id(&answer_id) {
            self.conduct.invalid();
            count("invalid");
            return refuse(
                ErrorCode::BadAnswerId,
                Some("answer_id"),
                "answer_id must be 1-64 characters of A-Z a-z 0-9 _ -",
                None,
            );
        }
        let answer = match given {
            Some(answer) => answer,
            None => {
                self.conduct.invalid();
                count("invalid");
                return refuse(
                    ErrorCode::InvalidMessage,
                    Some("option"),
                    "an answer has exactly one of option (single, true_false, poll), \
                     options (multi) or text (type_answer)",
                    Some(answer_id),
                );
            }
        };
        if let Some(previous) = self.answered.get(&answer_id) {
            if previous.question != question {
                self.conduct.invalid();
                count("invalid");
                let msg = format!(
                    "answer_id {answer_id:?} was already used on this connection for question {:?}; \
                     use a new answer_id for each answer",
                    previous.question
                );
                return refuse(
                    ErrorCode::AnswerIdReused,
                    Some("answer_id"),
                    msg,
                    Some(answer_id),
                );
            }
            self.conduct.valid();
            count("duplicate");
            let mut replay = previous.clone();
            replay.duplicate = true;
            return to_json(&ServerMessage::AnswerResult(replay));
        }
        self.conduct.valid();
        let Ok(question_id) = QuestionId::parse(question) else {
            count("rejected");
            return refuse(
                ErrorCode::UnknownQuestion,
                Some("question"),
                "unknown question",
                Some(answer_id),
            );
        };
        match self
            .state
            .service
            .answers()
            .submit(&player, &question_id, &answer, clock::now())
            .await
        {
            Ok(outcome) => {
                count(if outcome.duplicate {
                    "duplicate"
                } else {
                    "accepted"
                });
                if outcome.fast {
                    metrics::counter!(telemetry::FAST_ANSWERS).increment(1);
                }
                let msg = AnswerResultMsg::new(answer_id.clone(), &outcome);
                if self.answered.len() >= ANSWER_ID_MEMORY {
                    self.answered.clear();
                }
                self.answered.insert(answer_id, msg.clone());
                to_json(&ServerMessage::AnswerResult(msg))
            }
            Err(SubmitError::Rejected(e)) => {
                count("rejected");
                let (code, field) = match e {
                    AnswerError::UnknownQuiz => (ErrorCode::UnknownQuiz, None),
                    AnswerError::UnknownQuestion => (ErrorCode::UnknownQuestion, Some("question")),
                    AnswerError::Shape(ref shape) => {
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
                    AnswerError::NotTheOpenQuestion { .. } => {
                        (ErrorCode::NotTheOpenQuestion, Some("question"))
                    }
                    AnswerError::Removed => (ErrorCode::NotAPlayer, None),
                };
                refuse(code, field, e.to_string(), Some(answer_id))
            }
            Err(SubmitError::NotDurable(e)) => {
                count("not_durable");
                tracing::warn!(error = %e, "answer not durable; player asked to retry");
                error(
                    ErrorCode::TryAgain,
                    "the answer could not be saved yet; send it again",
                    Some(answer_id),
                )
            }
            Err(SubmitError::Unavailable(e)) => {
                count("error");
                tracing::error!(error = %e, source = ?std::error::Error::source(&e), "answer failed");
                error(
                    ErrorCode::Unavailable,
                    "temporarily unavailable; try again",
                    Some(answer_id),
                )
            }
        }
    }
}

fn valid_answer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invalid_run_closes_after_ten_and_a_valid_message_resets_it() {
        let mut c = Conduct::new(20);
        for _ in 0..MAX_INVALID_IN_A_ROW - 1 {
            c.invalid();
        }
        assert!(!c.exhausted());
        c.valid();
        for _ in 0..MAX_INVALID_IN_A_ROW {
            c.invalid();
        }
        assert!(c.exhausted());
    }

    #[test]
    fn a_flood_is_notified_once_a_second_then_closed() {
        let mut c = Conduct::new(1);
        let verdicts: Vec<Rate> = (0..60).map(|_| c.rate()).collect();
        // The burst (2) passes, then one notice, then silence, then the close at 50.
        assert_eq!(&verdicts[..3], &[Rate::Ok, Rate::Ok, Rate::Notify]);
        assert!(
            verdicts[3..51].iter().all(|v| *v == Rate::Drop),
            "{verdicts:?}"
        );
        assert_eq!(verdicts[51], Rate::Close);
    }
}
