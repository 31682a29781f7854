//! Fuzz targets on a stable toolchain: the WebSocket frame parser, the quiz definition
//! reader and validator, the token verifier and the CSV export. Each target first replays
//! its committed corpus (`apps/server/fuzz/corpus/<target>/`), then runs proptest-generated
//! inputs (raw bytes, arbitrary JSON, and mutations of valid inputs) until its time budget
//! is spent, checking properties that hold for every input, not only "does not panic".
//!
//! Budget per target: `QUIZ_FUZZ_SECS` (default 2 s, so `cargo test` stays quick);
//! `cargo xtask test` runs `cargo xtask fuzz` with 15 s each. A longer run:
//! `QUIZ_FUZZ_SECS=600 cargo test --release -p quiz-server --test fuzz -- --nocapture`.
//! A failure prints the input; add it to the corpus once fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use quiz_contracts::ws::{ClientMessage, ErrorCode};
use quiz_core::{PlayerId, Quiz, QuizId, Timestamp};
use quiz_server::api::definition;
use quiz_server::api::types::ResultOut;
use quiz_server::json::DEFAULT_MAX_DEPTH;
use quiz_server::token::TokenSigner;
use quiz_server::ws::parse_client_message;
use serde_json::{Value, json};

fn budget() -> Duration {
    let secs = std::env::var("QUIZ_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(2);
    Duration::from_secs(secs)
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// Runs `check` on every corpus entry, then on inputs drawn from `strategy` until the
/// budget is spent; returns how many inputs were checked.
fn fuzz<S: Strategy>(target: &str, strategy: S, check: impl Fn(&S::Value))
where
    S::Value: std::fmt::Debug,
{
    let seeds = corpus(target);
    let started = Instant::now();
    let mut runner = TestRunner::new(RunnerConfig::default());
    let mut runs = 0u64;
    while started.elapsed() < budget() {
        let tree = strategy.new_tree(&mut runner).unwrap();
        check(&tree.current());
        runs += 1;
    }
    println!(
        "fuzz {target}: {} corpus entries, then {runs} generated inputs in {:.1} s",
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Arbitrary JSON, nested a few levels.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `base` with the value at one of `paths` replaced by arbitrary JSON (or removed).
fn mutate(base: Value, paths: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (0..paths.len(), prop::option::of(arb_json())).prop_map(move |(i, replacement)| {
        let mut v = base.clone();
        let mut parts: Vec<&str> = paths[i].split('/').collect();
        let last = parts.pop().unwrap();
        let mut at = &mut v;
        for p in parts {
            at = match p.parse::<usize>() {
                Ok(n) => &mut at[n],
                Err(_) => &mut at[p],
            };
        }
        match (replacement, at) {
            (Some(r), Value::Object(m)) => {
                m.insert(last.to_owned(), r);
            }
            (None, Value::Object(m)) => {
                m.remove(last);
            }
            _ => {}
        }
        v
    })
}

// ---------------------------------------------------------------------------------------------

fn check_frame(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return; // Not a text frame: tungstenite closes with 1007 before parsing.
    };
    match parse_client_message(text, DEFAULT_MAX_DEPTH) {
        Ok(m) => {
            // What is accepted is exactly the message: it survives a round trip, and plain
            // serde (which keeps the last of repeated keys) reads the same message.
            let again = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<ClientMessage>(&again).unwrap(), m);
            assert_eq!(serde_json::from_str::<ClientMessage>(text).ok(), Some(m));
        }
        Err(r) => {
            assert!(!r.message.is_empty(), "{text:?}");
            assert!(
                matches!(
                    r.code,
                    ErrorCode::BadJson | ErrorCode::UnknownType | ErrorCode::InvalidMessage
                ),
                "{text:?}: {r:?}"
            );
            if r.code != ErrorCode::BadJson {
                assert!(
                    r.field.is_some() || r.code == ErrorCode::InvalidMessage,
                    "{r:?}"
                );
            }
        }
    }
}

#[test]
fn fuzz_ws_frames() {
    for seed in corpus("ws_frame") {
        check_frame(&seed);
    }
    let answer = json!({"type": "answer", "answer_id": "a1", "question": "v1", "option": 1});
    let host = json!({"type": "host", "command": "kick", "player": "p1"});
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        mutate(
            answer,
            &["type", "answer_id", "question", "option", "extra"]
        )
        .prop_map(|v| v.to_string().into_bytes()),
        mutate(
            json!({"type": "answer", "answer_id": "a2", "question": "m", "options": [0, 2]}),
            &["options", "options/0", "option", "text", "extra"]
        )
        .prop_map(|v| v.to_string().into_bytes()),
        mutate(
            json!({"type": "answer", "answer_id": "a3", "question": "w", "text": "Paris"}),
            &["text", "options", "option", "extra"]
        )
        .prop_map(|v| v.to_string().into_bytes()),
        mutate(host, &["type", "command", "player", "extra"])
            .prop_map(|v| v.to_string().into_bytes()),
    ];
    fuzz("ws_frame", strategy, |b| check_frame(b));
}

// ---------------------------------------------------------------------------------------------

fn check_host_command(bytes: &[u8]) {
    let Ok(value) = quiz_server::json::parse(bytes, DEFAULT_MAX_DEPTH) else {
        return;
    };
    match definition::host_command(&value) {
        Ok(quiz_core::service::HostAction::Remove(p)) => {
            assert_eq!(value["command"], "kick");
            assert_eq!(value["player"], p.as_str());
        }
        Ok(quiz_core::service::HostAction::Phase(_)) => {
            assert!(value.get("player").is_none(), "{value}");
        }
        Err(e) => {
            assert!(!e.message.is_empty(), "{value}");
            assert!(
                e.field.is_empty()
                    || value.get(&e.field).is_some()
                    || e.field == "command"
                    || e.field == "player",
                "{value}: {e:?}"
            );
        }
    }
}

#[test]
fn fuzz_host_commands() {
    for seed in corpus("host_command") {
        check_host_command(&seed);
    }
    let kick = json!({"command": "kick", "player": "p1"});
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..100),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        mutate(kick, &["command", "player", "extra"]).prop_map(|v| v.to_string().into_bytes()),
    ];
    fuzz("host_command", strategy, |b| check_host_command(b));
}

