"""Vector tiles of the staff map, decoded by a client that is not ours (GDAL's MVT driver,
which pyogrio bundles): layers, feature counts against the database, no personal fields,
epoch versioning and caching headers, the GCJ-02 shift for Amap, hostile addresses."""

from __future__ import annotations

import math
from pathlib import Path

import pyogrio
import pytest
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gisgrid.crs import wgs84_to_gcj02
from gisgrid.db import resource_store
from gisgrid.db.request_layer import map_requests_sql

MVT = "application/vnd.mapbox-vector-tile"
LAYER_FIELDS = {
    "grids": {"code", "name", "kind", "community_code", "community", "households"},
    "households": {"households", "residents", "per_ha"},
    "shops": {"name", "category"},
    "requests": {"stage", "category", "open", "overdue", "n"},
    "resources": {"name", "kind", "grid_code"},
}


@pytest.fixture(scope="module", autouse=True)
def resources_in_their_grids(engine: Engine) -> None:
    """Every resource in the grid of the active plan that owns it (other tests may have
    replaced and restored plans behind activation's back)."""
    with Session(engine) as s:
        resource_store.assign_resource_grids(s)
        s.commit()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def epoch(client) -> int:
    r = client.get("/tiles/0/wgs84/grids/0/0/0.mvt", follow_redirects=False)
    return int(r.headers["location"].split("/")[2]) if r.status_code == 302 else 0


def decode(tmp_path: Path, body: bytes, z: int, x: int, y: int):
    """The tile read by GDAL's MVT driver (it wants a z/x/y.pbf path): {layer: GeoDataFrame}."""
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return {name: pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)}


def get_tile(client, layer: str, z: int, x: int, y: int, crs: str = "wgs84"):
    r = client.get(f"/tiles/{epoch(client)}/{crs}/{layer}/{z}/{x}/{y}.mvt")
    assert r.status_code == 200 and r.headers["content-type"] == MVT, r.text[:200]
    return r


@pytest.fixture(scope="module")
def whole_demo(engine: Engine) -> tuple[int, int, int]:
    """A tile holding the whole demo (every household, its margin aside)."""
    with engine.connect() as conn:
        w, s, e, n = conn.execute(text(
            "SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(location) x "
            "FROM household) q")).one()
    for z in range(12, 0, -1):
        if tile_of(w, n, z) == tile_of(e, s, z):
            return (z, *tile_of(w, n, z))
    raise AssertionError("no tile holds the demo")


def _in_tile(session: Session, table_sql: str, column: str, z: int, x: int, y: int) -> int:
    return session.execute(text(f"""
        SELECT count(*) FROM ({table_sql}) t WHERE ST_Intersects(ST_Transform(t.{column}, 3857),
                                                   ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096))"""),
                           {"z": z, "x": x, "y": y}).scalar_one()


def test_a_tile_of_the_whole_demo_has_every_layer_with_the_counts_of_the_database(
        client, session: Session, tmp_path: Path, whole_demo) -> None:
    z, x, y = whole_demo
    grids = decode(tmp_path / "g", get_tile(client, "grids", z, x, y).content, z, x, y)["grids"]
    active = session.execute(text(
        "SELECT count(*) FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'")).scalar_one()
    assert len(grids) == active
    stored = dict(session.execute(text(
        "SELECT g.code, count(a.*) FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active' "
        "LEFT JOIN household_assignment a ON a.plan_id = g.plan_id AND a.grid_id = g.id "
        "GROUP BY g.code")).all())
    assert dict(zip(grids.code, grids.households, strict=True)) == stored
    density = decode(tmp_path / "h", get_tile(client, "households", z, x, y).content, z, x, y)["households"]
    assert density.households.sum() == session.execute(text("SELECT count(*) FROM household")).scalar_one()
    assert density.residents.sum() == session.execute(text("SELECT sum(size) FROM household")).scalar_one()
    for layer, table in (("shops", "SELECT location FROM shop"),
                         ("resources", "SELECT location FROM resource")):
        frame = decode(tmp_path / layer, get_tile(client, layer, z, x, y).content, z, x, y)[layer]
        assert len(frame) == _in_tile(session, table, "location", z, x, y) > 0
        assert set(frame.columns) - {"mvt_id", "geometry"} == LAYER_FIELDS[layer]


