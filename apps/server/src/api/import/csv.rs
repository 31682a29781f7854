//! The CSV import: a header row naming the columns (any order, any case), then one
//! question per row. Columns: `type`, `prompt` (required), `option1`…`option6`, `correct`
//! (option numbers from 1, `1,3` for several; `true`/`false` for true_false), `accepted`
//! (type_answer, `|` between answers), `points`, `time_limit_s`, `explanation`. Comma or
//! semicolon separated (the header decides), UTF-8 with or without a byte-order mark.

use quiz_core::ids::MAX_OPTIONS;
use quiz_core::quiz::MAX_QUESTIONS;
use serde_json::{Map, Value};

use super::rows::{self, Columns, Row, RowError};

/// The columns a CSV file may have, in the template's order.
pub const COLUMNS: [&str; 13] = [
    "type",
    "prompt",
    "option1",
    "option2",
    "option3",
    "option4",
    "option5",
    "option6",
    "correct",
    "accepted",
    "points",
    "time_limit_s",
    "explanation",
];

/// How CSV columns are named in errors.
pub const NAMES: Columns = Columns {
    kind: "type",
    prompt: "prompt",
    correct: "correct",
    accepted: "accepted",
    points: "points",
    time_limit: "time_limit_s",
    explanation: "explanation",
    options: "option1",
};

/// The downloadable template: the header and one example row of each question type.
pub const TEMPLATE: &str = "\
type,prompt,option1,option2,option3,option4,option5,option6,correct,accepted,points,time_limit_s,explanation
single,What is the capital of France?,Berlin,Paris,Rome,Madrid,,,2,,1000,20,Paris has been the capital since 508.
multi,Which of these are prime numbers?,2,4,5,9,,,\"1,3\",,1000,30,
true_false,The Earth orbits the Sun.,,,,,,,true,,1000,10,
poll,Which topic should we do next?,Space,Oceans,Volcanoes,,,,,,,20,
type_answer,Name the largest planet of the Solar System.,,,,,,,,Jupiter|Jupiter planet,1000,30,
";

/// The first line of `text` decides the separator: `;` when it has semicolons and no comma
/// (as spreadsheets write CSV in locales with a decimal comma).
fn separator(text: &[u8]) -> u8 {
    let first = text.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if first.contains(&b';') && !first.contains(&b',') {
        b';'
    } else {
        b','
    }
}

/// Reads the rows of a CSV file: the questions, and every row it could not read.
pub fn rows(bytes: &[u8]) -> (Vec<Row>, Vec<RowError>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(bytes))
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut header: Option<Vec<Option<usize>>> = None;
    let mut record = csv::ByteRecord::new();
    let mut number = 0u64;
    let mut data = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                errors.push(RowError::new(
                    number + 1,
                    "",
                    format!("not readable as CSV: {e}"),
                ));
                break;
            }
        }
        number += 1;
        let before = errors.len();
        let mut cells = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            match std::str::from_utf8(field) {
                Ok(s) => cells.push(s.trim().to_owned()),
                Err(_) => {
                    let column = match &header {
                        Some(h) => h
                            .get(i)
                            .copied()
                            .flatten()
                            .map_or_else(|| format!("column {}", i + 1), |c| COLUMNS[c].into()),
                        None => format!("column {}", i + 1),
                    };
                    errors.push(RowError::new(
                        number,
                        column,
                        "not UTF-8 text; save the file as \"CSV UTF-8\"",
                    ));
                    cells.push(String::new());
                }
            }
        }
        let Some(columns) = &header else {
            match read_header(&cells) {
                Ok(h) => header = Some(h),
                Err(mut e) => {
                    errors.append(&mut e);
                    return (rows, errors);
                }
            }
            continue;
        };
        if cells.iter().all(String::is_empty) {
            continue;
        }
        data += 1;
        if data > MAX_QUESTIONS {
            // Reading further would only list more of the same refusal.
            errors.push(rows::too_many(number));
            return (rows, errors);
        }
        let cells = Cells {
            columns,
            cells: &cells,
        };
        if errors.len() > before {
            continue;
        }
        if let Some(question) = question(number, &cells, &mut errors)
            && errors.len() == before
        {
            rows.push(question);
        }
    }
    if header.is_none() {
        errors.push(RowError::file(format!(
            "the file is empty; the first row names the columns: {}",
            COLUMNS.join(",")
        )));
    }
    (rows, errors)
}

