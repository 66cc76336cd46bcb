//! The command line: `serve`, `migrate` and the operator's `admin` commands. Every option also
//! reads a `KIRIM_…` environment variable.

use clap::{Args, Parser, Subcommand};

use crate::BoxResult;
use crate::serve::ServeArgs;
use crate::store::DEFAULT_DATABASE_URL;

pub mod admin;

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

pub async fn run(cli: Cli) -> BoxResult<()> {
    match cli.command {
        Command::Serve(args) => crate::serve::serve(args).await,
        Command::Migrate { database } => {
            let db = crate::store::Db::connect(&database.database_url, 1).await?;
            db.migrate().await?;
            println!("migrations applied ({})", db.backend());
            Ok(())
        }
        Command::Admin(args) => admin::run(args).await,
        Command::Openapi => {
            print!("{}", crate::openapi::to_pretty_json(&crate::openapi::document()));
            Ok(())
        }
    }
}
