"""OGC API Features pages of 1,000 features: gisgrid's SQL-built pages against tipg-like direct SQL.

Usage: ``.venv/bin/python bench/ogc_bench.py [--side 100] [--households 300000]
[--shops 100000] [--limit 1000] [--reps 5]``

Data: the synthetic district of ``bench_data.py`` (side² grids, households in buildings)
in its own database, plus ``--shops`` shops at random points over it. Two collections:

- ``plan-N``: grids (polygons) with the grids route's counts (households, residents,
  shops by ``ST_Covers``) and team sizes, the costly properties;
- ``shops``: points with name, category, address, community: little but the features.

For each page (offsets 0, limit, 2·limit, … across the collection) both methods build
the complete response body, in process, on the same session, interleaved:

- ``gisgrid``: ``gisgrid.ogc.items_page``, one statement in which PostGIS writes every
  feature as text (``ST_AsGeoJSON`` and ``json_build_object``) and joins them;
- ``tipg-like``: what tipg does per page: a ``count(*)`` query, then a page query
  selecting the property columns and ``ST_AsGeoJSON`` per row, each geometry parsed
  (orjson, as tipg's asyncpg codec), a dict per feature, the collection dumped with
  orjson. The same properties and the same 7 decimals, so the bodies carry the same
  features; this is asserted on the pages of the first pass (ids, properties, geometries).
  For the grids it runs twice: as tipg would over a view (the counts are computed in
  the row query, so for every row up to ``offset + limit``), and with the page cut
  first, as gisgrid does, which leaves only the Python assembly as the difference.

Medians per page over ``--reps`` passes (all sampled pages, and the first page alone),
and the ratio to gisgrid.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data  # noqa: E402 - the benchmark's own helper, next to this file

from gisgrid.db.bulk import copy_rows, ewkb_hex  # noqa: E402
from gisgrid.db.engine import make_engine, session_scope  # noqa: E402
from gisgrid.db.queries import GEOJSON_DIGITS, grid_counts_join  # noqa: E402
from gisgrid.ogc import ItemsQuery, items_page, resolve_collection  # noqa: E402

BASE = "http://127.0.0.1:8000/ogc"
CATEGORIES = ("catering", "books", "hardware", "clothing", "grocery", "pharmacy")

#: tipg-like page queries: property columns and ST_AsGeoJSON per row, in id order.
TIPG_SQL = {
    "grids": (
        "SELECT count(*) FROM grid t WHERE t.plan_id = :plan",
        f"""SELECT t.id, t.code, t.name, t.kind, t.plan_id, c.code AS community_code,
               c.name AS community_name, round(ST_Area(t.boundary::geography))::bigint AS area_m2,
               n.households, n.residents, n.shops,
               (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'leader')
                   AS team_leader,
               (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'full_time')
                   AS team_full_time,
               (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'part_time')
                   AS team_part_time,
               ST_AsGeoJSON(ST_ForcePolygonCCW(t.boundary), {GEOJSON_DIGITS}) AS geometry
        FROM grid t LEFT JOIN admin_area c ON c.id = t.community_id {grid_counts_join("t")}
        WHERE t.plan_id = :plan ORDER BY t.id LIMIT :limit OFFSET :offset"""),
    # The same, the page cut first and the counts computed for its rows only (as gisgrid
    # does): isolates the cost of building the body in Python from that of the SQL.
    "grids, paged first": (
        "SELECT count(*) FROM grid t WHERE t.plan_id = :plan",
        f"""WITH page AS MATERIALIZED (SELECT * FROM grid t WHERE t.plan_id = :plan
                                       ORDER BY t.id LIMIT :limit OFFSET :offset)
        SELECT t.id, t.code, t.name, t.kind, t.plan_id, c.code AS community_code,
               c.name AS community_name, round(ST_Area(t.boundary::geography))::bigint AS area_m2,
               n.households, n.residents, n.shops,
               (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'leader')
                   AS team_leader,
               (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'full_time')
                   AS team_full_time,
               (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'part_time')
                   AS team_part_time,
               ST_AsGeoJSON(ST_ForcePolygonCCW(t.boundary), {GEOJSON_DIGITS}) AS geometry
        FROM page t LEFT JOIN admin_area c ON c.id = t.community_id {grid_counts_join("t")}
        ORDER BY t.id"""),
    "shops": (
        "SELECT count(*) FROM shop t",
        f"""SELECT t.id, t.name, t.category, t.address, c.code AS community_code,
               c.name AS community_name, ST_AsGeoJSON(t.location, {GEOJSON_DIGITS}) AS geometry
        FROM shop t LEFT JOIN admin_area c ON c.id = t.community_id
        ORDER BY t.id LIMIT :limit OFFSET :offset"""),
}


def add_shops(url: str, n: int, seed: int = 17) -> None:
    """``n`` shops at random points over the lattice (kept when already there)."""
    engine = make_engine(url, pool_size=1)
    with session_scope(engine) as s:
        if s.execute(text("SELECT count(*) FROM shop WHERE district_code = :d"),
                     {"d": bench_data.DISTRICT}).scalar_one() == n:
            return
        s.execute(text("DELETE FROM shop WHERE district_code = :d"), {"d": bench_data.DISTRICT})
        xs, ys = bench_data.lattice(100)
        rng = np.random.default_rng(seed)
        x = rng.uniform(xs.min(), xs.max(), n)
        y = rng.uniform(ys.min(), ys.max(), n)
        copy_rows(s, "shop", ("district_code", "name", "category", "address", "location"),
                  ((bench_data.DISTRICT, f"商户{k}", CATEGORIES[k % len(CATEGORIES)],
                    f"榆阳区示范路{k}号", ewkb_hex(shapely.Point(x[k], y[k]))) for k in range(n)))
        s.execute(text("ANALYZE shop"))
    engine.dispose()


def tipg_like_page(session: Session, which: str, plan: int, limit: int, offset: int) -> bytes:
    """One page as tipg builds it: count, page rows, Python features, orjson."""
    count_sql, page_sql = TIPG_SQL[which]
    params = {"plan": plan, "limit": limit, "offset": offset}
    matched = session.execute(text(count_sql), params).scalar_one()
    features = []
    for row in session.execute(text(page_sql), params):
        props = dict(row._mapping)
        fid = props.pop("id")
        geometry = orjson.loads(props.pop("geometry"))
        features.append({"type": "Feature", "id": fid, "geometry": geometry, "properties": props})
    return orjson.dumps({"type": "FeatureCollection", "numberMatched": matched,
                         "numberReturned": len(features), "links": [], "features": features})


def same_features(ours: bytes, theirs: bytes) -> None:
    a, b = orjson.loads(ours), orjson.loads(theirs)
    assert a["numberMatched"] == b["numberMatched"]
    assert a["features"] == b["features"], "the two pages differ"


def bench(session: Session, collection_id: str, baselines: tuple[str, ...], plan: int, limit: int,
          reps: int) -> dict:
    """Median ms per page (all sampled pages, and the first) of gisgrid and each baseline."""
    collection = resolve_collection(session, collection_id)
    matched = orjson.loads(items_page(session, collection, ItemsQuery(limit=1), base=BASE))["numberMatched"]
    every = list(range(0, matched, limit))
    offsets = every[:: max(1, len(every) // 10)][:10]   # ten pages spread over the collection
    methods = ("gisgrid", *baselines)
    times: dict[str, dict[int, list[float]]] = {m: {o: [] for o in offsets} for m in methods}
    size = 0
    for rep in range(reps):
        for i, offset in enumerate(offsets):
            shift = (rep + i) % len(methods)                 # interleave, rotating the order
            bodies = {}
            for m in methods[shift:] + methods[:shift]:
                start = time.perf_counter()
                bodies[m] = (items_page(session, collection, ItemsQuery(limit=limit, offset=offset),
                                        base=BASE) if m == "gisgrid"
                             else tipg_like_page(session, m, plan, limit, offset))
                times[m][offset].append(time.perf_counter() - start)
            if rep == 0:
                for m in baselines:
                    same_features(bodies["gisgrid"], bodies[m])
                size += len(bodies["gisgrid"])
    out = {"pages": len(offsets), "kb_per_page": size / len(offsets) / 1024}
    for m in methods:
        out[m] = (statistics.median(t for ts in times[m].values() for t in ts) * 1e3,
                  statistics.median(times[m][0]) * 1e3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=100)
    ap.add_argument("--households", type=int, default=300_000)
    ap.add_argument("--shops", type=int, default=100_000)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    url = bench_data.bench_database_url("gisgrid_bench_ogc")
    plan = bench_data.build(url, side=args.side, households=args.households)
    add_shops(url, args.shops)
    engine = make_engine(url, pool_size=1)
    print(f"{args.side ** 2:,} grids, {args.households:,} households, {args.shops:,} shops; "
          f"pages of {args.limit:,}; medians of {args.reps} passes; pages asserted equal", flush=True)
    print(f"{'collection':<12}{'method':<42}{'ms/page':>9}{'first page':>12}{'ratio':>8}")
    with Session(engine) as session:
        for cid, baselines in ((f"plan-{plan}", ("grids", "grids, paged first")), ("shops", ("shops",))):
            r = bench(session, cid, baselines, plan, args.limit, args.reps)
            print(f"{cid} ({r['pages']} pages of {args.limit:,}, {r['kb_per_page']:.0f} KB each)")
            for m in ("gisgrid", *baselines):
                label = "gisgrid items_page (SQL-built)" if m == "gisgrid" else f"tipg-like ({m})"
                print(f"{'':<12}{label:<42}{r[m][0]:>9.1f}{r[m][1]:>12.1f}"
                      f"{r[m][0] / r['gisgrid'][0]:>7.2f}×", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
