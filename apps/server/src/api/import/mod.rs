//! Quiz import: `POST /api/import?format=csv|xlsx|opentdb` turns a file into a quiz
//! definition — the JSON `POST /api/quizzes` accepts, checked by its rules — without
//! saving it (the editor opens it for review; a script posts it as it is), and
//! `GET /api/import/template.csv` is the CSV template.
//!
//! The conversion is pure (bytes in, definition or errors out) and runs off the async
//! workers: a parser per format ([`csv`], [`xlsx`], [`opentdb`]) reads rows, and
//! [`rows::definition`] checks each row as a question of the definition, naming every row
//! that cannot be imported by its row number and column, with the definition's own message.
//! One refused row refuses the file: nothing is half imported. Limits: the body is the
//! server's request body limit (`--max-body-bytes`); rows past the core's question limit
//! are refused; a workbook is bounded in what it unpacks to ([`xlsx::MAX_UNZIPPED`]).

pub mod csv;
pub mod opentdb;
pub mod rows;
pub mod xlsx;

use std::sync::Arc;

use poem_openapi::error::ContentTypeError;
use poem_openapi::payload::{Binary, Json, PlainText};
use poem_openapi::types::Any;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query};
use quiz_core::QuizMode;
use serde_json::Value;

use super::errors::{ApiError, ServerError, at_field, internal, parse_failure};
use super::types::AdminKey;
use crate::AppState;

pub use rows::{ImportError, RowError};

/// The import operations.
#[derive(Clone)]
pub struct ImportApi {
    pub(crate) state: Arc<AppState>,
}

/// A file format the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One question per row, with a header row (see the template).
    Csv,
    /// Kahoot's quiz spreadsheet template.
    Xlsx,
    /// Open Trivia DB's JSON.
    OpenTdb,
}

impl Format {
    /// The format named by the `format` parameter.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "opentdb" => Some(Self::OpenTdb),
            _ => None,
        }
    }
}

/// The definition of the quiz in `bytes`, a file in `format`; `id`, `title` and `mode` as
/// the request gave them (a title by default: "Imported quiz", or the one category of an
/// Open Trivia DB file).
///
/// # Errors
/// [`ImportError`]: a parameter that breaks a rule, or every row that cannot be imported.
pub fn convert(
    format: Format,
    bytes: &[u8],
    id: Option<String>,
    title: Option<String>,
    mode: QuizMode,
) -> Result<Value, ImportError> {
    let default_title = "Imported quiz".to_owned();
    let (rows, errors, names, title) = match format {
        Format::Csv => {
            let (rows, errors) = csv::rows(bytes);
            (rows, errors, &csv::NAMES, title.unwrap_or(default_title))
        }
        Format::Xlsx => {
            let (rows, errors) = xlsx::rows(bytes);
            (rows, errors, &xlsx::NAMES, title.unwrap_or(default_title))
        }
        Format::OpenTdb => {
            let read = opentdb::rows(bytes);
            let title = title.unwrap_or_else(|| match read.category {
                Some(c) => format!("Open Trivia DB: {c}"),
                None => "Open Trivia DB quiz".to_owned(),
            });
            (read.rows, read.errors, &opentdb::NAMES, title)
        }
    };
    let options = rows::Options { id, title, mode };
    rows::definition(rows, errors, &options, names)
}

/// An imported quiz, not saved.
#[derive(Debug, Object)]
pub struct ImportOut {
    /// A complete, valid definition, exactly as `POST /quizzes` accepts it. Question ids
    /// are `q1`, `q2`, … in file order; `id` only when the request gave one.
    pub definition: Any<Value>,
}

/// One row of the file that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct ImportRowOut {
    /// The row as the file numbers it: a spreadsheet's row number (the header row is 1 in
    /// a CSV file), or the position in Open Trivia DB's `results` from 1; 0 for the file
    /// as a whole.
    pub row: u64,
    /// The column (its header, or Open Trivia DB's field name); empty for the whole row.
    pub column: String,
    /// The rule the row broke, in the definition's own words.
    pub message: String,
}

/// A refused import: the API's error shape, plus every row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportErrorOut {
    /// `import_failed`, `bad_parameter`, `bad_content_type`, `bad_request`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
    /// The parameter at fault (`format`, `mode`, `id`, `title`), when one is.
    pub field: Option<String>,
    /// `import_failed`: every row that cannot be imported, in row order.
    pub errors: Option<Vec<ImportRowOut>>,
}

impl From<ApiError> for ImportErrorOut {
    fn from(e: ApiError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            field: e.field,
            errors: None,
        }
    }
}

