//! The `.xlsx` import, in the layout of Kahoot's quiz spreadsheet template: on the first
//! sheet, a header row (found in the first 30 rows: the first with a cell starting
//! `Question`) naming the columns `Question - max 120 characters`, `Answer 1 - max 75
//! characters` … `Answer 4` (up to `Answer 6` are read), `Time limit (sec) – …` and
//! `Correct answer(s) - choose at least one` (option numbers from 1, `1,3` for several);
//! then one question per row. Rows with neither a question nor an answer (the template's
//! numbered empty rows) are skipped; cells of any type are read as the text they show.
//!
//! A workbook is a zip archive, so a small body can unpack to gigabytes: before calamine
//! reads it, every entry is unpacked once, counting, and the workbook is refused past
//! [`MAX_UNZIPPED`] bytes in all or [`MAX_ENTRIES`] entries. calamine also sizes its
//! shared-string table by the count the workbook declares (`uniqueCount`), so a declared
//! count past [`MAX_SHARED_STRINGS`] is refused in the same pass. The sheet is read cell
//! by cell (never as one rectangle, whose size a single far-away cell would decide).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use quiz_core::ids::MAX_OPTIONS;
use quiz_core::quiz::MAX_QUESTIONS;

use super::rows::{self, Columns, Row, RowError};

/// Most bytes a workbook may unpack to, all entries together.
pub const MAX_UNZIPPED: u64 = 16 * 1024 * 1024;
/// Most entries in a workbook's archive.
pub const MAX_ENTRIES: usize = 1_000;
/// Most shared strings a workbook may declare.
pub const MAX_SHARED_STRINGS: u64 = 100_000;
/// Most rows with content read from the sheet.
const MAX_ROWS: usize = 2_000;
/// Columns read (the template has 8).
const MAX_COLUMNS: u32 = 16;
/// Rows searched for the header.
const HEADER_ROWS: u32 = 30;

/// How the template's columns are named in errors.
pub const NAMES: Columns = Columns {
    kind: "Question",
    prompt: "Question",
    correct: "Correct answer(s)",
    accepted: "Correct answer(s)",
    points: "Question",
    time_limit: "Time limit (sec)",
    explanation: "Question",
    options: "Answer 1",
};

fn not_a_workbook() -> RowError {
    RowError::file("not an .xlsx workbook (an Excel 2007+ zip archive); save the sheet as .xlsx")
}

/// The declared shared-string counts in `xml` (`uniqueCount="N"`): `Err` with the first
/// one past the limit (`u64::MAX` for one too long to read).
fn declared_counts(xml: &[u8]) -> Result<(), u64> {
    const KEY: &[u8] = b"uniqueCount";
    let mut rest = xml;
    while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
        rest = &rest[at + KEY.len()..];
        let value = rest
            .iter()
            .position(|b| !(b.is_ascii_whitespace() || *b == b'=' || *b == b'"' || *b == b'\''))
            .map_or(&[][..], |start| &rest[start..]);
        let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
        // More than 12 digits is past any limit; parse only what fits.
        let n = std::str::from_utf8(&value[..digits.min(12)])
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(0);
        if digits > 12 || n > MAX_SHARED_STRINGS {
            return Err(if digits > 12 { u64::MAX } else { n });
        }
    }
    Ok(())
}

/// How much of the previous chunk is searched again with the next, so that an attribute
/// split between two chunks is seen whole (the key, its `=`, quotes and 13 digits fit).
const OVERLAP: usize = 64;

/// Unpacks every entry once, counting, through one small buffer: refuses an archive past
/// the limits before calamine reads it, holding at most a chunk of it.
fn check_archive(bytes: &[u8]) -> Result<(), RowError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_a_workbook())?;
    if zip.len() > MAX_ENTRIES {
        return Err(RowError::file(format!(
            "the workbook has {} parts; at most {MAX_ENTRIES}",
            zip.len()
        )));
    }
    let mut total = 0u64;
    let mut buf = vec![0u8; OVERLAP + 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| not_a_workbook())?;
        let mut kept = 0;
        loop {
            let n = entry.read(&mut buf[kept..]).map_err(|_| not_a_workbook())?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > MAX_UNZIPPED {
                return Err(RowError::file(format!(
                    "the workbook unpacks to more than {MAX_UNZIPPED} bytes; a quiz sheet needs far less"
                )));
            }
            if let Err(n) = declared_counts(&buf[..kept + n]) {
                let n = if n == u64::MAX {
                    "too many".to_owned()
                } else {
                    n.to_string()
                };
                return Err(RowError::file(format!(
                    "the workbook declares {n} shared strings; at most {MAX_SHARED_STRINGS}"
                )));
            }
            let end = kept + n;
            kept = end.min(OVERLAP);
            buf.copy_within(end - kept..end, 0);
        }
    }
    Ok(())
}

/// A cell as the text it shows.
fn text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// The sheet's cells with content, by row then column (first [`MAX_COLUMNS`] columns).
type Grid = BTreeMap<u32, BTreeMap<u32, String>>;

