//! `kirim webhooks list|create|replay|listen`.
//!
//! `listen` is a local receiver: it serves `http://127.0.0.1:PORT/`, subscribes it (the server
//! must allow private targets), prints every event whose signature verifies, and deletes the
//! subscription when stopped: Ctrl-C, SIGTERM, or SIGHUP when its terminal closes.

use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::{Args, Subcommand};
use kirim_client::Client;
use kirim_client::webhooks::{Event, NewSubscription, verify_signature};
use tokio::sync::Notify;

use super::output::{table, to_value};
use super::{Done, Failure, Output, Remote, finish};

/// What `listen` subscribes to unless told: every event this server emits.
const DEFAULT_EVENTS: [&str; 7] = [
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "label.created",
    "label.updated",
    "label.deleted",
    "message.received",
];

#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(flatten)]
    remote: Remote,
    #[command(subcommand)]
    command: WebhooksCommand,
}

#[derive(Debug, Subcommand)]
enum WebhooksCommand {
    /// List the organisation's webhook subscriptions.
    List,
    /// Subscribe a URL to event types (the signing secret is shown once).
    Create {
        #[arg(long)]
        url: String,
        /// Event types (`contact.updated`, …); repeat or separate with commas.
        #[arg(long = "event", required = true, value_delimiter = ',')]
        events: Vec<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Send a delivery's event again, as a new delivery.
    Replay {
        /// The delivery's id (`wbd_…`).
        delivery: String,
    },
    /// Receive events on this machine and print them (Ctrl-C to stop).
    Listen {
        /// Local port to receive on.
        #[arg(long)]
        port: u16,
        /// Event types to receive (default: the contact and label events).
        #[arg(long = "event", value_delimiter = ',')]
        events: Vec<String>,
    },
}

pub async fn run(args: WebhooksArgs) -> ExitCode {
    let output = args.remote.output();
    let result = async {
        let client = args.remote.client()?;
        match args.command {
            WebhooksCommand::List => {
                let subs = client.list_subscriptions().collect().await?;
                output.result(&to_value(&subs), || {
                    let rows: Vec<Vec<String>> = subs
                        .iter()
                        .map(|s| {
                            vec![s.id.clone(), s.status.clone(), s.url.clone(), s.events.join(",")]
                        })
                        .collect();
                    table(&["ID", "STATUS", "URL", "EVENTS"], &rows)
                })?;
                Ok(Done::Ok)
            }
            WebhooksCommand::Create { url, events, description } => {
                let created = client
                    .create_subscription(&NewSubscription { url, events, description })
                    .await?;
                output.result(&created, || {
                    format!(
                        "created {} → {}\nsigning secret (shown once): {}",
                        created.subscription.id, created.subscription.url, created.initial_secret
                    )
                })?;
                Ok(Done::Ok)
            }
            WebhooksCommand::Replay { delivery } => {
                let replay = client.replay_delivery(&delivery).await?;
                output.result(&replay, || {
                    format!("replaying {} as {}", replay.replayed_from, replay.id)
                })?;
                Ok(Done::Ok)
            }
            WebhooksCommand::Listen { port, events } => listen(&client, output, port, events).await,
        }
    }
    .await;
    finish(output, result).await
}

struct Receiver {
    secret: String,
    output: Output,
    /// Told when an event could not be printed because stdout is closed (`… | head`): the
    /// listener then stops, and deletes its subscription, instead of taking events nobody reads.
    stdout_closed: Notify,
}

async fn listen(
    client: &Client,
    output: Output,
    port: u16,
    events: Vec<String>,
) -> Result<Done, Failure> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Failure::Input(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let address = listener.local_addr()?;
    let events = if events.is_empty() {
        DEFAULT_EVENTS.iter().map(|e| (*e).to_owned()).collect()
    } else {
        events
    };
    let new = NewSubscription {
        url: format!("http://{address}/"),
        events,
        description: Some("kirim webhooks listen".into()),
    };
    let created = client.create_subscription(&new).await?;
    let id = created.subscription.id.clone();
    output.notice(&format!("listening on http://{address}/ as {id}; Ctrl-C to stop"));
    let receiver =
        Arc::new(Receiver { secret: created.initial_secret, output, stdout_closed: Notify::new() });
    let app = axum::Router::new().route("/", post(receive)).with_state(receiver.clone());
    let stop = async {
        tokio::select! {
            () = crate::http_server::stop_requested(true) => {}
            () = receiver.stdout_closed.notified() => {}
        }
    };
    crate::http_server::run(listener, app, stop, std::time::Duration::from_secs(5)).await;
    client.delete_subscription(&id).await?;
    output.notice(&format!("deleted subscription {id}"));
    Ok(Done::Ok)
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers.get("x-kirim-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if let Err(e) = verify_signature(signature, &body, &[&receiver.secret], now) {
        receiver.output.notice(&format!("refused a delivery: {e}"));
        return StatusCode::BAD_REQUEST;
    }
    match serde_json::from_slice::<Event>(&body) {
        Ok(event) => {
            let subject = event.data["contact"]["id"]
                .as_str()
                .or_else(|| event.data["label"]["id"].as_str())
                .unwrap_or("")
                .to_owned();
            let printed = receiver.output.result(&event, || {
                format!("{} {} {} {subject}", event.created_at, event.id, event.kind)
            });
            if printed.is_err() {
                receiver.stdout_closed.notify_one();
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            StatusCode::OK
        }
        Err(e) => {
            receiver.output.notice(&format!("a signed delivery that is not an event: {e}"));
            StatusCode::BAD_REQUEST
        }
    }
}
