//! What every import format shares: a row of the file turned into one question of the
//! definition (the JSON `POST /api/quizzes` accepts), checked by the same rules as a
//! definition sent whole, each refusal named by the file's row and column.
//!
//! A format's parser reads its rows into [`Row`]s (refusing what it cannot read at all:
//! a number that is not one, a gap among the options); [`definition()`] then checks each row
//! as a quiz of that one question — the definition reader's and `quiz-core`'s own rules and
//! messages — and maps the field path of a refusal (`questions[0].options[2]`) back to the
//! column it came from (`option3`). Only when every row passes is the whole definition
//! built and checked once more (the rules over the whole quiz: the question count, the
//! largest total). Nothing is half imported: one refused row refuses the file.

use quiz_core::quiz::{MAX_QUESTIONS, Quiz};
use quiz_core::{QuizMode, Timestamp};
use serde_json::{Map, Value, json};

use crate::api::definition;

/// Points of a question whose file gives none.
pub const DEFAULT_POINTS: u64 = 1000;
/// Time limit, seconds, of a question whose file gives none.
pub const DEFAULT_TIME_LIMIT_S: u64 = 20;

/// One row the file could not give: where, and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row as the file numbers it (a spreadsheet's row number, the header being row 1;
    /// the position in Open Trivia DB's `results`, from 1); 0 for the file as a whole.
    pub row: u64,
    /// The column (its header or field name); empty for the row or file as a whole.
    pub column: String,
    /// The rule broken, in words.
    pub message: String,
}

impl RowError {
    /// An error at `row`, `column`.
    pub fn new(row: u64, column: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row,
            column: column.into(),
            message: message.into(),
        }
    }

    /// An error about the file as a whole.
    pub fn file(message: impl Into<String>) -> Self {
        Self::new(0, "", message)
    }
}

/// How a format names the columns a question's fields come from.
pub struct Columns {
    /// `type`.
    pub kind: &'static str,
    /// `prompt`.
    pub prompt: &'static str,
    /// `correct`.
    pub correct: &'static str,
    /// `accepted`.
    pub accepted: &'static str,
    /// `points`.
    pub points: &'static str,
    /// `time_limit_ms`.
    pub time_limit: &'static str,
    /// `explanation`.
    pub explanation: &'static str,
    /// `options` as a whole (too few, too many).
    pub options: &'static str,
}

/// One question read from the file.
pub struct Row {
    /// Where it is in the file ([`RowError::row`]).
    pub number: u64,
    /// The question as the definition spells it, without its `id` (given by position).
    pub question: Map<String, Value>,
    /// The column each option came from, in option order.
    pub option_columns: Vec<String>,
}

/// What the request asked for besides the file.
pub struct Options {
    /// The quiz id (`None`: `POST /api/quizzes` gives one when the definition is saved).
    pub id: Option<String>,
    /// The title.
    pub title: String,
    /// Self-paced or hosted.
    pub mode: QuizMode,
}

/// Why a file was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// A request parameter breaks a rule of the definition (`field`: `id` or `title`).
    Parameter {
        /// `id` or `title`.
        field: String,
        /// The rule, in words.
        message: String,
    },
    /// Rows (or the file) that could not be imported: every one of them.
    Rows(Vec<RowError>),
}

impl From<Vec<RowError>> for ImportError {
    fn from(e: Vec<RowError>) -> Self {
        Self::Rows(e)
    }
}

/// The column a field path inside one question names (`options[2]` → the third option's
/// column).
fn column(rest: &str, row: &Row, names: &Columns) -> String {
    let head = rest.split(['.', '[']).next().unwrap_or("");
    let index = rest
        .strip_prefix("options[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    match head {
        "options" => index
            .and_then(|i| row.option_columns.get(i).cloned())
            .unwrap_or_else(|| names.options.to_owned()),
        "type" => names.kind.to_owned(),
        "prompt" => names.prompt.to_owned(),
        "correct" => names.correct.to_owned(),
        "accepted" | "ignore_accents" => names.accepted.to_owned(),
        "points" => names.points.to_owned(),
        "time_limit_ms" => names.time_limit.to_owned(),
        "explanation" => names.explanation.to_owned(),
        other => other.to_owned(),
    }
}

