//! `kirim contacts list|import|export`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use kirim_client::{Contact, ContactFilter};

use super::output::{cell, print_line, table};
use super::{Done, Failure, Remote, export, finish, import};

#[derive(Debug, Args)]
pub struct ContactsArgs {
    #[command(flatten)]
    remote: Remote,
    #[command(subcommand)]
    command: ContactsCommand,
}

#[derive(Debug, Subcommand)]
enum ContactsCommand {
    /// List an account's contacts, every page.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Contacts changed at or after this RFC 3339 time, oldest change first.
        #[arg(long)]
        updated_since: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Create or update contacts from a CSV file (header row; `phone_number` required).
    Import(import::ImportArgs),
    /// Write an account's contacts to CSV (a file `import` reads back).
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// The file to write; standard output if absent.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// The account and the filters shared by list and export.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// The account's phone_number_id.
    #[arg(long)]
    pub account: String,
    /// Only contacts carrying this label (`lbl_…`).
    #[arg(long)]
    pub label: Option<String>,
    /// Case-insensitive substring of name or email.
    #[arg(long)]
    pub search: Option<String>,
}

impl FilterArgs {
    pub fn filter(&self) -> ContactFilter {
        ContactFilter {
            label_id: self.label.clone(),
            search: self.search.clone(),
            limit: Some(100),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

pub async fn run(args: ContactsArgs) -> ExitCode {
    let output = args.remote.output();
    let result = async {
        let client = args.remote.client()?;
        match args.command {
            ContactsCommand::List { filter, updated_since, format } => {
                let format = if args.remote.json { Format::Json } else { format };
                let mut f = filter.filter();
                f.updated_since = updated_since;
                list(&client, &filter.account, &f, format).await
            }
            ContactsCommand::Import(import) => import::run(&client, output, import).await,
            ContactsCommand::Export { filter, output: file } => {
                export::run(&client, output, &filter.account, &filter.filter(), file.as_deref())
                    .await
            }
        }
    }
    .await;
    finish(output, result).await
}

/// Streams the pages: JSON lines, CSV rows, or a table per page.
async fn list(
    client: &kirim_client::Client,
    account: &str,
    filter: &ContactFilter,
    format: Format,
) -> Result<Done, Failure> {
    let mut pages = client.list_contacts(account, filter);
    let mut csv = (format == Format::Csv).then(|| export::writer(std::io::stdout()));
    let mut first = true;
    while let Some(page) = pages.next_page().await? {
        match format {
            Format::Json => {
                for c in &page {
                    print_line(&serde_json::to_string(c).unwrap_or_default())?;
                }
            }
            Format::Csv => {
                if let Some(w) = csv.as_mut() {
                    for c in &page {
                        export::write_row(w, c)?;
                    }
                    w.flush()?;
                }
            }
            Format::Table => {
                let rows: Vec<Vec<String>> = page.iter().map(row).collect();
                let text = table(&["ID", "PHONE", "NAME", "EMAIL", "UPDATED"], &rows);
                // The header once, then only the rows of later pages.
                let text =
                    if first { text } else { text.lines().skip(1).collect::<Vec<_>>().join("\n") };
                if !text.is_empty() {
                    print_line(&text)?;
                }
            }
        }
        first = false;
    }
    Ok(Done::Ok)
}

fn row(c: &Contact) -> Vec<String> {
    vec![c.id.clone(), c.phone_number.clone(), cell(&c.name), cell(&c.email), c.updated_at.clone()]
}
