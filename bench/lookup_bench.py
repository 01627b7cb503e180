"""HTTP lookup under load, from a separate process, against the same server's /health.

Usage: ``.venv/bin/python bench/lookup_bench.py [--workers 1 2] [--connections 16 32]
[--duration 8] [--reps 3]`` (needs ``wrk`` and ``curl``: ``apt-get install -y wrk curl``).

For each uvicorn worker count: starts the API on the Yuyang demo (its own database,
loaded once), then for each connection count alternates ``wrk`` runs on ``/health`` and
on ``GET /v1/lookup`` (1,000 household positions in rotation), ``--reps`` times each,
and reports median requests/s, median p99 latency and the lookup/health throughput
ratio. Then times ``POST /v1/lookup`` with 100,000 points end to end with ``curl`` (a
separate C client: body already encoded, from sending it to having the whole answer),
for random points over the demo's extent and for household positions.

Answers over HTTP are asserted equal to the slow path, the in-process single-point SQL
lookup (``lookup_point``: one PostGIS query per point): 200 GETs and a 2,000-point
sample of every batch.
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

import geopandas as gpd
import httpx
import numpy as np
import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data  # noqa: E402 - the benchmark's own helper, next to this file

from gisgrid.db.engine import make_engine, migrate, session_scope  # noqa: E402
from gisgrid.db.lookup_store import grids_in_force  # noqa: E402
from gisgrid.demo.load import load_demo  # noqa: E402
from gisgrid.errors import OutsideCoverageError  # noqa: E402
from gisgrid.lookup.index import LookupIndex  # noqa: E402
from gisgrid.lookup.point import lookup_point, lookup_point_json  # noqa: E402
from gisgrid.rules import today  # noqa: E402

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
    # The stack `gisgrid serve` uses (uvicorn with httptools and uvloop, from
    # uvicorn[standard]), without the access log.
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


def bench_get(base: str, session: Session, homes: np.ndarray, connections: int,
              args: argparse.Namespace) -> dict:
    script = lua_rotation(homes)
    health, lookup = [], []
    for _ in range(args.reps):
        health.append(wrk(f"{base}/health", args.duration, connections, None))
        lookup.append(wrk(base, args.duration, connections, script))
    os.unlink(script)
    assert all(r[2] == 0 for r in health + lookup), "non-2xx responses under load"
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    return {"health_rps": med(health, 0), "health_p99": med(health, 1),
            "lookup_rps": med(lookup, 0), "lookup_p99": med(lookup, 1)}


def bench_in_process(session: Session, homes: np.ndarray, pts: np.ndarray) -> dict:
    """One point at a time and one batch, in process, side by side: the SQL path (one
    PostGIS query per point, as every lookup was answered before the in-memory index)
    against the index; plus geopandas.sjoin (containment only: no near grids, no JSON)."""
    on = today()
    index = LookupIndex(grids_in_force(session, on=on))
    conn = session.connection()
    sql_t, mem_t = [], []
    for x, y in homes.tolist():
        t = time.perf_counter()
        try:
            a = lookup_point_json(conn, x, y, on=on)
        except OutsideCoverageError:
            a = None
        sql_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = index.answer(x, y)
        mem_t.append(time.perf_counter() - t)
        assert a == b
    batch = []
    for _ in range(3):
        t = time.perf_counter()
        index.answers_json(pts[:, 0], pts[:, 1])
        batch.append(time.perf_counter() - t)
    grids = gpd.GeoDataFrame(geometry=list(index.geoms), crs=4326)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=4326)
    sjoin = []
    for _ in range(3):
        t = time.perf_counter()
        gpd.sjoin(points, grids, predicate="intersects", how="left")
        sjoin.append(time.perf_counter() - t)
    return {"sql_us": statistics.median(sql_t) * 1e6, "mem_us": statistics.median(mem_t) * 1e6,
            "batch_s": statistics.median(batch), "sjoin_s": statistics.median(sjoin)}


def check_gets(base: str, session: Session, homes: np.ndarray) -> None:
    for x, y in homes[:: len(homes) // 200]:
        assert httpx.get(f"{base}/v1/lookup", params={"lon": x, "lat": y}).json() == single(session, x, y)


def bench_post(base: str, session: Session, pts: np.ndarray, reps: int) -> float:
    """Median seconds for one POST of pts, timed by curl; answers checked on a sample."""
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps({"points": pts.tolist()}))
    times = []
    for _ in range(reps + 1):           # the first builds the server's index: not counted
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-H",
             "content-type: application/json", "--data-binary", f"@{path}", f"{base}/v1/lookup"],
            capture_output=True, text=True, check=True).stdout.split()
        assert out[0] == "200", out
        times.append(float(out[1]))
    with httpx.Client(timeout=300) as client:
        results = client.post(f"{base}/v1/lookup", content=open(path, "rb").read(),
                              headers={"content-type": "application/json"}).json()["results"]
    os.unlink(path)
    rng = np.random.default_rng(2)
    for i in rng.choice(len(pts), min(2000, len(pts)), replace=False).tolist():
        assert results[i] == single(session, *pts[i]), i
    return statistics.median(times[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--connections", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--port", type=int, default=8931)
    args = ap.parse_args()
    if not (shutil.which("wrk") and shutil.which("curl")):
        sys.exit("wrk and curl are needed: apt-get install -y wrk curl")
    url = demo_database()
    engine = make_engine(url, pool_size=1)
    with Session(engine) as session:
        homes = np.array(session.execute(text(
            "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY random() LIMIT 1000")).all())
        all_homes = np.array(session.execute(text(
            "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id")).all())
        x0, y0, x1, y1 = session.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(boundary) e FROM grid) t")).one()
        rng = np.random.default_rng(1)
        n = args.batch
        random_pts = np.column_stack([rng.uniform(x0 - 0.002, x1 + 0.002, n),
                                      rng.uniform(y0 - 0.002, y1 + 0.002, n)])
        home_pts = all_homes[rng.choice(len(all_homes), n, replace=n > len(all_homes))]
        ip = bench_in_process(session, homes, random_pts)
        print(f"in process, one point (1,000 households, median): SQL path {ip['sql_us']:,.0f} µs, "
              f"index {ip['mem_us']:,.1f} µs ({ip['sql_us'] / ip['mem_us']:,.0f}x); batch of {n:,} "
              f"random points: index answers_json {ip['batch_s']:.3f} s, geopandas.sjoin (containment "
              f"only, points built) {ip['sjoin_s']:.3f} s", flush=True)
        stack = [m for m in ("httptools", "uvloop") if importlib.util.find_spec(m)] or ["h11", "asyncio"]
        print(f"wrk -t2 -d{args.duration}s, {args.reps} runs each, medians; uvicorn on "
              f"{' + '.join(stack)}, no access log; {os.cpu_count()} cores; load "
              f"{os.getloadavg()[0]:.2f} at start", flush=True)
        print(f"{'workers':>7}{'conns':>6}{'/health req/s':>15}{'p99 ms':>8}{'lookup req/s':>14}"
              f"{'p99 ms':>8}{'lookup/health':>15}")
        posts = []
        for workers in args.workers:
            proc = start_server(url, args.port, workers)
            base = f"http://127.0.0.1:{args.port}"
            try:
                check_gets(base, session, homes)
                for conns in args.connections:
                    g = bench_get(base, session, homes, conns, args)
                    print(f"{workers:>7}{conns:>6}{g['health_rps']:>15,.0f}{g['health_p99']:>8.1f}"
                          f"{g['lookup_rps']:>14,.0f}{g['lookup_p99']:>8.1f}"
                          f"{g['lookup_rps'] / g['health_rps']:>14.0%}", flush=True)
                posts.append((workers, bench_post(base, session, random_pts, args.reps),
                              bench_post(base, session, home_pts, args.reps)))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        print(f"\nPOST /v1/lookup, {n:,} points, curl, median of {args.reps} (after one warm-up)")
        print(f"{'workers':>7}{'random s':>10}{'points/s':>12}{'households s':>14}{'points/s':>12}")
        for workers, t_rand, t_home in posts:
            print(f"{workers:>7}{t_rand:>10.3f}{n / t_rand:>12,.0f}{t_home:>14.3f}{n / t_home:>12,.0f}")
    print(f"answers equal: 200 GETs and a 2,000-point sample of each batch == in-process "
          f"lookup_point (SQL); load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
