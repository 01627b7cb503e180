"""Point lookup on the Yuyang demo: grid, areas, team, edges, overlays, dates, batches.

Expected answers are computed independently: by PostGIS ``ST_Covers`` on the grid
table, by shapely in a metric CRS, by pyproj's geodesic.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.crs import from_wgs84
from gisgrid.db.lookup_store import GridContext
from gisgrid.errors import InvalidInputError, OutsideCoverageError, UnknownCoordsysError
from gisgrid.lookup.point import assemble, lookup_point, lookup_points

UTM = Transformer.from_crs(4326, 32649, always_xy=True)
TO_LONLAT = Transformer.from_crs(32649, 4326, always_xy=True)
ACTIVE = "SELECT g.* FROM grid g JOIN plan p ON p.id = g.plan_id WHERE p.status = 'active'"


def covering(session: Session, lon: float, lat: float) -> list[tuple[int, str, str]]:
    """(id, code, kind) of every active grid covering the point, by PostGIS alone."""
    return [tuple(r) for r in session.execute(text(f"""
        SELECT g.id, g.code, g.kind FROM ({ACTIVE}) g
        WHERE ST_Covers(g.boundary, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) ORDER BY g.code
    """), {"x": lon, "y": lat})]


def shared_edge(session: Session) -> tuple[tuple[int, str], tuple[int, str], shapely.LineString]:
    """Two active residential grids sharing a stretch of boundary, and that stretch."""
    row = session.execute(text(f"""
        SELECT a.id, a.code, b.id, b.code,
               ST_AsText(ST_LineMerge(ST_Intersection(ST_Boundary(a.boundary), ST_Boundary(b.boundary))))
        FROM ({ACTIVE}) a JOIN ({ACTIVE}) b ON a.code < b.code AND ST_Touches(a.boundary, b.boundary)
        WHERE a.kind = 'residential' AND b.kind = 'residential'
          AND ST_Length(ST_Intersection(a.boundary, b.boundary)::geography) > 100
        ORDER BY a.code, b.code LIMIT 1
    """)).one()
    line = shapely.from_wkt(row[4])
    if line.geom_type == "MultiLineString":
        line = max(line.geoms, key=lambda g: g.length)
    return (row[0], row[1]), (row[2], row[3]), line


def test_a_household_location_gets_its_covering_grid_with_areas_and_team(session: Session) -> None:
    lon, lat = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 1")).one()
    got = lookup_point(session, lon, lat)
    (gid, code, kind), = covering(session, lon, lat)
    assert got["grid"]["id"] == gid and got["grid"]["code"] == code and got["grid"]["kind"] == kind
    assert list(got) == ["grid", "overlays", "community", "subdistrict", "district", "near_boundary",
                         "alternatives", "staff"]
    assert got["community"]["code"] == code[:12] and got["subdistrict"]["code"] == code[:9]
    assert got["district"] == {"code": "610802", "name": "榆阳区"}
    roles = [s["role"] for s in got["staff"]]
    assert roles[:2] == ["leader", "full_time"] and set(roles[2:]) <= {"part_time"}


def test_the_team_has_names_and_roles_only_never_phone_numbers(session: Session) -> None:
    lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM household LIMIT 1")).one()
    got = lookup_point(session, lon, lat)
    phones = set(session.execute(text("SELECT phone FROM staff WHERE phone IS NOT NULL")).scalars())
    assert all(set(s) == {"role", "name"} for s in got["staff"])
    assert not any(p in json.dumps(got) for p in phones)


@pytest.mark.parametrize("coordsys", ["gcj02", "bd09", "cgcs2000"])
def test_chinese_map_coordinates_are_converted_before_the_lookup(session: Session, coordsys: str) -> None:
    lon, lat = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id DESC LIMIT 1")).one()
    wgs = lookup_point(session, lon, lat)
    clon, clat = from_wgs84(lon, lat, coordsys)
    assert lookup_point(session, clon, clat, coordsys=coordsys) == wgs
    if coordsys != "cgcs2000":   # read as WGS84, a GCJ-02 position is hundreds of metres off
        try:
            raw = lookup_point(session, clon, clat)["grid"]["id"]
        except OutsideCoverageError:
            raw = None
        assert raw != wgs["grid"]["id"]


def test_outside_every_grid_raises_with_the_geodesic_distance_to_the_nearest(session: Session) -> None:
    west = session.execute(text(f"SELECT min(ST_XMin(boundary)) FROM ({ACTIVE}) g")).scalar_one()
    lat = session.execute(text(f"""SELECT ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(boundary, 1)), 1))
        FROM ({ACTIVE}) g ORDER BY ST_XMin(boundary) LIMIT 1""")).scalar_one()
    lon = west - 0.01
    with pytest.raises(OutsideCoverageError) as err:
        lookup_point(session, lon, lat)
    assert err.value.code == "outside_coverage"
    grids = [shapely.from_wkb(bytes(w)) for w in session.execute(text(
        f"SELECT ST_AsBinary(boundary) FROM ({ACTIVE}) g")).scalars()]
    pt = shapely.Point(UTM.transform(lon, lat))
    nearest = min(shapely.transform(g, lambda xy: np.column_stack(UTM.transform(xy[:, 0], xy[:, 1])))
                  .distance(pt) for g in grids)
    assert err.value.details["distance_m"] == pytest.approx(nearest, rel=0.005)
    assert 500 < err.value.details["distance_m"] < 1500


def test_a_point_on_a_shared_edge_has_one_owner_and_the_neighbour_at_zero_metres(session: Session) -> None:
    (a_id, a_code), (b_id, b_code), line = shared_edge(session)
    vertex = line.coords[0]                                  # exactly on both boundaries
    assert {a_id, b_id} <= {c[0] for c in covering(session, *vertex)}
    got = lookup_point(session, *vertex)
    owner = min(covering(session, *vertex), key=lambda c: c[1])
    assert got["grid"]["code"] == owner[1]
    assert got["near_boundary"] is True
    alt = {a["code"]: a["distance_m"] for a in got["alternatives"]}
    other = b_code if owner[1] == a_code else a_code
    assert alt[other] == 0.0


def test_near_boundary_depends_on_the_distance_to_the_other_grid(session: Session) -> None:
    (a_id, a_code), (b_id, b_code), line = shared_edge(session)
    mid = line.interpolate(0.5, normalized=True)
    # 10 m from the edge, on a's side: find the side by testing both offsets.
    mx, my = UTM.transform(mid.x, mid.y)
    (x0, y0), (x1, y1) = UTM.transform(*line.coords[0]), UTM.transform(*line.coords[-1])
    nx, ny = -(y1 - y0), x1 - x0
    norm = float(np.hypot(nx, ny))
    for sign in (1, -1):
        lon, lat = TO_LONLAT.transform(mx + sign * 10 * nx / norm, my + sign * 10 * ny / norm)
        got = lookup_point(session, lon, lat)
        if got["grid"]["id"] == a_id:
            break
    assert got["grid"]["id"] == a_id and got["near_boundary"] is True
    alt = {a["code"]: a["distance_m"] for a in got["alternatives"]}
    assert alt[b_code] == pytest.approx(10.0, abs=0.5)
    far = lookup_point(session, lon, lat, near_m=5)
    assert b_code not in {a["code"] for a in far["alternatives"]}


def test_a_shop_in_the_fuzimiao_business_grid_gets_it_as_an_overlay(session: Session) -> None:
    lon, lat, biz = session.execute(text(f"""
        SELECT ST_X(s.location), ST_Y(s.location), g.code FROM shop s JOIN ({ACTIVE}) g
        ON ST_Contains(g.boundary, s.location) WHERE g.kind = 'business' ORDER BY s.id LIMIT 1
    """)).one()
    got = lookup_point(session, lon, lat)
    assert got["grid"]["kind"] == "residential"
    assert [o["code"] for o in got["overlays"]] == [biz]
    assert got["overlays"][0]["name"] == "夫子庙商圈网格"


def test_the_date_selects_the_plan_in_force_then(session: Session) -> None:
    lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM household LIMIT 1")).one()
    before = lookup_point(session, lon, lat)
    scope_id, community_id = session.execute(text(f"""
        SELECT p.scope_id, g.community_id FROM ({ACTIVE}) g JOIN plan p ON p.id = g.plan_id LIMIT 1
    """)).one()
    # Plan versions written directly (the activation rules are plans.py's business).
    session.execute(text("UPDATE plan SET status = 'retired', effective_to = '2030-01-01' "
                         "WHERE status = 'active' AND scope_id = :s"), {"s": scope_id})
    new_plan = session.execute(text("""
        INSERT INTO plan (scope_id, district_code, name, status, effective_from)
        VALUES (:s, '610802', '2030', 'active', '2030-01-01') RETURNING id"""), {"s": scope_id}).scalar_one()
    session.execute(text("""
        INSERT INTO grid (plan_id, community_id, district_code, code, seq, name, kind, boundary)
        SELECT :p, :c, '610802', '610802009009001', 1, '2030 grid', 'residential',
               ST_Multi(ST_Union(g.boundary)) FROM grid g JOIN plan p ON p.id = g.plan_id
        WHERE p.effective_to = '2030-01-01' AND g.kind = 'residential'
    """), {"p": new_plan, "c": community_id})
    assert lookup_point(session, lon, lat, on=dt.date(2025, 6, 1)) == before
    assert lookup_point(session, lon, lat, on=dt.date(2031, 1, 1))["grid"]["code"] == "610802009009001"
    with pytest.raises(OutsideCoverageError):
        lookup_point(session, lon, lat, on=dt.date(2019, 1, 1))   # before the demo plan


def test_a_batch_answers_exactly_as_single_lookups_do(session: Session) -> None:
    (_, _), (_, _), line = shared_edge(session)
    x0, y0, x1, y1 = session.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        f"FROM (SELECT ST_Extent(boundary) e FROM ({ACTIVE}) g) t")).one()
    rng = np.random.default_rng(5)
    pts = np.column_stack([rng.uniform(x0 - 0.003, x1 + 0.003, 300),
                           rng.uniform(y0 - 0.003, y1 + 0.003, 300)])
    pts = np.vstack([pts, [line.coords[0], line.coords[-1]]])
    batch = lookup_points(session, pts)
    single = []
    for x, y in pts:
        try:
            single.append(lookup_point(session, x, y))
        except OutsideCoverageError:
            single.append(None)
    assert batch == single
    assert any(r is None for r in batch) and any(r and r["near_boundary"] for r in batch)
    assert any(r and not r["near_boundary"] for r in batch)


def test_a_batch_in_gcj02_matches_the_wgs84_batch(session: Session) -> None:
    pts = [tuple(r) for r in session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 50"))]
    gcj = np.column_stack(from_wgs84(np.array(pts)[:, 0], np.array(pts)[:, 1], "gcj02"))
    assert lookup_points(session, gcj, coordsys="gcj02") == lookup_points(session, pts)


@pytest.mark.parametrize(("args", "error"), [
    ((109.7, 38.2, "mars"), UnknownCoordsysError),
    ((109.7, 98.2, "wgs84"), InvalidInputError),
    ((float("nan"), 38.2, "wgs84"), InvalidInputError),
])
def test_bad_coordinates_and_coordsys_are_refused(session: Session, args: tuple, error: type) -> None:
    with pytest.raises(error):
        lookup_point(session, args[0], args[1], coordsys=args[2])


def test_bad_batches_and_near_distances_are_refused(session: Session) -> None:
    for bad in ([[1, 2, 3]], [["a", "b"]], [[109.7]]):
        with pytest.raises(InvalidInputError):
            lookup_points(session, bad)
    with pytest.raises(InvalidInputError):
        lookup_point(session, 109.7, 38.2, near_m=-1)
    assert lookup_points(session, []) == []


def _ctx(gid: int, kind: str, code: str) -> GridContext:
    return GridContext(gid, kind, code, json.dumps({"id": gid, "code": code, "kind": kind}).encode(),
                       b'"community":null,"subdistrict":null,"district":null', b"[]")


def test_assembly_prefers_base_grids_by_code_and_lists_business_grids_as_overlays() -> None:
    a, b, biz = _ctx(2, "residential", "002"), _ctx(1, "residential", "003"), _ctx(3, "business", "001")
    got = json.loads(assemble([biz, b, a], [(a, 0.0), (b, 0.0), (_ctx(9, "special", "009"), 31.0)], 30.0))
    assert got["grid"]["code"] == "002"
    assert [o["code"] for o in got["overlays"]] == ["001"]
    assert [(x["code"], x["distance_m"]) for x in got["alternatives"]] == [("003", 0.0)]
    assert got["near_boundary"] is True
    only_biz = json.loads(assemble([biz], [], 30.0))
    assert only_biz["grid"]["code"] == "001" and only_biz["overlays"] == []
    assert assemble([], [(a, 3.0)], 30.0) is None
