//! `kirim contacts import FILE.csv`: rows checked here, then sent in chunks of at most 1,000
//! through bulk upsert. A server without bulk upsert (404 `route_not_found`, e.g. the hosted API)
//! gets one `POST` per row instead, with a notice. Rows that fail — here or at the server — are
//! written with their line and reason to `FILE.errors.csv`; the rest go through.
//!
//! Each call has an `Idempotency-Key` of this run's, which the client's retries reuse, so a call
//! sent again after a lost answer is applied once. A re-run is a new run: it makes the contacts
//! match the file again, whatever was changed since (had the keys been derived from the file, a
//! re-run within a day would replay the first run's answers and change nothing). It creates
//! nothing twice either way: contacts are matched by phone number.

use std::path::{Path, PathBuf};

use clap::Args;
use kirim_client::{BulkUpsertResult, Client, Method, UpsertItem};
use serde::Serialize;
use serde_json::{Value, json};

use super::import_rows::{self, Row, RowError};
use super::progress::Progress;
use super::{Done, Failure, Output};

/// Items per call: the endpoint's limit.
const CHUNK_ITEMS: usize = 1000;
/// Body bytes per call, under the server's 1 MiB limit with room for the envelope.
const CHUNK_BYTES: usize = 900 * 1024;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (header row; `phone_number` required; `name`, `email`, `team_id`; other
    /// columns become metadata).
    file: PathBuf,
    /// The account's phone_number_id.
    #[arg(long)]
    account: String,
    /// Attach this label (`lbl_…`) to every imported contact.
    #[arg(long)]
    label: Option<String>,
    /// Check the file and report bad rows; send nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    file: String,
    rows: u64,
    created: u64,
    updated: u64,
    unchanged: u64,
    failed: u64,
    /// Valid rows never sent, because sending stopped part-way (the server gone, a 5xx).
    not_sent: u64,
    /// Chunks whose stored answer was replayed (sent before with the same key).
    replayed_chunks: u64,
    errors_file: Option<String>,
    dry_run: bool,
    mode: &'static str,
}

pub async fn run(client: &Client, output: Output, args: ImportArgs) -> Result<Done, Failure> {
    // An errors file of an earlier run would read as this run's if this one stops early.
    let _ = std::fs::remove_file(errors_path(&args.file));
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", args.file.display())))?;
    let rows = import_rows::read(&bytes)?;
    let mut errors: Vec<RowError> = rows.iter().filter_map(|r| r.as_ref().err().cloned()).collect();
    let valid: Vec<Row> = rows.into_iter().filter_map(Result::ok).collect();
    let mut summary = Summary {
        file: args.file.display().to_string(),
        rows: (valid.len() + errors.len()) as u64,
        dry_run: args.dry_run,
        mode: "bulk_upsert",
        ..Default::default()
    };

    let sending = if args.dry_run {
        Ok(())
    } else {
        let job = Job {
            client,
            output,
            account: &args.account,
            label: args.label.as_deref(),
            key: format!("import-{}", crate::ids::ulid().to_lowercase()),
        };
        job.send(valid, &mut summary, &mut errors).await
    };

    // Also when sending stopped part-way (the server gone, a 5xx): what went through and the
    // rows refused so far are reported before the failure.
    errors.sort_by_key(|e| e.line);
    summary.failed = errors.len() as u64;
    summary.errors_file = write_errors(&args.file, &errors)?;
    let sent = summary.created + summary.updated + summary.unchanged;
    if sending.is_err() {
        summary.not_sent = summary.rows - sent - summary.failed;
    }
    output.result(&summary, || human(&summary))?;
    sending?;
    match (summary.failed, sent) {
        (0, _) => Ok(Done::Ok),
        (_, 0) if !args.dry_run => Err(Failure::Input(format!(
            "no row could be imported; see {}",
            summary.errors_file.as_deref().unwrap_or("the errors file")
        ))),
        _ => Ok(Done::Partial),
    }
}

struct Job<'a> {
    client: &'a Client,
    output: Output,
    account: &'a str,
    label: Option<&'a str>,
    /// This run's, for its calls' keys.
    key: String,
}

