//! Rows as text: veristat's table (two-space column separator, dashed underlines, strings
//! left- and counts right-aligned) and CSV (a header of column names, one line per row),
//! plus JSON, and the CSV reader that `--compare` and `--merge` use.

use crate::error::BenchError;
use crate::row::{Column, Row};

/// How rows are printed (`-o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// veristat-compatible CSV.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl OutputFormat {
    /// `rows` in this format with `columns`.
    pub fn rows(self, rows: &[Row], columns: &[Column]) -> String {
        match self {
            OutputFormat::Table => rows_table(rows, columns),
            OutputFormat::Csv => rows_csv(rows, columns),
            OutputFormat::Json => rows_json(rows, columns),
        }
    }
}

/// One line per verifier, in the order of `verifiers`: how many programs it accepted, out
/// of how many it ran (rows `N/A` are not run).
pub fn acceptance_summary(rows: &[Row], verifiers: &[String]) -> String {
    let mut out = String::new();
    for verifier in verifiers {
        let ran: Vec<&Row> = rows.iter().filter(|r| &r.domain == verifier && r.verdict.is_some()).collect();
        let accepted = ran.iter().filter(|r| r.verdict == Some(true)).count();
        let not_run = rows.iter().filter(|r| &r.domain == verifier && r.verdict.is_none()).count();
        out.push_str(&format!("{verifier}: {accepted} of {} accepted, {not_run} N/A\n", ran.len()));
    }
    out
}

/// Columns are separated by two spaces, as in veristat.
const SEPARATOR: &str = "  ";

/// A table of `cells` under `headers`; `numeric[i]` right-aligns column `i`.
pub fn table(headers: &[String], numeric: &[bool], cells: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let underline = widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>().join(SEPARATOR);
    let line = |row: &[String], numbers: bool| {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(numeric)
            .map(
                |((cell, &width), &is_number)| {
                    if is_number && numbers { format!("{cell:>width$}") } else { format!("{cell:<width$}") }
                },
            )
            .collect();
        padded.join(SEPARATOR).trim_end().to_owned()
    };
    let mut out = String::new();
    out.push_str(&line(headers, false));
    out.push('\n');
    out.push_str(&underline);
    out.push('\n');
    for row in cells {
        out.push_str(&line(row, true));
        out.push('\n');
    }
    out.push_str(&underline);
    out.push('\n');
    out
}

/// `rows` as a table of `columns`.
pub fn rows_table(rows: &[Row], columns: &[Column]) -> String {
    let headers: Vec<String> = columns.iter().map(|c| c.header().to_owned()).collect();
    let numeric: Vec<bool> = columns.iter().map(|c| c.is_number()).collect();
    let cells: Vec<Vec<String>> = rows.iter().map(|r| columns.iter().map(|&c| r.text(c)).collect()).collect();
    table(&headers, &numeric, &cells)
}

/// `rows` as CSV with a header of `columns`' names.
pub fn rows_csv(rows: &[Row], columns: &[Column]) -> String {
    let headers: Vec<String> = columns.iter().map(|c| c.name().to_owned()).collect();
    let cells: Vec<Vec<String>> = rows.iter().map(|r| columns.iter().map(|&c| r.text(c)).collect()).collect();
    csv(&headers, &cells)
}

/// CSV lines; a field holding a comma, quote or line break is quoted (RFC 4180).
pub fn csv(headers: &[String], cells: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in std::iter::once(headers).chain(cells.iter().map(Vec::as_slice)) {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// `rows` as a JSON array of objects keyed by `columns`' names (counts as numbers, missing
/// values as `null`).
pub fn rows_json(rows: &[Row], columns: &[Column]) -> String {
    let array: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let object: serde_json::Map<String, serde_json::Value> = columns
                .iter()
                .map(|&c| {
                    let value = if c.is_number() {
                        row.number(c).map_or(serde_json::Value::Null, serde_json::Value::from)
                    } else if c == Column::Verdict && row.verdict.is_none() {
                        serde_json::Value::Null
                    } else {
                        serde_json::Value::from(row.text(c))
                    };
                    (c.name().to_owned(), value)
                })
                .collect();
            serde_json::Value::Object(object)
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&array).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// Reads rows from CSV text written by [`rows_csv`] (any subset of columns, in any order;
/// `file_name` and `prog_name` are required). `file` names the source in errors.
pub fn read_csv(file: &str, text: &str) -> Result<Vec<Row>, BenchError> {
    let bad = |line: usize, reason: String| BenchError::BadResults { file: file.to_owned(), line, reason };
    let mut records = split_records(text).map_err(|(line, reason)| bad(line, reason))?.into_iter();
    let Some((_, header)) = records.next() else { return Err(bad(1, "empty file: no header".to_owned())) };
    let columns: Vec<Column> =
        header.iter().map(|name| Column::by_name(name).map_err(|e| bad(1, e.to_string()))).collect::<Result<_, _>>()?;
    for required in [Column::FileName, Column::ProgName] {
        if !columns.contains(&required) {
            return Err(bad(1, format!("no `{}` column", required.name())));
        }
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != columns.len() {
            return Err(bad(line, format!("{} fields under a header of {}", fields.len(), columns.len())));
        }
        let mut row = Row::not_applicable("", "", "", "");
        for (&column, field) in columns.iter().zip(&fields) {
            row.set(column, field).map_err(|reason| bad(line, reason))?;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A CSV record: the line it starts on and its fields.
type Record = (usize, Vec<String>);

/// The records of CSV text with the line each starts on; blank lines are skipped.
fn split_records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    if quoted {
                        return Err((start, "a quoted field is not closed".to_owned()));
                    }
                    break;
                }
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if field.is_empty() => quoted = true,
                Some('\n') if !quoted => {
                    line += 1;
                    break;
                }
                Some('\r') if !quoted && chars.peek() == Some(&'\n') => {}
                Some(',') if !quoted => fields.push(std::mem::take(&mut field)),
                Some(c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
        }
        fields.push(field);
        if !(fields.len() == 1 && fields[0].is_empty()) {
            records.push((start, fields));
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_round_trip() {
        let mut row = Row::not_applicable("a.o", "prog", "tnum", "a reason, with \"quotes\"");
        row.verdict = Some(false);
        row.duration = Some(12);
        let text = rows_csv(std::slice::from_ref(&row), &Column::ALL);
        assert_eq!(read_csv("t.csv", &text).unwrap(), vec![row]);
    }

    #[test]
    fn short_lines_are_refused_with_their_line() {
        let error = read_csv("t.csv", "file_name,prog_name,verdict\na.o,p\n").unwrap_err();
        assert_eq!(error.to_string(), "t.csv, line 2: 2 fields under a header of 3");
    }
}
