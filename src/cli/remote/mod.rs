//! The client commands, `kirim contacts|labels|webhooks …`: they talk HTTP to a server (this
//! one or the hosted API) through `kirim-client`, given by `--api-url` and `--api-key`.
//!
//! Every command prints its result on stdout (a table or sentence, or JSON with `--json`) and
//! its errors on stderr (JSON too with `--json`). Exit codes: 0 done, 1 failed, 2 usage,
//! 3 partly done (some rows or chunks failed, the rest went through); a closed stdout (`… | head`)
//! ends a command quietly with 0.

pub mod contacts;
mod export;
mod import;
mod import_rows;
pub mod labels;
mod output;
mod progress;
pub mod webhooks;

use std::process::ExitCode;

use clap::Args;
use clap::builder::BoolishValueParser;
use kirim_client::Client;

pub use output::Output;

/// Where the server is and how to authenticate, shared by every client command.
#[derive(Debug, Clone, Args)]
pub struct Remote {
    /// The server's URL (without `/v1`).
    #[arg(long, env = "KIRIM_API_URL", default_value = kirim_client::DEFAULT_BASE_URL, global = true)]
    pub api_url: String,
    /// The API key (`kdv_live_…`).
    #[arg(long, env = "KIRIM_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// Print JSON: results on stdout, errors on stderr.
    #[arg(long, env = "KIRIM_JSON", global = true, value_parser = BoolishValueParser::new())]
    pub json: bool,
}

impl Remote {
    pub fn client(&self) -> Result<Client, Failure> {
        let key = self.api_key.as_deref().filter(|k| !k.is_empty()).ok_or_else(|| {
            Failure::Usage("no API key: pass --api-key or set KIRIM_API_KEY".into())
        })?;
        Ok(Client::new(&self.api_url, key)?)
    }

    pub fn output(&self) -> Output {
        Output { json: self.json }
    }
}

/// How a command that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Everything went through.
    Ok,
    /// Some of it failed (reported), the rest went through.
    Partial,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The server refused, or could not be reached.
    #[error("{0}")]
    Client(#[from] kirim_client::Error),
    /// Bad input that is not a command-line mistake (an unreadable file, a missing column).
    #[error("{0}")]
    Input(String),
    /// A command-line mistake.
    #[error("{0}")]
    Usage(String),
    /// The reader of our stdout is gone (`kirim contacts list | head`): the command stops
    /// quietly, with success, as `ripgrep` does; what it was writing is no longer wanted.
    #[error("standard output was closed")]
    StdoutClosed,
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::StdoutClosed
        } else {
            Failure::Input(e.to_string())
        }
    }
}

impl From<csv::Error> for Failure {
    fn from(e: csv::Error) -> Self {
        match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                Failure::StdoutClosed
            }
            _ => Failure::Input(e.to_string()),
        }
    }
}

/// Runs a command and turns its ending into the documented exit code.
pub async fn finish(output: Output, result: Result<Done, Failure>) -> ExitCode {
    match result {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::Partial) => ExitCode::from(3),
        Err(Failure::StdoutClosed) => ExitCode::SUCCESS,
        Err(failure) => {
            output.failure(&failure);
            ExitCode::from(if matches!(failure, Failure::Usage(_)) { 2 } else { 1 })
        }
    }
}