/// The header row: for each cell, the column it names (`None` for a blank cell, whose
/// column must then stay empty).
fn read_header(cells: &[String]) -> Result<Vec<Option<usize>>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut seen = [false; COLUMNS.len()];
    let mut out = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let name = cell.to_ascii_lowercase();
        if name.is_empty() {
            out.push(None);
            continue;
        }
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) if seen[c] => {
                errors.push(RowError::new(1, cell.as_str(), "a column is named twice"))
            }
            Some(c) => {
                seen[c] = true;
                out.push(Some(c));
            }
            None => errors.push(RowError::new(
                1,
                format!("column {}", i + 1),
                format!(
                    "unknown column {cell:?}; the columns are {}",
                    COLUMNS.join(", ")
                ),
            )),
        }
    }
    if !seen[1] {
        errors.push(RowError::new(
            1,
            "prompt",
            format!(
                "the header row must name a prompt column; the columns are {}",
                COLUMNS.join(", ")
            ),
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A data row's cells, by the column the header gave them.
struct Cells<'a> {
    columns: &'a [Option<usize>],
    cells: &'a [String],
}

impl Cells<'_> {
    /// The cell of column `name` (blank when the file has no such column).
    fn get(&self, name: &str) -> &str {
        self.columns
            .iter()
            .position(|c| c.is_some_and(|c| COLUMNS[c] == name))
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }
}

/// One question row, or `None` with its errors pushed.
fn question(number: u64, cells: &Cells<'_>, errors: &mut Vec<RowError>) -> Option<Row> {
    let get = |name: &str| cells.get(name);
    let fail = |errors: &mut Vec<RowError>, column: &str, message: String| {
        errors.push(RowError::new(number, column, message));
    };
    let kind = get("type").to_ascii_lowercase();
    let kind = match kind.as_str() {
        "" => None,
        k @ ("single" | "multi" | "true_false" | "poll" | "type_answer") => Some(k.to_owned()),
        other => {
            fail(
                errors,
                "type",
                format!(
                    "unknown type {other:?}; one of single, multi, true_false, poll, type_answer (blank: single, or multi when several options are correct)"
                ),
            );
            return None;
        }
    };
    let prompt = get("prompt");
    let time = rows::time_limit_ms(get("time_limit_s"))
        .map_err(|m| fail(errors, "time_limit_s", m))
        .ok();
    let points = rows::points(get("points"))
        .map_err(|m| fail(errors, "points", m))
        .ok();
    let cells: Vec<(String, String)> = (1..=MAX_OPTIONS)
        .map(|i| {
            let c = format!("option{i}");
            let v = get(&c).to_owned();
            (c, v)
        })
        .collect();
    let (options, option_columns) = rows::options(number, &cells, errors);
    let correct = get("correct");
    let mut q = match kind.as_deref() {
        None | Some("single" | "multi") => {
            let correct = rows::option_numbers(correct)
                .map_err(|m| fail(errors, "correct", m))
                .ok()?;
            rows::choice(kind.as_deref(), prompt, options, correct, points?, time?)
        }
        Some("true_false") => {
            let value = match correct.to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "2" => false,
                other => {
                    fail(
                        errors,
                        "correct",
                        format!("{other:?}: a true_false question's correct is true or false"),
                    );
                    return None;
                }
            };
            let mut q = Map::new();
            q.insert("type".into(), Value::from("true_false"));
            q.insert("prompt".into(), Value::from(prompt));
            q.insert("correct".into(), Value::from(value));
            q.insert(
                "points".into(),
                Value::from(points?.unwrap_or(rows::DEFAULT_POINTS)),
            );
            q.insert("time_limit_ms".into(), Value::from(time?));
            if !options.is_empty() {
                q.insert("options".into(), Value::from(options));
            }
            q
        }
        Some("poll") => {
            let mut q = Map::new();
            q.insert("type".into(), Value::from("poll"));
            q.insert("prompt".into(), Value::from(prompt));
            q.insert("options".into(), Value::from(options));
            q.insert("time_limit_ms".into(), Value::from(time?));
            if !correct.is_empty() {
                q.insert("correct".into(), Value::from(correct));
            }
            if let Some(p) = points? {
                q.insert("points".into(), Value::from(p));
            }
            q
        }
        _ => {
            let accepted: Vec<&str> = get("accepted")
                .split('|')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect();
            let mut q = Map::new();
            q.insert("type".into(), Value::from("type_answer"));
            q.insert("prompt".into(), Value::from(prompt));
            q.insert("accepted".into(), Value::from(accepted));
            q.insert(
                "points".into(),
                Value::from(points?.unwrap_or(rows::DEFAULT_POINTS)),
            );
            q.insert("time_limit_ms".into(), Value::from(time?));
            if !options.is_empty() {
                q.insert("options".into(), Value::from(options));
            }
            q
        }
    };
    let explanation = get("explanation");
    if !explanation.is_empty() {
        q.insert("explanation".into(), Value::from(explanation));
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
    fn the_template_reads_without_errors() {
        let (rows, errors) = rows(TEMPLATE.as_bytes());
        assert_eq!(errors, Vec::new());
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[1].question["correct"], serde_json::json!([0, 2]));
        assert_eq!(rows[1].number, 3);
    }

    #[test]
    fn a_semicolon_header_reads_semicolons() {
        let text = "prompt;option1;option2;correct\nA?;x;y;2\n";
        let (rows, errors) = rows(text.as_bytes());
        assert_eq!(errors, Vec::new());
        assert_eq!(rows[0].question["correct"], 1);
    }
}
