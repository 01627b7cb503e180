"""Hostile requests against a real server, with /health probed and memory sampled throughout.

Usage: ``.venv/bin/python -m bench.hostile_bench [--stalled 1000] [--baseline DIR]``

Starts ``gisgrid serve`` (default limits, no access log) on the Yuyang demo in a database
of its own, then sends, one after another, the requests of issue 11: 400 copies of one
square to the coverage check, a 200 MB body (declared, and streamed without a length),
5 million batch points, a 100 KB query string, a 32,000-digit address, N stalled uploads,
and n² work (400 distinct overlapping squares: ~80,000 overlap pieces). For each: the
status, the time to the answer, ``/health`` latency while it ran (a probe every 50 ms on
its own connection) and the peak memory of the server's whole process tree (the server,
its forkserver and work processes) and of the server process alone.

``--baseline DIR`` runs the same requests against another checkout (e.g. ``git archive
79b6828 | tar -x -C DIR``) first, its server capped at 6 GB of address space so the
machine survives it, and prints both columns.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "robust"))
import bench_data  # noqa: E402 - the benchmarks' own helper
from robust_data import copies_body, overlapping_squares_body  # noqa: E402

from gisgrid.db.engine import make_engine, migrate, session_scope  # noqa: E402
from gisgrid.demo.load import load_demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MB = 2**20


def demo_database() -> str:
    url = bench_data.bench_database_url("gisgrid_bench_hostile")
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with session_scope(engine) as s:
        if not s.execute(text("SELECT 1 FROM admin_area WHERE code = '610802'")).first():
            load_demo(s)
    engine.dispose()
    return url


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        found = subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout.split()
        todo += [int(c) for c in found]
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (FileNotFoundError, StopIteration):
        return 0


@dataclass
class Watch:
    """/health latencies and memory peaks, sampled in the background."""

    base: str
    pid: int
    health_ms: list[float] = field(default_factory=list)
    health_failed: int = 0
    tree_peak: int = 0
    server_peak: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.health_ms, self.health_failed, self.tree_peak, self.server_peak = [], 0, 0, 0

    def probe(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as c:
            while not self.stop.is_set():
                t = time.perf_counter()
                try:
                    ok = c.get("/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.health_ms.append((time.perf_counter() - t) * 1000)
                self.health_failed += not ok
                time.sleep(0.05)

    def sample(self) -> None:
        while not self.stop.is_set():
            pids = _tree(self.pid)
            self.tree_peak = max(self.tree_peak, sum(_rss(p) for p in pids))
            self.server_peak = max(self.server_peak, _rss(self.pid))
            time.sleep(0.1)

    def start(self) -> None:
        for target in (self.probe, self.sample):
            threading.Thread(target=target, daemon=True).start()


def _raw(base: str, head: bytes, body_chunks=(), timeout: float = 60) -> tuple[bytes, float]:
    """Send a request as a careless client does (the whole body, then read the answer)."""
    host, port = base.removeprefix("http://").split(":")
    started = time.perf_counter()
    s = socket.create_connection((host, int(port)))
    s.settimeout(timeout)
    answer = b""
    try:
        s.sendall(head)
        for chunk in body_chunks:
            s.sendall(chunk)
        while b"\r\n\r\n" not in answer:
            data = s.recv(65536)
            if not data:
                break
            answer += data
    except (OSError, TimeoutError) as exc:
        answer = answer or f"[{exc.__class__.__name__}]".encode()
    finally:
        s.close()
    return answer, time.perf_counter() - started


def _status(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode(errors="replace")[9:] or answer[:40].decode(errors="replace")


def attacks(base: str, stalled: int) -> list[tuple[str, callable]]:
    def post_json(path: str, body: object) -> tuple[bytes, float]:
        raw = json.dumps(body).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n").encode()
        return _raw(base, head, [raw])

    def big_declared(expect: bool = False) -> tuple[bytes, float]:
        head = (b"POST /v1/coverage/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n" % (200 * MB))
        if expect:  # as curl sends a large body: wait for "100 Continue" (or the answer)
            return _raw(base, head + b"Expect: 100-continue\r\n\r\n")
        return _raw(base, head + b"\r\n", (b" " * MB for _ in range(200)))

    def big_chunked() -> tuple[bytes, float]:
        head = (b"POST /v1/coverage/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        return _raw(base, head, (b"100000\r\n" + b" " * MB + b"\r\n" for _ in range(200)))

    def batch_5m() -> tuple[bytes, float]:
        point = b"[109.7358,38.2857],"
        n = 5_000_000
        size = len(b'{"points":[') + len(point) * n - 1 + len(b"]}")
        head = (b"POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
        chunk = point * 50_000
        return _raw(base, head, [b'{"points":[', *(chunk for _ in range(100))])

    def url(path: str) -> tuple[bytes, float]:
        return _raw(base, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())

    def stalled_uploads(within_s: float = 90.0) -> tuple[bytes, float]:
        """N uploads that stop after their first bytes; each answer (or none within 90 s)."""
        host, port = base.removeprefix("http://").split(":")
        started = time.perf_counter()
        socks = []
        for _ in range(stalled):
            s = socket.create_connection((host, int(port)))
            s.sendall(b"POST /v1/coverage/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n{\"parent\": ")
            socks.append(s)
        answers: dict[socket.socket, bytes] = {}
        deadline = time.monotonic() + within_s
        with selectors.DefaultSelector() as sel:
            for s in socks:
                sel.register(s, selectors.EVENT_READ)
            while len(answers) < len(socks) and (left := deadline - time.monotonic()) > 0:
                for key, _ in sel.select(timeout=left):
                    try:
                        answers[key.fileobj] = key.fileobj.recv(200).split(b"\r\n", 1)[0] or b"closed"
                    except OSError as exc:
                        answers[key.fileobj] = exc.__class__.__name__.encode()
                    sel.unregister(key.fileobj)
        elapsed = time.perf_counter() - started
        counts: dict[bytes, int] = {}
        for s in socks:
            a = answers.get(s, f"no answer in {within_s:g} s".encode())
            counts[a] = counts.get(a, 0) + 1
            s.close()
        summary = ", ".join(f"{n} x {a.decode()[9:] if a.startswith(b'HTTP') else a.decode()}"
                            for a, n in counts.items())
        return f"HTTP/1.1 {summary}".encode(), elapsed

    return [
        ("400 copies of one square, POST /v1/coverage/check", lambda: post_json(
            "/v1/coverage/check", copies_body(400))),
        ("200 MB body with Content-Length", big_declared),
        ("200 MB body with Content-Length and Expect: 100-continue", lambda: big_declared(True)),
        ("200 MB body, chunked", big_chunked),
        ("5,000,000 batch points (POST /v1/lookup, 95 MB)", batch_5m),
        ("100 KB query string", lambda: url("/v1/lookup?lon=109.7&lat=38.2&x=" + "9" * 100_000)),
        ("32,000-digit address", lambda: url("/v1/lookup/address?q=" + "1" * 32_000)),
        ("300-character address", lambda: url("/v1/lookup/address?q=" + "1" * 300)),
        (f"{stalled:,} stalled uploads", stalled_uploads),
        ("400 distinct overlapping squares (n² work)", lambda: post_json(
            "/v1/coverage/check", overlapping_squares_body(400))),
    ]


def start(url: str, port: int, checkout: Path, cap_gb: int | None) -> subprocess.Popen:
    env = {**os.environ, "GISGRID_DATABASE_URL": url, "GISGRID_TILES_URL": "none",
           "PYTHONPATH": str(checkout)}

    def limit() -> None:
        if cap_gb:
            resource.setrlimit(resource.RLIMIT_AS, (cap_gb * 2**30, cap_gb * 2**30))

    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                time.sleep(3)  # work processes forked
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start")


def processes(pid: int) -> list[dict]:
    """The server's process tree: each process's RSS and address-space limit (MB)."""
    out = []
    for p in _tree(pid):
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
            limits = Path(f"/proc/{p}/limits").read_text()
        except FileNotFoundError:
            continue
        cap = next(line.split()[3] for line in limits.splitlines() if line.startswith("Max address space"))
        out.append({"pid": p, "cmd": cmd, "rss_mb": round(_rss(p) / MB),
                    "as_limit_mb": cap if cap == "unlimited" else round(int(cap) / MB)})
    return out


def run(url: str, checkout: Path, stalled: int, cap_gb: int | None) -> list[dict]:
    port = bench_data_free_port()
    proc = start(url, port, checkout, cap_gb)
    base = f"http://127.0.0.1:{port}"
    watch = Watch(base, proc.pid)
    watch.start()
    rows = []
    try:
        time.sleep(3)
        rows.append(_row("idle", "-", 0.0, watch))
        print(json.dumps({"processes": processes(proc.pid)}), flush=True)
        for name, attack in attacks(base, stalled):
            watch.reset()
            if proc.poll() is not None:
                rows.append({"request": name, "status": "server dead", "seconds": 0})
                continue
            answer, seconds = attack()
            time.sleep(0.5)
            rows.append(_row(name, _status(answer), seconds, watch))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        print(json.dumps({"processes": processes(proc.pid)}), flush=True)
    finally:
        watch.stop.set()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rows


def _row(name: str, status: str, seconds: float, watch: Watch) -> dict:
    ms = sorted(watch.health_ms) or [float("nan")]
    return {"request": name, "status": status, "seconds": round(seconds, 2),
            "health_n": len(watch.health_ms), "health_failed": watch.health_failed,
            "health_p50_ms": round(statistics.median(ms), 1),
            "health_max_ms": round(ms[-1], 1),
            "tree_peak_mb": round(watch.tree_peak / MB), "server_peak_mb": round(watch.server_peak / MB)}


def bench_data_free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, help="another checkout to run first (capped at 6 GB)")
    args = parser.parse_args()
    url = demo_database()
    results = {}
    if args.baseline:
        results["baseline"] = run(url, args.baseline, args.stalled, cap_gb=6)
    results["gisgrid"] = run(url, ROOT, args.stalled, cap_gb=None)
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
