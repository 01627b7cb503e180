"""The coverage API: stateless check and repair, and the coverage of stored plans.

The stateless cases use the 2 x 2 square near Yulin, D = 0.001° a side:

    Y2 +-------+-------+
       |   c   |   d   |
    Y1 +-------+-------+
       |   a   |   b   |
    Y0 +-------+-------+
       X0      X1      X2

Bodies are checked against the OpenAPI document (``openapi_check``), which follows the
contract (ARCHITECTURE.md).
"""

from __future__ import annotations

import json

import pytest
from openapi_check import check
from pyproj import Geod
from shapely import box
from shapely.geometry import mapping, shape
from sqlalchemy import text

from gisgrid.crs import wgs84_to_gcj02
from gisgrid.io.geojson import feature_collection_problems

LON0, LAT0, D = 109.73, 38.28, 0.001
X = [LON0 + k * D for k in range(4)]
Y = [LAT0 + k * D for k in range(4)]
GEOD = Geod(ellps="WGS84")

def fc(pairs):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": k}, "geometry": mapping(g)} for k, g in pairs]}


def quarters(**changes):
    grids = {"a": box(X[0], Y[0], X[1], Y[1]), "b": box(X[1], Y[0], X[2], Y[1]),
             "c": box(X[0], Y[1], X[1], Y[2]), "d": box(X[1], Y[1], X[2], Y[2])}
    grids.update(changes)
    return fc([(k, v) for k, v in grids.items() if v is not None])


PARENT = mapping(box(X[0], Y[0], X[2], Y[2]))


def geod_m2(geom):
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def post_check(client, **body):
    r = client.post("/v1/coverage/check", json={"parent": PARENT, **body})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return check(r)


def test_the_four_quarters_are_ok(client) -> None:
    body = post_check(client, grids=quarters())
    assert body["ok"] is True and body["defects"] == []
    assert body["summary"]["grids"] == 4


def test_a_gap_comes_back_with_its_grids_area_and_geometry(client) -> None:
    strip = box(X[2] - 0.1 * D, Y[1], X[2], Y[2])
    body = post_check(client, grids=quarters(d=box(X[1], Y[1], X[2] - 0.1 * D, Y[2])))
    (gap,) = body["defects"]
    assert gap["kind"] == "gap" and "d" in gap["grids"] and gap["sliver"] is False
    assert gap["area_m2"] == pytest.approx(geod_m2(strip), rel=1e-3)
    assert shape(gap["geometry"]).symmetric_difference(strip).area < 1e-13
    assert body["summary"]["gap_area_m2"] == pytest.approx(gap["area_m2"], rel=1e-6)


def test_points_in_no_grid_are_named_by_their_id(client) -> None:
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": pid}, "geometry": {"type": "Point", "coordinates": xy}}
        for pid, xy in (("in", [X[0] + D / 2, Y[0] + D / 2]), ("out", [X[3], Y[3]]))]}
    body = post_check(client, grids=quarters(), points=points)
    (defect,) = body["defects"]
    assert defect["kind"] == "unassigned_point" and defect["point"] == "out" and "out" in defect["message"]


def test_gcj02_input_is_checked_in_wgs84_and_answered_in_gcj02(client) -> None:
    """The same overlap, sent in GCJ-02: same area; its geometry comes back in GCJ-02."""
    def gcj(geom):
        ring = [list(wgs84_to_gcj02(x, y)) for x, y in geom.exterior.coords]
        return {"type": "Polygon", "coordinates": [ring]}

    grown = quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D))
    wgs = post_check(client, grids=grown)
    for f in grown["features"]:
        f["geometry"] = gcj(shape(f["geometry"]))
    r = client.post("/v1/coverage/check", json={"parent": gcj(box(X[0], Y[0], X[2], Y[2])),
                                                "grids": grown, "coordsys": "gcj02"})
    (overlap,) = check(r)["defects"]
    assert overlap["grids"] == ["b", "d"]
    assert overlap["area_m2"] == pytest.approx(wgs["defects"][0]["area_m2"], rel=1e-4)
    expected = shape(gcj(box(X[1], Y[1], X[2], Y[1] + 0.1 * D)))
    assert shape(overlap["geometry"]).symmetric_difference(expected).area < 1e-12


