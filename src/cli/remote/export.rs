//! `kirim contacts export`: pages streamed to CSV, one page in memory at a time.
//!
//! Columns: `phone_number, name, email, team_id, metadata` (a JSON object), then `id,
//! created_at, updated_at`, which `import` ignores: the file reads back as the same contacts.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use kirim_client::{Client, Contact, ContactFilter};

use super::progress::Progress;
use super::{Done, Failure, Output};

pub const HEADER: [&str; 8] =
    ["phone_number", "name", "email", "team_id", "metadata", "id", "created_at", "updated_at"];

pub fn writer<W: Write>(out: W) -> csv::Writer<W> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let _ = w.write_record(HEADER);
    w
}

pub fn write_row<W: Write>(w: &mut csv::Writer<W>, c: &Contact) -> Result<(), Failure> {
    let metadata = serde_json::to_string(&c.metadata).unwrap_or_default();
    let name = c.name.as_deref().unwrap_or("");
    let email = c.email.as_deref().unwrap_or("");
    w.write_record([
        c.phone_number.as_str(),
        name,
        email,
        c.team_id.as_deref().unwrap_or(""),
        &metadata,
        &c.id,
        &c.created_at,
        &c.updated_at,
    ])?;
    Ok(())
}

pub async fn run(
    client: &Client,
    output: Output,
    account: &str,
    filter: &ContactFilter,
    file: Option<&Path>,
) -> Result<Done, Failure> {
    let count = match file {
        None => write_pages(client, &output, account, filter, std::io::stdout()).await?,
        // Written beside the file and renamed over it once every page is in: an export that
        // fails (a wrong account, a lost connection) leaves the file as it was, not emptied or
        // cut short.
        Some(path) => {
            let mut partial = path.as_os_str().to_owned();
            partial.push(".part");
            let partial = PathBuf::from(partial);
            let cannot =
                |e: std::io::Error| Failure::Input(format!("cannot write {}: {e}", path.display()));
            let sink = File::create(&partial).map_err(cannot)?;
            let written = write_pages(client, &output, account, filter, sink).await;
            match written {
                Ok(count) => {
                    std::fs::rename(&partial, path).map_err(cannot)?;
                    count
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
            }
        }
    };
    // With the CSV on stdout, the summary goes to stderr so that the file stays clean.
    if let Some(path) = file {
        let summary = serde_json::json!({ "exported": count, "file": path.display().to_string() });
        output.result(&summary, || format!("exported {count} contacts to {}", path.display()))?;
    } else if !output.json {
        eprintln!("kirim: exported {count} contacts");
    }
    Ok(Done::Ok)
}

/// Every page of the filter to `sink` as CSV; how many contacts.
async fn write_pages(
    client: &Client,
    output: &Output,
    account: &str,
    filter: &ContactFilter,
    sink: impl Write,
) -> Result<u64, Failure> {
    let mut w = writer(std::io::BufWriter::new(sink));
    let mut pages = client.list_contacts(account, filter);
    let mut progress = Progress::new("contacts", None, output.json);
    let mut count = 0u64;
    while let Some(page) = pages.next_page().await? {
        for c in &page {
            write_row(&mut w, c)?;
        }
        w.flush()?;
        count += page.len() as u64;
        progress.advance(page.len() as u64);
    }
    progress.finish();
    Ok(count)
}
