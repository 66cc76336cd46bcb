//! `kirim labels list|create|delete|apply`.
//!
//! `apply` attaches (or detaches) a label on any number of contacts: the ids come from a file,
//! another label or a search; they are sorted, de-duplicated and sent through bulk label in
//! chunks of 1,000. The totals are summed over the chunks.
//!
//! Each chunk's call has an `Idempotency-Key` of its own, which the client's retries reuse, so
//! a chunk sent again after a lost answer is applied once. The keys are not derived from the
//! job: a re-run is a new request. Had they been, attaching, detaching and attaching the same
//! ids within a day would replay the first attach and leave the label off. A re-run after a
//! crash needs no replay either: attaching a label twice changes nothing the second time.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kirim_client::{BulkLabelResult, Client, ContactFilter, Method, NewLabel};
use serde_json::json;

use super::output::{table, to_value};
use super::progress::Progress;
use super::{Done, Failure, Output, Remote, finish};
use crate::ids::ContactId;

const CHUNK: usize = 1000;

#[derive(Debug, Args)]
pub struct LabelsArgs {
    #[command(flatten)]
    remote: Remote,
    #[command(subcommand)]
    command: LabelsCommand,
}

#[derive(Debug, Subcommand)]
enum LabelsCommand {
    /// List the organisation's labels.
    List {
        /// Only this team's labels.
        #[arg(long)]
        team: Option<String>,
    },
    /// Create a label.
    Create {
        #[arg(long)]
        name: String,
        /// gray (default), red, orange, amber, yellow, lime, green, emerald, teal, sky, blue,
        /// violet or pink.
        #[arg(long)]
        color: Option<String>,
        /// The team (required when the organisation has several).
        #[arg(long)]
        team: Option<String>,
    },
    /// Delete a label (it comes off every contact).
    Delete {
        /// The label's id (`lbl_…`).
        label: String,
    },
    /// Attach a label to (or, with --detach, remove it from) any number of contacts.
    Apply(ApplyArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["ids", "from_label", "search"]))]
struct ApplyArgs {
    /// The label to apply (`lbl_…`).
    label: String,
    /// The account's phone_number_id.
    #[arg(long)]
    account: String,
    /// A file of contact ids: one per line, or a CSV with an `id` column (as `export` writes).
    #[arg(long)]
    ids: Option<PathBuf>,
    /// The contacts carrying this other label.
    #[arg(long)]
    from_label: Option<String>,
    /// The contacts whose name or email contains this.
    #[arg(long)]
    search: Option<String>,
    /// Remove the label instead of attaching it.
    #[arg(long)]
    detach: bool,
}

pub async fn run(args: LabelsArgs) -> ExitCode {
    let output = args.remote.output();
    let result = async {
        let client = args.remote.client()?;
        match args.command {
            LabelsCommand::List { team } => list(&client, output, team.as_deref()).await,
            LabelsCommand::Create { name, color, team } => {
                let label = client.create_label(&NewLabel { name, color, team_id: team }).await?;
                output.result(&label, || format!("created {} ({})", label.id, label.name))?;
                Ok(Done::Ok)
            }
            LabelsCommand::Delete { label } => {
                let deleted = client.delete_label(&label).await?;
                output.result(&deleted, || format!("deleted {}", deleted.id))?;
                Ok(Done::Ok)
            }
            LabelsCommand::Apply(apply_args) => apply(&client, output, apply_args).await,
        }
    }
    .await;
    finish(output, result).await
}

async fn list(client: &Client, output: Output, team: Option<&str>) -> Result<Done, Failure> {
    let labels = client.list_labels(team).collect().await?;
    output.result(&to_value(&labels), || {
        let rows: Vec<Vec<String>> = labels
            .iter()
            .map(|l| vec![l.id.clone(), l.name.clone(), l.color.clone(), l.team_id.clone()])
            .collect();
        table(&["ID", "NAME", "COLOR", "TEAM"], &rows)
    })?;
    Ok(Done::Ok)
}

