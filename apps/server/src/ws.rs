//! The WebSocket room protocol: `GET /ws/{quiz}?token=…`.
//!
//! One task reads frames and handles them; a writer task owns the sink and sends, in this
//! priority, replies, the latest board, keepalive pings, and the close frame at shutdown.
//! Every refusal is an `error` frame with a code (the socket stays open) or, for a bad
//! token, an oversized frame or persistent misbehaviour, a close frame with a documented
//! code (`quiz_contracts::ws::close`). A refused message never changes a score.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use governor::clock::QuantaClock;
use governor::{Quota, RateLimiter};
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, handler};
use quiz_contracts::ws::{
    AnswerResultMsg, CLIENT_TYPES, ClientMessage, ErrorCode, ErrorMsg, PongMsg, ServerMessage,
    SnapshotMsg, close,
};
use quiz_core::service::SubmitError;
use quiz_core::{AnswerError, OptionIndex, Player, QuestionId, QuizId};
use serde::Deserialize;
use tokio::sync::{mpsc, watch};

use crate::rooms::BoardSlot;
use crate::{AppState, clock, telemetry};

/// The clock of the per-socket rate limiters, created once. `RateLimiter::direct` builds a
/// new quanta clock per socket, which probes the CPU with `cpuid`; in a virtual machine each
/// probe traps to the hypervisor (profiled: ~1% of server CPU at 350 connects per second).
fn rate_clock() -> QuantaClock {
    static CLOCK: OnceLock<QuantaClock> = OnceLock::new();
    CLOCK.get_or_init(QuantaClock::default).clone()
}

/// Consecutive invalid messages after which the socket is closed (1008).
const MAX_INVALID_IN_A_ROW: u32 = 10;
/// Remembered answer ids per socket (for replaying replies to retries).
const ANSWER_ID_MEMORY: usize = 512;
/// Initial read buffer of a socket. Tungstenite's default is 128 KiB, and it zero-fills the
/// whole buffer before every read, so each socket kept 128 KiB resident (measured: 139 KiB
/// of server memory per idle socket; 12.4 KiB with 1 KiB) and every read cleared 128 KiB.
/// Client messages are small (an answer is under 100 bytes; a read of 1 KiB holds a dozen);
/// a larger frame makes tungstenite reserve room for it (up to the frame limits below).
const READ_BUFFER_BYTES: usize = 1024;

/// Query string of the WebSocket URL.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// The upgrade endpoint.
#[handler]
pub async fn endpoint(
    Path(quiz): Path<String>,
    Query(q): Query<WsQuery>,
    ws: WebSocket,
    Data(state): Data<&Arc<AppState>>,
) -> impl IntoResponse {
    let state = state.clone();
    // The limit holds for one frame and for a message sent in fragments: tungstenite refuses
    // a frame whose header announces more, before reading its payload, and a message whose
    // fragments add up to more (closed with 1009 by the read loop).
    let limit = state.limits.max_frame_bytes;
    let mut cfg = WebSocketConfig::default();
    cfg.max_message_size = Some(limit);
    cfg.max_frame_size = Some(limit);
    cfg.read_buffer_size = READ_BUFFER_BYTES;
    ws.config(cfg)
        .on_upgrade(move |socket| session(state, quiz, q.token, socket))
}

enum Out {
    Text(String),
    Close(u16, String),
}

async fn authenticate(
    state: &AppState,
    quiz_path: &str,
    token: Option<&str>,
) -> Result<Player, (u16, String)> {
    let token = token.ok_or((close::INVALID_TOKEN, "missing token".to_owned()))?;
    let claims = state
        .tokens
        .verify(token, clock::now())
        .map_err(|e| (close::INVALID_TOKEN, e.to_string()))?;
    let wrong_quiz = || {
        (
            close::WRONG_QUIZ,
            "the token is for another quiz".to_owned(),
        )
    };
    let quiz = QuizId::parse(quiz_path).map_err(|_| wrong_quiz())?;
    if claims.quiz != quiz {
        return Err(wrong_quiz());
    }
    let player = state
        .service
        .player(&quiz, &claims.player)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "player lookup failed");
            (close::INTERNAL_ERROR, "temporarily unavailable".to_owned())
        })?
        .ok_or((close::UNKNOWN_PLAYER, "unknown player".to_owned()))?;
    if player.joined_at != claims.joined_at {
        return Err((close::INVALID_TOKEN, "the token is stale".to_owned()));
    }
    Ok(player)
}

