"""What SQLite alone needs to record one bulk call's events: the two inserts of the outbox, as the
server sends them (src/store/webhooks/), into the project's own tables, with no rendering, HTTP
or bulk label around them. Compared with a whole bulk call without a subscription, this says
whether recording can fit in the budget the benchmark checks (API.md §8.5; README, "Soak").

Each call, in one BEGIN IMMEDIATE transaction: 1,000 `contact.updated` envelopes of ~750 bytes,
then one delivery each for a subscription. The schema is migrations/sqlite/ applied up to the
given migration (default: all). Prints ms per call (mean and min).
Usage: python3 outbox_sqlite.py [CALLS] [LAST_MIGRATION]   e.g. 150 0004
"""
import glob, json, os, random, sqlite3, string, sys, tempfile, time

calls = int(sys.argv[1]) if len(sys.argv) > 1 else 150
last = sys.argv[2] if len(sys.argv) > 2 else "9999"
here = os.path.dirname(os.path.abspath(__file__))
migrations = sorted(glob.glob(os.path.join(here, "..", "..", "migrations", "sqlite", "*.sql")))
db = sqlite3.connect(os.path.join(tempfile.mkdtemp(), "outbox.db"), isolation_level=None)
db.executescript("pragma journal_mode=wal; pragma synchronous=normal; pragma foreign_keys=on;")
for path in migrations:
    if os.path.basename(path)[:4] <= last:
        db.executescript(open(path).read())
db.executescript("""
insert into organizations values ('org_A', 'A', 'pro', 600, 6000, 0);
insert into webhook_subscriptions (id, org_id, url, events, status, created_at, updated_at)
  values ('wbs_1', 'org_A', 'https://example.com/hook', '["contact.updated"]', 'active', 0, 0);
""")

# The envelope after its id, as src/webhooks/outbox.rs renders it for a bulk attach.
REST = (',"type":"contact.updated","created_at":"2026-11-25T10:00:00.000Z","livemode":true,'
        '"data":{"contact":{"id":"ctc_01JD0000000000000000000000","phone_number":"+6281300000001",'
        '"name":"%s","email":"c1@example.com","metadata":{"plan":"gold"},"whatsapp_account":'
        '{"phone_number_id":"106540352242922","phone_number":"+6281100000000"},'
        '"created_at":"2026-11-25T10:00:00.000Z","updated_at":"2026-11-25T10:00:00.000Z"},'
        '"changed_fields":["labels"],"label_changes":{"attached":["lbl_01JD0000000000000000000000"],'
        '"detached":[]}}}')
SUFFIX = ("substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (({n}) >> 15) % 32 + 1, 1) || "
          "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (({n}) >> 10) % 32 + 1, 1) || "
          "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (({n}) >> 5) % 32 + 1, 1) || "
          "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ({n}) % 32 + 1, 1)")
EVENTS = ("INSERT INTO webhook_events (id, org_id, type, payload, created_at) "
          "SELECT id, 'org_A', 'contact.updated', '{\"id\":\"' || id || '\"' || rest, ?1 "
          "FROM (SELECT ?2 || " + SUFFIX.format(n="key") + " AS id, value AS rest FROM json_each(?3))")
DELIVERIES = ("INSERT INTO webhook_deliveries (id, org_id, subscription_id, event_id, event_type, "
              "status, attempts, next_attempt_at, created_at, updated_at) "
              "SELECT ?1 || substr(id, length(?2) + 1), 'org_A', 'wbs_1', id, type, 'pending', 0, "
              "NULL, ?3, ?3 FROM webhook_events WHERE id BETWEEN ?2 || '0000' AND ?2 || 'ZZZZ'")

def block(prefix, n):
    return f"{prefix}_01JD{n:018d}"

times = []
for call in range(calls):
    rests = [REST % "".join(random.choices(string.ascii_letters, k=12)) for _ in range(1000)]
    started = time.perf_counter()
    events = block("evt", call)
    db.execute("BEGIN IMMEDIATE")
    db.execute(EVENTS, (call, events, json.dumps(rests)))
    db.execute(DELIVERIES, (block("wbd", call), events, call))
    db.execute("COMMIT")
    times.append(time.perf_counter() - started)
times = times[calls // 10:]  # the first calls fill an empty file
print(f"migrations ≤ {last}: {1000 * sum(times) / len(times):.2f} ms a call "
      f"(min {1000 * min(times):.2f}), SQLite {sqlite3.sqlite_version}")
