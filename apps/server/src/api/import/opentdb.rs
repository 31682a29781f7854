//! The Open Trivia DB import: the JSON its API answers (`{"response_code": 0, "results":
//! [{"type": "multiple"|"boolean", "difficulty", "category", "question", "correct_answer",
//! "incorrect_answers"}]}`) in its default encoding, HTML entities (`&quot;`, `&#039;`,
//! `&eacute;` …), which are decoded. Row `n` is the `n`-th entry of `results`.
//!
//! - `multiple` → a single question. The correct answer is put at a position derived from
//!   the question's decoded text (the first byte of its SHA-256, modulo the number of
//!   answers), the incorrect answers around it in their order: the same file imports to
//!   the same quiz every time, and the answer is not always first.
//! - `boolean` → a true_false question (`correct_answer` `True` or `False`).
//! - `difficulty` → points: easy 500, medium 1000, hard 1500 (absent or other: 1000).
//! - Each question gets 20 seconds.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::rows::{self, Columns, Row, RowError};

/// How Open Trivia DB's fields are named in errors.
pub const NAMES: Columns = Columns {
    kind: "type",
    prompt: "question",
    correct: "correct_answer",
    accepted: "correct_answer",
    points: "difficulty",
    time_limit: "question",
    explanation: "question",
    options: "incorrect_answers",
};

/// The position of the correct answer among `answers` answers of `question`.
pub fn correct_position(question: &str, answers: usize) -> usize {
    let digest = Sha256::digest(question.as_bytes());
    usize::from(digest[0]) % answers.max(1)
}

fn decode(s: &str) -> String {
    html_escape::decode_html_entities(s).trim().to_owned()
}

/// The texts and the category of the file; the title a quiz of them gets by default.
pub struct Read {
    /// The questions.
    pub rows: Vec<Row>,
    /// Every entry that could not be read.
    pub errors: Vec<RowError>,
    /// The one category every question shares, if they do.
    pub category: Option<String>,
}