fn to_json(m: &ServerMessage) -> String {
    // Serializing our own message types cannot fail (no maps with non-string keys).
    serde_json::to_string(m).unwrap_or_default()
}

fn error(code: ErrorCode, message: impl Into<String>, answer_id: Option<String>) -> String {
    refuse(code, None, message, answer_id)
}

/// An `error` frame naming the message field that broke the rule.
fn refuse(
    code: ErrorCode,
    field: Option<&str>,
    message: impl Into<String>,
    answer_id: Option<String>,
) -> String {
    metrics::counter!(telemetry::WS_REJECTED, "code" => format!("{code:?}")).increment(1);
    to_json(&ServerMessage::Error(ErrorMsg {
        code,
        message: message.into(),
        answer_id,
        field: field.map(str::to_owned),
    }))
}

/// The close code and reason for a read error of the socket, when the client caused it:
/// an oversized frame or message (1009), a text frame that is not UTF-8 (1007), broken
/// framing (1002). poem hands tungstenite's errors on as text, so this reads the text; the
/// tests pin it to tungstenite's own wording.
fn close_for_read_error(text: &str) -> Option<(u16, &'static str)> {
    if text.starts_with("Space limit exceeded") {
        Some((close::MESSAGE_TOO_BIG, "message larger than the limit"))
    } else if text.starts_with("UTF-8 encoding error") {
        Some((close::INVALID_PAYLOAD, "text frame is not valid UTF-8"))
    } else if text.starts_with("WebSocket protocol error") {
        Some((close::PROTOCOL_ERROR, "malformed frame"))
    } else {
        None
    }
}

async fn snapshot_json(state: &AppState, player: &Player) -> Result<String, String> {
    let snap = state
        .service
        .snapshot(player, clock::now())
        .await
        .map_err(|e| e.to_string())?;
    let seq = state.rooms.seq(&player.quiz);
    Ok(to_json(&ServerMessage::Snapshot(Box::new(
        SnapshotMsg::new(&snap, seq),
    ))))
}

async fn session(
    state: Arc<AppState>,
    quiz_path: String,
    token: Option<String>,
    socket: WebSocketStream,
) {
    let (mut sink, stream) = socket.split();
    let player = match authenticate(&state, &quiz_path, token.as_deref()).await {
        Ok(p) => p,
        Err((code, reason)) => {
            let _ = sink
                .send(Message::close_with(CloseCode::from(code), reason))
                .await;
            let _ = sink.close().await;
            return;
        }
    };
    let (conn, board) = state.rooms.enter(&player.quiz, &player.id);
    metrics::gauge!(telemetry::SOCKETS_OPEN).increment(1.0);
    let (out_tx, out_rx) = mpsc::channel::<Out>(64);
    let ping_every = Duration::from_secs(state.limits.ping_secs);
    let writer = tokio::spawn(write_loop(
        sink,
        out_rx,
        board,
        state.shutdown.clone(),
        ping_every,
    ));

    match snapshot_json(&state, &player).await {
        Ok(json) => {
            let _ = out_tx.send(Out::Text(json)).await;
            read_loop(&state, &player, stream, &out_tx).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "snapshot failed");
            let _ = out_tx
                .send(Out::Close(
                    close::INTERNAL_ERROR,
                    "temporarily unavailable".into(),
                ))
                .await;
        }
    }
    drop(out_tx);
    let _ = writer.await;
    state.rooms.leave(&player.quiz, conn);
    metrics::gauge!(telemetry::SOCKETS_OPEN).decrement(1.0);
}

