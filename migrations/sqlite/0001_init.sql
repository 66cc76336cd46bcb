-- Kirim schema, SQLite flavour. migrations/postgres/ holds the same tables, file for file.
--
-- Timestamps are INTEGER milliseconds since the epoch in both backends: one representation, one
-- decoding path, and the API formats them as RFC 3339 itself.
-- Ids are the prefixed ULIDs of the API. ULIDs sort by creation time, so "newest first" paging is
-- a keyset walk over the primary key (or over (label_id, contact_id) for a label's contacts).

CREATE TABLE organizations (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    tier             TEXT NOT NULL CHECK (tier IN ('free', 'pro', 'enterprise')),
    write_per_minute INTEGER NOT NULL,
    read_per_minute  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX teams_org ON teams (org_id, id);

-- phone_number_id is Meta's id for the number, globally unique, so it is the key itself.
CREATE TABLE accounts (
    phone_number_id TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    team_id         TEXT NOT NULL REFERENCES teams (id),
    phone_number    TEXT NOT NULL,
    name            TEXT,
    status          TEXT NOT NULL
        CHECK (status IN ('connected', 'disconnected', 'degraded', 'onboarding')),
    created_at      INTEGER NOT NULL
);
CREATE INDEX accounts_org ON accounts (org_id, phone_number_id);

-- Only a hash of each key is kept; prefix and last4 are for display.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    label      TEXT,
    key_hash   TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    last4      TEXT NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);

-- name_lc and email_lc are lower-cased by the server (Unicode-aware, identically for both
-- backends) so that `search` is a case-insensitive substring match everywhere.
CREATE TABLE contacts (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    account_id   TEXT NOT NULL REFERENCES accounts (phone_number_id),
    team_id      TEXT NOT NULL REFERENCES teams (id),
    phone_number TEXT NOT NULL,
    name         TEXT,
    email        TEXT,
    name_lc      TEXT,
    email_lc     TEXT,
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (account_id, phone_number)
);
CREATE INDEX contacts_account ON contacts (account_id, id);

-- name_key is the trimmed, lower-cased name: label names are unique per team case-insensitively.
CREATE TABLE labels (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    team_id    TEXT NOT NULL REFERENCES teams (id),
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    color      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (team_id, name_key)
);
CREATE INDEX labels_org ON labels (org_id, id);

-- The primary key serves "contacts with this label, newest first" as an index range walk;
-- WITHOUT ROWID stores rows in that order, so the walk reads no second b-tree;
-- the second index serves "labels of this contact" and the cascade when a contact is deleted.
CREATE TABLE contact_labels (
    label_id   TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (label_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_labels_contact ON contact_labels (contact_id, label_id);

-- Server-wide secrets (the cursor MAC key), generated once and shared by every node.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
