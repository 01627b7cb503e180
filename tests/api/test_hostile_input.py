"""Hostile and broken input, class by class, to every endpoint that takes it: always a 4xx
``{"code", "message"}`` and every table exactly as before.

The classes: malformed JSON, JSON that is not the GeoJSON asked for, wrong geometry types,
self-intersections, empty geometries, NaN / infinite / out-of-range coordinates, lat and
lon swapped (the message says so), unknown coordsys, bodies in an unknown format or
encoding, and SQL fragments in every string parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

X, Y, D = 109.73, 38.28, 0.002


def ring(x: float = X, y: float = Y, d: float = D) -> list[list[float]]:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def polygon(coords: Any = None) -> dict:
    return {"type": "Polygon", "coordinates": [ring()] if coords is None else coords}


def fc(*geoms: dict, props: Callable[[int], dict] = lambda i: {"id": f"g{i}"}) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props(i), "geometry": g} for i, g in enumerate(geoms)]}


BOW_TIE = polygon([[[X, Y], [X + D, Y + D], [X + D, Y], [X, Y + D], [X, Y]]])
LINE = {"type": "LineString", "coordinates": [[X, Y], [X + D, Y + D]]}
POINT = {"type": "Point", "coordinates": [X, Y]}

#: Geometries of each bad class (a polygon where one is asked for; see ``BAD_POINTS``).
BAD_POLYGONS: dict[str, tuple[Any, str]] = {
    "not_geojson": ({"type": "Circle", "center": [X, Y]}, "not a GeoJSON geometry"),
    "wrong_type": (LINE, ""),
    "empty": (polygon([]), "at least one ring"),
    "empty_ring": (polygon([[]]), "at least 4 positions"),
    # NaN and Infinity are not JSON: refused by the parser (strict) or as positions (lenient).
    "nan": (polygon([[[X, Y], [float("nan"), Y], [X + D, Y + D], [X, Y]]]),
            ("outside lon", "not valid JSON")),
    "infinite": (polygon([[[X, Y], [float("inf"), Y], [X + D, Y + D], [X, Y]]]),
                 ("outside lon", "not valid JSON")),
    "out_of_range": (polygon([[[X, Y], [X + 200, Y], [X + D, Y + D], [X, Y]]]), "outside lon"),
    "swapped": (polygon([[[Y, X], [Y, X + D], [Y + D, X + D], [Y, X]]]), "look swapped"),
    "strings": (polygon([[["109.73", "38.28"], [X + D, Y], [X + D, Y + D], ["109.73", "38.28"]]]),
                "must be [lon, lat] numbers"),
}
BAD_POINTS: dict[str, tuple[Any, str]] = {
    "wrong_type": (polygon(), ""),
    "nan": ({"type": "Point", "coordinates": [float("nan"), Y]}, ("outside lon", "not valid JSON")),
    "out_of_range": ({"type": "Point", "coordinates": [X, 95.0]}, "outside lon"),
    "swapped": ({"type": "Point", "coordinates": [Y, X]}, "look swapped"),
}

SQL = ["'; DROP TABLE plan; --", "1 OR 1=1", "610802' OR '1'='1", "\\x00' UNION SELECT * FROM staff--"]


def dumps(body: Any) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity as bare words."""
    return json.dumps(body, allow_nan=True).encode()


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1")).scalars().all()
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def plan_versions(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, status, version, effective_from, effective_to FROM plan ORDER BY id"))]


@pytest.fixture(scope="module", autouse=True)
def as_planner(client, accounts) -> Iterator[None]:
    """Every request here is a district planner's, so writes reach their input checks."""
    saved = dict(client.headers)
    client.headers.update(accounts["planner"].headers)
    try:
        yield
    finally:
        client.headers.clear()
        client.headers.update(saved)


@pytest.fixture(scope="module")
def draft(client, engine: Engine, as_planner) -> Iterator[dict]:
    """A draft to aim edits at (removed afterwards)."""
    plan = client.post("/v1/plans", json={"scope": "610802", "name": "hostile input"}).json()
    grid = client.get(f"/v1/plans/{plan['id']}/grids").json()["features"][0]
    yield {"id": plan["id"], "grid": grid["id"], "community": grid["properties"]["community"]["code"]
           if isinstance(grid["properties"].get("community"), dict) else grid["properties"].get("community")}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :id"), {"id": plan["id"]})


@pytest.fixture
def unchanged(engine: Engine) -> Iterator[None]:
    """Every table has as many rows, and every plan the same status and version, after."""
    before, versions = row_counts(engine), plan_versions(engine)
    yield
    assert row_counts(engine) == before
    assert plan_versions(engine) == versions


def polygon_cases(draft: dict) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(method, url, body with the polygon put in) for every endpoint that takes a polygon."""
    grid, pid = draft["grid"], draft["id"]
    return [
        ("POST", "/v1/coverage/check", lambda g: {"parent": g, "grids": fc(polygon())}),
        ("POST", "/v1/coverage/check", lambda g: {"parent": polygon(), "grids": fc(g)}),
        ("POST", "/v1/coverage/repair", lambda g: {"parent": g, "grids": fc(polygon())}),
        ("POST", "/v1/coverage/repair", lambda g: {"parent": polygon(), "grids": fc(g)}),
        ("POST", "/v1/blocks", lambda g: {"boundary": g, "streets": fc(LINE)}),
        ("POST", "/v1/assign", lambda g: {"grids": fc(g), "points": fc(POINT)}),
        ("POST", "/v1/plans", lambda g: {"scope": "610802", "name": "x", "source": "upload",
                                          "grids": fc(g, props=lambda i: {"community": draft["community"]})}),
        ("POST", f"/v1/plans/{pid}/edits", lambda g: {"version": 1, "op": "replace", "grid": grid,
                                                       "boundary": g}),
        ("POST", f"/v1/plans/{pid}/edits", lambda g: {"version": 1, "op": "move", "from_grid": grid,
                                                       "to_grid": grid, "area": g}),
    ]


def point_cases() -> list[tuple[str, Callable[[Any], Any]]]:
    return [
        ("/v1/coverage/check", lambda p: {"parent": polygon(), "grids": fc(polygon()), "points": fc(p)}),
        ("/v1/assign", lambda p: {"grids": fc(polygon()), "points": fc(p)}),
    ]


def assert_4xx(r, url: str, hint: str | tuple[str, ...] = "") -> dict:
    """A 4xx JSON error; with ``hint``, one of the hints is in its message or details."""
    assert 400 <= r.status_code < 500, f"{url}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/json"), url
    body = r.json()
    assert isinstance(body.get("code"), str) and body["code"] and body.get("message"), (url, body)
    hints = (hint,) if isinstance(hint, str) else hint
    if any(hints):
        said = json.dumps(body, ensure_ascii=False)
        assert any(h in said for h in hints), (url, hints, body)
    return body


@pytest.mark.parametrize("kind", sorted(BAD_POLYGONS))
def test_each_bad_polygon_class_is_a_4xx_on_every_endpoint_and_changes_nothing(
        client, draft, unchanged, kind) -> None:
    geom, hint = BAD_POLYGONS[kind]
    for method, url, body in polygon_cases(draft):
        r = client.request(method, url, content=dumps(body(geom)),
                           headers={"content-type": "application/json"})
        assert_4xx(r, f"{url} {kind}", hint)


@pytest.mark.parametrize("kind", sorted(BAD_POINTS))
def test_each_bad_point_class_is_a_4xx_on_every_endpoint_and_changes_nothing(
        client, unchanged, kind) -> None:
    geom, hint = BAD_POINTS[kind]
    for url, body in point_cases():
        assert_4xx(client.post(url, content=dumps(body(geom))), f"{url} {kind}", hint)


def test_self_intersecting_grids_are_4xx_where_stored_and_reported_where_checked(
        client, draft, unchanged) -> None:
    """A bow-tie cannot be stored, cut into blocks or assigned to; the coverage check's
    contract is to report a bow-tie grid as an ``invalid`` defect (with the reason) and to
    check a bow-tie parent in its repaired form, not to refuse the request."""
    for method, url, body in polygon_cases(draft):
        sent = body(BOW_TIE)
        r = client.request(method, url, json=sent)
        if url.startswith("/v1/coverage") and sent["grids"] != fc(polygon()):
            assert r.status_code == 200, r.text
            defects = r.json().get("defects") or r.json()["before"]["defects"]
            assert any(d["kind"] == "invalid" and "Self-intersection" in d["message"] for d in defects)
        elif url.startswith("/v1/coverage"):
            assert r.status_code == 200, r.text
        else:
            assert_4xx(r, f"{url} bow-tie", ("Self-intersection", "self-intersection", "invalid"))


BAD_BODIES = {
    "truncated": b'{"parent": {"type": "Polygon", "coordinates": [[[109.73',
    "xml": b'<?xml version="1.0"?><FeatureCollection/>',
    "csv": b"id,lon,lat\n1,109.73,38.28\n",
    "gbk": '{"scope": "610802", "name": "榆阳网格"}'.encode("gbk"),
    "utf16_no_bom": '{"scope": "610802", "name": "x"}'.encode("utf-16-le"),
    "latin1_in_string": b'{"scope": "610802", "name": "caf\xe9"}',
    "lone_surrogate": b'{"scope": "610802", "name": "\\ud800"}',
    "array": b"[1, 2, 3]",
    "empty": b"",
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "huge_number": b'{"points": [[1e999999, 38.28]]}',
}


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_bodies_in_an_unknown_format_or_encoding_are_4xx_everywhere(client, draft, unchanged, kind) -> None:
    urls = ["/v1/coverage/check", "/v1/coverage/repair", "/v1/blocks", "/v1/assign", "/v1/plans",
            "/v1/lookup", f"/v1/plans/{draft['id']}/edits", f"/v1/plans/{draft['id']}/generate"]
    if not BAD_BODIES[kind].startswith(b"{"):  # bodies whose fields are all optional
        urls += [f"/v1/plans/{draft['id']}/activate", f"/v1/plans/{draft['id']}/repair"]
    for content_type in ("application/json", "text/csv", "application/octet-stream"):
        for url in urls:
            r = client.post(url, content=BAD_BODIES[kind], headers={"content-type": content_type})
            assert_4xx(r, f"{url} {kind} {content_type}")


@pytest.mark.parametrize("coordsys", ["mars", "", "WGS84 ", "epsg:4326", "gcj02'--"])
def test_an_unknown_coordsys_is_4xx_everywhere(client, unchanged, coordsys) -> None:
    q = {"lon": X, "lat": Y, "coordsys": coordsys}
    assert_4xx(client.get("/v1/lookup", params=q), "GET /v1/lookup")
    assert_4xx(client.get("/v1/lookup/address", params={"q": "榆阳", "coordsys": coordsys}), "address")
    assert_4xx(client.post("/v1/lookup", json={"points": [[X, Y]], "coordsys": coordsys}), "POST lookup")
    for url, body in [("/v1/coverage/check", {"parent": polygon(), "grids": fc(polygon())}),
                      ("/v1/coverage/repair", {"parent": polygon(), "grids": fc(polygon())}),
                      ("/v1/blocks", {"boundary": polygon(), "streets": fc(LINE)}),
                      ("/v1/assign", {"grids": fc(polygon()), "points": fc(POINT)})]:
        assert_4xx(client.post(url, json={**body, "coordsys": coordsys}), url)


def test_swapped_coordinates_of_a_lookup_get_a_hint(client) -> None:
    body = assert_4xx(client.get("/v1/lookup", params={"lon": Y, "lat": X}), "lookup", "look swapped")
    assert "(109.73, 38.28) is in China" in body["message"]
    assert_4xx(client.post("/v1/lookup", json={"points": [[X, Y], [Y, X]]}), "batch", "look swapped")


@pytest.mark.parametrize("fragment", SQL)
def test_sql_fragments_in_every_string_parameter_are_inert(client, draft, unchanged, fragment) -> None:
    pid = draft["id"]
    gets = [("/v1/plans", {"scope": fragment}), ("/v1/plans", {"status": fragment}),
            ("/v1/areas", {"parent": fragment}), ("/v1/areas", {"level": fragment}),
            (f"/v1/plans/{pid}/grids", {"community": fragment}),
            (f"/v1/plans/{pid}/grids", {"kind": fragment}),
            ("/v1/lookup/address", {"q": fragment}), ("/v1/lookup", {"lon": fragment, "lat": Y}),
            ("/v1/lookup", {"lon": X, "lat": Y, "date": fragment}),
            (f"/v1/plans/{pid}/diff", {"before": fragment})]
    for url, params in gets:
        r = client.get(url, params=params)
        if r.status_code == 200:  # a filter that matches nothing, or an address that matches fuzzily
            assert url in ("/v1/plans", "/v1/areas", f"/v1/plans/{pid}/grids", "/v1/lookup/address")
            listed = r.json().get("plans", r.json().get("areas", r.json().get("features")))
            assert listed is None or listed == [], (url, params)
        else:
            assert_4xx(r, f"{url} {params}")
    from urllib.parse import quote

    for url in [f"/v1/areas/{quote(fragment, safe='')}", f"/v1/plans/{quote(fragment, safe='')}"]:
        assert_4xx(client.get(url), url)
    for body in [{"version": 1, "op": "renumber", "community": fragment},
                 {"version": 1, "op": "split", "grid": draft["grid"], "street": fragment}]:
        assert_4xx(client.post(f"/v1/plans/{pid}/edits", json=body), f"edits {body}")
    assert_4xx(client.post(f"/v1/plans/{pid}/generate", json={"version": 1, "community": fragment}),
               "generate")
    assert_4xx(client.post("/v1/plans", json={"scope": fragment[:12], "name": "x"}), "create")