async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WebSocketStream, Message>,
    mut out: mpsc::Receiver<Out>,
    mut board: BoardSlot,
    mut shutdown: watch::Receiver<bool>,
    ping_every: Duration,
) {
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    loop {
        let result = tokio::select! {
            biased;
            m = out.recv() => match m {
                Some(Out::Text(t)) => match write_batch(&mut sink, &mut out, t).await {
                    Ok(true) => Ok(()),
                    Ok(false) | Err(_) => break,
                },
                Some(Out::Close(code, reason)) => {
                    let _ = sink.send(Message::close_with(CloseCode::from(code), reason)).await;
                    break;
                }
                None => break,
            },
            changed = board.changed() => {
                if changed.is_err() {
                    break;
                }
                let latest = board.borrow_and_update().clone();
                match latest {
                    Some(b) => sink.send(Message::Text(b.to_json())).await,
                    None => Ok(()),
                }
            }
            _ = ping.tick() => sink.send(Message::Ping(Vec::new())).await,
            _ = shut_down(&mut shutdown) => {
                let _ = sink
                    .send(Message::close_with(CloseCode::from(close::GOING_AWAY), "server shutting down"))
                    .await;
                break;
            }
        };
        if result.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Most replies written per flush.
const WRITE_BATCH: usize = 64;

/// Writes `first` and whatever replies are already queued behind it (up to
/// [`WRITE_BATCH`]), then flushes once: under load the read loop answers several
/// pipelined messages before the writer runs, and one flush (one `send` system call)
/// for all of them is much cheaper than one each. Returns `Ok(false)` after sending a
/// queued close frame (the writer must stop).
async fn write_batch(
    sink: &mut futures_util::stream::SplitSink<WebSocketStream, Message>,
    out: &mut mpsc::Receiver<Out>,
    first: String,
) -> std::io::Result<bool> {
    sink.feed(Message::Text(first)).await?;
    for _ in 1..WRITE_BATCH {
        match out.try_recv() {
            Ok(Out::Text(t)) => sink.feed(Message::Text(t)).await?,
            Ok(Out::Close(code, reason)) => {
                sink.flush().await?;
                let _ = sink
                    .send(Message::close_with(CloseCode::from(code), reason))
                    .await;
                return Ok(false);
            }
            Err(_) => break,
        }
    }
    sink.flush().await?;
    Ok(true)
}

struct Conduct {
    invalid_in_a_row: u32,
    limited_in_window: u32,
    window_start: Instant,
    last_limit_notice: Option<Instant>,
}

async fn read_loop(
    state: &AppState,
    player: &Player,
    mut stream: futures_util::stream::SplitStream<WebSocketStream>,
    out: &mpsc::Sender<Out>,
) {
    let limits = &state.limits;
    let idle = Duration::from_secs(limits.ping_secs * 3);
    let rate = NonZeroU32::new(limits.max_msgs_per_sec).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
    let limiter =
        RateLimiter::direct_with_clock(Quota::per_second(rate).allow_burst(burst), rate_clock());
    let flood_close_at = (limits.max_msgs_per_sec * 2).max(50);
    let mut answered: HashMap<String, AnswerResultMsg> = HashMap::new();
    let mut conduct = Conduct {
        invalid_in_a_row: 0,
        limited_in_window: 0,
        window_start: Instant::now(),
        last_limit_notice: None,
    };
    let mut shutdown = state.shutdown.clone();
    loop {
        let next = tokio::select! {
            n = tokio::time::timeout(idle, stream.next()) => n,
            _ = shut_down(&mut shutdown) => {
                // Hand the close to the writer (which owns the sink) before leaving, so the
                // client always receives 1001 rather than a dropped connection.
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
        let reply = match msg {
            Message::Text(text) => {
                if limiter.check().is_err() {
                    if conduct.window_start.elapsed() > Duration::from_secs(10) {
                        conduct.window_start = Instant::now();
                        conduct.limited_in_window = 0;
                    }
                    conduct.limited_in_window += 1;
                    if conduct.limited_in_window >= flood_close_at {
                        let _ = out
                            .send(Out::Close(close::RATE_LIMITED, "too many messages".into()))
                            .await;
                        return;
                    }
                    // At most one notice per second, so a flood is not answered with a flood.
                    if conduct
                        .last_limit_notice
                        .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
                    {
                        continue;
                    }
                    conduct.last_limit_notice = Some(Instant::now());
                    Some(error(
                        ErrorCode::RateLimited,
                        format!("at most {} messages per second", limits.max_msgs_per_sec),
                        None,
                    ))
                } else {
                    handle_text(state, player, &text, &mut answered, &mut conduct).await
                }
            }
            Message::Binary(_) => {
                conduct.invalid_in_a_row += 1;
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
        if conduct.invalid_in_a_row >= MAX_INVALID_IN_A_ROW {
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
async fn handle_text(
    state: &AppState,
    player: &Player,
    text: &str,
    answered: &mut HashMap<String, AnswerResultMsg>,
    conduct: &mut Conduct,
) -> Option<String> {
    match parse_client_message(text, state.limits.max_json_depth) {
        Ok(message) => handle_message(state, player, message, answered, conduct).await,
        Err(refusal) => {
            conduct.invalid_in_a_row += 1;
            Some(refuse(
                refusal.code,
                refusal.field.as_deref(),
                refusal.message,
                None,
            ))
        }
    }
}

/// Why a text frame is not a client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRefusal {
    /// `bad_json`, `unknown_type` or `invalid_message`.
    pub code: ErrorCode,
    /// The message field at fault, when one is.
    pub field: Option<String>,
    /// What is wrong, for people.
    pub message: String,
}

/// Reads one text frame as a client message: strict JSON (no repeated keys, nesting at most
/// `max_depth`), an object, a known `type`, the fields of that type. Pure, so it can be
/// fuzzed (`tests/fuzz.rs`).
///
/// # Errors
/// [`FrameRefusal`] naming the code, the field and the rule.
pub fn parse_client_message(text: &str, max_depth: usize) -> Result<ClientMessage, FrameRefusal> {
    // Fast path: a well-formed message (a JSON object; internally tagged enums would also
    // accept an array) parses straight into its type, without building a `Value` first.
    // Anything else takes the slow path, which names the problem; a message the fast path
    // accepts is one the slow path accepts with the same result.
    if let Some(message) = parse_fast(text) {
        return Ok(message);
    }
    let refusal = |code, field: Option<&str>, message: String| FrameRefusal {
        code,
        field: field.map(str::to_owned),
        message,
    };
    let value = match crate::json::parse(text.as_bytes(), max_depth) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => {
            return Err(refusal(
                ErrorCode::BadJson,
                None,
                "a message must be a JSON object".into(),
            ));
        }
        Err(e) => return Err(refusal(ErrorCode::BadJson, None, e.to_string())),
    };
    let ty = value.get("type").and_then(serde_json::Value::as_str);
    if !ty.is_some_and(|t| CLIENT_TYPES.contains(&t)) {
        let msg = match ty {
            Some(t) => format!("unknown message type {t:?}; expected one of {CLIENT_TYPES:?}"),
            None => "the message has no string \"type\" field".to_owned(),
        };
        return Err(refusal(ErrorCode::UnknownType, Some("type"), msg));
    }
    if let Err((field, msg)) = check_fields(&value) {
        return Err(refusal(ErrorCode::InvalidMessage, Some(&field), msg));
    }
    serde_json::from_value(value)
        .map_err(|e| refusal(ErrorCode::InvalidMessage, None, e.to_string()))
}

/// Checks the fields of a message whose `type` is known, naming the first field that is
/// missing, unknown or of the wrong type (the shapes of `contracts/schemas`).
fn check_fields(value: &serde_json::Value) -> Result<(), (String, String)> {
    use serde_json::Value;
    let ty = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // (field, required, what it must be, check)
    type Rule = (&'static str, bool, &'static str, fn(&Value) -> bool);
    let is_id = |v: &Value| v.is_string();
    let is_option = |v: &Value| v.as_u64().is_some_and(|n| u32::try_from(n).is_ok());
    let rules: &[Rule] = match ty {
        "answer" => &[
            ("answer_id", true, "a string", is_id),
            ("question", true, "a string", is_id),
            ("option", true, "a whole number from 0", is_option),
        ],
        "ping" => &[("nonce", false, "a string", is_id)],
        _ => &[],
    };
    let Some(map) = value.as_object() else {
        return Ok(());
    };
    if let Some(k) = map
        .keys()
        .find(|k| *k != "type" && !rules.iter().any(|r| r.0 == k.as_str()))
    {
        let known: Vec<&str> = rules.iter().map(|r| r.0).collect();
        return Err((
            k.clone(),
            format!(
                "unknown field for a {ty:?} message; it has type{}{}",
                if known.is_empty() { "" } else { ", " },
                known.join(", ")
            ),
        ));
    }
    for (field, required, what, ok) in rules {
        match map.get(*field) {
            None if *required => return Err(((*field).into(), "this field is required".into())),
            Some(v) if !ok(v) => return Err(((*field).into(), format!("must be {what}"))),
            _ => {}
        }
    }
    Ok(())
}

/// The fast path of [`handle_text`]: `Some` only for a JSON object that is a valid
/// [`ClientMessage`].
fn parse_fast(text: &str) -> Option<ClientMessage> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// Handles one well-formed client message; returns the reply to send, if any.
async fn handle_message(
    state: &AppState,
    player: &Player,
    message: ClientMessage,
    answered: &mut HashMap<String, AnswerResultMsg>,
    conduct: &mut Conduct,
) -> Option<String> {
    match message {
        ClientMessage::Ping { nonce } => {
            conduct.invalid_in_a_row = 0;
            Some(to_json(&ServerMessage::Pong(PongMsg {
                nonce,
                server_time: clock::now().0,
            })))
        }
        ClientMessage::Snapshot {} => {
            conduct.invalid_in_a_row = 0;
            match snapshot_json(state, player).await {
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
        ClientMessage::Answer {
            answer_id,
            question,
            option,
        } => {
            let started = Instant::now();
            let reply = answer(
                state, player, answer_id, &question, option, answered, conduct,
            )
            .await;
            metrics::histogram!(telemetry::ANSWER_LATENCY).record(started.elapsed().as_secs_f64());
            Some(reply)
        }
    }
}

/// Completes once the server shuts down (the watch guard is dropped before returning, so
/// the future stays `Send`).
async fn shut_down(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|down| *down).await;
}

fn valid_answer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn answer(
    state: &AppState,
    player: &Player,
    answer_id: String,
    question: &str,
    option: u32,
    answered: &mut HashMap<String, AnswerResultMsg>,
    conduct: &mut Conduct,
) -> String {
    let count = |outcome: &'static str| {
        metrics::counter!(telemetry::ANSWERS, "outcome" => outcome).increment(1)
    };
    if !valid_answer_id(&answer_id) {
        conduct.invalid_in_a_row += 1;
        count("invalid");
        return refuse(
            ErrorCode::BadAnswerId,
            Some("answer_id"),
            "answer_id must be 1-64 characters of A-Z a-z 0-9 _ -",
            None,
        );
    }
    if let Some(previous) = answered.get(&answer_id) {
        if previous.question != question {
            conduct.invalid_in_a_row += 1;
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
        conduct.invalid_in_a_row = 0;
        count("duplicate");
        let mut replay = previous.clone();
        replay.duplicate = true;
        return to_json(&ServerMessage::AnswerResult(replay));
    }
    conduct.invalid_in_a_row = 0;
    let Ok(question_id) = QuestionId::parse(question) else {
        count("rejected");
        return refuse(
            ErrorCode::UnknownQuestion,
            Some("question"),
            "unknown question",
            Some(answer_id),
        );
    };
    let Ok(opt) = OptionIndex::new(u64::from(option)) else {
        count("rejected");
        return refuse(
            ErrorCode::OptionOutOfRange,
            Some("option"),
            format!("option {option} is out of range"),
            Some(answer_id),
        );
    };
    match state
        .service
        .submit_answer(player, &question_id, opt, clock::now())
        .await
    {
        Ok(outcome) => {
            count(if outcome.duplicate {
                "duplicate"
            } else {
                "accepted"
            });
            let msg = AnswerResultMsg::new(answer_id.clone(), &outcome);
            if answered.len() >= ANSWER_ID_MEMORY {
                answered.clear();
            }
            answered.insert(answer_id, msg.clone());
            to_json(&ServerMessage::AnswerResult(msg))
        }
        Err(SubmitError::Rejected(e)) => {
            count("rejected");
            let (code, field) = match e {
                AnswerError::UnknownQuiz => (ErrorCode::UnknownQuiz, None),
                AnswerError::UnknownQuestion => (ErrorCode::UnknownQuestion, Some("question")),
                AnswerError::OptionOutOfRange { .. } => {
                    (ErrorCode::OptionOutOfRange, Some("option"))
                }
                AnswerError::TooLate { .. } => (ErrorCode::TooLate, None),
                AnswerError::QuizClosed => (ErrorCode::QuizClosed, None),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_map_to_their_close_codes_in_tungstenite_s_own_words() {
        use tokio_tungstenite::tungstenite::error::{CapacityError, Error, ProtocolError};
        let too_long = Error::Capacity(CapacityError::MessageTooLong {
            size: 5000,
            max_size: 4096,
        });
        let utf8 = Error::Utf8("invalid utf-8 sequence".into());
        let framing = Error::Protocol(ProtocolError::UnmaskedFrameFromClient);
        assert_eq!(
            close_for_read_error(&too_long.to_string()).map(|c| c.0),
            Some(close::MESSAGE_TOO_BIG)
        );
        assert_eq!(
            close_for_read_error(&utf8.to_string()).map(|c| c.0),
            Some(close::INVALID_PAYLOAD)
        );
        assert_eq!(
            close_for_read_error(&framing.to_string()).map(|c| c.0),
            Some(close::PROTOCOL_ERROR)
        );
        assert_eq!(close_for_read_error("Connection reset by peer"), None);
    }

    #[test]
    fn field_checks_name_the_field() {
        let check = |t: &str| check_fields(&serde_json::from_str(t).unwrap()).err();
        assert_eq!(
            check(r#"{"type":"answer","answer_id":"a","question":"q","option":1}"#),
            None
        );
        assert_eq!(
            check(r#"{"type":"answer","answer_id":"a","question":"q"}"#).map(|e| e.0),
            Some("option".into())
        );
        assert_eq!(
            check(r#"{"type":"answer","answer_id":"a","question":"q","option":-1}"#).map(|e| e.0),
            Some("option".into())
        );
        assert_eq!(
            check(r#"{"type":"answer","answer_id":1,"question":"q","option":1}"#).map(|e| e.0),
            Some("answer_id".into())
        );
        assert_eq!(
            check(r#"{"type":"snapshot","x":1}"#).map(|e| e.0),
            Some("x".into())
        );
        assert_eq!(
            check(r#"{"type":"ping","nonce":[]}"#).map(|e| e.0),
            Some("nonce".into())
        );
    }

    #[test]
    fn the_fast_path_takes_only_well_formed_objects() {
        let ok = r#"{"type":"answer","answer_id":"a1","question":"q1","option":2}"#;
        assert!(matches!(
            parse_fast(ok),
            Some(ClientMessage::Answer { option: 2, .. })
        ));
        assert_eq!(
            parse_fast(r#" {"type":"ping"}"#),
            Some(ClientMessage::Ping { nonce: None })
        );
        // Serde would read an internally tagged enum from an array; the contract says
        // `bad_json` for anything but an object, so arrays take the slow path.
        assert_eq!(parse_fast(r#"["snapshot"]"#), None);
        assert_eq!(parse_fast(r#"{"type":"answer"}"#), None);
        assert_eq!(parse_fast(r#"{"type":"ping","extra":1}"#), None);
        assert_eq!(parse_fast(r#"{"type":"ping","type":"ping"}"#), None);
        assert_eq!(parse_fast("{"), None);
    }
}
