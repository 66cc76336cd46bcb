-- SQLite flavour; migrations/postgres/0004_webhooks.sql is the same file with BIGINT for INTEGER.

-- Webhooks (transactional outbox) and the index behind `updated_since`.
--
-- Column semantics the dispatcher relies on:
-- * webhook_subscriptions.status: `active` receives and sends; `paused` receives (deliveries are
--   written, held with next_attempt_at NULL) but sends nothing; `disabled` receives nothing.
--   deleted_at NOT NULL means deleted: the API no longer shows it and it receives nothing; the row
--   stays so that its deliveries keep their history.
-- * webhook_subscriptions.consecutive_failures counts deliveries that ended `dead` in a row; any
--   2xx resets it; at 24 the subscription becomes `disabled` with disabled_reason
--   `consecutive_failures` and its unfinished deliveries `dead` (last_error `subscription_disabled`).
-- * webhook_secrets: a secret is active while expires_at IS NULL OR expires_at > now; sign with
--   every active one, newest (highest id) first. nonce NULL: `secret` is the plain `whsec_…`
--   string; otherwise `secret` is base64 ciphertext sealed with the operator key and this nonce
--   (see src/webhooks/secret.rs).
-- * webhook_events.payload is the envelope rendered once at commit; every attempt and replay
--   sends these bytes unchanged.
-- * webhook_deliveries.status: `pending` (no attempt has failed yet; attempts may be 0), `failed`
--   (the last attempt failed and another is scheduled), `delivered`, `dead` (final).
--   attempts = attempts made so far (0 before the first; X-Kirim-Attempt = attempts + 1).
--   next_attempt_at = when the next attempt is due; NULL when final (delivered/dead) or held
--   because the subscription is paused (resume sets it to the resume time for every held row, so
--   they go out by id, i.e. oldest first). A row is due when status IN ('pending','failed') AND
--   next_attempt_at <= now AND (locked_until IS NULL OR locked_until < now).
--   locked_by/locked_until: the lease of the node sending it (NULL when nobody holds it); a node
--   killed mid-send loses nothing, the row becomes due again when the lease runs out.
--   replayed_from: the delivery this one replays (no foreign key: the original may be purged
--   first by retention).
-- * Retention: deleting an event removes its deliveries (ON DELETE CASCADE).

-- One subscription per (org, url) is not enforced: the hosted API allows several, e.g. with
-- different event sets. events is a JSON array of type names, sorted and distinct; an org has at
-- most 20 subscriptions, so the outbox reads them and matches types in the server, which keeps
-- the SQL identical in both backends.
CREATE TABLE webhook_subscriptions (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id),
    url                  TEXT NOT NULL,
    description          TEXT,
    events               TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
    disabled_reason      TEXT CHECK (disabled_reason IN ('consecutive_failures')),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    deleted_at           INTEGER
);
-- The list (newest first), the outbox's "subscriptions of this org" and the limit count.
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_id, id)
    WHERE deleted_at IS NULL;

-- Secrets are kept (not hashed): the server signs with them. Rows go when the subscription is
-- deleted or the secret revoked; expired ones are pruned on the next rotation.
CREATE TABLE webhook_secrets (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    secret          TEXT NOT NULL,
    nonce           TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER
);
CREATE INDEX webhook_secrets_subscription ON webhook_secrets (subscription_id, id);

-- The outbox: one row per event, written in the transaction of the change it reports.
CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- Retention purges by age.
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- event_type is copied from the event (it never changes) so the list filters need no join.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    event_id        TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
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
-- The dispatcher's claim: due rows in schedule order. Partial, so finished deliveries (nearly
-- all of them) cost the claim nothing.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE status IN ('pending', 'failed');
-- Per subscription, oldest first: resume (release the held rows), delete/disable (kill the
-- unfinished ones), bulk replay (status + creation range), the list filtered by subscription.
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, status, id);
-- The list, newest first.
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, id);
-- The event_id filter and the cascade of the retention purge.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
-- "Not already replayed" in bulk replay.
CREATE INDEX webhook_deliveries_replayed_from ON webhook_deliveries (replayed_from)
    WHERE replayed_from IS NOT NULL;

-- `updated_since`: contacts of an account, oldest change first, keyset on (updated_at, id).
CREATE INDEX contacts_account_updated ON contacts (account_id, updated_at, id);