/// Reads the questions of an Open Trivia DB answer.
pub fn rows(bytes: &[u8]) -> Read {
    let mut out = Read {
        rows: Vec::new(),
        errors: Vec::new(),
        category: None,
    };
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(RowError::file(format!(
                "not Open Trivia DB JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            )));
            return out;
        }
    };
    let Some(map) = doc.as_object() else {
        out.errors.push(RowError::file(
            "not Open Trivia DB JSON: expected an object with \"results\"",
        ));
        return out;
    };
    match map.get("response_code") {
        None => {}
        Some(Value::Number(n)) if n.as_u64() == Some(0) => {}
        Some(other) => {
            out.errors.push(RowError::new(
                0,
                "response_code",
                format!(
                    "Open Trivia DB answered {other}, not 0 (success): the file holds no questions"
                ),
            ));
            return out;
        }
    }
    let Some(Value::Array(results)) = map.get("results") else {
        out.errors
            .push(RowError::new(0, "results", "must be an array of questions"));
        return out;
    };
    let mut categories = Vec::new();
    for (i, item) in results.iter().enumerate() {
        let number = i as u64 + 1;
        if i >= quiz_core::quiz::MAX_QUESTIONS {
            out.errors.push(rows::too_many(number));
            break;
        }
        let before = out.errors.len();
        let row = entry(number, item, &mut out.errors, &mut categories);
        if let Some(row) = row
            && out.errors.len() == before
        {
            out.rows.push(row);
        }
    }
    categories.sort();
    categories.dedup();
    if let [one] = categories.as_slice() {
        out.category = Some(one.clone());
    }
    out
}

fn entry(
    number: u64,
    item: &Value,
    errors: &mut Vec<RowError>,
    categories: &mut Vec<String>,
) -> Option<Row> {
    let fail = |errors: &mut Vec<RowError>, column: &str, message: &str| {
        errors.push(RowError::new(number, column, message));
    };
    let Some(item) = item.as_object() else {
        fail(errors, "", "must be an object");
        return None;
    };
    let text = |key: &str, errors: &mut Vec<RowError>| match item.get(key) {
        Some(Value::String(s)) => Some(decode(s)),
        _ => {
            fail(errors, key, "must be a string");
            None
        }
    };
    if let Some(Value::String(c)) = item.get("category") {
        categories.push(decode(c));
    }
    let kind = text("type", errors)?;
    let question = text("question", errors)?;
    let correct = text("correct_answer", errors)?;
    let points = match item.get("difficulty").and_then(Value::as_str) {
        Some("easy") => 500,
        Some("hard") => 1500,
        _ => rows::DEFAULT_POINTS,
    };
    let time = rows::DEFAULT_TIME_LIMIT_S * 1000;
    let mut q = Map::new();
    let mut option_columns = Vec::new();
    match kind.as_str() {
        "multiple" => {
            let Some(Value::Array(wrong)) = item.get("incorrect_answers") else {
                fail(errors, "incorrect_answers", "must be an array of strings");
                return None;
            };
            let mut options = Vec::with_capacity(wrong.len() + 1);
            for w in wrong {
                match w {
                    Value::String(s) => options.push(decode(s)),
                    _ => {
                        fail(errors, "incorrect_answers", "must be an array of strings");
                        return None;
                    }
                }
            }
            option_columns = vec!["incorrect_answers".to_owned(); options.len() + 1];
            let at = correct_position(&question, options.len() + 1);
            options.insert(at, correct);
            if let Some(c) = option_columns.get_mut(at) {
                *c = "correct_answer".into();
            }
            q = rows::choice(
                Some("single"),
                &question,
                options,
                vec![at as u64],
                Some(points),
                time,
            );
        }
        "boolean" => {
            let value = match correct.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    fail(
                        errors,
                        "correct_answer",
                        "a boolean question's answer is True or False",
                    );
                    return None;
                }
            };
            q.insert("type".into(), Value::from("true_false"));
            q.insert("prompt".into(), Value::from(question));
            q.insert("correct".into(), Value::from(value));
            q.insert("points".into(), Value::from(points));
            q.insert("time_limit_ms".into(), Value::from(time));
        }
        _ => {
            fail(errors, "type", "must be \"multiple\" or \"boolean\"");
            return None;
        }
    }
    Some(Row {
        number,
        question: q,
        option_columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_decoded_and_the_answer_placed_by_the_question() {
        let json = br#"{"response_code":0,"results":[
            {"type":"multiple","difficulty":"hard","category":"Science &amp; Nature",
             "question":"Which is &quot;noble&quot;?","correct_answer":"Neon",
             "incorrect_answers":["Iron","Caf&eacute;","O&#039;Brien"]},
            {"type":"boolean","difficulty":"easy","category":"Science &amp; Nature",
             "question":"Water is wet.","correct_answer":"True","incorrect_answers":["False"]}]}"#;
        let read = rows(json);
        assert_eq!(read.errors, Vec::new());
        assert_eq!(read.category.as_deref(), Some("Science & Nature"));
        let q = &read.rows[0].question;
        assert_eq!(q["prompt"], "Which is \"noble\"?");
        let at = correct_position("Which is \"noble\"?", 4);
        assert_eq!(q["correct"], at);
        assert_eq!(q["options"][at], "Neon");
        let none = Vec::new();
        let opts: Vec<&str> = q["options"]
            .as_array()
            .unwrap_or(&none)
            .iter()
            .filter_map(Value::as_str)
            .filter(|o| *o != "Neon")
            .collect::<Vec<_>>();
        assert_eq!(opts, vec!["Iron", "Café", "O'Brien"]);
        assert_eq!(q["points"], 1500);
        assert_eq!(read.rows[1].question["correct"], true);
        assert_eq!(read.rows[1].question["points"], 500);
    }
}
