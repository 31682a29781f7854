//! README.md, the committed contracts and the server say the same thing.
//!
//! - README's error-code table lists exactly the `ErrorCode` values of the server-message
//!   schema, which are exactly `ErrorCode::ALL`, and the server sends each of them (an
//!   `ErrorCode::…` in `apps/server/src`) and no other.
//! - README's close-code table lists exactly the schema's `x-close-codes`, which are
//!   exactly `close::ALL`, and the server closes with each of them (a `close::…` constant
//!   in `apps/server/src`) and no other.
//! - README's HTTP error-code table (under "## HTTP API") lists exactly the codes the HTTP
//!   side of the server writes into an error body: the first string argument of
//!   `client(…)`, `at_field(…)`, `refuse(…)` and `routing_error(…)` (after an optional
//!   `StatusCode::…`), and `code: "…"` / `"code": "…"` in `apps/server/src`.
//! - The OpenAPI description of the results CSV states [`RESULTS_CSV_HEADER`], the header
//!   the server writes.
//!
//! Change one side alone and a test here fails naming the difference.

use std::collections::BTreeSet;
use std::path::Path;

use quiz_contracts::ws::{ErrorCode, close};
use quiz_contracts::{RESULTS_CSV_HEADER, schema_dir, workspace_root};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first column of the Markdown table under the heading `heading` of README.md, with
/// backticks removed.
fn readme_table(heading: &str) -> BTreeSet<String> {
    let readme = read(&workspace_root().join("README.md"));
    let section = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no heading {heading:?}"))
        .1;
    let rows: BTreeSet<String> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header row and its separator
        .filter_map(|l| l.split('|').nth(1))
        .map(|cell| cell.trim().trim_matches('`').to_owned())
        .collect();
    assert!(!rows.is_empty(), "README.md's {heading:?} has no table");
    rows
}

fn server_schema() -> serde_json::Value {
    let text = read(&schema_dir().join("ws-server-message.schema.json"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("server schema: {e}"))
}

/// Every Rust source file's text under `dir`.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.display().to_string(), read(&path)));
            }
        }
    }
    out
}

/// The identifiers following `prefix` (`ErrorCode::`, `close::`) in the server's sources.
fn server_uses(prefix: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (_, text) in sources(&workspace_root().join("apps/server/src")) {
        for (i, _) in text.match_indices(prefix) {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue; // part of a longer path or name
            }
            let ident: String = text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                used.insert(ident);
            }
        }
    }
    used
}

/// `a` and `b` are equal, or a message naming what only one of them has.
fn same(a_name: &str, a: &BTreeSet<String>, b_name: &str, b: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let only_a: Vec<&String> = a.difference(b).collect();
    let only_b: Vec<&String> = b.difference(a).collect();
    if !only_a.is_empty() {
        problems.push(format!("in {a_name} but not in {b_name}: {only_a:?}"));
    }
    if !only_b.is_empty() {
        problems.push(format!("in {b_name} but not in {a_name}: {only_b:?}"));
    }
    problems
}

