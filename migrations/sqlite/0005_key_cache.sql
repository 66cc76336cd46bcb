-- SQLite flavour; migrations/postgres/0005_key_cache.sql holds the same tables, with statement
-- triggers where SQLite has row triggers.

-- What lets each node cache the API-key lookup and still refuse a revoked key on the very next
-- request (docs/performance.md, "The key lookup and revocation").
--
-- * key_epoch.generation moves, in the same transaction, with every change to what the key
--   lookup returns (an UPDATE or DELETE of api_keys or organizations). Triggers move it, so no
--   code path, and no change made by hand in SQL, can forget to. An INSERT does not move it: a
--   node caches only keys it found, never the absence of one.
-- * key_cache_nodes is one row per running `kirim serve` that caches keys. node_id is new for
--   every process. A node polls key_epoch; when the generation has moved it empties its cache,
--   then writes acked_generation = what it read and adds 1 to beat. last_seen is for people
--   (milliseconds, the writer's clock); nothing is judged by it. lease_ms is how long the node
--   stops using its cache after its polls stop succeeding, doubled: a revoker that sees a row's
--   beat unchanged for lease_ms of its own clock deletes that row (only if beat is still the
--   value it watched), and a node whose row is gone re-registers before it trusts its cache again.
-- * A revocation returns once every row left has acked_generation >= the generation after its
--   commit.
CREATE TABLE key_epoch (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO key_epoch (id, generation) VALUES (1, 0);

CREATE TRIGGER api_keys_update_moves_key_epoch AFTER UPDATE ON api_keys
BEGIN
    UPDATE key_epoch SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER api_keys_delete_moves_key_epoch AFTER DELETE ON api_keys
BEGIN
    UPDATE key_epoch SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER organizations_update_moves_key_epoch AFTER UPDATE ON organizations
BEGIN
    UPDATE key_epoch SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER organizations_delete_moves_key_epoch AFTER DELETE ON organizations
BEGIN
    UPDATE key_epoch SET generation = generation + 1 WHERE id = 1;
END;

CREATE TABLE key_cache_nodes (
    node_id          TEXT PRIMARY KEY,
    beat             INTEGER NOT NULL,
    acked_generation INTEGER NOT NULL,
    lease_ms         INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL
);