impl Job<'_> {
    async fn send(
        &self,
        rows: Vec<Row>,
        summary: &mut Summary,
        errors: &mut Vec<RowError>,
    ) -> Result<(), Failure> {
        let rows = self.outside_the_labels_team(rows, errors).await;
        let mut progress = Progress::new("rows", Some(rows.len() as u64), self.output.json);
        let mut one_by_one = false;
        for (index, chunk) in chunks(rows).into_iter().enumerate() {
            let n = chunk.len() as u64;
            if !one_by_one {
                match self.chunk(index, chunk.clone(), summary, errors).await {
                    Err(Failure::Client(e)) if e.code() == Some("route_not_found") => {
                        self.output.notice(
                            "this server has no bulk_upsert; importing one contact at a time \
                             (slower, same result)",
                        );
                        one_by_one = true;
                        summary.mode = "one_by_one";
                    }
                    other => other?,
                }
            }
            if one_by_one {
                for row in chunk {
                    self.one(row, summary, errors).await?;
                }
            }
            progress.advance(n);
        }
        progress.finish();
        Ok(())
    }

    /// One chunk through bulk upsert. A refused item (the server names it,
    /// `contacts[i].…`) is reported and the chunk sent again without it, under a new key.
    async fn chunk(
        &self,
        index: usize,
        mut rows: Vec<Row>,
        summary: &mut Summary,
        errors: &mut Vec<RowError>,
    ) -> Result<(), Failure> {
        let path = format!("/v1/{}/contacts/bulk_upsert", self.account);
        for attempt in 0.. {
            if rows.is_empty() {
                return Ok(());
            }
            let items: Vec<&UpsertItem> = rows.iter().map(|r| &r.item).collect();
            let mut body = json!({ "contacts": items });
            if let Some(label) = self.label {
                body["label_id"] = label.into();
            }
            let key = format!("{}-{index}-{attempt}", self.key);
            let reply = self
                .client
                .with_idempotency_key(key)
                .send(Method::POST, &path, &[], Some(&body))
                .await?;
            match reply.into_data::<BulkUpsertResult>() {
                Ok(result) => {
                    summary.created += result.created;
                    summary.updated += result.updated;
                    summary.unchanged += result.unchanged;
                    summary.replayed_chunks += u64::from(reply.replayed());
                    return Ok(());
                }
                Err(e) => match item_index(&e).filter(|i| *i < rows.len()) {
                    Some(i) => {
                        let row = rows.remove(i);
                        errors.push(refused(&row, &e));
                    }
                    None => return Err(e.into()),
                },
            }
        }
        Ok(())
    }

    /// With `--label` of another team than the account's, the rows that do not put their contact
    /// in the label's team (a `team_id` of that team) are refused here, before anything is sent:
    /// the server would refuse each (a new contact takes the account's team), one call and one
    /// write token per row. A contact already moved to the label's team is refused too; the
    /// reason says to give it the label's `team_id`. Best effort: when the label or the account
    /// cannot be read, every row goes to the server, which has the last word.
    async fn outside_the_labels_team(
        &self,
        rows: Vec<Row>,
        errors: &mut Vec<RowError>,
    ) -> Vec<Row> {
        let Some(label) = self.label else { return rows };
        let (Ok(label), Ok(accounts)) =
            (self.client.get_label(label).await, self.client.accounts(true).await)
        else {
            return rows;
        };
        let Some(account) = accounts.iter().find(|a| a.phone_number_id == self.account) else {
            return rows;
        };
        if account.team_id == label.team_id {
            return rows;
        }
        let (inside, outside): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|row| {
            row.item.fields.team_id.as_ref().and_then(Option::as_deref) == Some(&label.team_id)
        });
        errors.extend(outside.into_iter().map(|row| RowError {
            line: row.line,
            phone_number: row.item.phone_number,
            param: "team_id".into(),
            reason: format!(
                "the label {} is in team {}, not in the account's team {}: give the row team_id \
                 {}, or choose a label of team {}",
                label.id, label.team_id, account.team_id, label.team_id, account.team_id
            ),
        }));
        inside
    }

    /// Whether the account's contact with this phone number already carries the label (`true`
    /// when there is no label to attach).
    async fn labelled(&self, phone: &str) -> Result<bool, Failure> {
        let Some(label) = self.label else { return Ok(true) };
        let filter = kirim_client::ContactFilter {
            phone: Some(phone.to_owned()),
            label_id: Some(label.to_owned()),
            ..Default::default()
        };
        Ok(self.client.list_contacts(self.account, &filter).next().await?.is_some())
    }

    /// One row through `POST …/contacts`; an existing number is patched instead.
    async fn one(
        &self,
        row: Row,
        summary: &mut Summary,
        errors: &mut Vec<RowError>,
    ) -> Result<(), Failure> {
        let client = self.client.with_idempotency_key(format!("{}-line{}", self.key, row.line));
        let path = format!("/v1/{}/contacts", self.account);
        let body = serde_json::to_value(&row.item).unwrap_or(Value::Null);
        let reply = client.send(Method::POST, &path, &[], Some(&body)).await?;
        let id = match reply.into_data::<kirim_client::Contact>() {
            Ok(contact) => {
                summary.created += 1;
                contact.id
            }
            Err(e) if e.code() == Some("duplicate_phone_number") => {
                let filter = kirim_client::ContactFilter {
                    phone: Some(row.item.phone_number.clone()),
                    ..Default::default()
                };
                let Some(current) = self.client.list_contacts(self.account, &filter).next().await?
                else {
                    errors.push(refused(&row, &e));
                    return Ok(());
                };
                let after =
                    self.client.update_contact(self.account, &current.id, &row.item.fields).await?;
                let same = (&after.name, &after.email, &after.metadata, &after.team_id)
                    == (&current.name, &current.email, &current.metadata, &current.team_id);
                // As bulk upsert counts it: a label newly attached is an update too.
                if same && self.labelled(&row.item.phone_number).await? {
                    summary.unchanged += 1;
                } else {
                    summary.updated += 1;
                }
                after.id
            }
            Err(e)
                if matches!(e.status(), Some(400 | 404)) && e.code() != Some("route_not_found") =>
            {
                errors.push(refused(&row, &e));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(label) = self.label {
            self.client.attach_label(self.account, &id, label).await?;
        }
        Ok(())
    }
}

/// Splits rows into calls of at most [`CHUNK_ITEMS`] items and about [`CHUNK_BYTES`] of body.
fn chunks(rows: Vec<Row>) -> Vec<Vec<Row>> {
    let mut out: Vec<Vec<Row>> = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let size = serde_json::to_vec(&row.item).map_or(0, |b| b.len()) + 1;
        match out.last_mut() {
            Some(last) if last.len() < CHUNK_ITEMS && bytes + size <= CHUNK_BYTES => {
                bytes += size;
                last.push(row);
            }
            _ => {
                bytes = size;
                out.push(vec![row]);
            }
        }
    }
    out
}

