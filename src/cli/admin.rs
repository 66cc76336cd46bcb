//! `kirim admin …`: the operator's commands, parsed here and carried out by [`crate::admin`].
//! With `--json` each prints one JSON object on stdout; without, one line for a human. Errors go
//! to stderr with a non-zero exit.

use clap::builder::{BoolishValueParser, PossibleValuesParser, TypedValueParser};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::DatabaseArg;
use crate::BoxResult;
use crate::admin::{self, NewAccount, NewOrg};
use crate::enums::{AccountStatus, Tier};
use crate::store::{self, Db};

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    database: DatabaseArg,
    /// Print one JSON object instead of a sentence.
    #[arg(long, env = "KIRIM_JSON", global = true, value_parser = BoolishValueParser::new())]
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
    /// Every organisation.
    List,
    /// One organisation with its teams, accounts and keys.
    Show { id: String },
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
    /// An organisation's teams.
    List {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
    },
    Show {
        id: String,
    },
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_NAME")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// An organisation's accounts.
    List {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
    },
    /// One account, by its phone_number_id.
    Show { phone_number_id: String },
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
    /// An organisation's keys, by prefix and last four characters.
    List {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
    },
    /// One key, by its id (`key_…`).
    Show { id: String },
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

/// Runs one command; prints its result on stdout, or its error on stderr (as JSON with
/// `--json`), and returns the exit code.
pub async fn run(args: AdminArgs) -> ExitCode {
    let url = args.database.database_url.clone();
    let result = async {
        // Never create a database here: a typo in the URL must not leave an empty one behind.
        let db = Db::open_existing(&url, 2).await?;
        db.migrate().await?;
        let result = execute(&db, args.command).await;
        db.close().await;
        result
    }
    .await;
    match result {
        Ok((object, sentence)) => {
            println!("{}", if args.json { object } else { sentence });
            ExitCode::SUCCESS
        }
        Err(error) => {
            let message = match error.downcast_ref::<admin::AdminError>() {
                // Say where it was looked for: the wrong database is the usual reason.
                Some(admin::AdminError::NotFound { .. }) => {
                    format!("{error} in the database {}", store::url::describe(&url))
                }
                _ => error.to_string(),
            };
            if args.json {
                eprintln!("{}", serde_json::json!({ "error": { "message": message } }));
            } else {
                eprintln!("kirim: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Carries out one command; returns its result as JSON and as a sentence.
async fn execute(db: &Db, command: AdminCommand) -> BoxResult<(String, String)> {
    Ok(match command {
        AdminCommand::Org(OrgCommand::List) => {
            let orgs = admin::list_orgs(db).await?;
            let lines = orgs.iter().map(|o| format!("{}  {}  {}", o.id, o.tier, o.name));
            (json(&orgs)?, lines_or(lines, "no organizations"))
        }
        AdminCommand::Org(OrgCommand::Show { id }) => {
            let org = admin::show_org(db, &id).await?;
            let o = &org.organization;
            let mut text = format!(
                "organization {} ({}, tier {}, {}/{} writes/reads per minute)",
                o.id, o.name, o.tier, o.write_per_minute, o.read_per_minute
            );
            for t in &org.teams {
                text.push_str(&format!("\n  team {}  {}", t.id, t.name));
            }
            for a in &org.accounts {
                text.push_str(&format!(
                    "\n  account {}  {}  team {}",
                    a.phone_number_id, a.phone_number, a.team_id
                ));
            }
            for k in &org.keys {
                text.push_str(&format!("\n  key {}  {}  {}", k.id, k.key, k.status));
            }
            (json(&org)?, text)
        }
        AdminCommand::Team(TeamCommand::List { org }) => {
            let teams = admin::list_teams(db, &org).await?;
            let lines = teams.iter().map(|t| format!("{}  {}", t.id, t.name));
            (json(&teams)?, lines_or(lines, "no teams"))
        }
        AdminCommand::Team(TeamCommand::Show { id }) => {
            let team = admin::show_team(db, &id).await?;
            let sentence = format!("team {} ({}) of {}", team.id, team.name, team.org_id);
            (json(&team)?, sentence)
        }
        AdminCommand::Account(AccountCommand::List { org }) => {
            let accounts = admin::list_accounts(db, &org).await?;
            let lines = accounts.iter().map(|a| {
                format!(
                    "{}  {}  {}  team {}",
                    a.phone_number_id, a.phone_number, a.status, a.team_id
                )
            });
            (json(&accounts)?, lines_or(lines, "no accounts"))
        }
        AdminCommand::Account(AccountCommand::Show { phone_number_id }) => {
            let a = admin::show_account(db, &phone_number_id).await?;
            let sentence = format!(
                "account {} ({}, {}) in team {} of {}",
                a.phone_number_id, a.phone_number, a.status, a.team_id, a.org_id
            );
            (json(&a)?, sentence)
        }
        AdminCommand::Key(KeyCommand::List { org }) => {
            let keys = admin::list_keys(db, &org).await?;
            let lines = keys.iter().map(|k| {
                format!("{}  {}  {}  {}", k.id, k.key, k.status, k.label.as_deref().unwrap_or(""))
            });
            (json(&keys)?, lines_or(lines, "no keys"))
        }
        AdminCommand::Key(KeyCommand::Show { id }) => {
            let k = admin::show_key(db, &id).await?;
            (json(&k)?, format!("key {} ({}, {}) of {}", k.id, k.key, k.status, k.org_id))
        }
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
            refuse_past_expiry(expires_at.as_deref())?;
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

/// An operator asking for a key that expires in the past surely mistyped: it would be refused
/// on its first request. (The service itself allows it, for tests of expiry.)
fn refuse_past_expiry(expires_at: Option<&str>) -> BoxResult<()> {
    let past =
        expires_at.and_then(crate::clock::parse_rfc3339).filter(|at| *at <= crate::clock::now_ms());
    match past {
        Some(at) => Err(format!(
            "expires_at {} is in the past: give a future time, or none for a key that does not \
             expire",
            crate::clock::rfc3339(at)
        )
        .into()),
        None => Ok(()),
    }
}

fn lines_or(lines: impl Iterator<Item = String>, empty: &str) -> String {
    let text: Vec<String> = lines.collect();
    if text.is_empty() { empty.to_owned() } else { text.join("\n") }
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
