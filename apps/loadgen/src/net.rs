//! Talking to the server: creating quizzes, joining players, opening WebSockets from a
//! chosen source address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cli::QuestionMix;
use crate::http::HttpClient;

/// A client WebSocket.
pub type Ws = WebSocketStream<TcpStream>;

/// Time limit of every question: the server's maximum, so answers stay in time for
/// a whole run (a player's question `i` closes `(i + 1) × 10 min` after joining).
pub const TIME_LIMIT_MS: u32 = 600_000;
/// Points of a correct answer (fixed scoring).
pub const POINTS: u32 = 100;
/// Options per question.
pub const OPTIONS: u32 = 4;

// 200 questions × the points stay below the server's 2,097,151 cap on a quiz's total.
const _: () = assert!(200 * POINTS < 2_097_151);

/// The correct option of question `i` in every quiz this tool creates.
pub fn correct_option(i: u32) -> u32 {
    (i.wrapping_mul(7) + 1) % OPTIONS
}

/// The type of question `i` under `mix`.
pub fn question_type(i: u32, mix: QuestionMix) -> &'static str {
    match mix {
        QuestionMix::Single => "single",
        QuestionMix::All => {
            ["single", "multi", "true_false", "poll", "type_answer"][(i % 5) as usize]
        }
    }
}

/// The body of `POST /api/quizzes` for a quiz of `questions` questions with fixed
/// scoring, the longest time limits and short texts (so joins and snapshots stay small);
/// with `QuestionMix::All` the questions cycle through every type.
pub fn quiz_body(id: &str, questions: u32, mix: QuestionMix) -> String {
    let qs: Vec<serde_json::Value> = (0..questions)
        .map(|i| {
            let mut q = serde_json::json!({
                "id": format!("q{i}"),
                "prompt": format!("Question {i}?"),
                "time_limit_ms": TIME_LIMIT_MS,
            });
            let c = correct_option(i);
            let fields = match question_type(i, mix) {
                "multi" => serde_json::json!({"type": "multi", "options": ["a", "b", "c", "d"],
                    "correct": [c, (c + 2) % OPTIONS], "points": POINTS}),
                "true_false" => {
                    serde_json::json!({"type": "true_false", "correct": c.is_multiple_of(2),
                    "points": POINTS})
                }
                "poll" => serde_json::json!({"type": "poll", "options": ["a", "b", "c", "d"]}),
                "type_answer" => serde_json::json!({"type": "type_answer",
                    "accepted": [format!("Answer {i}")], "points": POINTS}),
                _ => serde_json::json!({"options": ["a", "b", "c", "d"], "correct": c,
                    "points": POINTS}),
            };
            if let (Some(q), Some(f)) = (q.as_object_mut(), fields.as_object()) {
                q.extend(f.clone());
            }
            q
        })
        .collect();
    // A single-type quiz is the definition servers before question types accept too, so
    // one load generator can compare builds.
    let scoring = match mix {
        QuestionMix::Single => serde_json::json!({"kind": "fixed"}),
        QuestionMix::All => serde_json::json!({"kind": "fixed", "multi": "partial"}),
    };
    serde_json::json!({
        "id": id,
        "title": format!("load test {id}"),
        "scoring": scoring,
        "questions": qs,
    })
    .to_string()
}

