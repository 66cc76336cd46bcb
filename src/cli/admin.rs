//! `kirim admin …`: the operator's commands, parsed here and carried out by [`crate::admin`].
//! With `--json` each prints one JSON object on stdout; without, one line for a human. Errors go
//! to stderr with a non-zero exit.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::DatabaseArg;
use crate::BoxResult;
use crate::admin::{self, NewAccount, NewOrg};
use crate::enums::{AccountStatus, Tier};
use crate::store::Db;

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    database: DatabaseArg,
    /// Print one JSON object instead of a sentence.
    #[arg(long, env = "KIRIM_JSON", global = true)]
    json: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Teams of an organisation.
    #[command(subcommand)]
    Team(TeamCommand),
    /// WhatsApp accounts (phone numbers) of a team.
    #[command(subcommand)]
    Account(AccountCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    Create {
        #[arg(long, env = "KIRIM_NAME")]
        name: String,
        #[arg(long, env = "KIRIM_TIER", default_value_t = Tier::Free, value_parser = words::<Tier>(Tier::names()))]
        tier: Tier,
        /// Enterprise tier only: writes per minute.
        #[arg(long, env = "KIRIM_WRITE_PER_MINUTE")]
        write_per_minute: Option<u32>,
        /// Enterprise tier only: reads per minute.
        #[arg(long, env = "KIRIM_READ_PER_MINUTE")]
        read_per_minute: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
enum TeamCommand {
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_NAME")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_TEAM")]
        team: String,
        #[arg(long, env = "KIRIM_PHONE_NUMBER_ID")]
        phone_number_id: String,
        #[arg(long, env = "KIRIM_PHONE_NUMBER")]
        phone_number: String,
        #[arg(long, env = "KIRIM_NAME")]
        name: Option<String>,
        #[arg(
            long,
            env = "KIRIM_STATUS",
            default_value_t = AccountStatus::Connected,
            value_parser = words::<AccountStatus>(AccountStatus::names())
        )]
        status: AccountStatus,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_LABEL")]
        label: Option<String>,
        /// RFC 3339 time after which the key is refused.
        #[arg(long, env = "KIRIM_EXPIRES_AT")]
        expires_at: Option<String>,
    },
    Revoke {
        #[arg(long, env = "KIRIM_KEY_ID")]
        id: String,
    },
}

pub async fn run(args: AdminArgs) -> BoxResult<()> {
    let db = Db::connect(&args.database.database_url, 2).await?;
    db.migrate().await?;
    let result = execute(&db, args.command).await;
    db.close().await;
    let (object, sentence) = result?;
    println!("{}", if args.json { object } else { sentence });
    Ok(())
}

/// Carries out one command; returns its result as JSON and as a sentence.
async fn execute(db: &Db, command: AdminCommand) -> BoxResult<(String, String)> {
    Ok(match command {
        AdminCommand::Org(OrgCommand::Create { name, tier, write_per_minute, read_per_minute }) => {
            let new = NewOrg { name, tier, write_per_minute, read_per_minute };
            let org = admin::create_org(db, new).await?;
            let sentence =
                format!("created organization {} ({}, tier {})", org.id, org.name, org.tier);
            (json(&org)?, sentence)
        }
        AdminCommand::Team(TeamCommand::Create { org, name }) => {
            let team = admin::create_team(db, &org, &name).await?;
            let sentence = format!("created team {} ({}) in {}", team.id, team.name, team.org_id);
            (json(&team)?, sentence)
        }
        AdminCommand::Account(AccountCommand::Create {
            org,
            team,
            phone_number_id,
            phone_number,
            name,
            status,
        }) => {
            let new = NewAccount {
                org_id: org,
                team_id: team,
                phone_number_id,
                phone_number,
                name,
                status,
            };
            let account = admin::create_account(db, new).await?;
            let sentence = format!(
                "created account {} ({}) in team {}",
                account.phone_number_id, account.phone_number, account.team_id
            );
            (json(&account)?, sentence)
        }
        AdminCommand::Key(KeyCommand::Create { org, label, expires_at }) => {
            let key = admin::create_key(db, &org, label.as_deref(), expires_at.as_deref()).await?;
            let sentence = format!(
                "created key {} for {}: {} (shown once; store it now)",
                key.id, key.org_id, key.key
            );
            (json(&key)?, sentence)
        }
        AdminCommand::Key(KeyCommand::Revoke { id }) => {
            let revoked = admin::revoke_key(db, &id).await?;
            (json(&revoked)?, format!("revoked key {}", revoked.id))
        }
    })
}

fn json(value: &impl Serialize) -> serde_json::Result<String> {
    serde_json::to_string(value)
}

/// A parser that accepts one of `words` (listed in `--help`) and makes it a `T`.
fn words<T>(words: Vec<&'static str>) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Debug,
{
    PossibleValuesParser::new(words).map(|word| word.parse::<T>().expect("one of the words"))
}