def test_requests_are_clusters_per_stage_below_zoom_15_whose_counts_are_the_databases(
        client, session: Session, tmp_path: Path, whole_demo) -> None:
    z, x, y = whole_demo
    frame = decode(tmp_path, get_tile(client, "requests", z, x, y).content, z, x, y)["requests"]
    stages = dict(session.execute(text(
        f"SELECT stage, count(*) FROM ({map_requests_sql()}) r GROUP BY stage")).all())
    assert frame.groupby("stage").n.sum().to_dict() == stages
    assert len(frame) < sum(stages.values())   # clustered
    overdue = session.execute(text(
        f"SELECT count(*) FROM ({map_requests_sql()}) r WHERE overdue")).scalar_one()
    assert frame.overdue.sum() == overdue


def test_at_zoom_16_each_request_is_its_own_feature(client, session: Session, tmp_path: Path) -> None:
    lon, lat = session.execute(text(f"""SELECT ST_X(location), ST_Y(location) FROM ({map_requests_sql()}) r
                                        ORDER BY id LIMIT 1""")).one()
    x, y = tile_of(lon, lat, 16)
    frame = decode(tmp_path, get_tile(client, "requests", 16, x, y).content, 16, x, y)["requests"]
    assert len(frame) == _in_tile(session, map_requests_sql(), "location", 16, x, y) >= 1
    assert set(frame.n) == {1} and set(frame.columns) - {"mvt_id", "geometry"} == LAYER_FIELDS["requests"]


def test_no_tile_carries_a_name_a_phone_an_address_or_a_request_text(client, session: Session,
                                                                     whole_demo) -> None:
    z, x, y = whole_demo
    body = b"".join(get_tile(client, layer, z, x, y).content for layer in LAYER_FIELDS)
    staff = session.execute(text("SELECT name, phone FROM staff")).all()
    assert not [n for n, _ in staff if n.encode() in body]
    assert not [p for _, p in staff if p and p.encode() in body]
    texts = session.execute(text("SELECT title, description FROM request")).all()
    assert not [t for t, d in texts if t.encode() in body or (d and d.encode() in body)]
    addresses = session.execute(text("SELECT address FROM household ORDER BY id LIMIT 2000")).scalars()
    assert not [a for a in addresses if a.encode() in body]


def test_a_density_cell_is_never_narrower_than_50_m(client, tmp_path: Path, session: Session) -> None:
    lon, lat = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 1")).one()
    x, y = tile_of(lon, lat, 20)
    frame = decode(tmp_path, get_tile(client, "households", 20, x, y).content, 20, x, y)["households"]
    assert len(frame) >= 1
    bounds = shapely.bounds(frame.geometry.values)
    assert (bounds[:, 2] - bounds[:, 0]).min() > 1


def test_tiles_are_versioned_by_the_map_epoch_and_cacheable(client, engine: Engine) -> None:
    now = epoch(client)
    url = f"/tiles/{now}/wgs84/grids/14/13185/6242.mvt"
    r = client.get(url)
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"] and r.headers["etag"]
    again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    with engine.begin() as conn:   # a change to what the map draws moves the epoch
        conn.execute(text("UPDATE resource SET name = name WHERE id = (SELECT min(id) FROM resource)"))
    later = epoch(client)
    assert later > now
    old = client.get(url, follow_redirects=False)
    assert old.status_code == 302
    assert old.headers["location"] == f"/tiles/{later}/wgs84/grids/14/13185/6242.mvt"
    assert old.headers["cache-control"] == "no-store"


