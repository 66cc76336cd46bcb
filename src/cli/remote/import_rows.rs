//! Reading an import file: each CSV row becomes a bulk-upsert item, checked here by the
//! contract's own field rules so that a bad row is reported with its line and never sent.
//!
//! Columns: `phone_number` (required), `name`, `email`, `team_id`, `metadata` (a JSON object, as
//! `export` writes it); `id`, `created_at` and `updated_at` (written by `export`) are ignored;
//! any other column becomes a metadata key with the cell as its string value. Those names are
//! matched whatever their case (`Name`, `EMAIL`). Empty cells, and cells of spaces only, are left
//! out, so a re-import never clears a field. Spaces around a phone number, an email or a team id
//! are dropped; a name or a metadata value is taken exactly as written, so that a file `export`
//! wrote imports back as the same contacts.

use std::collections::HashMap;

use kirim_client::{ContactPatch, UpsertItem};
use serde_json::{Map, Value};

use super::Failure;
use crate::validate;

/// The columns that are contact fields.
const FIELDS: [&str; 5] = ["phone_number", "name", "email", "team_id", "metadata"];
/// Columns `export` writes that are not contact fields.
const IGNORED: [&str; 3] = ["id", "created_at", "updated_at"];
/// Fields whose surrounding spaces are never part of the value.
const TRIMMED: [&str; 3] = ["phone_number", "email", "team_id"];

/// A row that cannot be imported: its line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub phone_number: String,
    pub param: String,
    pub reason: String,
}

/// A row ready to send, with the line it came from.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub item: UpsertItem,
}

/// Every data row of the file, in order: ready to send, or why not.
pub fn read(bytes: &[u8]) -> Result<Vec<Result<Row, RowError>>, Failure> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| column_name(h.trim().trim_start_matches('\u{feff}')))
        .collect();
    if !header.iter().any(|h| h == "phone_number") {
        return Err(Failure::Input(
            "the file has no `phone_number` column in its header row".into(),
        ));
    }
    if let Some((i, twice)) = header.iter().enumerate().find(|(i, h)| header[..*i].contains(h)) {
        let twice = if twice.is_empty() { format!("column {}", i + 1) } else { twice.clone() };
        return Err(Failure::Input(format!("the header row names `{twice}` twice")));
    }
    let mut lines = Lines { bytes, offset: 0, line: 1 };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = lines.at(record.position().map_or(0, csv::Position::byte));
        // A row of more or fewer cells than the header (an unquoted comma in a name, say) would
        // put its values under the wrong columns: reported, never guessed at.
        if record.len() != header.len() {
            let phone = header.iter().position(|h| h == "phone_number").and_then(|i| record.get(i));
            rows.push(Err(RowError {
                line,
                phone_number: phone.unwrap_or("").trim().to_owned(),
                param: String::new(),
                reason: format!("{} cells where the header has {}", record.len(), header.len()),
            }));
            continue;
        }
        let cells: Vec<(&str, &str)> = header
            .iter()
            .map(String::as_str)
            .zip(record.iter())
            .map(|(column, cell)| (column, cell_value(column, cell)))
            .collect();
        let row = parse(line, &cells).and_then(|row| {
            let phone = row.item.phone_number.clone();
            match seen.insert(phone.clone(), line) {
                Some(first) => Err(RowError {
                    line,
                    phone_number: phone,
                    param: "phone_number".into(),
                    reason: format!("the same phone number is on line {first}"),
                }),
                None => Ok(row),
            }
        });
        rows.push(row);
    }
    Ok(rows)
}

/// A header cell as a column name: a field's or an ignored column's name in lower case
/// (`Phone_Number` is `phone_number`); any other name, a metadata key, as written.
fn column_name(header: &str) -> String {
    let lower = header.to_lowercase();
    if FIELDS.contains(&lower.as_str()) || IGNORED.contains(&lower.as_str()) {
        lower
    } else {
        header.to_owned()
    }
}

/// What a cell gives its column: nothing for spaces only, an identifier without the spaces
/// around it, anything else exactly.
fn cell_value<'a>(column: &str, cell: &'a str) -> &'a str {
    let trimmed = cell.trim();
    if trimmed.is_empty() || TRIMMED.contains(&column) { trimmed } else { cell }
}

/// Line numbers (1-based) of the records csv finds. Its own count skips blank lines and counts
/// a CRLF file's lines short, so lines are counted here, as newlines before the record.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Counted up to here…
    offset: usize,
    /// …which is on this line.
    line: u64,
}

impl Lines<'_> {
    /// The line of the record csv found at `byte`. csv gives where it began to look, before
    /// the line break that ended the last record and any blank lines: those are stepped over.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).map_or(self.bytes.len(), |b| b.min(self.bytes.len()));
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            let newlines = self.bytes[self.offset..start].iter().filter(|b| **b == b'\n').count();
            self.line += newlines as u64;
            self.offset = start;
        }
        self.line
    }
}

