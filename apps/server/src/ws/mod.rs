//! The WebSocket room protocol: `GET /ws/{quiz}?token=…`.
//!
//! One task reads frames and handles them; a writer task owns the sink and sends, in this
//! priority, replies, the latest board, keepalive pings, and the close frame at shutdown.
//! Every refusal is an `error` frame with a code (the socket stays open) or, for a bad
//! token, an oversized frame or persistent misbehaviour, a close frame with a documented
//! code (`quiz_contracts::ws::close`). A refused message never changes a score.

mod frames;
mod session;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, handler};
use quiz_contracts::ws::{ErrorCode, ErrorMsg, ServerMessage, SnapshotMsg, close};
use quiz_core::service::{AdmitError, LookupError, SeatError};
use quiz_core::{Player, Quiz, QuizId, QuizMode};
use serde::Deserialize;
use tokio::sync::{mpsc, watch};

pub use self::frames::{FrameRefusal, parse_client_message};
use self::session::Session;
use crate::rooms::BoardWatch;
use crate::{AppState, clock, telemetry};

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

/// What a socket's writer sends: a text frame, or a close frame (after which it stops).
pub(crate) enum Out {
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
    let admitted = state
        .service
        .players()
        .admit(&quiz, &claims.player, claims.joined_at);
    match admitted.await {
        Ok(player) => Ok(player),
        Err(AdmitError::UnknownPlayer) => Err((close::UNKNOWN_PLAYER, "unknown player".to_owned())),
        Err(AdmitError::Stale) => Err((close::INVALID_TOKEN, "the token is stale".to_owned())),
        Err(AdmitError::Unavailable(e)) => {
            tracing::warn!(error = %e, "player lookup failed");
            Err((close::INTERNAL_ERROR, "temporarily unavailable".to_owned()))
        }
    }
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
    let def = match state.service.library().quiz(&quiz).await {
        Ok(q) => q,
        Err(LookupError::UnknownQuiz) => return Err(wrong()),
        Err(e) => {
            tracing::warn!(error = %e, "quiz lookup failed");
            return Err((close::INTERNAL_ERROR, "temporarily unavailable".to_owned()));
        }
    };
    if crate::api::is_admin_key(&state.admin_key, key)
        || state.tokens.is_host_key(&quiz, def.created_at(), key)
    {
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
    match state.service.players().seat(player).await {
        Ok(def) => Ok(def),
        Err(SeatError::Removed) => Err((close::REMOVED, "removed by the host".to_owned())),
        Err(e) => Err(unavailable(&e)),
    }
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
        .players()
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
    let hosted = def.mode() == QuizMode::Hosted;
    let (out_tx, out_rx) = mpsc::channel::<Out>(64);
    let mut takes_over = None;
    let (conn, board) = match (&who, hosted) {
        (Who::Player(p), hosted) => {
            let (conn, board, id, since) =
                state
                    .rooms
                    .enter_player(&def, &p.id, out_tx.clone(), hosted);
            takes_over = Some((p.id.clone(), id, since));
            (conn, board)
        }
        (Who::Host, true) => state.rooms.enter_host(&def, out_tx.clone()),
        (Who::Host, false) => state.rooms.enter_watcher(&quiz),
    };
    metrics::gauge!(telemetry::SOCKETS_OPEN).increment(1.0);
    let ping_every = Duration::from_secs(state.limits.ping_secs);
    let mut writer = tokio::spawn(write_loop(
        sink,
        out_rx,
        board,
        state.shutdown.clone(),
        ping_every,
    ));

    let first = match &who {
        Who::Player(p) => snapshot_json(&state, p).await.map(Some),
        Who::Host => Ok(None),
    };
    let mut writer_done = false;
    match first {
        Ok(first) => {
            if let Some(json) = first {
                let _ = out_tx.send(Out::Text(json)).await;
            }
            if hosted {
                // After the snapshot, so the current phase follows it.
                state.rooms.game_changed(&quiz);
            }
            // One live socket per player: older ones, here or on other instances, yield.
            if let Some((player, id, since)) = &takes_over
                && let Err(e) = state.bus.take_over(&quiz, player, id, *since).await
            {
                tracing::warn!(error = %e, "take-over announcement failed; older sockets stay");
            }
            let run = Session::new(state.clone(), who, quiz.clone()).run(stream, &out_tx);
            // A close the room queued (a removed player) ends the writer: stop reading too.
            tokio::select! {
                () = run => {}
                _ = &mut writer => writer_done = true,
            }
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
    // Leave first: the room holds a sender of this socket's queue and its board slot,
    // and the writer stops once every sender is gone.
    state.rooms.leave(&quiz, conn);
    drop(out_tx);
    if !writer_done {
        let _ = writer.await;
    }
    metrics::gauge!(telemetry::SOCKETS_OPEN).decrement(1.0);
}

async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WebSocketStream, Message>,
    mut out: mpsc::Receiver<Out>,
    mut board: BoardWatch,
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

/// Completes once the server shuts down (the watch guard is dropped before returning, so
/// the future stays `Send`).
async fn shut_down(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|down| *down).await;
}
