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

/// The workspace root, for tests and tools run inside this repository: the nearest
/// ancestor of the working directory whose `Cargo.toml` declares `[workspace]`.
pub fn workspace_root() -> PathBuf {
    // Found at run time from the working directory (cargo runs tests and `cargo xtask` inside
    // the workspace). A path baked in at compile time could name another checkout when a
    // build directory is shared between clones.
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            cwd.ancestors()
                .find(|d| {
                    std::fs::read_to_string(d.join("Cargo.toml"))
                        .is_ok_and(|t| t.contains("[workspace]"))
                })
                .map(std::path::Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// The header row of `GET /api/quizzes/{quiz}/results.csv`: the server writes exactly this,
/// and the OpenAPI description of the response states it (`contracts/tests/consistency.rs`
/// checks the committed `openapi.json`).
pub const RESULTS_CSV_HEADER: &str = "rank,player,name,score,correct,fast_answers,fast_questions";

/// The folder holding the committed schema files.
pub fn schema_dir() -> PathBuf {
    workspace_root().join("contracts/schemas")
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
        ("ws-server-message.schema.json", server_message_schema()),
        (
            "score-event.schema.json",
            schema_of::<event::ScoreEventV1>(),
        ),
    ]
}

/// The server-message schema, with the close codes the server uses as `x-close-codes`
/// (code → meaning): they are part of the protocol but no message carries them.
fn server_message_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(ws::ServerMessage))
        .unwrap_or(serde_json::Value::Null);
    if let Some(obj) = schema.as_object_mut() {
        let codes: serde_json::Map<String, serde_json::Value> = ws::close::ALL
            .iter()
            .map(|(code, meaning)| (code.to_string(), serde_json::Value::from(*meaning)))
            .collect();
        obj.insert("x-close-codes".into(), serde_json::Value::Object(codes));
    }
    schema
}

/// Pretty JSON with object keys sorted recursively and a trailing newline: the form files
/// are committed in. Sorting makes the output independent of whether serde_json's
/// `preserve_order` feature is on, which depends on which crates a build includes.
pub fn to_committed_form(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(&canonical(v)).unwrap_or_default();
    s.push('\n');
    s
}

/// `v` with every object's keys in sorted order.
pub fn canonical(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(canonical).collect())
        }
        other => other.clone(),
    }
}
