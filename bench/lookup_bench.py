"""HTTP lookup under load, from a separate process, against the same server's /health.

Usage: ``.venv/bin/python bench/lookup_bench.py [--workers 1 2] [--duration 10] [--reps 3]``
(needs ``wrk``: ``apt-get install -y wrk``).

For each uvicorn worker count: starts the API on the Yuyang demo (its own database,
loaded once), then alternates ``wrk`` runs on ``/health`` and on ``GET /v1/lookup``
(1,000 household positions in rotation), ``--reps`` times each, and reports median
requests/s, median p99 latency and the lookup/health throughput ratio. Then times
``POST /v1/lookup`` with 100,000 points end to end (request sent to body received).
Answers over HTTP are asserted equal to the in-process single-point path (a sample of
GETs, and a 2,000-point sample of the batch).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data  # noqa: E402 - the benchmark's own helper, next to this file

from gisgrid.db.engine import make_engine, migrate, session_scope  # noqa: E402
from gisgrid.demo import load_demo  # noqa: E402
from gisgrid.errors import OutsideCoverageError  # noqa: E402
from gisgrid.lookup import lookup_point  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def demo_database() -> str:
    url = bench_data.bench_database_url("gisgrid_bench_lookup_demo")
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with session_scope(engine) as s:
        if not s.execute(text("SELECT 1 FROM admin_area WHERE code = '610802'")).first():
            load_demo(s)
            s.commit()
            s.execute(text("ANALYZE"))
    engine.dispose()
    return url


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "GISGRID_DATABASE_URL": url, "GISGRID_TILES_URL": "none"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start")


def wrk(url: str, duration: int, connections: int, script: str | None) -> tuple[float, float, int]:
    """(requests/s, p99 ms, non-2xx responses) from one wrk run."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, float(p99.group(1)) * scale, int(bad.group(1)) if bad else 0


def lua_rotation(points: np.ndarray) -> str:
    paths = ",\n".join(f'"/v1/lookup?lon={float(x)!r}&lat={float(y)!r}"' for x, y in points)
    fd, path = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(fd, "w") as f:
        f.write(f"local paths = {{\n{paths}\n}}\nlocal i = 0\n"
                "request = function()\n  i = i + 1\n"
                "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n")
    return path


def single(session: Session, x: float, y: float) -> dict | None:
    try:
        return lookup_point(session, x, y)
    except OutsideCoverageError:
        return None


def bench_get(base: str, session: Session, homes: np.ndarray, args: argparse.Namespace) -> dict:
    for x, y in homes[:: len(homes) // 200]:
        assert httpx.get(f"{base}/v1/lookup", params={"lon": x, "lat": y}).json() == single(session, x, y)
    script = lua_rotation(homes)
    health, lookup = [], []
    for _ in range(args.reps):
        health.append(wrk(f"{base}/health", args.duration, args.connections, None))
        lookup.append(wrk(base, args.duration, args.connections, script))
    os.unlink(script)
    assert all(r[2] == 0 for r in health + lookup), "non-2xx responses under load"
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    return {"health_rps": med(health, 0), "health_p99": med(health, 1),
            "lookup_rps": med(lookup, 0), "lookup_p99": med(lookup, 1)}


def bench_post(base: str, session: Session, extent: tuple, n: int, reps: int) -> float:
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = extent
    pts = np.column_stack([rng.uniform(x0 - 0.002, x1 + 0.002, n), rng.uniform(y0 - 0.002, y1 + 0.002, n)])
    body = {"points": pts.tolist()}
    times = []
    with httpx.Client(timeout=300) as client:
        for _ in range(reps):
            start = time.perf_counter()
            r = client.post(f"{base}/v1/lookup", json=body)
            r.read()
            times.append(time.perf_counter() - start)
            assert r.status_code == 200
    results = r.json()["results"]
    for i in rng.choice(n, 2000, replace=False).tolist():
        assert results[i] == single(session, *pts[i]), i
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--port", type=int, default=8931)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    url = demo_database()
    engine = make_engine(url, pool_size=1)
    with Session(engine) as session:
        homes = np.array(session.execute(text(
            "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY random() LIMIT 1000")).all())
        extent = tuple(session.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(boundary) e FROM grid) t")).one())
        stack = [m for m in ("httptools", "uvloop") if importlib.util.find_spec(m)] or ["h11", "asyncio"]
        print(f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.reps} runs each, medians; "
              f"uvicorn on {' + '.join(stack)}; {os.cpu_count()} cores shared with other work")
        print(f"{'workers':>7}{'/health req/s':>15}{'p99 ms':>8}{'lookup req/s':>14}{'p99 ms':>8}"
              f"{'lookup/health':>15}{'POST pts/s':>13}")
        for workers in args.workers:
            proc = start_server(url, args.port, workers)
            base = f"http://127.0.0.1:{args.port}"
            try:
                g = bench_get(base, session, homes, args)
                t_post = bench_post(base, session, extent, args.batch, args.reps)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            print(f"{workers:>7}{g['health_rps']:>15,.0f}{g['health_p99']:>8.1f}{g['lookup_rps']:>14,.0f}"
                  f"{g['lookup_p99']:>8.1f}{g['lookup_rps'] / g['health_rps']:>14.0%}"
                  f"{args.batch / t_post:>13,.0f}", flush=True)
    print("answers equal: 200 GETs and a 2,000-point sample of each batch == in-process lookup_point")


if __name__ == "__main__":
    main()
