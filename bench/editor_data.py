"""Synthetic district for the editor benchmark: 10,000 street blocks in 100 communities, in its own database.

A jittered lattice of ``side x side`` street blocks (``bench.bench_data.lattice``, about
300 m each) cut by one street per lattice line; the blocks are cut into communities of
``community x community`` blocks and each community into grids of 2 x 2 blocks, with
households scattered over the blocks. Streets are named per line, so a grid can be split
"along a street". Everything is made from one seed; a database that already holds the
district is reused.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import text

from bench.bench_data import bench_database_url, grid_polygons, lattice
from gisgrid.db.bulk import copy_rows, ewkb_hex
from gisgrid.db.engine import make_engine, migrate, session_scope

DISTRICT = "610897"  # a code of its own
DATABASE = "gisgrid_bench_editor"


def _communities(side: int, size: int) -> list[tuple[int, int]]:
    return [(ci, cj) for ci in range(side // size) for cj in range(side // size)]


def build(
    *, side: int = 100, community: int = 10, households_per_block: int = 20, seed: int = 5
) -> tuple[str, int]:
    """Create (or reuse) the district; return (database URL, id of its active plan)."""
    url = bench_database_url(DATABASE)
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with session_scope(engine) as s:
        row = s.execute(
            text("""SELECT p.id, (SELECT count(*) FROM grid WHERE plan_id = p.id) FROM plan p
                                WHERE p.district_code = :d AND p.status = 'active'"""),
            {"d": DISTRICT},
        ).first()
        if row and row[1] == (side // 2) ** 2:
            engine.dispose()
            return url, int(row[0])
        for table in ("household", "street", "plan", "admin_area"):
            s.execute(text(f"DELETE FROM {table} WHERE district_code = :d"), {"d": DISTRICT})
        plan_id = _write(s, side, community, households_per_block, seed)
        s.execute(text("ANALYZE"))
    engine.dispose()
    return url, plan_id


def _write(s, side: int, size: int, per_block: int, seed: int) -> int:
    xs, ys = lattice(side, seed=seed)
    blocks = np.array(grid_polygons(xs, ys), dtype=object).reshape(side, side)  # [i][j]: column i, row j
    district = shapely.union_all(blocks.ravel())
    ids = {}
    ids["district"] = s.execute(
        text("""
        INSERT INTO admin_area (code, name, level, district_code, boundary)
        VALUES (:d, '编辑器测试区', 'district', :d, ST_Multi(ST_GeomFromText(:wkt, 4326))) RETURNING id"""),
        {"d": DISTRICT, "wkt": district.wkt},
    ).scalar_one()
    sub = s.execute(
        text("""
        INSERT INTO admin_area (code, name, level, parent_id, district_code, boundary)
        VALUES (:c, '测试街道', 'subdistrict', :p, :d, ST_Multi(ST_GeomFromText(:wkt, 4326)))
        RETURNING id"""),
        {"c": f"{DISTRICT}001", "p": ids["district"], "d": DISTRICT, "wkt": district.wkt},
    ).scalar_one()
    plan_id = s.execute(
        text("""
        INSERT INTO plan (scope_id, district_code, name, status, effective_from)
        VALUES (:a, :d, 'editor bench plan', 'active', '2020-01-01') RETURNING id"""),
        {"a": ids["district"], "d": DISTRICT},
    ).scalar_one()
    grids = []
    for k, (ci, cj) in enumerate(_communities(side, size)):
        cells = blocks[ci * size : (ci + 1) * size, cj * size : (cj + 1) * size]
        code = f"{DISTRICT}001{k + 1:03d}"
        comm = s.execute(
            text("""
            INSERT INTO admin_area (code, name, level, parent_id, district_code, boundary)
            VALUES (:c, :n, 'community', :p, :d, ST_Multi(ST_GeomFromText(:wkt, 4326))) RETURNING id"""),
            {
                "c": code,
                "n": f"测试社区{k + 1}",
                "p": sub,
                "d": DISTRICT,
                "wkt": shapely.union_all(cells.ravel()).wkt,
            },
        ).scalar_one()
        seq = 0
        for gi in range(0, size, 2):
            for gj in range(size - 2, -1, -2):  # north to south within a column of grids
                seq += 1
                shape = shapely.union_all(cells[gi : gi + 2, gj : gj + 2].ravel())
                grids.append(
                    (
                        plan_id,
                        comm,
                        DISTRICT,
                        f"{code}{seq:03d}",
                        seq,
                        f"测试社区{k + 1}第{seq}网格",
                        "residential",
                        ewkb_hex(shapely.MultiPolygon([shape])),
                    )
                )
    copy_rows(
        s,
        "grid",
        ("plan_id", "community_id", "district_code", "code", "seq", "name", "kind", "boundary"),
        grids,
    )
    streets = [
        (DISTRICT, f"纵{i}路", "road", ewkb_hex(shapely.MultiLineString([np.column_stack([xs[i], ys[i]])])))
        for i in range(side + 1)
    ]
    streets += [
        (
            DISTRICT,
            f"横{j}街",
            "road",
            ewkb_hex(shapely.MultiLineString([np.column_stack([xs[:, j], ys[:, j]])])),
        )
        for j in range(side + 1)
    ]
    copy_rows(s, "street", ("district_code", "name", "kind", "geom"), streets)
    rng = np.random.default_rng(seed)
    points = []
    for poly in blocks.ravel():
        inner = shapely.buffer(poly, -0.0002)
        x0, y0, x1, y1 = inner.bounds
        xy = np.column_stack([rng.uniform(x0, x1, per_block), rng.uniform(y0, y1, per_block)])
        points.append(xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])])
    pts = np.concatenate(points)
    wkb = shapely.to_wkb(shapely.set_srid(shapely.points(pts), 4326), hex=True, include_srid=True)
    copy_rows(
        s,
        "household",
        ("district_code", "address", "size", "location"),
        ((DISTRICT, "bench", 1 + k % 5, w) for k, w in enumerate(wkb.tolist())),
    )
    return int(plan_id)
