//! The command line: `serve`, `migrate` and the operator's `admin` commands. Every option also
//! reads a `KIRIM_…` environment variable.

use clap::{Args, Parser, Subcommand};

use crate::BoxResult;
use crate::serve::ServeArgs;
use crate::store::DEFAULT_DATABASE_URL;

pub mod admin;
pub mod remote;

#[derive(Debug, Parser)]
#[command(
    name = "kirim",
    version,
    about = "Self-hostable server for the Kirim contacts-and-labels API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the API.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Administer organisations, teams, accounts and API keys.
    Admin(admin::AdminArgs),
    /// A server's contacts: list, import a CSV, export to CSV (over HTTP).
    Contacts(remote::contacts::ContactsArgs),
    /// A server's labels: list, create, delete, apply to many contacts (over HTTP).
    Labels(remote::labels::LabelsArgs),
    /// A server's webhooks: list, create, replay, listen locally (over HTTP).
    Webhooks(remote::webhooks::WebhooksArgs),
    /// Print the OpenAPI 3.1 document served at `/v1/openapi.json` (`kirim openapi >
    /// openapi.json` refreshes the committed copy).
    Openapi,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArg {
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(long, env = "KIRIM_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
}

/// A command line clap refused: printed as clap prints it, or, under `--json` (or `KIRIM_JSON`),
/// as the JSON error every other failure of a command prints, so that a program reading stderr
/// always gets JSON. `--help` and `--version` are not failures and print as clap prints them.
pub fn refused(error: clap::Error) -> std::process::ExitCode {
    use clap::builder::{BoolishValueParser, TypedValueParser};
    use clap::error::ErrorKind;
    // `KIRIM_JSON` read by the parser `--json` itself uses, so that both agree on what is "yes".
    let truthy = |v: std::ffi::OsString| {
        let parser = BoolishValueParser::new();
        parser.parse_ref(&clap::Command::new("kirim"), None, &v).unwrap_or(false)
    };
    let json = std::env::args().any(|a| a == "--json")
        || std::env::var_os("KIRIM_JSON").is_some_and(truthy);
    let shown = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if !json || shown {
        error.exit();
    }
    let text = error.render().to_string();
    let message = text.trim().strip_prefix("error: ").unwrap_or(text.trim());
    eprintln!("{}", serde_json::json!({ "error": { "type": "usage_error", "message": message } }));
    std::process::ExitCode::from(2)
}

/// Runs a command. The client commands report their own errors and choose their exit code
/// (0 ok, 1 failed, 2 usage, 3 partial); the others end in `Err` on failure.
pub async fn run(cli: Cli) -> BoxResult<std::process::ExitCode> {
    let done = match cli.command {
        Command::Contacts(args) => return Ok(remote::contacts::run(args).await),
        Command::Labels(args) => return Ok(remote::labels::run(args).await),
        Command::Webhooks(args) => return Ok(remote::webhooks::run(args).await),
        Command::Serve(args) => crate::serve::serve(args).await,
        Command::Migrate { database } => {
            let db = crate::store::Db::connect(&database.database_url, 1).await?;
            db.migrate().await?;
            println!("migrations applied ({})", db.backend());
            Ok(())
        }
        Command::Admin(args) => return Ok(admin::run(args).await),
        Command::Openapi => {
            print!("{}", crate::openapi::to_pretty_json(&crate::openapi::document()));
            Ok(())
        }
    };
    done.map(|()| std::process::ExitCode::SUCCESS)
}