def test_on_amap_a_grid_corner_sits_where_gcj02_puts_it(client, session: Session, tmp_path: Path) -> None:
    """The GCJ-02 tile of a grid has the grid's corner at the corner's GCJ-02 position,
    within one screen pixel (a 512-pixel tile) of zoom 16."""
    corner = session.execute(text("""
        SELECT ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(g.boundary, 1)), 1)),
               ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(g.boundary, 1)), 1))
        FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active' ORDER BY g.code LIMIT 1""")).one()
    glon, glat = wgs84_to_gcj02(*corner)
    z = 16
    x, y = tile_of(glon, glat, z)
    pixel_m = 40075016.686 / 2 ** z / 512
    expect = shapely.Point(*pyogrio_mercator(glon, glat))
    plain = shapely.Point(*pyogrio_mercator(*corner))
    shifted = decode(tmp_path / "g", get_tile(client, "grids", z, x, y, "gcj02").content, z, x, y)["grids"]
    vertices = shapely.points(shapely.get_coordinates(shifted.geometry.values))
    assert shapely.distance(vertices, expect).min() < pixel_m
    assert shapely.distance(plain, expect) > 100 * pixel_m   # the shift is real: hundreds of metres


def pyogrio_mercator(lon: float, lat: float) -> tuple[float, float]:
    r = 6378137.0
    return math.radians(lon) * r, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * r


@pytest.mark.parametrize("path, status", [
    ("{e}/wgs84/grids/23/0/0.mvt", 422),
    ("{e}/wgs84/grids/3/8/0.mvt", 400),
    ("{e}/wgs84/grids/3/0/99999999.mvt", 422),
    ("{e}/wgs84/people/3/0/0.mvt", 422),
    ("{e}/bd09/grids/3/0/0.mvt", 422),
    ("-1/wgs84/grids/3/0/0.mvt", 422),
    ("{e}/wgs84/grids/3/0/0.png", 404),
], ids=["zoom past 22", "x outside the zoom", "huge y", "unknown layer", "unknown crs", "negative epoch",
        "not mvt"])
def test_a_tile_address_outside_the_pyramid_is_4xx_with_a_code(client, path, status) -> None:
    r = client.get("/tiles/" + path.format(e=epoch(client)), follow_redirects=False)
    assert r.status_code == status and r.json()["code"]


def test_the_same_tile_twice_is_the_same_bytes_and_both_crs_differ(client, session: Session) -> None:
    lon, lat = session.execute(text("SELECT ST_X(l), ST_Y(l) FROM (SELECT ST_PointOnSurface(boundary) l "
                                    "FROM grid ORDER BY id LIMIT 1) q")).one()
    x, y = tile_of(lon, lat, 14)
    a = get_tile(client, "grids", 14, x, y).content
    assert a and a == get_tile(client, "grids", 14, x, y).content
    assert get_tile(client, "grids", 14, x, y, "gcj02").content != a


def test_clusters_and_density_cells_count_every_point_once_across_tiles(
        client, session: Session, tmp_path: Path, whole_demo) -> None:
    """Cells are aligned on tile edges and drawn by the tile holding their centre: summed over
    the tiles of a zoom, requests per stage and households are the database's counts."""
    z0, x0, y0 = whole_demo
    z = z0 + 4
    stages: dict[str, int] = {}
    households = 0
    for x in range(x0 * 16, x0 * 16 + 16):
        for y in range(y0 * 16, y0 * 16 + 16):
            body = get_tile(client, "requests", z, x, y).content
            if body:
                frame = decode(tmp_path / f"r{x}-{y}", body, z, x, y)["requests"]
                for stage, n in frame.groupby("stage").n.sum().items():
                    stages[stage] = stages.get(stage, 0) + int(n)
            body = get_tile(client, "households", z, x, y).content
            if body:
                cells = decode(tmp_path / f"h{x}-{y}", body, z, x, y)["households"]
                households += int(cells.households.sum())
    expected = dict(session.execute(text(
        f"SELECT stage, count(*) FROM ({map_requests_sql()}) r GROUP BY stage")).all())
    assert stages == expected
    assert households == session.execute(text("SELECT count(*) FROM household")).scalar_one()
