-- A contact's `updated_at` moves to a narrow table of its own, which carries the
-- `updated_since` index, as on PostgreSQL (migrations/postgres/0009_contact_changes.sql says
-- why). On SQLite too a stamp then rewrites a row of three columns instead of the contact's, and
-- the two backends keep one schema and one set of statements.
--
-- The table holds one row for each contact, kept so by the triggers below whatever inserts or
-- deletes contacts; a new contact's row is stamped with its creation time.
CREATE TABLE contact_changes (
    contact_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO contact_changes (contact_id, account_id, updated_at)
SELECT id, account_id, updated_at FROM contacts;
-- `updated_since`: contacts of an account, oldest change first, keyset on (updated_at, id).
CREATE INDEX contact_changes_account_updated ON contact_changes (account_id, updated_at, contact_id);

DROP INDEX contacts_account_updated;
ALTER TABLE contacts DROP COLUMN updated_at;

CREATE TRIGGER contacts_inserted AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_changes (contact_id, account_id, updated_at)
    VALUES (new.id, new.account_id, new.created_at);
END;
CREATE TRIGGER contacts_deleted AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_changes WHERE contact_id = old.id;
END;
