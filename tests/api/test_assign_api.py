"""POST /v1/assign on hand-drawn grids.

    +----+----+
    | a  | b  |      p1 inside a, p2 on the a|b edge, p3 on the corner of a, b, c, d,
    +----+----+      p4 outside everything
    | c  | d  |
    +----+----+
"""

from __future__ import annotations

from openapi_check import check

from gisgrid.crs import wgs84_to_gcj02

X0, Y0, D = 109.70, 38.20, 0.01


def sq(x0: float, y0: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + D, y0], [x0 + D, y0 + D],
                                                 [x0, y0 + D], [x0, y0]]]}


GRIDS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": k}, "geometry": sq(X0 + dx * D, Y0 + dy * D)}
    for k, dx, dy in (("a", 0, 1), ("b", 1, 1), ("c", 0, 0), ("d", 1, 0))]}


def pts(*coords: tuple[str, float, float]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": i}, "geometry": {"type": "Point", "coordinates": [x, y]}}
        for i, x, y in coords]}


def test_points_inside_on_edges_on_corners_and_outside_in_input_order(client) -> None:
    body = {"grids": GRIDS, "points": pts(("p4", X0 + 5 * D, Y0), ("p1", X0 + D / 2, Y0 + 1.5 * D),
                                          ("p2", X0 + D, Y0 + 1.5 * D), ("p3", X0 + D, Y0 + D))}
    r = client.post("/v1/assign", json=body)
    assert r.status_code == 200
    got = check(r)["assignments"]
    assert [a["id"] for a in got] == ["p4", "p1", "p2", "p3"]
    assert got[0] == {"id": "p4", "grid": None, "on_boundary": False, "candidates": []}
    assert got[1] == {"id": "p1", "grid": "a", "on_boundary": False, "candidates": ["a"]}
    assert got[2]["on_boundary"] and got[2]["candidates"] == ["a", "b"] and got[2]["grid"] == "a"
    assert got[3]["on_boundary"] and got[3]["candidates"] == ["a", "b", "c", "d"]


def test_gcj02_points_are_converted_before_the_test(client) -> None:
    # A point ~20 m inside d's east edge in WGS84; its GCJ-02 reading lies ~500 m further
    # east, outside every grid, unless it is converted first.
    lon, lat = X0 + 2 * D - 0.0002, Y0 + D / 2
    glon, glat = wgs84_to_gcj02(lon, lat)
    grids_gcj = {"type": "FeatureCollection", "features": []}
    for f in GRIDS["features"]:
        ring = [list(wgs84_to_gcj02(x, y)) for x, y in f["geometry"]["coordinates"][0]]
        grids_gcj["features"].append({**f, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    r = client.post("/v1/assign", json={"grids": grids_gcj, "points": pts(("p", glon, glat)),
                                        "coordsys": "gcj02"})
    assert check(r)["assignments"][0]["grid"] == "d"
    raw = client.post("/v1/assign", json={"grids": GRIDS, "points": pts(("p", glon, glat))})
    assert raw.json()["assignments"][0]["grid"] is None


def test_bad_input_gets_a_4xx_with_a_code(client) -> None:
    cases = [
        ({"grids": {"type": "Feature"}, "points": pts()}, "invalid_geojson"),
        ({"grids": GRIDS, "points": pts(("x", 200.0, 38.2))}, "invalid_geojson"),
        ({"grids": GRIDS, "points": GRIDS}, "invalid_geojson"),
        ({"grids": {**GRIDS, "features": GRIDS["features"] * 2}, "points": pts()}, "duplicate_id"),
        ({"grids": GRIDS, "points": pts(), "coordsys": "mars"}, "invalid_request"),
        ({"grids": GRIDS}, "invalid_request"),
        ({"grids": {**GRIDS, "features": [{**GRIDS["features"][0], "geometry": {
            "type": "Polygon", "coordinates": [[[X0, Y0, 5.0], [X0 + D, Y0], [X0, Y0 + D], [X0, Y0]]]}}]},
          "points": pts()}, "invalid_geojson"),  # 2D and 3D positions mixed
    ]
    for body, code in cases:
        r = client.post("/v1/assign", json=body)
        assert 400 <= r.status_code < 500, body
        assert check(r)["code"] == code and r.json()["message"], r.json()
    r = client.post("/v1/assign", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and check(r)["code"] == "invalid_json"