/// The answer field(s) of an answer frame to question `i` under `mix`, right or wrong:
/// `"option":2`, `"options":[0,2]` or `"text":"…"` (without braces).
pub fn answer_fields(i: u32, mix: QuestionMix, right: bool) -> String {
    let c = correct_option(i);
    match (question_type(i, mix), right) {
        ("multi", true) => format!(r#""options":[{c},{}]"#, (c + 2) % OPTIONS),
        ("multi", false) => format!(r#""options":[{c},{}]"#, (c + 1) % OPTIONS),
        ("true_false", true) => format!(r#""option":{}"#, u32::from(!c.is_multiple_of(2))),
        ("true_false", false) => format!(r#""option":{}"#, u32::from(c.is_multiple_of(2))),
        ("type_answer", true) => format!(r#""text":"  answer {i} ""#),
        ("type_answer", false) => r#""text":"no idea""#.to_owned(),
        (_, true) => format!(r#""option":{c}"#),
        (_, false) => format!(r#""option":{}"#, (c + 1) % OPTIONS),
    }
}

/// An API error body.
#[derive(Debug, Deserialize)]
struct ApiError {
    code: String,
}

/// Why a request was refused: `<status>:<code>` when the server said so.
fn refusal(status: u16, body: &[u8]) -> String {
    match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => format!("{status}:{}", e.code),
        Err(_) => status.to_string(),
    }
}

/// Creates quiz `id`.
///
/// # Errors
/// A message with the server's refusal or the transport error.
pub async fn create_quiz(
    http: &HttpClient,
    admin_key: &str,
    id: &str,
    questions: u32,
    mix: QuestionMix,
) -> Result<(), String> {
    let body = quiz_body(id, questions, mix);
    let r = http
        .post_json("/api/quizzes", body.as_bytes(), Some(admin_key))
        .await
        .map_err(|e| format!("creating quiz {id}: {e}"))?;
    if r.status == 201 {
        Ok(())
    } else {
        Err(format!(
            "creating quiz {id}: refused ({}): {}",
            refusal(r.status, &r.body),
            String::from_utf8_lossy(&r.body)
        ))
    }
}

/// The body of `POST /api/quizzes` for a hosted game: [`quiz_body`]'s single-type quiz
/// with `"mode": "hosted"`, `end_early` on (a question closes once every player in the
/// game answered), no auto-advance (the host moves on) and `time_limit_ms` per question
/// (the bound on a question when some player never answers).
pub fn hosted_quiz_body(id: &str, questions: u32, time_limit_ms: u32) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&quiz_body(id, questions, QuestionMix::Single)).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("mode".into(), "hosted".into());
        o.insert("hosted".into(), serde_json::json!({"end_early": true}));
        if let Some(qs) = o.get_mut("questions").and_then(|q| q.as_array_mut()) {
            for q in qs {
                q["time_limit_ms"] = time_limit_ms.into();
            }
        }
    }
    v.to_string()
}

/// The part of the creation response a host needs.
#[derive(Debug, Deserialize)]
struct Created {
    host_key: Option<String>,
}

/// Creates the hosted quiz `id` and returns its host key.
///
/// # Errors
/// A message with the server's refusal, the transport error, or a response without a
/// host key.
pub async fn create_hosted_quiz(
    http: &HttpClient,
    admin_key: &str,
    id: &str,
    questions: u32,
    time_limit_ms: u32,
) -> Result<String, String> {
    let body = hosted_quiz_body(id, questions, time_limit_ms);
    let r = http
        .post_json("/api/quizzes", body.as_bytes(), Some(admin_key))
        .await
        .map_err(|e| format!("creating hosted quiz {id}: {e}"))?;
    if r.status != 201 {
        return Err(format!(
            "creating hosted quiz {id}: refused ({}): {}",
            refusal(r.status, &r.body),
            String::from_utf8_lossy(&r.body)
        ));
    }
    serde_json::from_slice::<Created>(&r.body)
        .ok()
        .and_then(|c| c.host_key)
        .ok_or_else(|| format!("creating hosted quiz {id}: the response carries no host_key"))
}

/// A joined player.
#[derive(Debug, Clone, Deserialize)]
pub struct Joined {
    /// Server-issued id.
    pub player_id: String,
    /// Where to open the WebSocket (token included).
    pub ws_path: String,
}

/// Why joining or connecting failed; [`Failure::kind`] names it for the error counts.
#[derive(Debug)]
pub enum Failure {
    /// The join request failed or was refused.
    Join(String),
    /// TCP connect failed.
    Tcp(std::io::ErrorKind),
    /// The WebSocket handshake failed.
    Handshake(String),
}

impl Failure {
    /// `join:<status>:<code>`, `connect:tcp:<kind>` or `connect:ws:<reason>`.
    pub fn kind(&self) -> String {
        match self {
            Self::Join(k) => format!("join:{k}"),
            Self::Tcp(k) => format!("connect:tcp:{k:?}"),
            Self::Handshake(k) => format!("connect:ws:{k}"),
        }
    }
}

/// Joins quiz `quiz` as `name`.
///
/// # Errors
/// [`Failure::Join`].
pub async fn join(http: &HttpClient, quiz: &str, name: &str) -> Result<Joined, Failure> {
    let body = serde_json::json!({ "name": name }).to_string();
    let r = http
        .post_json(&format!("/api/quizzes/{quiz}/join"), body.as_bytes(), None)
        .await
        .map_err(|e| Failure::Join(e.kind()))?;
    if r.status != 200 {
        return Err(Failure::Join(refusal(r.status, &r.body)));
    }
    serde_json::from_slice(&r.body).map_err(|_| Failure::Join("bad_body".into()))
}

/// Opens the WebSocket at `ws_path` from source address `src`.
///
/// # Errors
/// [`Failure::Tcp`] or [`Failure::Handshake`].
pub async fn connect(
    addr: SocketAddr,
    authority: &str,
    src: Option<IpAddr>,
    ws_path: &str,
    config: WebSocketConfig,
) -> Result<Ws, Failure> {
    let socket = TcpSocket::new_v4().map_err(|e| Failure::Tcp(e.kind()))?;
    // Ports of closed connections linger in TIME_WAIT; let bind() pick them again.
    socket
        .set_reuseaddr(true)
        .map_err(|e| Failure::Tcp(e.kind()))?;
    if let Some(ip) = src {
        socket
            .bind(SocketAddr::new(ip, 0))
            .map_err(|e| Failure::Tcp(e.kind()))?;
    }
    let stream = tokio::time::timeout(Duration::from_secs(30), socket.connect(addr))
        .await
        .map_err(|_| Failure::Tcp(std::io::ErrorKind::TimedOut))?
        .map_err(|e| Failure::Tcp(e.kind()))?;
    stream
        .set_nodelay(true)
        .map_err(|e| Failure::Tcp(e.kind()))?;
    let url = format!("ws://{authority}{ws_path}");
    let handshake = tokio_tungstenite::client_async_with_config(url, stream, Some(config));
    let (ws, _) = tokio::time::timeout(Duration::from_secs(30), handshake)
        .await
        .map_err(|_| Failure::Handshake("timeout".into()))?
        .map_err(|e| {
            use tokio_tungstenite::tungstenite::Error;
            Failure::Handshake(match e {
                Error::Http(r) => r.status().as_u16().to_string(),
                Error::Io(io) => format!("{:?}", io.kind()),
                other => {
                    let s = other.to_string();
                    s.split(':').next().unwrap_or("other").to_owned()
                }
            })
        })?;
    Ok(ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiz_bodies_follow_the_api_limits() {
        let v: serde_json::Value =
            serde_json::from_str(&quiz_body("lg-1", 200, QuestionMix::Single)).unwrap();
        let qs = v["questions"].as_array().unwrap();
        assert_eq!(qs.len(), 200);
        assert_eq!(v["scoring"]["kind"], "fixed");
        for q in qs {
            assert!(q["correct"].as_u64().unwrap() < u64::from(OPTIONS));
            assert_eq!(q["time_limit_ms"], 600_000);
        }
    }

    #[test]
    fn a_mixed_quiz_is_a_valid_definition_with_every_type() {
        let body = quiz_body("lg-2", 200, QuestionMix::All);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let types: std::collections::BTreeSet<&str> = v["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["type"].as_str().unwrap_or("single"))
            .collect();
        assert_eq!(types.len(), 5, "{types:?}");
        for i in 0..10 {
            for right in [true, false] {
                let frame = format!(
                    r#"{{"type":"answer","answer_id":"a","question":"q{i}",{}}}"#,
                    answer_fields(i, QuestionMix::All, right)
                );
                assert!(
                    serde_json::from_str::<serde_json::Value>(&frame).is_ok(),
                    "{frame}"
                );
            }
        }
    }

    #[test]
    fn a_hosted_quiz_body_is_hosted_with_end_early_and_the_limit() {
        let v: serde_json::Value =
            serde_json::from_str(&hosted_quiz_body("h-1", 3, 33_000)).unwrap();
        assert_eq!(v["mode"], "hosted");
        assert_eq!(v["hosted"]["end_early"], true);
        let qs = v["questions"].as_array().unwrap();
        assert_eq!(qs.len(), 3);
        assert!(qs.iter().all(|q| q["time_limit_ms"] == 33_000));
        assert!(
            qs.iter()
                .all(|q| q["options"].as_array().unwrap().len() == 4)
        );
    }

    #[test]
    fn refusals_name_the_code() {
        assert_eq!(
            refusal(409, br#"{"code":"name_taken","message":"x"}"#),
            "409:name_taken"
        );
        assert_eq!(refusal(502, b"<html>"), "502");
    }
}