/// Responses of the Import operation.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_import")]
pub enum ImportResponse {
    /// The quiz's definition, not saved.
    #[oai(status = 200)]
    Ok(Json<ImportOut>),
    /// Rows that cannot be imported (`import_failed`, each in `errors`: nothing was
    /// imported), a parameter out of its values (`bad_parameter`, naming `format`,
    /// `mode`, `id` or `title`), or a body without a Content-Type (`bad_content_type`).
    #[oai(status = 400)]
    BadRequest(Json<ImportErrorOut>),
    /// Missing or wrong admin key (`unauthorized`).
    #[oai(status = 401)]
    Unauthorized(Json<ApiError>),
    /// The request body did not arrive in time (`request_timeout`).
    #[oai(status = 408)]
    RequestTimeout(Json<ApiError>),
    /// The file is over the request body limit (`payload_too_large`).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ApiError>),
    /// Too many open connections from this address (`too_many_connections`).
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// Server error (`internal`, with a request id).
    #[oai(status = 500)]
    Internal(Json<ServerError>),
    /// The server holds as many connections as it accepts (`too_many_connections`).
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

fn bad_import(err: poem::Error) -> ImportResponse {
    if err.is::<ContentTypeError>() {
        return ImportResponse::BadRequest(Json(ImportErrorOut {
            code: "bad_content_type".into(),
            message: "send the file as the body with a Content-Type (any: text/csv, \
                      application/octet-stream, …)"
                .into(),
            field: None,
            errors: None,
        }));
    }
    match parse_failure(&err) {
        (401, body) => ImportResponse::Unauthorized(body),
        (_, body) => ImportResponse::BadRequest(Json(body.0.into())),
    }
}

/// Responses of the ImportTemplate operation.
#[derive(ApiResponse)]
pub enum TemplateResponse {
    /// The CSV template: the header row and one example of each question type.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        PlainText<&'static str>,
        /// `attachment; filename="quiz-template.csv"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
    /// Too many open connections from this address (`too_many_connections`).
    #[oai(status = 429)]
    TooManyRequests(Json<ApiError>),
    /// The server holds as many connections as it accepts (`too_many_connections`).
    #[oai(status = 503)]
    Unavailable(Json<ApiError>),
}

fn bad_parameter(field: &str, message: impl Into<String>) -> ImportResponse {
    ImportResponse::BadRequest(Json(at_field("bad_parameter", field, message).0.into()))
}

#[OpenApi]
impl ImportApi {
    /// Import a quiz from a file (admin): CSV, Kahoot's .xlsx template or Open Trivia DB
    /// JSON, sent as the body (any Content-Type). Answers the definition, NOT saved: post
    /// it to `POST /quizzes` (the editor opens it for review first). Every row that cannot
    /// be imported is listed (`import_failed`); nothing is half imported.
    #[oai(path = "/import", method = "post")]
    async fn import(
        &self,
        auth: AdminKey,
        /// `csv`, `xlsx` or `opentdb`.
        format: Query<Option<String>>,
        /// The quiz id the definition gets (left out: `POST /quizzes` gives one).
        id: Query<Option<String>>,
        /// The title (default "Imported quiz"; for Open Trivia DB, its one category).
        title: Query<Option<String>>,
        /// `self_paced` (default) or `hosted`.
        mode: Query<Option<String>>,
        body: Binary<Vec<u8>>,
    ) -> ImportResponse {
        if !super::is_admin_key(&self.state.admin_key, &auth.0.key) {
            return ImportResponse::Unauthorized(at_field(
                "unauthorized",
                "X-Admin-Key",
                "wrong admin key",
            ));
        }
        let Some(format) = format.0.as_deref().and_then(Format::parse) else {
            return bad_parameter("format", "format must be csv, xlsx or opentdb");
        };
        let mode = match mode.0.as_deref() {
            None | Some("self_paced") => QuizMode::SelfPaced,
            Some("hosted") => QuizMode::Hosted,
            Some(_) => return bad_parameter("mode", "mode must be self_paced or hosted"),
        };
        let (id, title) = (id.0, title.0);
        let bytes = body.0;
        let done =
            tokio::task::spawn_blocking(move || convert(format, &bytes, id, title, mode)).await;
        match done {
            Ok(Ok(definition)) => ImportResponse::Ok(Json(ImportOut {
                definition: Any(definition),
            })),
            Ok(Err(ImportError::Parameter { field, message })) => bad_parameter(&field, message),
            Ok(Err(ImportError::Rows(errors))) => {
                let n = errors.len();
                ImportResponse::BadRequest(Json(ImportErrorOut {
                    code: "import_failed".into(),
                    message: format!(
                        "nothing was imported: {n} {} cannot be imported; each is listed in errors",
                        if n == 1 { "row" } else { "rows" }
                    ),
                    field: None,
                    errors: Some(
                        errors
                            .into_iter()
                            .map(|e| ImportRowOut {
                                row: e.row,
                                column: e.column,
                                message: e.message,
                            })
                            .collect(),
                    ),
                }))
            }
            Err(e) => ImportResponse::Internal(internal(&e)),
        }
    }

    /// The CSV import template: the header row and one example row of each question type.
    #[oai(path = "/import/template.csv", method = "get")]
    async fn import_template(&self) -> TemplateResponse {
        TemplateResponse::Ok(
            PlainText(csv::TEMPLATE),
            "attachment; filename=\"quiz-template.csv\"".to_owned(),
        )
    }
}
