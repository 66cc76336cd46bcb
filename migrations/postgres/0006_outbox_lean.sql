-- PostgreSQL flavour; migrations/sqlite/0006_outbox_lean.sql makes the same change.

-- The outbox's rows are written by the thousand in the transaction of a bulk call, so every
-- index and constraint on them is paid a thousand times there (docs/performance.md, "The bulk
-- path"). This keeps only what a reader uses:
--
-- * No foreign keys. Organisations and subscriptions are never deleted (a subscription's
--   deletion is deleted_at), and the outbox writes only ids it has just read, so the checks
--   could never fail; each fired a trigger and a look-up per row. Retention deletes a delivery
--   before its event instead of relying on ON DELETE CASCADE: deliveries by event_id, then the
--   events, both older than the cutoff by the time their ULID ids carry.
-- * webhook_events_created is gone: retention walks the primary key, whose ids sort by time.
--
-- Every column and the semantics documented in 0004_webhooks.sql stay as they were.

ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_org_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_org_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_subscription_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_fkey;
DROP INDEX webhook_events_created;