def test_a_bow_tie_is_invalid_and_a_self_touching_ring_too_without_a_5xx(client) -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[X[0], Y[1]], [X[1], Y[2]], [X[1], Y[1]],
                                                   [X[0], Y[2]], [X[0], Y[1]]]]}
    flat = {"type": "Polygon", "coordinates": [[[X[3], Y[3]]] * 4]}
    grids = quarters()
    grids["features"][2]["geometry"] = bow_tie
    grids["features"].append({"type": "Feature", "properties": {"id": "flat"}, "geometry": flat})
    body = post_check(client, grids=grids)
    invalid = [d for d in body["defects"] if d["kind"] == "invalid"]
    assert [d["grids"] for d in invalid] == [["c"], ["flat"]]
    assert "Self-intersection" in invalid[0]["message"] and "nothing polygonal" in invalid[1]["message"]


LINE = {"type": "LineString", "coordinates": [[X[0], Y[0]], [X[1], Y[1]]]}
BAD_BODIES = [
    ({"parent": PARENT, "grids": {"type": "Feature"}}, 400, "invalid_geojson"),
    ({"parent": PARENT, "grids": [1, 2]}, 422, "invalid_request"),
    ({"parent": PARENT, "grids": {**quarters(), "features": quarters()["features"] * 2}}, 400,
     "duplicate_id"),
    ({"parent": PARENT, "grids": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "l"}, "geometry": LINE}]}}, 400, "invalid_geojson"),
    ({"parent": PARENT, "grids": fc([("a", box(500000, 4200000, 500100, 4200100))])}, 400, "invalid_geojson"),
    ({"parent": LINE, "grids": quarters()}, 400, "invalid_geojson"),
    ({"parent": {"type": "Polygon", "coordinates": [[[X[0], Y[0]]] * 4]}, "grids": quarters()}, 400,
     "invalid_input"),
    ({"parent": PARENT, "grids": quarters(), "sliver_width_m": -1}, 422, "invalid_request"),
    ({"parent": PARENT, "grids": quarters(), "coordsys": "mars"}, 422, "invalid_request"),
    ({"grids": quarters()}, 422, "invalid_request"),
    ({"parent": PARENT, "grids": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": [1]}, "geometry": mapping(box(X[0], Y[0], X[1], Y[1]))}]}},
     400, "invalid_geojson"),
    ({"parent": PARENT, "grids": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "x"}, "geometry": None}]}}, 400, "invalid_geojson"),
    ({"parent": PARENT, "grids": {"type": "FeatureCollection", "features": [  # 3D and 2D mixed
        {"type": "Feature", "properties": {"id": "z"}, "geometry": {"type": "Polygon", "coordinates": [
            [[X[0], Y[0], 5.0], [X[1], Y[0]], [X[1], Y[1]], [X[0], Y[0]]]]}}]}}, 400, "invalid_geojson"),
    ({"parent": mapping(box(-180, -90, 180, 90)), "grids": quarters()}, 400, "invalid_input"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
@pytest.mark.parametrize("path", ["/v1/coverage/check", "/v1/coverage/repair"])
def test_bad_input_gets_a_4xx_with_a_code_never_a_5xx(client, path, body, status, code) -> None:
    r = client.post(path, json=body)
    assert (r.status_code, check(r)["code"]) == (status, code), r.text


def test_points_that_are_not_points_are_a_400(client) -> None:
    r = client.post("/v1/coverage/check", json={"parent": PARENT, "grids": quarters(), "points": quarters()})
    assert (r.status_code, check(r)["code"]) == (400, "invalid_geojson")


def test_malformed_json_is_a_400(client) -> None:
    r = client.post("/v1/coverage/check", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and check(r)["code"] == "invalid_json"


def test_repair_proposes_valid_geojson_grids_and_explains_each_step(client) -> None:
    bump = box(X[1] + 0.3 * D, Y[1], X[1] + 0.7 * D, Y[1] + 0.1 * D)
    r = client.post("/v1/coverage/repair", json={
        "parent": PARENT, "grids": quarters(b=box(X[1], Y[0], X[2], Y[1]).union(bump))})
    assert r.status_code == 200
    body = check(r)
    assert body["ok"] is True and body["changed"] == ["b", "d"] and body["dropped"] == []
    assert feature_collection_problems(body["grids"]) == []
    (step,) = body["steps"]
    assert (step["action"], step["to_grid"]) == ("resolve_overlap", "d") and "longest edge" in step["message"]
    assert body["after"]["ok"] is True and body["before"]["ok"] is False


def active_plan_id(client) -> int:
    return client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]["id"]


def test_the_active_demo_plan_passes_its_coverage_check(client) -> None:
    r = client.get(f"/v1/plans/{active_plan_id(client)}/coverage")
    assert r.status_code == 200
    body = check(r)
    assert body["ok"] is True and body["defects"] == []
    assert body["unassigned"] == {"households": 0, "shops": 0}
    assert body["household_bounds"]["breaches"] == []


def test_plan_coverage_with_tight_bounds_lists_size_breaches(client) -> None:
    r = client.get(f"/v1/plans/{active_plan_id(client)}/coverage",
                   params={"min_households": 300, "max_households": 310})
    breaches = check(r)["household_bounds"]["breaches"]
    assert r.status_code == 200 and breaches and r.json()["ok"] is True
    assert all(not 300 <= b["households"] <= 310 for b in breaches)


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/v1/plans/987654/coverage", 404, "not_found"),
    ("/v1/plans/abc/coverage", 422, "invalid_request"),
])
def test_plan_coverage_errors_have_codes(client, path, status, code) -> None:
    r = client.get(path)
    assert (r.status_code, check(r)["code"]) == (status, code)


