//! # quiz-contracts
//!
//! The wire formats other teams code against: the WebSocket room protocol ([`ws`]) and the
//! Kafka score event ([`event`]), as serde types, plus the committed schema files in
//! `contracts/schemas/` (JSON Schema, generated from these types) and
//! `contracts/openapi.json` (generated from the HTTP service). Tests fail when a type and
//! its committed schema drift; `cargo xtask contracts` regenerates them.
//!
//! **What it is not**: domain logic. Wire types hold plain strings and numbers so that a
//! malformed field is reported by the server with a precise error code instead of being
//! rejected wholesale by the parser; conversion into validated `quiz-core` types happens at
//! the edge (the server). Outbound types are built from `quiz-core` values with `From`.
//!
//! Tests: `cargo test -p quiz-contracts` (no services needed).

pub mod event;
pub mod ws;

use std::path::PathBuf;

/// The folder holding the committed schema files.
pub fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Every committed JSON Schema: (file name, schema generated from the Rust types).
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn schema_of<T: schemars::JsonSchema>() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(T)).unwrap_or(serde_json::Value::Null)
    }
    vec![
        (
            "ws-client-message.schema.json",
            schema_of::<ws::ClientMessage>(),
        ),
        (
            "ws-server-message.schema.json",
            schema_of::<ws::ServerMessage>(),
        ),
        (
            "score-event.schema.json",
            schema_of::<event::ScoreEventV1>(),
        ),
    ]
}

/// Pretty JSON with a trailing newline, the form files are committed in.
pub fn to_committed_form(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