/// A core message without its `question q3: ` prefix: the row already says which.
fn unprefixed(message: &str) -> String {
    match message.strip_prefix("question ") {
        Some(rest) => rest.split_once(": ").map_or(message, |(_, m)| m).to_owned(),
        None => message.to_owned(),
    }
}

/// The definition (as JSON) of a quiz with `questions`.
fn document(options: &Options, questions: Vec<Value>) -> Value {
    let mut doc = Map::new();
    if let Some(id) = &options.id {
        doc.insert("id".into(), Value::from(id.as_str()));
    }
    doc.insert("title".into(), Value::from(options.title.as_str()));
    let mode = match options.mode {
        QuizMode::SelfPaced => "self_paced",
        QuizMode::Hosted => "hosted",
    };
    doc.insert("mode".into(), Value::from(mode));
    doc.insert("questions".into(), Value::Array(questions));
    Value::Object(doc)
}

/// Checks a definition as `POST /api/quizzes` does, without saving it: the field and the
/// rule of the first refusal.
fn check(doc: &Value) -> Result<(), (String, String)> {
    // Neither the time nor the generated id matter: nothing is kept.
    let draft = definition::quiz(doc, "import", Timestamp(0)).map_err(|e| (e.field, e.message))?;
    Quiz::try_from(draft).map_err(|e| (e.field(), e.to_string()))?;
    Ok(())
}

/// Refuses a file of more rows than a quiz has questions, naming the first row past it.
pub fn too_many(number: u64) -> RowError {
    RowError::new(
        number,
        "",
        format!("a quiz has at most {MAX_QUESTIONS} questions; this row is one too many"),
    )
}

/// The definition of `rows`, every row checked by the definition's own rules; or every row
/// (and file) error, `parse_errors` (what the parser could not read) first, in row order.
///
/// # Errors
/// [`ImportError`]: a parameter that breaks a rule, or every row that cannot be imported.
pub fn definition(
    rows: Vec<Row>,
    mut errors: Vec<RowError>,
    options: &Options,
    names: &Columns,
) -> Result<Value, ImportError> {
    // The parameters first: a bad title or id would fail every row alike.
    let probe = document(
        options,
        vec![
            json!({"id": "q1", "prompt": "?", "options": ["a", "b"], "correct": 0,
                    "points": 1, "time_limit_ms": 1000}),
        ],
    );
    if let Err((field, message)) = check(&probe)
        && (field == "id" || field == "title")
    {
        return Err(ImportError::Parameter { field, message });
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::file("the file has no questions"));
    }
    let mut questions = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut q = row.question.clone();
        q.insert("id".into(), Value::from(format!("q{}", i + 1)));
        let q = Value::Object(q);
        if let Err((field, message)) = check(&document(options, vec![q.clone()])) {
            let rest = field.strip_prefix("questions[0]").unwrap_or(&field);
            let rest = rest.strip_prefix('.').unwrap_or(rest);
            errors.push(RowError::new(
                row.number,
                column(rest, row, names),
                unprefixed(&message),
            ));
        }
        questions.push(q);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(errors.into());
    }
    let doc = document(options, questions);
    // The rules over the whole quiz (the count, the largest total).
    check(&doc).map_err(|(_, message)| vec![RowError::file(message)])?;
    Ok(doc)
}

/// A whole number of points, or the default when blank.
pub fn points(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    number(text)
        .filter(|n| n.fract() == 0.0 && *n >= 0.0)
        .map(|n| Some(n as u64))
        .ok_or_else(|| format!("{text:?} is not a whole number"))
}

/// A time limit in seconds (fractions allowed), as milliseconds; the default when blank.
pub fn time_limit_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_TIME_LIMIT_S * 1000);
    }
    match number(text) {
        Some(s) if (0.0..=1e9).contains(&s) => Ok((s * 1000.0).round() as u64),
        _ => Err(format!("{text:?} is not a number of seconds")),
    }
}

fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Option numbers from 1, separated by commas (`1,3`), as 0-based indexes in the order
/// given.
pub fn option_numbers(text: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for part in text
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match number(part) {
            Some(n) if n.fract() == 0.0 && (1.0..=1e6).contains(&n) => out.push(n as u64 - 1),
            _ => {
                return Err(format!(
                    "{part:?} is not an option number (options are numbered from 1)"
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("name the correct option by its number, from 1 (several: \"1,3\")".into());
    }
    Ok(out)
}

/// The options of a row, from its option cells in column order: blanks at the end are
/// left out; a blank before a filled one is refused (it would shift the numbers `correct`
/// refers to).
pub fn options(
    number: u64,
    cells: &[(String, String)],
    errors: &mut Vec<RowError>,
) -> (Vec<String>, Vec<String>) {
    let last = cells.iter().rposition(|(_, v)| !v.trim().is_empty());
    let mut texts = Vec::new();
    let mut columns = Vec::new();
    for (column, value) in cells.iter().take(last.map_or(0, |l| l + 1)) {
        if value.trim().is_empty() {
            errors.push(RowError::new(
                number,
                column.as_str(),
                "an option is blank while a later one is filled; options are numbered in order",
            ));
        }
        texts.push(value.trim().to_owned());
        columns.push(column.clone());
    }
    (texts, columns)
}

/// The question of a choice row (single or multi by the number of correct options, unless
/// `kind` says which): `correct` numbers from 1.
pub fn choice(
    kind: Option<&str>,
    prompt: &str,
    options: Vec<String>,
    correct: Vec<u64>,
    points: Option<u64>,
    time_limit_ms: u64,
) -> Map<String, Value> {
    let multi = match kind {
        Some(k) => k == "multi",
        None => correct.len() > 1,
    };
    let mut q = Map::new();
    q.insert(
        "type".into(),
        Value::from(if multi { "multi" } else { "single" }),
    );
    q.insert("prompt".into(), Value::from(prompt));
    q.insert("options".into(), Value::from(options));
    let correct = if multi {
        Value::from(correct)
    } else {
        // More than one for a single question: the definition's rule refuses it.
        match correct.as_slice() {
            [one] => Value::from(*one),
            many => Value::from(many.to_vec()),
        }
    };
    q.insert("correct".into(), correct);
    q.insert(
        "points".into(),
        Value::from(points.unwrap_or(DEFAULT_POINTS)),
    );
    q.insert("time_limit_ms".into(), Value::from(time_limit_ms));
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_map_back_to_columns() {
        let names = Columns {
            kind: "type",
            prompt: "prompt",
            correct: "correct",
            accepted: "accepted",
            points: "points",
            time_limit: "time_limit_s",
            explanation: "explanation",
            options: "option1",
        };
        let row = Row {
            number: 3,
            question: Map::new(),
            option_columns: vec!["option1".into(), "option2".into(), "option3".into()],
        };
        assert_eq!(column("options[2]", &row, &names), "option3");
        assert_eq!(column("options[9]", &row, &names), "option1");
        assert_eq!(column("options", &row, &names), "option1");
        assert_eq!(column("correct[1]", &row, &names), "correct");
        assert_eq!(column("time_limit_ms", &row, &names), "time_limit_s");
        assert_eq!(
            unprefixed("question q3: points must be 1 to 10000"),
            "points must be 1 to 10000"
        );
        assert_eq!(unprefixed("must be a string"), "must be a string");
    }

    #[test]
    fn numbers_are_read_as_people_write_them() {
        assert_eq!(option_numbers("1, 3"), Ok(vec![0, 2]));
        assert_eq!(option_numbers("2"), Ok(vec![1]));
        assert!(option_numbers("0").is_err());
        assert!(option_numbers("x").is_err());
        assert!(option_numbers("").is_err());
        assert_eq!(time_limit_ms(""), Ok(20_000));
        assert_eq!(time_limit_ms("7.5"), Ok(7_500));
        assert!(time_limit_ms("soon").is_err());
        assert_eq!(points(" "), Ok(None));
        assert_eq!(points("500"), Ok(Some(500)));
        assert!(points("1.5").is_err());
    }
}