def test_bounds_the_wrong_way_round_are_a_400(client) -> None:
    r = client.get(f"/v1/plans/{active_plan_id(client)}/coverage",
                   params={"min_households": 500, "max_households": 100})
    assert (r.status_code, check(r)["code"]) == (400, "invalid_input")


def test_a_plan_with_nothing_to_repair_is_a_409(client, accounts) -> None:
    r = client.post(f"/v1/plans/{active_plan_id(client)}/repair", json={},
                    headers=accounts["planner"].headers)
    assert (r.status_code, check(r)["code"]) == (409, "conflict")


@pytest.fixture
def damaged_draft(client, engine):
    """A committed copy of the active plan with a 30 m disc cut out of one grid; removed after."""
    source = active_plan_id(client)
    with engine.begin() as conn:
        draft = conn.execute(text("""
            INSERT INTO plan (scope_id, district_code, name, status)
            SELECT scope_id, district_code, 'damaged copy', 'draft' FROM plan WHERE id = :p RETURNING id
        """), {"p": source}).scalar_one()
        conn.execute(text("""
            INSERT INTO grid (plan_id, community_id, district_code, code, seq, name, kind, boundary)
            SELECT :d, community_id, district_code, code, seq, name, kind,
                   CASE WHEN code = (SELECT min(code) FROM grid WHERE plan_id = :p AND kind = 'residential')
                        THEN ST_Multi(ST_Difference(boundary,
                             ST_Buffer(ST_PointOnSurface(boundary)::geography, 15)::geometry))
                        ELSE boundary END
            FROM grid WHERE plan_id = :p
        """), {"p": source, "d": draft})
    yield draft
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :d OR parent_id = :d"), {"d": draft})


def test_a_damaged_plan_is_repaired_into_a_new_draft_and_left_as_it_was(
        client, damaged_draft, accounts) -> None:
    planner = accounts["planner"].headers
    before = check(client.get(f"/v1/plans/{damaged_draft}/coverage"))
    assert before["ok"] is False and [d["kind"] for d in before["defects"]][0] == "gap"
    dry = client.post(f"/v1/plans/{damaged_draft}/repair", json={"dry_run": True}, headers=planner)
    assert dry.status_code == 200 and check(dry)["plan"] is None
    assert dry.json()["repair"]["ok"] is True
    r = client.post(f"/v1/plans/{damaged_draft}/repair", json={"author": "api test", "name": "fixed"},
                    headers=planner)
    assert r.status_code == 201, r.text
    plan = check(r)["plan"]
    assert (plan["status"], plan["parent_id"], plan["name"], plan["author"]) == (
        "draft", damaged_draft, "fixed", "api test")
    (step,) = r.json()["repair"]["steps"]
    assert step["action"] == "fill_gap"
    assert client.get(f"/v1/plans/{plan['id']}/coverage").json()["ok"] is True
    assert client.get(f"/v1/plans/{damaged_draft}/coverage").json()["ok"] is False
    listed = client.get("/v1/plans", params={"status": "draft"}).json()["plans"]
    assert {p["id"] for p in listed} >= {damaged_draft, plan["id"]}
    assert json.dumps(r.json())  # serialisable as is
