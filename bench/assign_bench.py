"""Assign stored households to stored grids, database to database, side by side.

Usage: ``.venv/bin/python bench/assign_bench.py [--households 1000000] [--side 100] [--reps 3]``

Compares, on the same tables of a synthetic district (bench_data.py: side² grids,
households in buildings, some exactly on grid corners):

- ``plain join``: ``INSERT INTO household_assignment … SELECT … JOIN grid ON
  ST_Contains`` into an indexed partition, the way one would write it first;
- ``assign_plan``: gisgrid's path (points packed in one row out, a raster of the grids,
  one binary COPY into a fresh partition in grid order, unique index + BRIN index,
  swap), which also flags edges and lists candidates; its phases are reported too;
- ``geopandas.sjoin``, ``assign_arrays`` and ``GridRaster`` in memory, on points already
  loaded (no database), as the in-memory ceiling.

Each runs ``--reps`` times inside a rolled-back transaction; medians are reported, as
points per second and as ratios to the plain join. The answers are asserted equal:
assign_plan's grid for every household is the plain join's where the join found one,
and equals ``assign_points`` (the slow, per-pair path) for every household, edge flag
and candidates included; the in-memory paths equal each other.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data  # noqa: E402 - the benchmark's own helper, next to this file

from gisgrid.assign.plan import assign_plan
from gisgrid.assign.points import GridRaster, assign_arrays, assign_points  # noqa: E402
from gisgrid.db.assign_store import stored_assignments  # noqa: E402
from gisgrid.db.engine import make_engine  # noqa: E402

PLAIN_JOIN = """
    INSERT INTO household_assignment (plan_id, household_id, grid_id)
    SELECT g.plan_id, h.id, g.id
    FROM household h JOIN grid g ON ST_Contains(g.boundary, h.location)
    WHERE g.plan_id = :p AND h.district_code = :d
"""


def plain_join(session: Session, plan: int) -> dict[int, int]:
    part = f"household_assignment_p{plan}"
    session.execute(text(f"DROP TABLE IF EXISTS {part}"))
    session.execute(text(f"CREATE TABLE {part} PARTITION OF household_assignment FOR VALUES IN ({plan})"))
    # The same indexes as assign_plan's partition: the BRIN on grid_id comes with the
    # parent; a household is unique within the plan.
    session.execute(text(f"CREATE UNIQUE INDEX ON {part} (household_id)"))
    session.execute(text(PLAIN_JOIN), {"p": plan, "d": bench_data.DISTRICT})
    return dict(session.execute(text(
        f"SELECT household_id, grid_id FROM {part}")).all())


def timed(engine, fn, reps: int) -> tuple[float, object]:
    """Median seconds of fn(session) over reps runs, each rolled back; and the last result."""
    times, result = [], None
    for _ in range(reps):
        with Session(engine) as session:
            start = time.perf_counter()
            result = fn(session)
            times.append(time.perf_counter() - start)
            session.rollback()
    return statistics.median(times), result


def load_memory(engine, plan: int) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    with engine.connect() as conn:
        grids = conn.execute(text("SELECT code, ST_AsBinary(boundary) FROM grid WHERE plan_id = :p "
                                  "ORDER BY code"), {"p": plan}).all()
        pts = conn.execute(text("SELECT id, ST_X(location), ST_Y(location) FROM household "
                                "WHERE district_code = :d ORDER BY id"), {"d": bench_data.DISTRICT}).all()
    arr = np.array(pts, dtype=float)
    return ([(c, shapely.from_wkb(bytes(w))) for c, w in grids], arr[:, 0].astype(np.int64),
            arr[:, 1], arr[:, 2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--side", type=int, default=100, help="grids per side (side² grids)")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    url = bench_data.bench_database_url()
    plan = bench_data.build(url, side=args.side, households=args.households)
    engine = make_engine(url, pool_size=1)
    n = args.households
    print(f"{args.side ** 2:,} grids, {n:,} households; {args.reps} runs each, medians", flush=True)

    t_plain, plain = timed(engine, lambda s: plain_join(s, plan), args.reps)
    summaries = []
    t_ours, _ = timed(engine, lambda s: summaries.append(assign_plan(s, plan)), args.reps)
    with Session(engine) as session:          # read back once, outside the timing
        assign_plan(session, plan)
        stored = stored_assignments(session, plan)
        session.rollback()
    grids, ids, x, y = load_memory(engine, plan)
    geoms = np.array([g for _, g in grids], dtype=object)
    pts = gpd.GeoDataFrame({"id": ids}, geometry=gpd.points_from_xy(x, y), crs=4326)
    polys = gpd.GeoDataFrame({"code": [c for c, _ in grids]}, geometry=list(geoms), crs=4326)
    start = time.perf_counter()
    gpd.sjoin(pts, polys, predicate="intersects")
    t_sjoin = time.perf_counter() - start
    times = []
    for _ in range(args.reps):
        start = time.perf_counter()
        arrays = assign_arrays(geoms, x, y)
        times.append(time.perf_counter() - start)
    t_arrays = statistics.median(times)
    times = []
    for _ in range(args.reps):
        start = time.perf_counter()
        raster = GridRaster(geoms).assign(x, y)
        times.append(time.perf_counter() - start)
    t_raster = statistics.median(times)
    assert (raster.owner.tolist(), raster.on_boundary.tolist(), raster.candidates) == (
        arrays.owner.tolist(), arrays.on_boundary.tolist(), arrays.candidates), "GridRaster differs"

    # Same answers: the plain join's grid wherever it found one; assign_points everywhere.
    with engine.connect() as conn:
        code_to_id = dict(conn.execute(text("SELECT code, id FROM grid WHERE plan_id = :p"),
                                       {"p": plan}).all())
    assert all(stored[h]["grid_id"] == g for h, g in plain.items()), "differs from the plain join"
    slow = assign_points(grids, list(zip(ids.tolist(), shapely.points(x, y), strict=True)))
    for a in slow:
        row = stored[a.id]
        assert row["grid_id"] == (code_to_id[a.grid] if a.grid else None), a
        assert row["on_boundary"] == a.on_boundary, a
        assert row["candidates"] == ([code_to_id[c] for c in a.candidates] if a.on_boundary else []), a
    edge = sum(r["on_boundary"] for r in stored.values())
    print(f"answers equal: assign_plan == plain join on its {len(plain):,} rows, == assign_points on "
          f"all {n:,} ({edge:,} on a boundary, which the plain join drops or duplicates)")
    print(f"{'method':<34}{'median s':>10}{'points/s':>14}{'vs plain join':>16}")
    for name, t in (("plain PostGIS INSERT…SELECT join", t_plain), ("assign_plan (db → db)", t_ours),
                    ("geopandas.sjoin (memory, 1 run)", t_sjoin), ("assign_arrays (memory)", t_arrays),
                    ("GridRaster build+assign (memory)", t_raster)):
        print(f"{name:<34}{t:>10.2f}{n / t:>14,.0f}{t_plain / t:>15.1f}×")
    print("assign_plan by phase, medians of the runs (s; 'read and assign' includes the two "
          "indented, run meanwhile):")
    for phase in summaries[0].seconds:
        indent = "  " if phase in ("rasterise", "assign (overlapped)") else ""
        print(f"  {indent + phase:<22}{statistics.median(s.seconds[phase] for s in summaries):>8.3f}")


if __name__ == "__main__":
    main()
