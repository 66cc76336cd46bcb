-- SQLite only: PostgreSQL has no clustered tables, and its contacts stay as they are.

-- Contacts are stored in their primary key's b-tree (WITHOUT ROWID) instead of a rowid table
-- beside an index on id. Every read of a contact by id, the thousand look-ups of a bulk call,
-- its stamp of updated_at and each row of a label's page then walk one b-tree instead of two
-- (docs/performance.md, "The bulk path").
--
-- SQLite cannot change a table's storage in place, so contacts is rebuilt. Dropping the old
-- table deletes its rows first, and contact_labels would lose every link by ON DELETE CASCADE;
-- so contact_labels is rebuilt too, pointing at the new table before the old one is dropped.
-- Renaming the new table to contacts rewrites that reference to the final name.
--
-- Every column, constraint and index documented in 0001_init.sql and 0004_webhooks.sql stays
-- as it was.

CREATE TABLE contacts_clustered (
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
) WITHOUT ROWID;
INSERT INTO contacts_clustered (id, org_id, account_id, team_id, phone_number, name, email,
    name_lc, email_lc, metadata, created_at, updated_at)
SELECT id, org_id, account_id, team_id, phone_number, name, email, name_lc, email_lc, metadata,
    created_at, updated_at
FROM contacts;

CREATE TABLE contact_labels_moved (
    label_id   TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts_clustered (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (label_id, contact_id)
) WITHOUT ROWID;
INSERT INTO contact_labels_moved (label_id, contact_id, created_at)
SELECT label_id, contact_id, created_at FROM contact_labels;

DROP TABLE contact_labels;
DROP TABLE contacts;
ALTER TABLE contacts_clustered RENAME TO contacts;
ALTER TABLE contact_labels_moved RENAME TO contact_labels;

CREATE INDEX contacts_account ON contacts (account_id, id);
CREATE INDEX contacts_account_updated ON contacts (account_id, updated_at, id);
CREATE INDEX contact_labels_contact ON contact_labels (contact_id, label_id);
