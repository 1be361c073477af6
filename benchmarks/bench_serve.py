"""The service under load, on loopback: throughput against ``runwaycut remove -j N``,
latency, overload, memory.

Measured in this run, on the same photos and method:

1. ``runwaycut remove PHOTOS -j N`` (its own photos/s, from manifest.summary.json);
2. ``runwaycut serve -j N``: ``--clients`` (8) concurrent clients post the photos
   ``--rounds`` times; photos/s, p50/p95 latency, errors. Target: >= 0.8x remove;
3. overload: 4x the server's capacity (workers + queue) at once: only 200 and 503;
4. memory: resident memory of the server and its workers before and after
   ``--requests`` (500) more requests. Target: grows < 50 MB.

Bounded: every phase has a request count, every request a timeout (and the script
``--max-seconds``); the server listens on 127.0.0.1 only.

    python benchmarks/bench_serve.py --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CCP = REPO / ".." / "shared" / "data" / "ccp" / "photos"
EXAMPLES = REPO / "examples" / "photos"
CLI = [sys.executable, "-c", "from runwaycut.cli import main; main()"]


def photos(limit: int) -> list[Path]:
    """CCP photos when the shared data is there, else the bundled examples."""
    found = sorted(CCP.glob("*.jpg"))[:limit] if CCP.is_dir() else []
    return found or sorted(EXAMPLES.glob("*.jpg"))


def remove_rate(paths: list[Path], workers: int, method: str, tmp: Path) -> tuple[float, float]:
    """(photos/s as remove reports it, photos/s over its whole wall time)."""
    listing = tmp / "photos.txt"
    listing.write_text("\n".join(str(p) for p in paths) + "\n")
    out = tmp / f"remove-{uuid.uuid4().hex[:6]}"
    start = time.perf_counter()
    subprocess.run([*CLI, "remove", "--from-file", str(listing), "--out", str(out), "-j",
                    str(workers), "--method", method], check=True, capture_output=True,
                   timeout=1800)
    wall = time.perf_counter() - start
    summary = json.loads((out / "manifest.summary.json").read_text())
    return summary["photos_per_s"], len(paths) / wall


class Server:
    def __init__(self, tmp: Path, workers: int, queue: int):
        self.log = tmp / "serve.log"
        with open(self.log, "wb") as fh:
            self.process = subprocess.Popen(
                [*CLI, "serve", "--host", "127.0.0.1", "--port", "0", "-j", str(workers),
                 "--queue", str(queue)], stdout=fh, stderr=subprocess.STDOUT,
                start_new_session=True, env={**os.environ, "COLUMNS": "200"})
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", self.log.read_text())
            if found:
                self.port = int(found.group(1))
                return
            if self.process.poll() is not None:
                raise SystemExit(f"server exited:\n{self.log.read_text()}")
            time.sleep(0.2)
        self.stop()
        raise SystemExit("server did not start in 180 s")

    def post(self, conn: http.client.HTTPConnection | None, data: bytes, query: str):
        """(status, seconds); reuses ``conn`` (keep-alive) when given."""
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        start = time.perf_counter()
        try:
            conn.request("POST", "/v1/remove?" + query, body=data,
                         headers={"Content-Type": "image/jpeg"})
            response = conn.getresponse()
            response.read()
            return response.status, time.perf_counter() - start
        finally:
            if own:
                conn.close()

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes, MB."""
        pids = [self.process.pid]
        pids += [int(p) for p in _children(self.process.pid)]
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _children(pid: int) -> list[str]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += (task / "children").read_text().split()
        except OSError:
            pass
    return out


def load_phase(server: Server, blobs: list[bytes], clients: int, rounds: int, query: str):
    """Every photo ``rounds`` times, ``clients`` at a time, keep-alive connections."""
    work = [blobs[i % len(blobs)] for i in range(len(blobs) * rounds)]
    lock_index = iter(range(len(work)))
    results = []

    def client(_):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        mine = []
        try:
            for i in lock_index:  # shared iterator: next() is atomic under the GIL
                mine.append(server.post(conn, work[i], query))
        finally:
            conn.close()
        return mine

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for part in pool.map(client, range(clients)):
            results += part
    return results, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=8)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=500, help="memory phase requests")
    parser.add_argument("--memory-method", default="palette",
                        help="method of the memory phase (palette: 500 requests in seconds)")
    parser.add_argument("--max-seconds", type=int, default=1200)
    args = parser.parse_args()
    signal.alarm(args.max_seconds)  # bounded, whatever happens

    paths = photos(args.photos)
    blobs = [p.read_bytes() for p in paths]
    query = f"method={args.method}"
    print(f"{len(paths)} photos, method {args.method}, {args.workers} workers, "
          f"{args.clients} clients, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        remove_reported, remove_wall = remove_rate(paths, args.workers, args.method, tmp)
        print(f"remove -j {args.workers}: {remove_reported:.2f} photos/s (its summary), "
              f"{remove_wall:.2f} photos/s over its wall time (with start-up)")
        server = Server(tmp, args.workers, args.queue)
        try:
            load_phase(server, blobs[: args.workers], args.workers, 1, query)  # warm
            results, seconds = load_phase(server, blobs, args.clients, args.rounds, query)
            codes = [s for s, _ in results]
            latencies = sorted(t for s, t in results if s == 200)
            rate = len(results) / seconds
            p50 = statistics.median(latencies)
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            errors = sum(c != 200 for c in codes)
            print(f"serve -j {args.workers}, {args.clients} clients: {len(results)} requests, "
                  f"{rate:.2f} photos/s = {rate / remove_reported:.2f}x remove (target >= 0.8); "
                  f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; errors {errors}")

            capacity = args.workers + args.queue
            burst = 4 * capacity
            def one(i):
                return server.post(None, blobs[i % len(blobs)], query)[0]

            with ThreadPoolExecutor(burst) as pool:
                answers = list(pool.map(one, range(burst)))
            tally = {c: answers.count(c) for c in sorted(set(answers))}
            print(f"overload, {burst} at once (4x capacity {capacity}): {tally}; only 200/503: "
                  f"{set(answers) <= {200, 503}}")

            mem_query = f"method={args.memory_method}"
            load_phase(server, blobs, args.clients, 1, mem_query)  # every worker has run it
            before = server.rss_mb()
            rounds = -(-args.requests // len(blobs))
            results, seconds = load_phase(server, blobs, args.clients, rounds, mem_query)
            after = server.rss_mb()
            bad = sum(s != 200 for s, _ in results)
            print(f"memory over {len(results)} requests ({args.memory_method}, {seconds:.0f} s): "
                  f"{before:.0f} MB -> {after:.0f} MB, growth {after - before:+.1f} MB "
                  f"(target < 50); errors {bad}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
