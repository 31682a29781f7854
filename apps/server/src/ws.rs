//! The WebSocket room protocol: `GET /ws/{quiz}?token=…`.
//!
//! One task reads frames and handles them; a writer task owns the sink and sends, in this
//! priority, replies, the latest board, keepalive pings, and the close frame at shutdown.
//! Every refusal is an `error` frame with a code (the socket stays open) or, for a bad
//! token, an oversized frame or persistent misbehaviour, a close frame with a documented
//! code (`quiz_contracts::ws::close`). A refused message never changes a score.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
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

/// Consecutive invalid messages after which the socket is closed (1008).
const MAX_INVALID_IN_A_ROW: u32 = 10;
/// Remembered answer ids per socket (for replaying replies to retries).
const ANSWER_ID_MEMORY: usize = 512;

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
    // Tungstenite's own limit is a backstop; the configured limit is checked per frame so
    // an oversized frame gets a clean 1009 close.
    let hard = (state.limits.max_frame_bytes * 4).max(64 * 1024);
    let mut cfg = WebSocketConfig::default();
    cfg.max_message_size = Some(hard);
    cfg.max_frame_size = Some(hard);
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
            (1011, "temporarily unavailable".to_owned())
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
    metrics::counter!(telemetry::WS_REJECTED, "code" => format!("{code:?}")).increment(1);
    to_json(&ServerMessage::Error(ErrorMsg {
        code,
        message: message.into(),
        answer_id,
    }))
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
                .send(Out::Close(1011, "temporarily unavailable".into()))
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
                Some(Out::Text(t)) => sink.send(Message::Text(t)).await,
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
                    Some(json) => sink.send(Message::Text(json.to_string())).await,
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
    let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
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
                // Tungstenite refuses frames above its backstop limit with an error.
                let text = e.to_string();
                if text.contains("too long")
                    || text.contains("too big")
                    || text.contains("Space limit")
                {
                    let _ = out
                        .send(Out::Close(close::MESSAGE_TOO_BIG, "frame too large".into()))
                        .await;
                }
                return;
            }
            Ok(Some(Ok(m))) => m,
        };
        let reply = match msg {
            Message::Text(text) => {
                if text.len() > limits.max_frame_bytes {
                    metrics::counter!(telemetry::WS_REJECTED, "code" => "FrameTooLarge")
                        .increment(1);
                    let reason = format!("frame larger than {} bytes", limits.max_frame_bytes);
                    let _ = out.send(Out::Close(close::MESSAGE_TOO_BIG, reason)).await;
                    return;
                }
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
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => {
            conduct.invalid_in_a_row += 1;
            return Some(error(
                ErrorCode::BadJson,
                "a message must be a JSON object",
                None,
            ));
        }
        Err(e) => {
            conduct.invalid_in_a_row += 1;
            return Some(error(
                ErrorCode::BadJson,
                format!("not valid JSON: {e}"),
                None,
            ));
        }
    };
    let ty = value.get("type").and_then(serde_json::Value::as_str);
    if !ty.is_some_and(|t| CLIENT_TYPES.contains(&t)) {
        conduct.invalid_in_a_row += 1;
        let msg = match ty {
            Some(t) => format!("unknown message type {t:?}; expected one of {CLIENT_TYPES:?}"),
            None => "the message has no string \"type\" field".to_owned(),
        };
        return Some(error(ErrorCode::UnknownType, msg, None));
    }
    let message: ClientMessage = match serde_json::from_value(value) {
        Ok(m) => m,
        Err(e) => {
            conduct.invalid_in_a_row += 1;
            return Some(error(ErrorCode::InvalidMessage, e.to_string(), None));
        }
    };
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
        return error(
            ErrorCode::BadAnswerId,
            "answer_id must be 1-64 characters of A-Z a-z 0-9 _ -",
            None,
        );
    }
    conduct.invalid_in_a_row = 0;
    if let Some(previous) = answered.get(&answer_id) {
        count("duplicate");
        let mut replay = previous.clone();
        replay.duplicate = true;
        return to_json(&ServerMessage::AnswerResult(replay));
    }
    let Ok(question_id) = QuestionId::parse(question) else {
        count("rejected");
        return error(
            ErrorCode::UnknownQuestion,
            "unknown question",
            Some(answer_id),
        );
    };
    let Ok(opt) = OptionIndex::new(u64::from(option)) else {
        count("rejected");
        return error(
            ErrorCode::OptionOutOfRange,
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
            let code = match e {
                AnswerError::UnknownQuiz => ErrorCode::UnknownQuiz,
                AnswerError::UnknownQuestion => ErrorCode::UnknownQuestion,
                AnswerError::OptionOutOfRange { .. } => ErrorCode::OptionOutOfRange,
                AnswerError::TooLate { .. } => ErrorCode::TooLate,
                AnswerError::QuizClosed => ErrorCode::QuizClosed,
            };
            error(code, e.to_string(), Some(answer_id))
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
