-- SQLite flavour; migrations/postgres/0006_outbox_lean.sql makes the same change.

-- The outbox's rows are written by the thousand in the transaction of a bulk call, so every
-- index and constraint on them is paid a thousand times there (docs/performance.md, "The bulk
-- path"). This keeps only what a reader uses:
--
-- * No foreign keys. Organisations and subscriptions are never deleted (a subscription's
--   deletion is deleted_at), and the outbox writes only ids it has just read, so the checks
--   could never fail; each cost a look-up per row. Retention deletes a delivery before its
--   event instead of relying on ON DELETE CASCADE: deliveries by event_id, then the events, both
--   older than the cutoff by the time their ULID ids carry.
-- * webhook_events_created is gone: retention walks the primary key, whose ids sort by time.
--
-- SQLite cannot drop a constraint, so both tables are rebuilt. Deliveries stay rowid tables:
-- clustered on their id (WITHOUT ROWID) they recorded no faster and the dispatcher, which
-- rewrites each row several times, sent a third fewer a second.
--
-- Every column and the semantics documented in 0004_webhooks.sql stay as they were.

CREATE TABLE webhook_events_lean (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO webhook_events_lean SELECT id, org_id, type, payload, created_at FROM webhook_events;

CREATE TABLE webhook_deliveries_lean (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_attempt_at INTEGER,
    response_status INTEGER,
    response_body   TEXT,
    last_error      TEXT CHECK (last_error IN ('timeout', 'connect_error', 'tls_error', 'redirect',
        'http_status', 'subscription_deleted', 'subscription_disabled')),
    replayed_from   TEXT,
    locked_by       TEXT,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
INSERT INTO webhook_deliveries_lean (id, org_id, subscription_id, event_id, event_type, status,
    attempts, next_attempt_at, last_attempt_at, response_status, response_body, last_error,
    replayed_from, locked_by, locked_until, created_at, updated_at)
SELECT id, org_id, subscription_id, event_id, event_type, status, attempts, next_attempt_at,
    last_attempt_at, response_status, response_body, last_error, replayed_from, locked_by,
    locked_until, created_at, updated_at
FROM webhook_deliveries;

DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_lean RENAME TO webhook_events;
ALTER TABLE webhook_deliveries_lean RENAME TO webhook_deliveries;

-- The same indexes as 0004_webhooks.sql, whose comments say what each serves; the event_id one
-- now also carries retention.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, status, id);
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_replayed_from ON webhook_deliveries (replayed_from)
    WHERE replayed_from IS NOT NULL;
