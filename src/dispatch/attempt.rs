//! One attempt at one claimed delivery: read what to send, sign it, send it outside any
//! transaction, then record the outcome in a short transaction guarded by the lease.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::client::{Outgoing, Sent};
use super::outcome::{Answer, Step, next_step};
use super::sign::signature_header;
use super::{Dispatcher, metrics};
use crate::clock;
use crate::store::attempts::{self, AttemptRecord, Recorded};
use crate::store::dispatch::{self as queue, Claimed};
use crate::store::webhooks::secrets;
use crate::webhooks::secret::Stored;

impl Dispatcher {
    /// Makes the attempt; errors are the database's (logged by the caller). Whatever happens, a
    /// lease left behind expires on its own, so no path here can lose the delivery.
    pub(super) async fn attempt(&self, claimed: &Claimed) -> sqlx::Result<()> {
        let attempt = claimed.attempts as u32 + 1;
        let now = clock::now_ms();
        let (job, secrets) = {
            let mut conn = self.db.acquire().await?;
            let Some(job) = queue::job(conn.conn(), &claimed.id).await? else {
                return Ok(()); // purged meanwhile
            };
            let stored = secrets::active(conn.conn(), &claimed.subscription_id, now).await?;
            // Stored oldest first; signed newest first.
            let open =
                stored.iter().rev().filter_map(|s| (self.config.open_secret)(&Stored::from(s)));
            (job, open.collect::<Vec<_>>())
        };
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let signature = signature_header(t as i64, job.payload.as_bytes(), &secrets);
        let sent = self
            .client
            .send(&Outgoing {
                url: &job.url,
                event_type: &job.event_type,
                event_id: job.event_id.as_str(),
                delivery_id: claimed.id.as_str(),
                attempt,
                body: job.payload.as_bytes(),
                signature: &signature,
            })
            .await;
        let step = next_step(&sent.answer, attempt, &self.config.schedule);
        let recorded = self.record(claimed, &sent, &step).await?;
        metrics::attempt(step.status(), sent.elapsed);
        if recorded == Recorded::StoredAndDisabled {
            metrics::subscription_disabled();
        }
        let status = match sent.answer {
            Answer::Status { code, .. } => Some(code),
            Answer::Failed(_) => None,
        };
        tracing::info!(
            delivery_id = %claimed.id,
            subscription_id = %claimed.subscription_id,
            event_id = %job.event_id,
            attempt,
            outcome = step.status(),
            response_status = status,
            error = step.error(),
            elapsed_ms = sent.elapsed.as_millis() as u64,
            lease_lost = recorded == Recorded::LeaseLost,
            "webhook attempt"
        );
        Ok(())
    }

    async fn record(&self, claimed: &Claimed, sent: &Sent, step: &Step) -> sqlx::Result<Recorded> {
        let now = clock::now_ms();
        let next_attempt_at = match step {
            Step::Retry { delay, .. } => Some(now + millis(*delay)),
            Step::Delivered | Step::Dead { .. } => None,
        };
        let response_status = match sent.answer {
            Answer::Status { code, .. } => Some(i64::from(code)),
            Answer::Failed(_) => None,
        };
        let record = AttemptRecord {
            delivery_id: &claimed.id,
            subscription_id: &claimed.subscription_id,
            node: &self.node,
            status: step.status(),
            next_attempt_at,
            attempted_at: now,
            response_status,
            response_body: sent.body.as_deref(),
            last_error: step.error(),
        };
        let mut tx = self.db.begin().await?;
        let recorded = attempts::record(tx.conn(), &record).await?;
        tx.commit().await?;
        Ok(recorded)
    }
}

pub(super) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
