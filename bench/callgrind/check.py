"""Instruction counts of the server handling a fixed sequence of requests, compared with a baseline.

Runs `kirim serve --demo` on a fresh SQLite database under `valgrind --tool=callgrind`, warms every
route up (connections opened, statements prepared), then for each scenario zeroes the counters,
sends the scenario's requests one after another and dumps the counters: start-up, seeding and
warm-up are never counted. Instructions do not depend on how busy the machine is, so the check
is not flaky the way a timing would be; the remaining variation between runs is under 1 % (2 % for
`livez`, the smallest scenario), and each baseline is the middle of three runs.

Usage: check.py KIRIM_BINARY BASELINE_JSON [--update]
Fails (exit 1) when a scenario costs more than 10 % above its baseline; --update rewrites the
baseline with this run's figures instead.
"""
import http.client, json, os, re, shutil, subprocess, sys, tempfile, time

TOLERANCE = 1.10
PHONE = "106540352242922"


class Client:
    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            sys.exit(f"perf-check: {method} {path} answered {response.status}: {payload[:300]!r}")
        is_json = response.getheader("content-type", "").startswith("application/json")
        return json.loads(payload) if is_json else None


def scenarios(contacts, label):
    """name → (request count, function of i giving (method, path, body)). Fixed and ordered."""
    base = f"/v1/{PHONE}/contacts"
    ids = [c["id"] for c in contacts]
    return {
        "livez": (100, lambda i: ("GET", "/livez", None)),
        "get_contact": (100, lambda i: ("GET", f"{base}/{ids[i * 7 % len(ids)]}", None)),
        "list_by_label_100": (20, lambda i: ("GET", f"{base}?label_id={label}&limit=100", None)),
        "patch_contact": (
            100, lambda i: ("PATCH", f"{base}/{ids[i]}", {"metadata": {"step": i}})),
        "bulk_label_1000": (10, lambda i: ("POST", f"{base}/bulk_label", {
            "contact_ids": ids, "label_id": label,
            "operation": "attach" if i % 2 == 0 else "detach"})),
    }


def subscribed(contacts, label):
    """Run after a subscription to `contact.updated` exists: the cost of rendering the events."""
    base = f"/v1/{PHONE}/contacts"
    ids = [c["id"] for c in contacts]
    return {
        "bulk_label_1000_subscribed": (10, lambda i: ("POST", f"{base}/bulk_label", {
            "contact_ids": ids, "label_id": label,
            "operation": "attach" if i % 2 == 0 else "detach"})),
    }


def callgrind_control(*args):
    subprocess.run(["callgrind_control", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main():
    binary, baseline_path = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    work = tempfile.mkdtemp(prefix="kirim-perf-check-")
    out = os.path.join(work, "callgrind.out")
    env = dict(os.environ, KIRIM_LOG="warn", TOKIO_WORKER_THREADS="1")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "serve", "--demo",
         "--listen", "127.0.0.1:0", "--database-url", f"sqlite://{work}/kirim.db",
         # One worker thread and one connection: the same interleaving on every run.
         "--db-max-connections", "1",
         # The key cache in use, but its poll (20 a second by default), the SQLite checkpoint
         # task's rounds (10 a second) and the webhook dispatcher's looks (2 a second) out of
         # the counts: how many of them fall in a scenario would depend on how long valgrind
         # takes, not on kirim. Idle, they were about 4 million instructions a second. The
         # writers' own checkpoint (every 10,000 pages of log) still runs, as the pages decide.
         "--key-cache-poll-ms", "60000", "--sqlite-checkpoint-ms", "60000",
         "--webhook-poll-ms", "60000"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        key = port = None
        for line in server.stdout:
            if m := re.search(r"API key \(shown once\): (\S+)", line):
                key = m.group(1)
            if m := re.match(r"kirim listening on http://127\.0\.0\.1:(\d+)", line):
                port = int(m.group(1))
                break
        if not key or not port:
            sys.exit("perf-check: the server did not start with a demo key")
        client = Client(port, key)
        contacts = []
        path = f"/v1/{PHONE}/contacts?limit=100"
        while True:
            page = client.call("GET", path)
            contacts.extend(page["data"])
            if not page.get("next_cursor"):
                break
            path = f"/v1/{PHONE}/contacts?limit=100&cursor={page['next_cursor']}"
        label = client.call("GET", "/v1/labels")["data"][0]["id"]
        figures = {}
        dump = 0
        for phase, plans in enumerate((scenarios, subscribed)):
            if phase == 1:
                # Paused: its events are rendered and held, and nothing is sent, so no delivery
                # attempt (a network wait) makes the counts vary.
                sub = client.call("POST", "/v1/webhook_subscriptions", {
                    "url": "https://93.184.216.34/hooks", "events": ["contact.updated"]})
                client.call("PATCH", f"/v1/webhook_subscriptions/{sub['data']['id']}",
                            {"status": "paused"})
            plan = plans(contacts, label)
            for name, (count, request) in plan.items():
                for i in range(3):  # warm-up: the route's statements are prepared before counting
                    client.call(*request(count + i))
            for name, (count, request) in plan.items():
                dump += 1
                callgrind_control("--zero", str(server.pid))
                for i in range(count):
                    client.call(*request(i))
                callgrind_control("--dump", str(server.pid))
                figures[name] = round(total(f"{out}.{dump}") / count)
    finally:
        server.terminate()
        server.wait(timeout=120)
        shutil.rmtree(work, ignore_errors=True)
    report(figures, baseline_path, update)


def total(path):
    for _ in range(100):  # the dump is written asynchronously to the request for it
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    if line.startswith("totals:"):
                        return int(line.split()[1])
        time.sleep(0.1)
    sys.exit(f"perf-check: no callgrind dump at {path}")


def report(figures, baseline_path, update):
    baseline = {}
    if os.path.exists(baseline_path):
        with open(baseline_path) as f:
            baseline = json.load(f)["instructions_per_request"]
    failed = []
    print(f"{'scenario':<20} {'instructions/request':>22} {'baseline':>14} {'ratio':>7}")
    for name, value in figures.items():
        base = baseline.get(name)
        ratio = value / base if base else float("nan")
        print(f"{name:<20} {value:>22,} {base or 0:>14,} {ratio:>7.3f}")
        if base and ratio > TOLERANCE:
            failed.append(name)
    if update:
        with open(baseline_path, "w") as f:
            json.dump({"instructions_per_request": figures}, f, indent=2)
            f.write("\n")
        print(f"perf-check: baseline written to {baseline_path}")
    elif failed:
        sys.exit(f"perf-check: more than {TOLERANCE - 1:.0%} above the baseline: "
                 + ", ".join(failed) + " (see docs/performance.md to update the baseline)")
    elif set(figures) != set(baseline):
        sys.exit("perf-check: the baseline's scenarios differ from this run's; update it")


if __name__ == "__main__":
    main()
