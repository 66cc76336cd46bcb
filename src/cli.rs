//! The command line: `serve`, `migrate` and the operator's `admin` commands. Every option also
//! reads a `KIRIM_…` environment variable.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::BoxResult;

pub mod admin;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://kirim.db";

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

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, env = "KIRIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub database: DatabaseArg,
    /// On an empty database, create a demo organisation, account, 1,000 contacts and labels.
    #[arg(long, env = "KIRIM_DEMO")]
    pub demo: bool,
    /// Largest number of database connections this node opens.
    #[arg(long, env = "KIRIM_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Redis shared by all nodes for rate limits; without it, each node limits on its own.
    #[arg(long, env = "KIRIM_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Seconds a duplicate Idempotency-Key request waits for the first before 409.
    #[arg(long, env = "KIRIM_IDEMPOTENCY_WAIT_SECS", default_value_t = 30)]
    pub idempotency_wait_secs: u64,
    /// On SIGTERM, seconds to let in-flight requests finish before exiting anyway.
    #[arg(long, env = "KIRIM_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    #[command(flatten)]
    pub webhooks: crate::webhooks::settings::WebhookArgs,
    /// Log format.
    #[arg(long, env = "KIRIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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
