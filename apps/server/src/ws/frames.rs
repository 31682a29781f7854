//! Reading what a client sends: one text frame as a client message (strict JSON, a known
//! type, the fields of that type), and the close code for a socket error the client caused.
//! Pure functions, so they can be fuzzed (`tests/fuzz.rs`).

use quiz_contracts::ws::{CLIENT_TYPES, ClientMessage, ErrorCode, client_fields, close};

/// The close code and reason for a read error of the socket, when the client caused it:
/// an oversized frame or message (1009), a text frame that is not UTF-8 (1007), broken
/// framing (1002). poem hands tungstenite's errors on as text, so this reads the text; the
/// tests pin it to tungstenite's own wording.
pub(super) fn close_for_read_error(text: &str) -> Option<(u16, &'static str)> {
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
    let rules = client_fields(ty).unwrap_or_default();
    let Some(map) = value.as_object() else {
        return Ok(());
    };
    if let Some(k) = map
        .keys()
        .find(|k| *k != "type" && !rules.iter().any(|r| r.name == k.as_str()))
    {
        let known: Vec<&str> = rules.iter().map(|r| r.name).collect();
        return Err((
            k.clone(),
            format!(
                "unknown field for a {ty:?} message; it has type{}{}",
                if known.is_empty() { "" } else { ", " },
                known.join(", ")
            ),
        ));
    }
    for rule in rules {
        match map.get(rule.name) {
            None if rule.required => {
                return Err((rule.name.into(), "this field is required".into()));
            }
            Some(v) if !(rule.check)(v) => {
                return Err((rule.name.into(), format!("must be {}", rule.what)));
            }
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
            check(r#"{"type":"answer","answer_id":"a","question":"q","options":[0,"1"]}"#)
                .map(|e| e.0),
            Some("options".into())
        );
        assert_eq!(
            check(r#"{"type":"answer","answer_id":"a","question":"q","text":7}"#).map(|e| e.0),
            Some("text".into())
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
            Some(ClientMessage::Answer {
                option: Some(2),
                ..
            })
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