// ---------------------------------------------------------------------------------------------

fn check_definition(bytes: &[u8]) {
    let Ok(value) = quiz_server::json::parse(bytes, DEFAULT_MAX_DEPTH) else {
        return;
    };
    match definition::quiz(&value, "generated", Timestamp(1_700_000_000_000)) {
        Ok(draft) => match Quiz::try_from(draft) {
            Ok(q) => {
                assert!(!q.questions().is_empty() && q.questions().len() <= 200);
                assert!(q.max_total() <= quiz_core::ranking::MAX_SCORE);
            }
            Err(e) => assert!(!e.field().is_empty() && !e.to_string().is_empty()),
        },
        Err(e) => {
            assert!(!e.message.is_empty(), "{value}");
            // The field path points into the document (or at the whole body).
            if !e.field.is_empty() {
                let root = e.field.split(['.', '[']).next().unwrap();
                assert!(
                    [
                        "id",
                        "title",
                        "scoring",
                        "questions",
                        "mode",
                        "hosted",
                        "names",
                        "min_answer_ms"
                    ]
                    .contains(&root)
                        || value.get(root).is_some(),
                    "{value}: {e:?}"
                );
            }
        }
    }
}

#[test]
fn fuzz_quiz_definitions() {
    for seed in corpus("quiz_definition") {
        check_definition(&seed);
    }
    let valid: Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("fuzz/corpus/quiz_definition/valid.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let every_type: Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("fuzz/corpus/quiz_definition/every-type.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        mutate(
            valid,
            &[
                "id",
                "title",
                "scoring",
                "scoring/kind",
                "scoring/streak_step",
                "scoring/streak_cap",
                "questions",
                "questions/0/id",
                "questions/0/prompt",
                "questions/0/options",
                "questions/0/correct",
                "questions/0/points",
                "questions/0/time_limit_ms",
                "questions/0/extra",
            ]
        )
        .prop_map(|v| v.to_string().into_bytes()),
        mutate(
            every_type,
            &[
                "scoring/multi",
                "min_answer_ms",
                "questions/1/type",
                "questions/1/correct",
                "questions/1/correct/0",
                "questions/2/correct",
                "questions/2/options",
                "questions/3/points",
                "questions/3/correct",
                "questions/4/accepted",
                "questions/4/accepted/0",
                "questions/4/ignore_accents",
                "questions/4/options",
            ]
        )
        .prop_map(|v| v.to_string().into_bytes()),
    ];
    fuzz("quiz_definition", strategy, |b| check_definition(b));
}

// ---------------------------------------------------------------------------------------------

#[test]
fn fuzz_tokens() {
    let signer = TokenSigner::new(b"0123456789abcdef0123456789abcdef", 3_600_000);
    let now = Timestamp(1_700_000_000_000);
    let quiz = QuizId::parse("demo").unwrap();
    let player = PlayerId::parse("p1").unwrap();
    let good = signer.issue(&quiz, &player, now);
    let check = |token: &str| {
        if let Ok(c) = signer.verify(token, now) {
            // Only a token this signer issued verifies: here, only the one issued above.
            assert_eq!(token, good, "a token that was never issued verified");
            assert_eq!((c.quiz, c.player), (quiz.clone(), player.clone()));
        }
    };
    for seed in corpus("token") {
        check(&String::from_utf8_lossy(&seed));
    }
    assert!(signer.verify(&good, now).is_ok());
    let flips = (0..good.len(), any::<u8>()).prop_map({
        let good = good.clone();
        move |(i, b)| {
            let mut bytes = good.clone().into_bytes();
            bytes[i] = b;
            String::from_utf8_lossy(&bytes).into_owned()
        }
    });
    let strategy = prop_oneof![".{0,200}", "[a-z0-9.]{0,120}", flips];
    fuzz("token", strategy, |t: &String| check(t));
}

// ---------------------------------------------------------------------------------------------

fn check_csv(names: &[String]) {
    let entries: Vec<ResultOut> = names
        .iter()
        .enumerate()
        .map(|(i, n)| ResultOut {
            rank: i as u64 + 1,
            player: format!("p{i}"),
            name: n.clone(),
            score: 10,
            correct: 1,
            fast_answers: 0,
            fast_questions: Vec::new(),
        })
        .collect();
    let text = quiz_server::api::results_csv(entries).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), names.len(), "{text:?}");
    for (row, name) in rows.iter().zip(names) {
        let cell = &row[2];
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "formula cell {cell:?}"
        );
        let original = if cell.len() == name.len() + 1 {
            &cell[1..]
        } else {
            cell
        };
        assert_eq!(original, name, "the name survives the export");
    }
}

#[test]
fn fuzz_csv_export() {
    let seeds: Vec<String> = corpus("csv_names")
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    check_csv(&seeds);
    let strategy = prop::collection::vec(".{0,40}", 0..20);
    fuzz("csv_names", strategy, |names| check_csv(names));
}
