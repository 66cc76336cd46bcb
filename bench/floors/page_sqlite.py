"""The database floor of one label page on SQLite: the least work that
`GET …/contacts?label_id=…&limit=100` asks of the database, in-process, with no HTTP,
authentication or JSON.

Its own schema and statement (not kirim's): contacts and their label links as `WITHOUT ROWID`
tables, a label on the oldest 10,100 contacts (as in kirim-bench), and its first page read newest
first — 101 rows walked by the link table's key, each contact looked up by its own, every column
fetched into Python. CONCURRENCY processes read at once for SECONDS, as wrk's connections do.
Prints pages per second and latency percentiles.
Usage: python3 page_sqlite.py [CONCURRENCY] [SECONDS] [CONTACTS]
"""
import os, sqlite3, sys, tempfile, time

import together

concurrency = int(sys.argv[1]) if len(sys.argv) > 1 else 8
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
contacts = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
path = os.path.join(tempfile.mkdtemp(), "page.db")

PAGE = """select c.contact_id, c.team_id, c.phone_number, c.name, c.email, c.metadata, c.created_at,
 c.updated_at from contact_label cl join contact c on c.contact_id = cl.contact_id
 where cl.label_id = 'lbl_1' and c.org_id = 'org_A' and c.account_id = 'acc_1'
 order by cl.contact_id desc limit 101"""


def load():
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("""
    pragma journal_mode=wal; pragma synchronous=normal;
    create table contact (contact_id text primary key, org_id text not null, account_id text not null,
      team_id text not null, phone_number text not null, name text, email text, metadata text not null,
      created_at integer not null, updated_at integer not null) without rowid;
    create table contact_label (label_id text not null, contact_id text not null,
      created_at integer not null, primary key (label_id, contact_id)) without rowid;
    create index contact_label_contact on contact_label (contact_id, label_id);
    """)
    now = int(time.time() * 1000)
    db.execute("begin")
    db.executemany("insert into contact values (?,'org_A','acc_1','team_1',?,?,?,'{}',?,?)",
                   ((f"ctc_{g:026d}", f"+1{2_000_000_000 + g:010d}", f"Bench Contact {g}",
                     f"bench{g}@example.com", now, now) for g in range(contacts)))
    db.executemany("insert into contact_label values ('lbl_1', ?, ?)",
                   ((f"ctc_{g:026d}", now) for g in range(min(10_100, contacts))))
    db.execute("commit")
    db.execute("analyze")
    db.close()


def reader(start, deadline, out):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.execute(PAGE).fetchall()
    while time.perf_counter() < start:
        time.sleep(0.005)
    lat = []
    while time.perf_counter() < deadline:
        a = time.perf_counter()
        db.execute(PAGE).fetchall()
        lat.append(time.perf_counter() - a)
    out.put(lat)


if __name__ == "__main__":
    load()
    # Every reader starts at once, after all have opened the file and warmed their cache.
    lat = together.run(reader, (), concurrency, seconds)
    together.report("sqlite page floor", "pages", lat, seconds)
