"""Requests: intake through the API, routing side by side with a naive PostGIS route, and stats.

Usage: ``.venv/bin/python bench/requests_bench.py [--intakes 10000] [--clients 8] [--batch 500]
[--api-reps 3] [--naive 2000] [--stats-rows 100000] [--reps 5] [--skip-api]``

On the Yuyang demo in its own database (``gisgrid_bench_requests``, loaded once):

1. **API intake**: ``gisgrid``'s app under uvicorn, one worker, ``--intakes`` requests
   (household positions, random categories) taken in three ways side by side, medians of
   ``--api-reps`` runs: ``POST /v1/requests`` from ``--clients`` keep-alive HTTP clients in
   threads of this process, each in its own transaction (``GISGRID_GROUP_INTAKE=false``)
   and with group commit (the default), and ``POST /v1/requests/batch`` in batches of
   ``--batch`` from one client; every answer 201 with a grid and a deadline. Intakes per
   second; every run starts from the same table (the bench's earlier intakes deleted).
2. **Routing, in process, one transaction per request** (``--naive`` requests each):
   ``gisgrid.requests.take_in`` with the in-memory lookup index, against the obvious
   route: per request one PostGIS query (``ST_Contains`` on the active plan's grids, GiST,
   then the team), then the same insert. Both answers are checked equal.
3. **Stats of ``--stats-rows`` requests over six months**: ``request_stats`` for the
   district and one community (one aggregate over stored columns), against the naive
   PostGIS query that finds each request's community by ``ST_Covers`` at query time,
   and against pandas (rows read, figures computed in Python). Medians of ``--reps``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data  # noqa: E402 - the benchmark's own helper, next to this file

from gisgrid.access import add_user  # noqa: E402
from gisgrid.db.engine import make_engine, migrate, session_scope  # noqa: E402
from gisgrid.demo.load import load_demo  # noqa: E402
from gisgrid.lookup.point import index_for  # noqa: E402
from gisgrid.requests import Intake, Rules, request_stats, take_in  # noqa: E402
from gisgrid.rules import CHINA_TZ, OVERDUE_SQL, today, utc_now  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["parking", "leaking_roof", "broken_lane", "dispute", "sanitation", "noise"]
DB = "gisgrid_bench_requests"


def database() -> str:
    url = bench_data.bench_database_url(DB)
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with session_scope(engine) as s:
        if not s.execute(text("SELECT 1 FROM admin_area WHERE code = '610802'")).first():
            load_demo(s)
        # The bench deletes its intakes between runs; deleting a request clears master_id
        # wherever it points there (ON DELETE SET NULL): migration 0010 indexes master_id.
    engine.dispose()
    return url


def positions(engine, n: int, seed: int = 5) -> np.ndarray:
    with engine.connect() as conn:
        xy = np.array(conn.execute(text("SELECT ST_X(location), ST_Y(location) FROM household")).all())
    return xy[np.random.default_rng(seed).integers(0, len(xy), n)]


def start_server(url: str, port: int, *, group_intake: bool = True) -> subprocess.Popen:
    env = {**os.environ, "GISGRID_DATABASE_URL": url, "GISGRID_TILES_URL": "none",
           "GISGRID_GROUP_INTAKE": "true" if group_intake else "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
         "--workers", "1", "--log-level", "warning", "--no-access-log"],
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


def _bodies(engine, n: int, seed: int) -> list[dict]:
    xy = positions(engine, n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return [{"lon": float(x), "lat": float(y), "category": CATEGORIES[int(rng.integers(6))],
             "source": "hotline_12345", "description": "bench",
             "reporter": {"name": "测试", "phone": "19900000000"}} for x, y in xy]


def _routed(answer: dict) -> bool:
    return bool(answer.get("due_at") and answer.get("grid"))


def api_intake(url: str, engine, n: int, clients: int, batch: int, reps: int) -> dict:
    """``n`` requests taken in three ways, ``reps`` runs each, on one uvicorn worker: single
    POSTs (``clients`` keep-alive clients) each in its own transaction (the server with
    ``GISGRID_GROUP_INTAKE=false``: before group commit) and with group commit (the
    default), and batches of ``batch`` from one client, one batch at a time. Rates per run."""
    with session_scope(engine) as s:
        # Every run starts from the same table: the intakes of earlier runs removed (their
        # open requests would be the next run's likely duplicates, more of them each run).
        s.execute(text("DELETE FROM request WHERE description = 'bench'"))
        token = add_user(s, f"bench-{time.time_ns()}", "consumer", actor="bench").token
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    local = threading.local()
    bad: list[str] = []

    def post(body: dict) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=30, headers=headers)
        r = client.post("/v1/requests", json=body)
        if r.status_code != 201 or not _routed(r.json()):
            bad.append(r.text[:200])

    def post_batches(bodies: list[dict]) -> None:
        with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
            for i in range(0, len(bodies), batch):
                part = bodies[i:i + batch]
                r = client.post("/v1/requests/batch", json={"requests": part})
                answers = r.json().get("requests") if r.status_code == 201 else None
                if not answers or len(answers) != len(part) or not all(map(_routed, answers)):
                    bad.append(r.text[:200])

    def singles(bodies: list[dict]) -> None:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, bodies))

    def timed(run, bodies: list[dict]) -> float:
        with session_scope(engine) as s:     # every run starts from the same table
            s.execute(text("DELETE FROM request WHERE description = 'bench'"))
        start = time.perf_counter()
        run(bodies)
        return len(bodies) / (time.perf_counter() - start)

    rates: dict[str, list[float]] = {"single": [], "grouped": [], "batch": []}
    for group in (False, True):
        proc = start_server(url, port, group_intake=group)
        local.__dict__.clear()
        try:
            singles(_bodies(engine, 50, 1))      # warm: the index, the rules, the pool
            post_batches(_bodies(engine, batch, 2))
            for rep in range(reps):
                rates["grouped" if group else "single"].append(timed(singles, _bodies(engine, n, 100 + rep)))
                if group:
                    rates["batch"].append(timed(post_batches, _bodies(engine, n, 200 + rep)))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    assert not bad, bad[:3]
    return rates


NAIVE_ROUTE = text("""
    SELECT g.id, (SELECT json_agg(json_build_object('role', gs.role, 'name', st.name))
                  FROM grid_staff gs JOIN staff st ON st.id = gs.staff_id WHERE gs.grid_id = g.id) AS team
    FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
    WHERE ST_Contains(g.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    ORDER BY g.kind NOT IN ('residential', 'special'), g.code, g.id LIMIT 1""")


def routing(engine, n: int) -> dict:
    xy = positions(engine, n, seed=11)
    rules, times, grids, index = None, {}, {}, None
    for method in ("index", "naive"):
        got = []
        with session_scope(engine) as s:
            rules = rules or Rules.load(s)
            index = index or index_for(s, 10_000)      # with settled cells, as the API's cache
        start = time.perf_counter()
        for x, y in xy:
            with session_scope(engine) as s:
                doc = Intake.from_dict({"lon": float(x), "lat": float(y), "category": "noise",
                                        "source": "patrol"})
                if method == "index":
                    got.append(take_in(s, doc, index=index, rules=rules)["grid"]["id"])
                else:
                    row = s.execute(NAIVE_ROUTE, {"lon": float(x), "lat": float(y)}).one()
                    naive_index = _NaiveIndex(row.id)
                    take_in(s, doc, index=naive_index, rules=rules)
                    got.append(row.id)
        times[method] = time.perf_counter() - start
        grids[method] = got
    same = sum(a == b for a, b in zip(grids["index"], grids["naive"], strict=True))
    # The routing step alone: the index's answer against the naive query, same points.
    with session_scope(engine) as s:
        t0 = time.perf_counter()
        for x, y in xy:
            index.answer(float(x), float(y))
        route_index = time.perf_counter() - t0
        t0 = time.perf_counter()
        for x, y in xy:
            s.execute(NAIVE_ROUTE, {"lon": float(x), "lat": float(y)}).one()
        route_naive = time.perf_counter() - t0
    return {"n": n, "index_s": times["index"], "naive_s": times["naive"], "same": same,
            "route_index_s": route_index, "route_naive_s": route_naive}


class _NaiveIndex:
    """Stands in for the lookup index with the grid the naive query found (same insert after)."""

    def __init__(self, grid_id: int) -> None:
        self.grid_id = grid_id

    def answer(self, lon: float, lat: float) -> bytes:
        return (b'{"grid":{"id":%d,"code":"","name":"","kind":"residential"},"overlays":[],'
                b'"community":null,"staff":[]}' % self.grid_id)


def fill(engine, rows: int) -> None:
    """``rows`` synthetic requests over the last six months at household places, each with a
    stage, deadline and (when closed) its working days."""
    with session_scope(engine) as s:
        have = s.execute(text("SELECT count(*) FROM request WHERE source = 'import'")).scalar_one()
        if have >= rows:
            return
        s.execute(text("""CREATE TEMP TABLE bench_place ON COMMIT DROP AS
            SELECT (row_number() OVER (ORDER BY h.id))::int AS k, h.location, g.id AS grid_id, g.plan_id,
                   g.community_id
            FROM household h JOIN LATERAL (
                SELECT g.id, g.plan_id, g.community_id FROM grid g JOIN plan p ON p.id = g.plan_id
                AND p.status = 'active' WHERE ST_Covers(g.boundary, h.location) AND g.kind = 'residential'
                ORDER BY g.code LIMIT 1) g ON true"""))
        s.execute(text("ALTER TABLE bench_place ADD PRIMARY KEY (k)"))
        places = s.execute(text("SELECT count(*) FROM bench_place")).scalar_one()
        s.execute(text("""
            WITH r AS (SELECT i, now() - random() * interval '182 days' AS at, random() AS u, random() AS v
                       FROM generate_series(1, :n) i)
            INSERT INTO request (district_code, community_id, title, category, stage, reported_at, location,
                source, grid_id, plan_id, registered_at, due_at, closed_at, closed_on_time, days_to_close,
                returned, updated_at)
            SELECT '610802', h.community_id, 'bench',
                (ARRAY['parking','noise','sanitation','dispute'])[1 + i % 4],
                CASE WHEN r.u < 0.8 THEN 'closed' WHEN r.u < 0.9 THEN 'in_progress' ELSE 'registered' END,
                r.at, h.location, 'import', h.grid_id, h.plan_id, r.at, r.at + interval '5 days',
                CASE WHEN r.u < 0.8 THEN r.at + r.v * interval '9 days' END,
                CASE WHEN r.u < 0.8 THEN r.v < 0.6 END, CASE WHEN r.u < 0.8 THEN r.v * 6.4 END,
                (r.v < 0.05)::int, r.at
            FROM r JOIN bench_place h ON h.k = 1 + (r.i * 7919) % :places
        """), {"n": rows - have, "places": places})
        s.execute(text("ANALYZE request"))


NAIVE_STATS = text(f"""
    SELECT count(*) AS received, count(*) FILTER (WHERE t.stage = 'closed') AS closed,
           count(*) FILTER (WHERE t.closed_on_time) AS on_time,
           count(*) FILTER (WHERE {OVERDUE_SQL}) AS overdue,
           avg(t.days_to_close) AS mean_days,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY t.days_to_close) AS p90, sum(t.returned) AS returned
    FROM request t JOIN admin_area a ON a.code = :area AND ST_Covers(a.boundary, t.location)
    WHERE t.reported_at >= :lo AND t.reported_at < :hi AND t.stage <> 'duplicate'""")


def stats(engine, reps: int) -> list[dict]:
    last = today()
    first = last - dt.timedelta(days=181)
    lo = dt.datetime.combine(first, dt.time(), CHINA_TZ)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    out = []
    with engine.connect() as conn:
        community = conn.execute(text("""SELECT c.code FROM admin_area c
            JOIN request t ON t.community_id = c.id
            GROUP BY c.code ORDER BY count(*) DESC LIMIT 1""")).scalar_one()
    for area in ("610802", community):
        times: dict[str, list[float]] = {"gisgrid": [], "naive PostGIS (ST_Covers)": [], "pandas": []}
        for _ in range(reps):
            with session_scope(engine) as s:
                t0 = time.perf_counter()
                ours = request_stats(s, area, start=first, end=last)
                times["gisgrid"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                naive = s.execute(NAIVE_STATS, {"area": area, "lo": lo, "hi": hi}).one()
                times["naive PostGIS (ST_Covers)"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with engine.connect() as conn:
                df = pd.read_sql(text("""
                    SELECT t.stage, t.closed_on_time, t.days_to_close, t.returned, t.due_at,
                    c.code AS community, s.code AS subdistrict, t.district_code FROM request t
                    LEFT JOIN admin_area c ON c.id = t.community_id
                    LEFT JOIN admin_area s ON s.id = c.parent_id
                    WHERE t.reported_at >= :lo AND t.reported_at < :hi"""), conn,
                                 params={"lo": lo, "hi": hi})
            df = df[(df.community == area) | (df.subdistrict == area) | (df.district_code == area)]
            df = df[df.stage != "duplicate"]
            closed = df[df.stage == "closed"]
            received = len(df)
            _ = (len(closed), closed.closed_on_time.sum(), closed.days_to_close.mean(),
                 closed.days_to_close.quantile(0.9), df.returned.sum())
            times["pandas"].append(time.perf_counter() - t0)
        assert ours["received"] == received, (ours["received"], received)
        assert abs(ours["received"] - naive.received) <= max(2, received // 1000)   # points on edges
        out.append({"area": area, "received": ours["received"],
                    **{k: statistics.median(v) for k, v in times.items()}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intakes", type=int, default=10_000)
    ap.add_argument("--skip-api", action="store_true", help="Leave out the API intake")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--batch", type=int, default=500, help="Requests per POST /v1/requests/batch")
    ap.add_argument("--api-reps", type=int, default=3, help="Repeats of each API intake run")
    ap.add_argument("--naive", type=int, default=2_000)
    ap.add_argument("--stats-rows", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    url = database()
    engine = make_engine(url, pool_size=4)
    print(f"started {utc_now().isoformat(timespec='seconds')}")
    if not args.skip_api:
        a = api_intake(url, engine, args.intakes, args.clients, args.batch, args.api_reps)
        med = {k: statistics.median(v) for k, v in a.items()}
        print(f"API intake, 1 uvicorn worker, {args.intakes:,} requests a run, medians of {args.api_reps} "
              f"(each 201, routed, deadline set):")
        for key, what in (("single", f"POST /v1/requests, {args.clients} clients, one transaction each "
                                     "(GISGRID_GROUP_INTAKE=false)"),
                          ("grouped", f"POST /v1/requests, {args.clients} clients, group commit (default)"),
                          ("batch", f"POST /v1/requests/batch, {args.batch} a batch, 1 client")):
            print(f"  {what}: {med[key]:,.0f} intakes/s ({med[key] / med['single']:.1f}x one transaction "
                  f"each; runs: {', '.join(f'{x:,.0f}' for x in a[key])})")
    r = routing(engine, args.naive) if args.naive else None
    r and print(f"in-process intake, one transaction each, {r['n']:,} requests: with the lookup index "
          f"{r['n'] / r['index_s']:,.0f}/s, with the naive ST_Contains route {r['n'] / r['naive_s']:,.0f}/s "
          f"(naive/index time {r['naive_s'] / r['index_s']:.2f}); same grid {r['same']:,}/{r['n']:,}")
    r and print(f"routing alone, {r['n']:,} points: index {r['route_index_s'] / r['n'] * 1e6:,.0f} µs each, "
          "naive "
          f"ST_Contains query {r['route_naive_s'] / r['n'] * 1e6:,.0f} µs each "
          f"({r['route_naive_s'] / r['route_index_s']:.0f}x)")
    fill(engine, args.stats_rows)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM request")).scalar_one()
    print(f"stats over {total:,} stored requests (6 months), medians of {args.reps}:")
    for row in stats(engine, args.reps):
        print(f"  area {row['area']} ({row['received']:,} received): gisgrid {row['gisgrid'] * 1000:.0f} ms, "
              f"naive PostGIS {row['naive PostGIS (ST_Covers)'] * 1000:.0f} ms "
              f"({row['naive PostGIS (ST_Covers)'] / row['gisgrid']:.1f}x), "
              f"pandas {row['pandas'] * 1000:.0f} ms ({row['pandas'] / row['gisgrid']:.1f}x)")
    engine.dispose()


if __name__ == "__main__":
    main()