/// `NotTheOpenQuestion` → `not_the_open_question`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn readme_error_codes_are_the_schemas_and_the_servers() {
    let readme = readme_table("### Error codes");
    let schema = server_schema();
    let defs = if schema["$defs"].is_object() {
        &schema["$defs"]
    } else {
        &schema["definitions"]
    };
    let schema_codes: BTreeSet<String> = defs["ErrorCode"]["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(defs["ErrorCode"]["enum"].as_array().into_iter().flatten())
        .filter_map(|v| v["const"].as_str().or(v.as_str()).map(str::to_owned))
        .collect();
    assert!(!schema_codes.is_empty(), "the schema lists no ErrorCode");
    let all: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    // `as_str` spells each code as the protocol does.
    for code in ErrorCode::ALL {
        assert_eq!(
            serde_json::to_value(code).ok(),
            Some(serde_json::Value::from(code.as_str()))
        );
    }
    let sent: BTreeSet<String> = server_uses("ErrorCode::")
        .into_iter()
        .filter(|v| v != "ALL")
        .map(|v| snake(&v))
        .collect();
    let mut problems = Vec::new();
    problems.extend(same(
        "README's error codes",
        &readme,
        "the schema's ErrorCode",
        &schema_codes,
    ));
    problems.extend(same(
        "the schema's ErrorCode",
        &schema_codes,
        "ErrorCode::ALL",
        &all,
    ));
    problems.extend(same(
        "ErrorCode::ALL",
        &all,
        "the codes apps/server/src sends",
        &sent,
    ));
    assert!(
        problems.is_empty(),
        "error codes disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn readme_close_codes_are_the_schemas_and_the_servers() {
    let readme = readme_table("### Close codes");
    let schema = server_schema();
    let schema_codes: BTreeSet<String> = schema["x-close-codes"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let all: BTreeSet<String> = close::ALL.iter().map(|(c, _)| c.to_string()).collect();
    // The constants' names, to read the server's `close::NAME`s as codes.
    let contracts = read(&workspace_root().join("contracts/src/ws/close.rs"));
    let value_of = |name: &str| -> Option<String> {
        let decl = format!("pub const {name}: u16 = ");
        let at = contracts.find(&decl)? + decl.len();
        Some(contracts[at..].split(';').next()?.trim().to_owned())
    };
    let mut sent = BTreeSet::new();
    let mut unknown = Vec::new();
    for name in server_uses("close::").into_iter().filter(|n| n != "ALL") {
        if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            continue; // a function or module of that name, not a code
        }
        match value_of(&name) {
            Some(code) => {
                sent.insert(code);
            }
            None => unknown.push(name),
        }
    }
    let mut problems = Vec::new();
    if !unknown.is_empty() {
        problems.push(format!(
            "apps/server/src closes with codes contracts/src/ws/close.rs does not declare: {unknown:?}"
        ));
    }
    problems.extend(same(
        "README's close codes",
        &readme,
        "the schema's x-close-codes",
        &schema_codes,
    ));
    problems.extend(same(
        "the schema's x-close-codes",
        &schema_codes,
        "close::ALL",
        &all,
    ));
    problems.extend(same(
        "close::ALL",
        &all,
        "the codes apps/server/src closes with",
        &sent,
    ));
    assert!(
        problems.is_empty(),
        "close codes disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_openapi_description_states_the_results_csv_header() {
    let openapi = read(&workspace_root().join("contracts/openapi.json"));
    let stated = format!("CSV with header `{RESULTS_CSV_HEADER}`");
    assert!(
        openapi.contains(&stated),
        "contracts/openapi.json does not say {stated:?} (the header the server writes)"
    );
    let headers = openapi.matches("CSV with header `").count();
    assert_eq!(headers, 1, "openapi.json states {headers} CSV headers");
}

/// The codes the server's HTTP side writes into an error body (see the module docs for the
/// forms read).
fn http_codes_sent() -> BTreeSet<String> {
    fn skip_ws(s: &str) -> &str {
        s.trim_start_matches(|c: char| c.is_whitespace())
    }
    /// The `"code"` at the start of `rest` (after whitespace), if it is one.
    fn literal(rest: &str) -> Option<String> {
        let rest = skip_ws(rest).strip_prefix('"')?;
        let end = rest.find('"')?;
        let code = &rest[..end];
        (!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .then(|| code.to_owned())
    }
    let mut sent = BTreeSet::new();
    for (_, text) in sources(&workspace_root().join("apps/server/src")) {
        for call in ["client(", "at_field(", "refuse(", "routing_error("] {
            for (i, _) in text.match_indices(call) {
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                    continue; // part of a longer name, or a method
                }
                let mut rest = skip_ws(&text[i + call.len()..]);
                if let Some(after) = rest.strip_prefix("StatusCode::") {
                    rest = after.split_once(',').map_or("", |(_, r)| r);
                }
                sent.extend(literal(rest));
            }
        }
        for field in ["code:", "\"code\":"] {
            for (i, _) in text.match_indices(field) {
                sent.extend(literal(&text[i + field.len()..]));
            }
        }
    }
    sent
}

#[test]
fn readme_http_error_codes_are_the_servers() {
    // A cell may name several codes: "`quiz_exists`, `name_taken`".
    let readme: BTreeSet<String> = readme_table("## HTTP API")
        .iter()
        .flat_map(|cell| {
            cell.split(',')
                .map(|c| c.trim().trim_matches('`').to_owned())
        })
        .filter(|c| !c.is_empty())
        .collect();
    assert!(
        readme.contains("invalid_quiz"),
        "README's HTTP code table: {readme:?}"
    );
    let problems = same(
        "README's HTTP error codes",
        &readme,
        "the codes apps/server/src writes into an HTTP error body",
        &http_codes_sent(),
    );
    assert!(
        problems.is_empty(),
        "HTTP error codes disagree:\n{}",
        problems.join("\n")
    );
}
