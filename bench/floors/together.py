"""What the floors that run several processes at once share: start them together, gather their
latencies, and print the line kirim-bench reads."""
import multiprocessing, time


def run(target, args, concurrency, seconds):
    """Runs `target(*args, start, deadline, out)` in `concurrency` processes. Each sets itself up,
    waits for `start` (half a second from now) so that all begin at once, works until `deadline`
    and puts its latencies in seconds into `out`. Returns them all, sorted."""
    out = multiprocessing.Queue()
    start = time.perf_counter() + 0.5
    deadline = start + seconds
    procs = [multiprocessing.Process(target=target, args=(*args, start, deadline, out))
             for _ in range(concurrency)]
    for p in procs:
        p.start()
    lat = sorted(x for _ in procs for x in out.get())
    for p in procs:
        p.join()
    return lat


def report(what, unit, lat, seconds):
    """Prints e.g. "sqlite floor: 2000 calls in 10.00s = 200 ops/s; p50 3.10 ms p99 5.20 ms"."""
    n = len(lat)
    print(f"{what}: {n} {unit} in {seconds:.2f}s = {n / seconds:.0f} ops/s; "
          f"p50 {lat[n // 2] * 1000:.2f} ms p99 {lat[int(n * 0.99)] * 1000:.2f} ms")
