"""The SQLite floor of bulk-label calls from several clients at once: what one writer gives them.

SQLite runs one write transaction at a time, so CONCURRENCY clients sending bulk calls wait for
each other's turn whatever serves them. Here CONCURRENCY processes, each with its own connection,
send the calls of `floor_sqlite.py` (its schema, data and statements, taken from that file so the
two cannot drift apart) for SECONDS, and take the writer's turns in the order they arrive. A
call's latency runs from its arrival to its commit, its wait included, as wrk measures a call to
the API. By Little's law the mean latency is then CONCURRENCY ÷ calls/s: the queue, not the call,
sets the tail. Prints the line `floor_sqlite.py` prints.
Usage: python3 queue_sqlite.py [CONCURRENCY] [SECONDS] [CONTACTS]
"""
import json, multiprocessing, os, random, sqlite3, sys, time

import together

concurrency = int(sys.argv[1]) if len(sys.argv) > 1 else 8
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
contacts_arg = sys.argv[3] if len(sys.argv) > 3 else "100000"

# The reference floor up to its measuring loop: it creates and fills the database at `path` and
# defines `contacts`, OWNED, ATTACH, DETACH and STAMP. It reads CALLS and CONTACTS from argv.
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "floor_sqlite.py")) as f:
    setup, marker, _ = f.read().partition("\nlat = []")
assert marker, "floor_sqlite.py no longer ends its set-up at `lat = []`"
sys.argv = [sys.argv[0], "0", contacts_arg]
exec(setup)
db.close()


class Turns:
    """The writer's turns in arrival order: a ticket lock shared by the processes."""

    def __init__(self):
        self.changed = multiprocessing.Condition()
        self.issued = multiprocessing.Value("q", 0, lock=False)
        self.serving = multiprocessing.Value("q", 0, lock=False)

    def __enter__(self):
        with self.changed:
            ticket = self.issued.value
            self.issued.value += 1
            self.changed.wait_for(lambda: self.serving.value == ticket)

    def __exit__(self, *exc):
        with self.changed:
            self.serving.value += 1
            self.changed.notify_all()


def client(turns, start, deadline, out):
    conn = sqlite3.connect(path, isolation_level=None)
    while time.perf_counter() < start:
        time.sleep(0.005)
    lat = []
    attach = True
    while time.perf_counter() < deadline:
        first = random.randint(1, contacts - 1000)
        ids = json.dumps([f"ctc_{g:026d}" for g in range(first, first + 1000)])
        label = f"lbl_{random.randint(1, 20):026d}"
        arrived = time.perf_counter()
        with turns:
            now = int(time.time() * 1000)
            conn.execute("begin immediate")
            conn.execute(OWNED, (ids,)).fetchall()
            write = (ATTACH, (ids, label, now)) if attach else (DETACH, (ids, label))
            changed = [row[0] for row in conn.execute(*write)]
            if changed:
                conn.execute(STAMP, (json.dumps(changed), now))
            conn.execute("commit")
        lat.append(time.perf_counter() - arrived)
        attach = not attach
    out.put(lat)


if __name__ == "__main__":
    lat = together.run(client, (Turns(),), concurrency, seconds)
    together.report("sqlite floor", "calls", lat, seconds)
