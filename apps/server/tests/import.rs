//! Quiz import over HTTP (`POST /api/import`, `GET /api/import/template.csv`): each format's
//! fixture (apps/server/tests/fixtures/import/) imports to a definition that
//! `POST /api/quizzes` then accepts as it is; every row that cannot be imported is listed
//! with its row number, column and rule, and nothing is imported; the parameters are
//! checked. No services needed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::path::PathBuf;

use common::{ADMIN, TestServer, config, start};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One request with a raw body; (status, head, body as JSON or as a string).
async fn raw(
    srv: &TestServer,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> (u16, String, Value) {
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        srv.addr,
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(common::WAIT, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    (status, head.to_owned(), body)
}

async fn import(srv: &TestServer, query: &str, body: &[u8], content_type: &str) -> (u16, Value) {
    let (status, _, body) = raw(
        srv,
        "POST",
        &format!("/api/import?{query}"),
        body,
        &[("X-Admin-Key", ADMIN), ("Content-Type", content_type)],
    )
    .await;
    (status, body)
}

/// The definition imports, is complete and valid: `POST /api/quizzes` takes it unchanged.
async fn saves(srv: &TestServer, definition: &Value) -> Value {
    let (status, out) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(definition),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{out}");
    out
}

fn errors(body: &Value) -> Vec<(u64, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_csv_file_imports_every_question_type() {
    let srv = start(config()).await;
    let (status, body) = import(
        &srv,
        "format=csv&id=fromcsv&title=From%20CSV&mode=hosted",
        &fixture("questions.csv"),
        "text/csv",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let def = &body["definition"];
    assert_eq!(def["id"], "fromcsv");
    assert_eq!(def["title"], "From CSV");
    assert_eq!(def["mode"], "hosted");
    let q = def["questions"].as_array().unwrap();
    let kinds: Vec<&str> = q.iter().map(|q| q["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["single", "multi", "true_false", "poll", "type_answer"],
        "the blank type with two correct options is multi; the blank line is skipped"
    );
    assert_eq!(q[0]["correct"], 1, "option numbers count from 1");
    assert_eq!(q[0]["explanation"], "Paris, since 508.");
    assert_eq!(q[1]["correct"], json!([0, 2]));
    assert_eq!(q[1]["points"], 500);
    assert_eq!(q[1]["time_limit_ms"], 30_000);
    assert_eq!(q[2]["correct"], true);
    assert_eq!(q[2]["points"], 1000, "blank points: the default");
    assert!(q[3].get("points").is_none(), "a poll has no points");
    assert_eq!(q[4]["accepted"], json!(["Jupiter", "Jupiter planet"]));
    let ids: Vec<&str> = q.iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["q1", "q2", "q3", "q4", "q5"]);
    // Not saved by the import; saved as it is.
    let (status, _) = srv.http("GET", "/api/quizzes/fromcsv", None, &[]).await;
    assert_eq!(status, 404, "the import saves nothing");
    let created = saves(&srv, def).await;
    assert!(created["host_key"].is_string(), "{created}");
}

#[tokio::test]
async fn every_csv_row_that_cannot_be_imported_is_listed_and_nothing_is_imported() {
    let srv = start(config()).await;
    let (status, body) = import(&srv, "format=csv", &fixture("errors.csv"), "text/csv").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "import_failed");
    assert_eq!(
        errors(&body),
        vec![
            (3, "option2".into()),
            (4, "correct".into()),
            (5, "points".into()),
            (6, "time_limit_s".into()),
            (7, "prompt".into()),
        ],
        "{body}"
    );
    // The core's own rule, in its words, without the generated question id.
    let points = &body["errors"][2]["message"];
    assert_eq!(points, "must be a whole number from 1 to 10000", "{body}");
    assert!(body.get("definition").is_none());
}

#[tokio::test]
async fn a_csv_header_names_known_columns_and_a_prompt() {
    let srv = start(config()).await;
    let (status, body) = import(&srv, "format=csv", b"question,answer\nA?,B\n", "text/csv").await;
    assert_eq!(status, 400);
    assert_eq!(
        errors(&body),
        vec![
            (1, "column 1".into()),
            (1, "column 2".into()),
            (1, "prompt".into())
        ],
        "{body}"
    );
    let (status, body) = import(&srv, "format=csv", b"", "text/csv").await;
    assert_eq!(status, 400);
    assert_eq!(errors(&body), vec![(0, String::new())], "{body}");
    // Latin-1 bytes: named, with how to save the file.
    let (status, body) = import(
        &srv,
        "format=csv",
        b"prompt,option1,option2,correct\nCaf\xe9?,a,b,1\n",
        "text/csv",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(errors(&body), vec![(2, "prompt".into())], "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
}

#[tokio::test]
async fn the_csv_template_downloads_and_imports() {
    let srv = start(config()).await;
    let (status, head, body) = raw(&srv, "GET", "/api/import/template.csv", b"", &[]).await;
    assert_eq!(status, 200);
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: text/csv"), "{head}");
    assert!(
        head.contains("content-disposition: attachment; filename=\"quiz-template.csv\""),
        "{head}"
    );
    let text = body.as_str().unwrap().to_owned();
    assert!(text.starts_with("type,prompt,option1,"), "{text}");
    let (status, body) = import(&srv, "format=csv", text.as_bytes(), "text/csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["definition"]["questions"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(body["definition"]["title"], "Imported quiz");
    assert!(body["definition"].get("id").is_none());
    saves(&srv, &body["definition"]).await;
}

#[tokio::test]
async fn a_kahoot_template_workbook_imports() {
    let srv = start(config()).await;
    let (status, body) = import(
        &srv,
        "format=xlsx",
        &fixture("kahoot.xlsx"),
        "application/octet-stream",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let q = body["definition"]["questions"].as_array().unwrap().clone();
    assert_eq!(q.len(), 3, "the numbered empty rows are skipped");
    assert_eq!(q[0]["prompt"], "What is the capital of France?");
    assert_eq!(
        q[0]["options"],
        json!(["Berlin", "Paris", "Rome", "Madrid"])
    );
    assert_eq!(q[0]["correct"], 1);
    assert_eq!(q[1]["type"], "multi");
    assert_eq!(q[1]["correct"], json!([0, 2]));
    assert_eq!(q[1]["time_limit_ms"], 30_000);
    assert_eq!(
        q[2]["options"],
        json!(["3", "4"]),
        "number cells read as shown"
    );
    assert_eq!(q[2]["correct"], 1);
    saves(&srv, &body["definition"]).await;
    // Texts in a shared-string table, as Excel and Kahoot's own template keep them: the
    // same quiz.
    let (status, shared) = import(
        &srv,
        "format=xlsx",
        &fixture("kahoot_shared.xlsx"),
        "application/octet-stream",
    )
    .await;
    assert_eq!(status, 200, "{shared}");
    assert_eq!(shared, body);
}

#[tokio::test]
async fn every_workbook_row_that_cannot_be_imported_is_listed() {
    let srv = start(config()).await;
    let (status, body) = import(
        &srv,
        "format=xlsx",
        &fixture("kahoot_errors.xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "import_failed");
    assert_eq!(
        errors(&body),
        vec![
            (10, "Answer 2".into()),
            (11, "Correct answer(s)".into()),
            (12, "Time limit (sec)".into()),
            (13, "Question".into()),
        ],
        "{body}"
    );
}

#[tokio::test]
async fn an_open_trivia_db_answer_imports_with_entities_decoded_reproducibly() {
    let srv = start(config()).await;
    let file = fixture("opentdb.json");
    let (status, body) = import(&srv, "format=opentdb", &file, "application/json").await;
    assert_eq!(status, 200, "{body}");
    let def = &body["definition"];
    assert_eq!(def["title"], "Open Trivia DB: Science & Nature");
    let q = def["questions"].as_array().unwrap();
    assert_eq!(
        q[0]["prompt"],
        "Which element has the chemical symbol \"Fe\"?"
    );
    let iron = q[0]["correct"].as_u64().unwrap() as usize;
    assert_eq!(q[0]["options"][iron], "Iron");
    assert_eq!(q[0]["points"], 1000);
    assert_eq!(q[1]["type"], "true_false");
    assert_eq!(q[1]["correct"], true);
    assert_eq!(q[1]["points"], 500);
    assert_eq!(q[2]["prompt"], "Who wrote 'On the Origin of Species'?");
    assert!(
        q[2]["options"]
            .as_array()
            .unwrap()
            .contains(&json!("René Descartes"))
    );
    // The same file, the same quiz: the answer's place comes from the question.
    let (_, again) = import(&srv, "format=opentdb", &file, "application/octet-stream").await;
    assert_eq!(again, body);
    saves(&srv, def).await;
}

#[tokio::test]
async fn every_open_trivia_db_entry_that_cannot_be_imported_is_listed() {
    let srv = start(config()).await;
    let (status, body) = import(
        &srv,
        "format=opentdb",
        &fixture("opentdb_errors.json"),
        "application/json",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        errors(&body),
        vec![
            (2, "type".into()),
            (3, "correct_answer".into()),
            (4, "question".into()),
        ],
        "{body}"
    );
    let (status, body) = import(
        &srv,
        "format=opentdb",
        br#"{"response_code":1,"results":[]}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(errors(&body), vec![(0, "response_code".into())], "{body}");
    let (status, body) = import(&srv, "format=opentdb", b"<html>", "text/html").await;
    assert_eq!(status, 400);
    assert_eq!(errors(&body), vec![(0, String::new())], "{body}");
}

#[tokio::test]
async fn the_parameters_and_the_key_are_checked() {
    let srv = start(config()).await;
    let csv = fixture("questions.csv");
    for (query, field) in [
        ("", "format"),
        ("format=pdf", "format"),
        ("format=csv&mode=live", "mode"),
        ("format=csv&id=no%20spaces", "id"),
        ("format=csv&title=%20", "title"),
    ] {
        let (status, body) = import(&srv, query, &csv, "text/csv").await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["code"], "bad_parameter", "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let (status, _, body) = raw(
        &srv,
        "POST",
        "/api/import?format=csv",
        &csv,
        &[
            ("X-Admin-Key", "wrong-key-123"),
            ("Content-Type", "text/csv"),
        ],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "unauthorized");
    let (status, _, body) = raw(
        &srv,
        "POST",
        "/api/import?format=csv",
        &csv,
        &[("Content-Type", "text/csv")],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // Any Content-Type will do, but one there must be.
    let (status, _, body) = raw(
        &srv,
        "POST",
        "/api/import?format=csv",
        &csv,
        &[("X-Admin-Key", ADMIN)],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "bad_content_type");
}

#[tokio::test]
async fn rows_past_the_question_limit_are_refused_at_the_first_one_too_many() {
    let srv = start(config()).await;
    let mut csv = String::from("prompt,option1,option2,correct\n");
    for i in 0..250 {
        csv.push_str(&format!("Question {i}?,a,b,1\n"));
    }
    let (status, body) = import(&srv, "format=csv", csv.as_bytes(), "text/csv").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(errors(&body), vec![(202, String::new())], "{body}");
    // Exactly the limit imports.
    let end = csv.match_indices('\n').nth(200).unwrap().0 + 1;
    let (status, body) = import(&srv, "format=csv", &csv.as_bytes()[..end], "text/csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["definition"]["questions"].as_array().map(Vec::len),
        Some(200)
    );
}
