//! Results on stdout, errors on stderr: sentences and tables for a person, JSON for a program.

use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::Failure;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints a result: `value` as one line of JSON, or `human` for a person.
    pub fn result<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.json {
            print_line(&serde_json::to_string(value).unwrap_or_default())
        } else {
            print_line(&human())
        }
    }

    /// A notice for a person (stderr); as a JSON object under `--json`, so stderr stays JSON.
    pub fn notice(&self, message: &str) {
        if self.json {
            eprintln!("{}", json!({ "notice": message }));
        } else {
            eprintln!("kirim: {message}");
        }
    }

    pub fn failure(&self, failure: &Failure) {
        if !self.json {
            eprintln!("kirim: {failure}");
            return;
        }
        let error = match failure {
            Failure::Client(kirim_client::Error::Api(e)) => json!({
                "type": e.kind, "code": e.code, "message": e.message, "param": e.param,
                "request_id": e.request_id, "status": e.status,
            }),
            Failure::Client(e) => json!({ "type": "connection_error", "message": e.to_string() }),
            Failure::Input(m) => json!({ "type": "input_error", "message": m }),
            Failure::Usage(m) => json!({ "type": "usage_error", "message": m }),
            Failure::StdoutClosed => return,
        };
        eprintln!("{}", json!({ "error": error }));
    }
}

/// Writes `text` and a newline to stdout. A closed stdout (the reader of a pipe gone, as with
/// `| head`) is [`Failure::StdoutClosed`], for the command to stop on; `println!` would panic.
pub fn print_line(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Left-aligned columns, for lists shown to a person.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(rows.iter().map(|r| line(r.iter().map(String::as_str).collect())));
    out.join("\n")
}

/// An optional text as a table cell.
pub fn cell(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

pub fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
