-- A bulk call inserts up to 1,000 links in one statement, and PostgreSQL checks a foreign key
-- with a trigger per row: a look-up of the contact and of the label, each locking the row it
-- finds `FOR KEY SHARE`. The call has already locked both more strongly — the label by its
-- advisory hold, the contacts `FOR NO KEY UPDATE` — so the checks could never fail, and they
-- cost as much as the insert itself (docs/performance.md, "The bulk path").
--
-- What the foreign keys guaranteed is kept by the code, in the same transactions:
--
-- * no link to a missing label or contact: every writer of links holds the label
--   (`store::links::lock_label`) and has locked or just created each contact it links;
-- * no link outlives its label: the label's deletion holds it exclusively and deletes its
--   links first (`store::links::detach_all`);
-- * no link outlives its contact: the contact's deletion deletes its links after the contact
--   (`store::contacts::delete`).
ALTER TABLE contact_labels
    DROP CONSTRAINT contact_labels_label_id_fkey,
    DROP CONSTRAINT contact_labels_contact_id_fkey;
