-- Stored responses of POST requests sent with an Idempotency-Key (contract §6).
--
-- A row is inserted when a request claims its key and is committed in the same transaction as
-- the request's effect, already holding the response: a committed row always has one. While the
-- first request runs, its uncommitted row makes duplicates wait on the primary key, then replay.
-- Rows older than 24 hours are treated as absent and purged by a background task.
CREATE TABLE idempotency_keys (
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    status_code     INTEGER NOT NULL,
    response_body   TEXT NOT NULL,
    request_id      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
