//! The WebSocket room protocol: `GET /ws/{quiz}?token=…`.
//!
//! The socket is authenticated here, enters its room ([`crate::rooms::Rooms::enter`]) and
//! runs its session: one task reads frames and handles them (`session`); a writer task
//! owns the sink and writes what waits in the socket's [`Outbox`] — replies, phases,
//! counts, boards, in the order they were queued, each batch with one flush — plus
//! keepalive pings and the close frame.
//! Every refusal is an `error` frame with a code (the socket stays open) or, for a bad
//! token, an oversized frame or persistent misbehaviour, a close frame with a documented
//! code (`quiz_contracts::ws::close`). A refused message never changes a score.

mod conduct;
mod frames;
mod session;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, handler};
use quiz_contracts::ws::{ErrorCode, ErrorMsg, ServerMessage, SnapshotMsg, close};
use quiz_core::service::LookupError;
use quiz_core::{Player, Quiz, QuizId, QuizMode};
use serde::Deserialize;
use tokio::sync::watch;

pub use self::frames::{FrameRefusal, parse_client_message};
use self::session::Session;
use crate::rooms::{End, Frame, Outbox};
use crate::{AppState, auth, clock, telemetry};

/// Initial read buffer of a socket: small, because tungstenite zero-fills the whole buffer
/// before every read and keeps it per socket (BENCHMARKS.md, "Findings and fixes", has the
/// memory per idle socket). Client messages are small (an answer is under 100 bytes);
/// a larger frame makes tungstenite reserve room for it (up to the frame limits below).
const READ_BUFFER_BYTES: usize = 1024;

/// Query string of the WebSocket URL.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    token: Option<String>,
    host_key: Option<String>,
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
        .on_upgrade(move |socket| session(state, quiz, q, socket))
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

/// Who a socket speaks for.
#[derive(Clone)]
pub(crate) enum Who {
    /// A player (token).
    Player(Player),
    /// The host of the quiz (host key or admin key).
    Host,
}

/// Checks a host key (the quiz's own, or the admin key) and returns the quiz.
async fn authenticate_host(
    state: &AppState,
    quiz_path: &str,
    key: &str,
) -> Result<Quiz, (u16, String)> {
    let wrong = || (close::INVALID_TOKEN, "wrong host key".to_owned());
    let quiz = QuizId::parse(quiz_path).map_err(|_| wrong())?;
    let def = match state.service.quiz(&quiz).await {
        Ok(q) => q,
        Err(LookupError::UnknownQuiz) => return Err(wrong()),
        Err(e) => {
            tracing::warn!(error = %e, "quiz lookup failed");
            return Err((close::INTERNAL_ERROR, "temporarily unavailable".to_owned()));
        }
    };
    if auth::is_host_key(state, &def, key) {
        Ok(def)
    } else {
        Err(wrong())
    }
}

/// The quiz of a player's socket, and whether the host removed them.
async fn player_quiz(state: &AppState, player: &Player) -> Result<Quiz, (u16, String)> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, "quiz lookup failed");
        (close::INTERNAL_ERROR, "temporarily unavailable".to_owned())
    };
    let def = state
        .service
        .quiz(&player.quiz)
        .await
        .map_err(|e| unavailable(&e))?;
    if def.mode() == QuizMode::Hosted
        && state
            .service
            .is_removed(&player.quiz, &player.id)
            .await
            .map_err(|e| unavailable(&e))?
    {
        return Err((close::REMOVED, "removed by the host".to_owned()));
    }
    Ok(def)
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

