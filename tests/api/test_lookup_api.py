"""/v1/lookup over HTTP on the demo: status, content type, body schema, errors."""

from __future__ import annotations

import json

import jsonschema
import orjson
import pytest
from sqlalchemy import Engine, text

from gisgrid.crs import from_wgs84

AREA = {"type": ["object", "null"], "required": ["code", "name"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
        "additionalProperties": False}
GRID = {"type": "object", "required": ["id", "code", "name", "kind"], "additionalProperties": False,
        "properties": {"id": {"type": "integer"}, "code": {"type": "string", "pattern": "^[0-9]{15}$"},
                       "name": {"type": "string"},
                       "kind": {"enum": ["residential", "business", "special"]}}}
ALTERNATIVE = {**GRID, "required": [*GRID["required"], "distance_m"],
               "properties": {**GRID["properties"], "distance_m": {"type": "number", "minimum": 0}}}
LOOKUP = {
    "type": "object", "additionalProperties": False,
    "required": ["grid", "overlays", "community", "subdistrict", "district", "near_boundary",
                 "alternatives", "staff"],
    "properties": {
        "grid": GRID, "overlays": {"type": "array", "items": GRID},
        "community": AREA, "subdistrict": AREA, "district": AREA,
        "near_boundary": {"type": "boolean"},
        "alternatives": {"type": "array", "items": ALTERNATIVE},
        "staff": {"type": "array", "items": {
            "type": "object", "required": ["role", "name"], "additionalProperties": False,
            "properties": {"role": {"enum": ["leader", "full_time", "part_time"]},
                           "name": {"type": "string"}}}},
    },
}
ERROR = {"type": "object", "required": ["code", "message"],
         "properties": {"code": {"type": "string"}, "message": {"type": "string", "minLength": 1}}}


@pytest.fixture(scope="module")
def homes(engine: Engine) -> list[tuple[float, float, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT ST_X(location), ST_Y(location), address FROM household ORDER BY id LIMIT 5"))]


def test_get_lookup_returns_the_contract_body_as_json(client, homes) -> None:
    lon, lat, _ = homes[0]
    r = client.get("/v1/lookup", params={"lon": lon, "lat": lat})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    jsonschema.validate(r.json(), LOOKUP)
    assert r.json()["district"]["code"] == "610802"


def test_get_lookup_accepts_gcj02_and_a_date(client, homes) -> None:
    lon, lat, _ = homes[1]
    wgs = client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()
    glon, glat = from_wgs84(lon, lat, "gcj02")
    r = client.get("/v1/lookup", params={"lon": glon, "lat": glat, "coordsys": "gcj02",
                                         "date": "2024-05-01"})
    assert r.status_code == 200 and r.json() == wgs


def test_outside_coverage_is_a_404_with_the_distance(client) -> None:
    r = client.get("/v1/lookup", params={"lon": 100.0, "lat": 30.0})
    assert r.status_code == 404
    body = r.json()
    jsonschema.validate(body, ERROR)
    assert body["code"] == "outside_coverage" and body["details"]["distance_m"] > 100_000


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"lon": 109.7, "lat": 38.2, "coordsys": "mars"}, 400, "unknown_coordsys"),
    ({"lon": 109.7}, 422, "invalid_request"),
    ({"lon": "x", "lat": 38.2}, 422, "invalid_request"),
    ({"lon": 109.7, "lat": 95.0}, 400, "invalid_input"),
    ({"lon": 109.7, "lat": 38.2, "near_m": -3}, 400, "invalid_input"),
    ({"lon": 109.7, "lat": 38.2, "date": "2020-13-45"}, 422, "invalid_request"),
])
def test_bad_query_parameters_get_a_4xx_with_a_code(client, params, status, code) -> None:
    r = client.get("/v1/lookup", params=params)
    assert r.status_code == status and r.json()["code"] == code, r.json()
    jsonschema.validate(r.json(), ERROR)


def test_post_lookup_answers_every_point_in_order_with_null_outside(client, homes) -> None:
    points = [[lon, lat] for lon, lat, _ in homes] + [[100.0, 30.0]]
    r = client.post("/v1/lookup", json={"points": points})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    results = r.json()["results"]
    assert len(results) == len(points) and results[-1] is None
    for (lon, lat), got in zip(points[:-1], results, strict=False):
        jsonschema.validate(got, LOOKUP)
        assert got == client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()


