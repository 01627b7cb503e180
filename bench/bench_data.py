"""Synthetic city for the assignment and lookup benchmarks, in its own database.

A lattice of ``side x side`` street-bounded grids (jittered quadrilaterals that share
their corners, about 300 m across, around Yulin) and households clustered in
buildings of 50, written building by building as a real load does. A few households
sit exactly on grid corners (shared by four grids) and on the outer edge, so the
boundary rules are exercised. Everything is made from one seed.
"""

from __future__ import annotations

import numpy as np
import psycopg
import shapely
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gisgrid.db.bulk import copy_rows, ewkb_hex
from gisgrid.db.engine import make_engine, migrate, session_scope
from gisgrid.db.local import LocalCluster
from gisgrid.settings import DatabaseSettings

X0, Y0 = 109.60, 38.15          # south-west corner of the lattice (lon, lat)
STEP_X, STEP_Y = 0.0035, 0.0027  # about 300 m in both directions at 38°N
DISTRICT = "610899"             # a code of its own, so it never clashes with the demo


def bench_database_url(name: str = "gisgrid_bench_lookup") -> str:
    """URL of the benchmark database (GISGRID_DATABASE_URL's server, or the embedded one)."""
    settings = DatabaseSettings()
    if settings.database_url:
        base = make_url(settings.database_url)
    else:
        base = make_url(LocalCluster(settings.home, settings.pg_bin).up())
    dsn = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def lattice(side: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Corner coordinates (side+1, side+1) of a jittered lattice; the outer ring unjittered."""
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(side + 1), np.arange(side + 1), indexing="ij")
    jx = rng.uniform(-0.15, 0.15, ix.shape) * STEP_X
    jy = rng.uniform(-0.15, 0.15, iy.shape) * STEP_Y
    edge = (ix == 0) | (iy == 0) | (ix == side) | (iy == side)
    jx[edge] = 0.0
    jy[edge] = 0.0
    return X0 + ix * STEP_X + jx, Y0 + iy * STEP_Y + jy


def grid_polygons(xs: np.ndarray, ys: np.ndarray) -> list[shapely.Polygon]:
    side = xs.shape[0] - 1
    polys = []
    for i in range(side):
        for j in range(side):
            ring = [(xs[i, j], ys[i, j]), (xs[i + 1, j], ys[i + 1, j]),
                    (xs[i + 1, j + 1], ys[i + 1, j + 1]), (xs[i, j + 1], ys[i, j + 1])]
            polys.append(shapely.Polygon(ring))
    return polys


def household_points(xs: np.ndarray, ys: np.ndarray, n: int, seed: int = 11) -> np.ndarray:
    """n points: buildings of 50 households spread over the lattice, plus exact corners."""
    rng = np.random.default_rng(seed)
    n_corner = max(n // 2000, 4)
    n_build = (n - n_corner) // 50 + 1
    cx = rng.uniform(xs.min(), xs.max(), n_build)
    cy = rng.uniform(ys.min(), ys.max(), n_build)
    px = np.repeat(cx, 50)[: n - n_corner] + rng.normal(0, 0.0001, n - n_corner)
    py = np.repeat(cy, 50)[: n - n_corner] + rng.normal(0, 0.0001, n - n_corner)
    ci = rng.integers(0, xs.shape[0], n_corner)
    cj = rng.integers(0, xs.shape[1], n_corner)
    return np.column_stack([np.concatenate([px, xs[ci, cj]]), np.concatenate([py, ys[ci, cj]])])


def build(url: str, *, side: int = 100, households: int = 1_000_000) -> int:
    """Create (or reuse) the synthetic district; return its active plan's id."""
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with session_scope(engine) as s:
        row = s.execute(text(
            "SELECT p.id, (SELECT count(*) FROM grid WHERE plan_id = p.id), "
            "(SELECT count(*) FROM household WHERE district_code = :d) "
            "FROM plan p WHERE p.district_code = :d AND p.status = 'active'"), {"d": DISTRICT}).first()
        if row and row[1] == side * side and row[2] == households:
            return int(row[0])
        for table in ("household", "plan", "admin_area"):
            s.execute(text(f"DELETE FROM {table} WHERE district_code = :d"), {"d": DISTRICT})
        xs, ys = lattice(side)
        polys = grid_polygons(xs, ys)
        extent = shapely.box(xs.min(), ys.min(), xs.max(), ys.max())
        area_id = s.execute(text(
            "INSERT INTO admin_area (code, name, level, district_code, boundary) VALUES "
            "(:d, 'bench district', 'district', :d, ST_Multi(ST_GeomFromText(:wkt, 4326))) RETURNING id"),
            {"d": DISTRICT, "wkt": extent.wkt}).scalar_one()
        plan_id = s.execute(text(
            "INSERT INTO plan (scope_id, district_code, name, status, effective_from) "
            "VALUES (:a, :d, 'bench plan', 'active', '2020-01-01') RETURNING id"),
            {"a": area_id, "d": DISTRICT}).scalar_one()
        copy_rows(s, "grid", ("plan_id", "community_id", "district_code", "code", "seq", "name",
                              "kind", "boundary"),
                  ((plan_id, area_id, DISTRICT, f"{DISTRICT}{k // 1000:03d}000{k % 1000:03d}",
                    k % 1000 + 1, f"bench grid {k}", "residential",
                    ewkb_hex(shapely.MultiPolygon([p]))) for k, p in enumerate(polys)))
        pts = household_points(xs, ys, households)
        wkb = shapely.to_wkb(shapely.set_srid(shapely.points(pts), 4326), hex=True, include_srid=True)
        copy_rows(s, "household", ("district_code", "address", "size", "location"),
                  ((DISTRICT, "bench", 1 + k % 5, w) for k, w in enumerate(wkb.tolist())))
        s.execute(text("ANALYZE"))
    engine.dispose()
    return int(plan_id)