/// `contacts[12].email` → 12.
fn item_index(e: &kirim_client::Error) -> Option<usize> {
    let param = e.api()?.param.as_deref()?;
    let rest = param.strip_prefix("contacts[")?;
    rest[..rest.find(']')?].parse().ok()
}

fn refused(row: &Row, e: &kirim_client::Error) -> RowError {
    let (param, reason) = match e.api() {
        Some(api) => {
            let param = api.param.clone().unwrap_or_default();
            // `contacts[3].email` → `email`: the row is already named by its line.
            let field = param.split_once("].").map_or(param.as_str(), |(_, f)| f).to_owned();
            (field, api.message.clone())
        }
        None => (String::new(), e.to_string()),
    };
    RowError { line: row.line, phone_number: row.item.phone_number.clone(), param, reason }
}

/// Writes `FILE.errors.csv` when there are errors (a stale one was removed when the run began).
fn write_errors(file: &Path, errors: &[RowError]) -> Result<Option<String>, Failure> {
    if errors.is_empty() {
        return Ok(None);
    }
    let path = errors_path(file);
    let mut w = csv::Writer::from_path(&path)
        .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?;
    w.write_record(["line", "phone_number", "param", "reason"])?;
    for e in errors {
        w.write_record([e.line.to_string().as_str(), &e.phone_number, &e.param, &e.reason])?;
    }
    w.flush()?;
    Ok(Some(path.display().to_string()))
}

/// `FILE.errors.csv`.
fn errors_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".errors.csv");
    PathBuf::from(name)
}

fn human(s: &Summary) -> String {
    let verb = if s.dry_run { "checked" } else { "imported" };
    let mut text = if s.dry_run {
        format!("{verb} {} rows: {} valid, {} invalid", s.rows, s.rows - s.failed, s.failed)
    } else {
        format!(
            "{verb} {} rows: {} created, {} updated, {} unchanged, {} failed",
            s.rows, s.created, s.updated, s.unchanged, s.failed
        )
    };
    if s.not_sent > 0 {
        text = format!("import stopped; {text}, {} not sent", s.not_sent);
    }
    if let Some(file) = &s.errors_file {
        text.push_str(&format!("\nrows that failed, with their line and reason: {file}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_at_most_a_thousand_items() {
        let rows: Vec<Row> = (0..2500)
            .map(|i| Row {
                line: i,
                item: UpsertItem { phone_number: format!("+1555{i:07}"), ..Default::default() },
            })
            .collect();
        let sizes: Vec<usize> = chunks(rows).iter().map(Vec::len).collect();
        assert_eq!(sizes, [1000, 1000, 500]);
    }

    #[test]
    fn the_item_a_server_error_names_is_found() {
        let e = kirim_client::Error::Api(Box::new(kirim_client::ApiError {
            status: 400,
            kind: "invalid_request_error".into(),
            code: "invalid_field_value".into(),
            message: "bad".into(),
            param: Some("contacts[12].email".into()),
            request_id: None,
            retry_after: None,
        }));
        assert_eq!(item_index(&e), Some(12));
    }
}