fn parse(line: u64, cells: &[(&str, &str)]) -> Result<Row, RowError> {
    let get = |name: &str| {
        cells.iter().find(|(h, _)| *h == name).map(|(_, v)| *v).filter(|v| !v.is_empty())
    };
    let phone = get("phone_number").unwrap_or("");
    let fail = |e: crate::error::ApiError| RowError {
        line,
        phone_number: phone.to_owned(),
        param: e.param().unwrap_or("").to_owned(),
        reason: e.to_string(),
    };
    if phone.is_empty() {
        return Err(fail(crate::error::ApiError::MissingField("phone_number".into())));
    }
    validate::phone_number("phone_number", phone).map_err(fail)?;
    let name = get("name").map(validate::contact_name).transpose().map_err(fail)?;
    let email = get("email").map(validate::email).transpose().map_err(fail)?;
    let team = get("team_id").map(validate::team_id).transpose().map_err(fail)?;

    let mut metadata: Map<String, Value> = match get("metadata") {
        None => Map::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(fail(crate::error::ApiError::invalid_field(
                    "metadata",
                    "the `metadata` column must hold a JSON object",
                )));
            }
        },
    };
    for (column, value) in cells {
        if FIELDS.contains(column)
            || IGNORED.contains(column)
            || value.is_empty()
            || column.is_empty()
        {
            continue;
        }
        metadata.insert((*column).to_owned(), Value::String((*value).to_owned()));
    }
    metadata.retain(|_, v| !v.is_null());
    validate::metadata(&metadata).map_err(fail)?;

    let item = UpsertItem {
        phone_number: phone.to_owned(),
        fields: ContactPatch {
            name: name.map(|n| Some(n.to_owned())),
            email: email.map(|e| Some(e.to_owned())),
            metadata: (!metadata.is_empty()).then_some(Some(metadata)),
            team_id: team.map(|t| Some(t.to_string())),
        },
    };
    Ok(Row { line, item })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_items_and_bad_rows_name_their_line_and_field() {
        let file = "phone_number,name,email,city\n\
                    +14155550123,Ana,ana@example.com,Jakarta\n\
                    0812,Bad,,\n\
                    +14155550124,,not-an-email,\n\
                    +14155550123,Again,,\n";
        let rows = read(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 4);
        let ok = rows[0].as_ref().unwrap();
        assert_eq!(ok.line, 2);
        assert_eq!(ok.item.fields.name, Some(Some("Ana".into())));
        let meta = ok.item.fields.metadata.clone().unwrap().unwrap();
        assert_eq!(meta["city"], "Jakarta");
        let bad: Vec<(u64, String)> = rows
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| (e.line, e.param.clone()))
            .collect();
        assert_eq!(
            bad,
            [(3, "phone_number".into()), (4, "email".into()), (5, "phone_number".into())]
        );
    }

    #[test]
    fn exported_files_read_back_with_typed_metadata_and_ignored_columns() {
        let file = "phone_number,name,email,team_id,metadata,id,created_at,updated_at\n\
                    +14155550123,Ana,,,\"{\"\"visits\"\":3}\",ctc_X,2026,2026\n";
        let rows = read(file.as_bytes()).unwrap();
        let item = &rows[0].as_ref().unwrap().item;
        let meta = item.fields.metadata.clone().unwrap().unwrap();
        assert_eq!(meta, serde_json::json!({ "visits": 3 }).as_object().unwrap().clone());
        assert_eq!(item.fields.email, None, "empty cells are left out");
    }

    #[test]
    fn a_row_of_more_or_fewer_cells_than_the_header_is_reported_not_guessed_at() {
        let file = "phone_number,name,city\n\
                    +14155550123,Doe, John,Jakarta\n\
                    +14155550124,Ana\n\
                    +14155550125,Budi,Bandung\n";
        let rows = read(file.as_bytes()).unwrap();
        let bad: Vec<(u64, &str)> = rows
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [(2, "4 cells where the header has 3"), (3, "2 cells where the header has 3")]
        );
        assert_eq!(rows[2].as_ref().unwrap().item.phone_number, "+14155550125");
    }

    #[test]
    fn lines_are_the_file_s_own_with_crlf_blank_lines_and_quoted_line_breaks() {
        let lines_of = |file: &str| -> Vec<u64> {
            read(file.as_bytes())
                .unwrap()
                .iter()
                .map(|r| match r {
                    Ok(row) => row.line,
                    Err(e) => e.line,
                })
                .collect()
        };
        assert_eq!(lines_of("phone_number,name\r\n+14155550123,Ana\r\n0812,Bad\r\n"), [2, 3]);
        assert_eq!(lines_of("phone_number,name\n+14155550123,Ana\n\n\n\n0812,Bad\n"), [2, 6]);
        assert_eq!(
            lines_of("phone_number,name\r\n+14155550123,\"A\r\nB\"\r\n\r\n+14155550124,C\r\n"),
            [2, 5]
        );
    }

    #[test]
    fn names_and_metadata_keep_their_spaces_and_field_columns_match_in_any_case() {
        let file = "Phone_Number,NAME,Email,City\n \
                    +14155550123 ,  padded name  , ana@example.com , Jakarta \n\
                    +14155550124,   ,,   \n";
        let rows = read(file.as_bytes()).unwrap();
        let first = &rows[0].as_ref().unwrap().item;
        assert_eq!(first.phone_number, "+14155550123");
        assert_eq!(first.fields.name, Some(Some("  padded name  ".into())));
        assert_eq!(first.fields.email, Some(Some("ana@example.com".into())));
        let meta = first.fields.metadata.clone().unwrap().unwrap();
        assert_eq!(meta, serde_json::json!({ "City": " Jakarta " }).as_object().unwrap().clone());
        let second = &rows[1].as_ref().unwrap().item;
        assert_eq!((&second.fields.name, &second.fields.metadata), (&None, &None), "spaces only");
    }

    #[test]
    fn a_header_that_names_a_column_twice_is_refused() {
        assert!(read(b"phone_number,name,Name\n+14155550123,a,b\n").is_err());
    }

    #[test]
    fn a_file_without_a_phone_number_column_is_refused() {
        assert!(read(b"name,email\nAna,a@b.co\n").is_err());
    }
}