async fn session(state: Arc<AppState>, quiz_path: String, q: WsQuery, socket: WebSocketStream) {
    let (mut sink, stream) = socket.split();
    let who = match &q.host_key {
        Some(key) => authenticate_host(&state, &quiz_path, key)
            .await
            .map(|def| (Who::Host, def)),
        None => match authenticate(&state, &quiz_path, q.token.as_deref()).await {
            Ok(p) => player_quiz(&state, &p)
                .await
                .map(|def| (Who::Player(p), def)),
            Err(e) => Err(e),
        },
    };
    let (who, def) = match who {
        Ok(w) => w,
        Err((code, reason)) => {
            let _ = sink
                .send(Message::close_with(CloseCode::from(code), reason))
                .await;
            let _ = sink.close().await;
            return;
        }
    };
    let quiz = def.id().clone();
    let player = match &who {
        Who::Player(p) => Some(&p.id),
        Who::Host => None,
    };
    // Leaves the room when dropped, at the end of this function.
    let member = state.rooms.enter(&def, player);
    let outbox = member.outbox().clone();
    metrics::gauge!(telemetry::SOCKETS_OPEN).increment(1.0);

    let first = match &who {
        Who::Player(p) => snapshot_json(&state, p).await.map(Some),
        Who::Host => Ok(None),
    };
    match &first {
        // Ahead of any board the room queued while the snapshot was read.
        Ok(Some(json)) => outbox.first(json.clone()),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "snapshot failed");
            outbox.close(close::INTERNAL_ERROR, "temporarily unavailable");
        }
    }
    let ping_every = Duration::from_secs(state.limits.ping_secs);
    let mut writer = tokio::spawn(write_loop(
        sink,
        outbox.clone(),
        state.shutdown.clone(),
        ping_every,
    ));
    if first.is_ok() {
        if def.mode() == QuizMode::Hosted {
            // After the snapshot, so the current phase follows it.
            state.rooms.game_changed(&quiz);
        }
        // One live socket per player: older ones, here or on other instances, yield.
        if let Who::Player(p) = &who {
            let (socket, since) = member.socket();
            if let Err(e) = state.service.take_over(&quiz, &p.id, socket, since).await {
                tracing::warn!(error = %e, "take-over announcement failed; older sockets stay");
            }
        }
        let run = Session::new(state.clone(), who, quiz.clone()).run(stream, &outbox);
        // A close queued by the room (a removed player, a take-over) ends the writer once
        // it is written: stop reading too.
        tokio::select! {
            () = run => {}
            _ = &mut writer => {}
        }
    }
    // Leave first, so the room queues nothing more; the writer then writes what waits
    // (and a close, if one was queued) and stops.
    drop(member);
    if !writer.is_finished() {
        outbox.finish();
        let _ = writer.await;
    }
    metrics::gauge!(telemetry::SOCKETS_OPEN).decrement(1.0);
}

type Sink = futures_util::stream::SplitSink<WebSocketStream, Message>;

/// Writes what waits in `outbox` until a close is written, the socket fails (a write that
/// makes no progress fails after `serve::WRITE_STALL`) or the server shuts down. Each
/// wake-up takes everything waiting and flushes once.
async fn write_loop(
    mut sink: Sink,
    outbox: Arc<Outbox>,
    mut shutdown: watch::Receiver<bool>,
    ping_every: Duration,
) {
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    let mut batch = Vec::new();
    loop {
        let pinged = tokio::select! {
            biased;
            () = outbox.wait() => Ok(()),
            _ = ping.tick() => sink.send(Message::Ping(Vec::new())).await,
            () = shut_down(&mut shutdown) => {
                outbox.close(close::GOING_AWAY, "server shutting down");
                Ok(())
            }
        };
        // Also after a ping: whatever waits goes out (a wake-up is never lost).
        let end = outbox.take(&mut batch);
        let written = write_batch(&mut sink, &mut batch).await;
        if pinged.is_err() || written.is_err() {
            break;
        }
        match end {
            End::No => {}
            End::Close(code, reason) => {
                let _ = sink
                    .send(Message::close_with(CloseCode::from(code), reason))
                    .await;
                break;
            }
            End::Quietly => break,
        }
    }
    outbox.shut();
    let _ = sink.close().await;
}

/// Feeds every frame of `batch` to the socket and flushes once: one `send` system call
/// for an acknowledgement and the frames ready with it, instead of one each.
async fn write_batch(sink: &mut Sink, batch: &mut Vec<Frame>) -> std::io::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    for frame in batch.drain(..) {
        sink.feed(Message::Text(frame.into_text())).await?;
    }
    sink.flush().await
}

/// Completes once the server shuts down (the watch guard is dropped before returning, so
/// the future stays `Send`).
async fn shut_down(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|down| *down).await;
}