async fn apply(client: &Client, output: Output, args: ApplyArgs) -> Result<Done, Failure> {
    let mut ids = collect_ids(client, &args).await?;
    ids.sort_unstable();
    ids.dedup();
    // One malformed id would fail its whole chunk (400 `contact_ids[i]`) after earlier chunks
    // went through; such ids are left out and named before anything is sent.
    let (ids, malformed): (Vec<String>, Vec<String>) =
        ids.into_iter().partition(|id| ContactId::parse(id).is_some());
    if !malformed.is_empty() {
        let shown: Vec<&str> = malformed.iter().take(5).map(String::as_str).collect();
        let more = malformed.len() - shown.len();
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        output.notice(&format!(
            "left out {} that {} not contact ids: {}{more}",
            plural(malformed.len(), "id"),
            if malformed.len() == 1 { "is" } else { "are" },
            shown.join(", ")
        ));
    }
    let given = ids.len() + malformed.len();
    let operation = if args.detach { "detach" } else { "attach" };
    let path = format!("/v1/{}/contacts/bulk_label", args.account);
    let mut total = BulkLabelResult::default();
    let mut replayed = 0u64;
    let mut progress = Progress::new("ids", Some(ids.len() as u64), output.json);
    for chunk in ids.chunks(CHUNK) {
        let body = json!({ "contact_ids": chunk, "label_id": args.label, "operation": operation });
        let reply = client.send(Method::POST, &path, &[], Some(&body)).await?;
        let result: BulkLabelResult = reply.into_data()?;
        total.applied += result.applied;
        total.skipped_cross_org += result.skipped_cross_org;
        total.skipped_team_mismatch += result.skipped_team_mismatch;
        replayed += u64::from(reply.replayed());
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    let summary = json!({
        "label_id": args.label,
        "operation": operation,
        "ids": given,
        "chunks": ids.len().div_ceil(CHUNK),
        "replayed_chunks": replayed,
        "applied": total.applied,
        "skipped_cross_org": total.skipped_cross_org,
        "skipped_team_mismatch": total.skipped_team_mismatch,
        "skipped_malformed": malformed.len(),
    });
    output.result(&summary, || {
        format!(
            "{operation} {}: {} ids, {} applied, {} skipped (not this account's), {} skipped (other team), {} skipped (not an id)",
            args.label,
            given,
            total.applied,
            total.skipped_cross_org,
            total.skipped_team_mismatch,
            malformed.len()
        )
    })?;
    Ok(if malformed.is_empty() { Done::Ok } else { Done::Partial })
}

/// `1 id`, `3 ids`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

async fn collect_ids(client: &Client, args: &ApplyArgs) -> Result<Vec<String>, Failure> {
    if let Some(path) = &args.ids {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
        return ids_from_file(&text);
    }
    let filter = ContactFilter {
        label_id: args.from_label.clone(),
        search: args.search.clone(),
        limit: Some(100),
        ..Default::default()
    };
    let mut pages = client.list_contacts(&args.account, &filter);
    let mut ids = Vec::new();
    while let Some(page) = pages.next_page().await? {
        ids.extend(page.into_iter().map(|c| c.id));
    }
    Ok(ids)
}

/// Ids one per line, or the `id` column of a CSV with a header row.
fn ids_from_file(text: &str) -> Result<Vec<String>, Failure> {
    // A file saved by some Windows editors starts with a byte-order mark; it is not part of an id.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    if first.contains(',') {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let column = reader
            .headers()?
            .iter()
            .position(|h| h.trim() == "id")
            .ok_or_else(|| Failure::Input("the CSV file has no `id` column".into()))?;
        let mut ids = Vec::new();
        for record in reader.records() {
            if let Some(id) = record?.get(column).map(str::trim).filter(|s| !s.is_empty()) {
                ids.push(id.to_owned());
            }
        }
        return Ok(ids);
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "id")
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_files_are_lines_or_an_id_column() {
        assert_eq!(ids_from_file("ctc_A\n\nctc_B\n").unwrap(), ["ctc_A", "ctc_B"]);
        assert_eq!(ids_from_file("\u{feff}id\r\nctc_A\r\n").unwrap(), ["ctc_A"]);
        assert_eq!(ids_from_file("\u{feff}ctc_A\n").unwrap(), ["ctc_A"]);
        assert_eq!(ids_from_file("\u{feff}name,id\nAna,ctc_A\n").unwrap(), ["ctc_A"]);
        let csv = "phone_number,name,id\n+1415,Ana,ctc_A\n+1416,,ctc_B\n";
        assert_eq!(ids_from_file(csv).unwrap(), ["ctc_A", "ctc_B"]);
        assert!(ids_from_file("a,b\n1,2\n").is_err());
    }
}