fn read_grid(bytes: &[u8]) -> Result<Grid, RowError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| RowError::file(format!("the workbook could not be read: {e}")))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(RowError::file("the workbook has no sheet"));
    };
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| RowError::file(format!("the first sheet could not be read: {e}")))?;
    let mut grid = Grid::new();
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                return Err(RowError::file(format!(
                    "the first sheet could not be read: {e}"
                )));
            }
        };
        let (row, col) = cell.get_position();
        let value = text(cell.get_value());
        if col >= MAX_COLUMNS || value.trim().is_empty() {
            continue;
        }
        if !grid.contains_key(&row) && grid.len() >= MAX_ROWS {
            return Err(RowError::new(
                u64::from(row) + 1,
                "",
                format!(
                    "the sheet has more than {MAX_ROWS} rows with content; a quiz has at most {MAX_QUESTIONS} questions"
                ),
            ));
        }
        grid.entry(row)
            .or_default()
            .insert(col, value.trim().to_owned());
    }
    Ok(grid)
}

/// Where the template's columns are: question, answers (in order), time limit, correct.
struct Layout {
    header: u32,
    question: u32,
    answers: Vec<(String, u32)>,
    time: Option<u32>,
    correct: u32,
}

fn layout(grid: &Grid) -> Result<Layout, RowError> {
    let starts = |cell: &str, prefix: &str| cell.to_lowercase().starts_with(prefix);
    let Some((&header, cells)) = grid
        .range(..HEADER_ROWS)
        .find(|(_, cells)| cells.values().any(|c| starts(c, "question")))
    else {
        return Err(RowError::file(format!(
            "no header row: none of the first {HEADER_ROWS} rows of the first sheet has a cell starting \"Question\" (Kahoot's quiz template: Question, Answer 1–4, Time limit (sec), Correct answer(s))"
        )));
    };
    let find = |prefix: &str| {
        cells
            .iter()
            .find(|(_, c)| starts(c, prefix))
            .map(|(col, _)| *col)
    };
    let row = u64::from(header) + 1;
    let missing =
        |name: &str| RowError::new(row, name, format!("the header row has no {name:?} column"));
    let question = find("question").ok_or_else(|| missing("Question"))?;
    let answers: Vec<(String, u32)> = (1..=MAX_OPTIONS)
        .filter_map(|k| find(&format!("answer {k}")).map(|c| (format!("Answer {k}"), c)))
        .collect();
    if answers.len() < 2 {
        return Err(missing("Answer 2"));
    }
    let correct = find("correct").ok_or_else(|| missing("Correct answer(s)"))?;
    Ok(Layout {
        header,
        question,
        answers,
        time: find("time limit"),
        correct,
    })
}

/// Reads the rows of a Kahoot-template workbook: the questions, and every row it could not
/// read.
pub fn rows(bytes: &[u8]) -> (Vec<Row>, Vec<RowError>) {
    let grid = match check_archive(bytes).and_then(|()| read_grid(bytes)) {
        Ok(g) => g,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let layout = match layout(&grid) {
        Ok(l) => l,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut data = 0usize;
    for (&r, cells) in grid.range(layout.header + 1..) {
        let get = |col: u32| cells.get(&col).map_or("", String::as_str);
        let number = u64::from(r) + 1;
        let answers: Vec<(String, String)> = layout
            .answers
            .iter()
            .map(|(name, col)| (name.clone(), get(*col).to_owned()))
            .collect();
        let prompt = get(layout.question);
        if prompt.is_empty() && answers.iter().all(|(_, a)| a.is_empty()) {
            continue;
        }
        data += 1;
        if data > MAX_QUESTIONS {
            errors.push(rows::too_many(number));
            break;
        }
        let before = errors.len();
        let (options, option_columns) = rows::options(number, &answers, &mut errors);
        let time = rows::time_limit_ms(layout.time.map_or("", get))
            .map_err(|m| errors.push(RowError::new(number, NAMES.time_limit, m)))
            .ok();
        let correct = rows::option_numbers(get(layout.correct))
            .map_err(|m| errors.push(RowError::new(number, NAMES.correct, m)))
            .ok();
        if let (Some(time), Some(correct)) = (time, correct)
            && errors.len() == before
        {
            rows.push(Row {
                number,
                question: rows::choice(None, prompt, options, correct, None, time),
                option_columns,
            });
        }
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_shared_string_counts_are_bounded() {
        assert_eq!(
            declared_counts(br#"<sst count="3" uniqueCount="3">"#),
            Ok(())
        );
        assert_eq!(
            declared_counts(br#"<sst uniqueCount = '100001'>"#),
            Err(100_001)
        );
        assert_eq!(
            declared_counts(br#"<sst uniqueCount="99999999999999999999">"#),
            Err(u64::MAX)
        );
        assert_eq!(declared_counts(b"no such attribute"), Ok(()));
    }

    #[test]
    fn bytes_that_are_not_a_zip_are_refused_as_such() {
        let (rows, errors) = rows(b"MZ\x90\x00 an executable, renamed");
        assert!(rows.is_empty());
        assert_eq!(errors, vec![not_a_workbook()]);
    }
}