def test_post_lookup_in_bd09_matches_wgs84(client, homes) -> None:
    wgs = client.post("/v1/lookup", json={"points": [[h[0], h[1]] for h in homes]}).json()
    bd = [list(from_wgs84(h[0], h[1], "bd09")) for h in homes]
    assert client.post("/v1/lookup", json={"points": bd, "coordsys": "bd09"}).json() == wgs


@pytest.mark.parametrize(("body", "code"), [
    (b"{not json", "invalid_json"),
    (b'{"points": [[1, 2, 3]]}', "invalid_input"),
    (b'{"points": "109.7,38.2"}', "invalid_input"),
    (b'{"points": [[109.7, 38.2]], "coordsys": "mars"}', "unknown_coordsys"),
    (b'{"points": [[109.7, 38.2]], "date": "yesterday"}', "invalid_input"),
    (b'[]', "invalid_input"),
    (b'{"points": [[109.7, 38.2, 1.0], [109.7]]}', "invalid_input"),   # 4 numbers, 2 items
    (b'{"points": [[[109.7, 38.2]]]}', "invalid_input"),
    (b'{"points": [109.7, 38.2]}', "invalid_input"),
    (b'{"points": [[109.7, null]]}', "invalid_input"),
    (b'{"points": [[109.7, 38.2]], "near_m": -1}', "invalid_input"),
    (b'{"coordsys": "wgs84"}', "invalid_input"),
])
def test_bad_batches_get_a_400_with_a_code(client, body, code) -> None:
    r = client.post("/v1/lookup", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == code, r.json()


def test_batch_bodies_of_any_layout_get_the_same_answers(client, homes) -> None:
    """The plain body is read by the fast reader; one with brackets in another member
    (or integers, or spacing) by the ordinary JSON parser: same answers."""
    points = [[lon, lat] for lon, lat, _ in homes] + [[100, 30]]
    plain = client.post("/v1/lookup", content=orjson.dumps({"points": points}),
                        headers={"content-type": "application/json"}).json()
    odd = client.post("/v1/lookup", content=json.dumps(
        {"note": "[odd], body", "points": points, "near_m": 30}, indent=2).encode(),
        headers={"content-type": "application/json"}).json()
    assert plain == odd and len(plain["results"]) == len(points) and plain["results"][-1] is None


def test_a_request_that_may_write_makes_the_next_lookup_check_the_database(client, homes) -> None:
    cache = client.app.state.lookups
    lon, lat, _ = homes[0]
    client.get("/v1/lookup", params={"lon": lon, "lat": lat})
    cache._invalid = False
    client.get("/v1/lookup", params={"lon": lon, "lat": lat})
    assert cache._invalid is False                       # reads leave it alone
    client.post("/v1/lookup", json={"points": [[lon, lat]]})
    assert cache._invalid is True                        # any other method sets it


def test_address_lookup_returns_the_match_and_its_grid(client, homes, accounts) -> None:
    lon, lat, address = homes[2]
    r = client.get("/v1/lookup/address", params={"q": address.replace("号楼", "栋")},
                   headers=accounts["staff"].headers)     # the room's own staff see the household
    assert r.status_code == 200
    body = r.json()
    assert body["match"]["address"] == address and body["match"]["confidence"] == 1.0
    point = client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()
    assert body["grid"] == point["grid"]
    jsonschema.validate(body["grid"], GRID)


def test_address_lookup_errors_have_codes(client) -> None:
    r = client.get("/v1/lookup/address", params={"q": "火星路1号"})
    assert r.status_code == 404 and r.json()["code"] == "address_not_found"
    assert client.get("/v1/lookup/address").status_code == 422
    r = client.get("/v1/lookup/address", params={"q": "星元苑1号楼", "coordsys": "mars"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_coordsys"


def test_no_lookup_response_carries_a_phone_number(client, homes, engine: Engine) -> None:
    with engine.connect() as conn:
        phones = set(conn.execute(text("SELECT phone FROM staff WHERE phone IS NOT NULL")).scalars())
    bodies = [client.get("/v1/lookup", params={"lon": h[0], "lat": h[1]}).text for h in homes]
    bodies.append(client.post("/v1/lookup", json={"points": [h[:2] for h in homes]}).text)
    bodies.append(client.get("/v1/lookup/address", params={"q": homes[0][2]}).text)
    assert phones and not any(p in b for p in phones for b in bodies)
