"""/v1/lookup over HTTP on the demo: status, content type, body, errors (bodies checked
against the OpenAPI document by ``openapi_check``)."""

from __future__ import annotations

import json

import orjson
import pytest
from openapi_check import check
from sqlalchemy import Engine, text

from gisgrid.crs import from_wgs84
from gisgrid.db.engine import note_lookup_change


@pytest.fixture(scope="module")
def homes(engine: Engine) -> list[tuple[float, float, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT ST_X(location), ST_Y(location), address FROM household ORDER BY id LIMIT 5"))]


def test_get_lookup_returns_the_contract_body_as_json(client, homes) -> None:
    lon, lat, _ = homes[0]
    r = client.get("/v1/lookup", params={"lon": lon, "lat": lat})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert check(r)["district"]["code"] == "610802"


def test_get_lookup_accepts_gcj02_and_a_date(client, homes) -> None:
    lon, lat, _ = homes[1]
    wgs = client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()
    glon, glat = from_wgs84(lon, lat, "gcj02")
    r = client.get("/v1/lookup", params={"lon": glon, "lat": glat, "coordsys": "gcj02",
                                         "date": "2024-05-01"})
    assert r.status_code == 200 and check(r) == wgs


def test_outside_coverage_is_a_404_with_the_distance(client) -> None:
    r = client.get("/v1/lookup", params={"lon": 100.0, "lat": 30.0})
    assert r.status_code == 404
    body = check(r)
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
    assert r.status_code == status and check(r)["code"] == code, r.json()


def test_post_lookup_answers_every_point_in_order_with_null_outside(client, homes) -> None:
    points = [[lon, lat] for lon, lat, _ in homes] + [[100.0, 30.0]]
    r = client.post("/v1/lookup", json={"points": points})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    results = check(r)["results"]
    assert len(results) == len(points) and results[-1] is None
    for (lon, lat), got in zip(points[:-1], results, strict=False):
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
    assert r.status_code == 400 and check(r)["code"] == code, r.json()


def test_batch_bodies_of_any_layout_get_the_same_answers(client, homes) -> None:
    """The plain body is read by the fast reader; one with brackets in another member
    (or integers, or spacing) by the ordinary JSON parser: same answers."""
    points = [[lon, lat] for lon, lat, _ in homes] + [[100, 30]]
    plain = check(client.post("/v1/lookup", content=orjson.dumps({"points": points}),
                              headers={"content-type": "application/json"}))
    odd = client.post("/v1/lookup", content=json.dumps(
        {"note": "[odd], body", "points": points, "near_m": 30}, indent=2).encode(),
        headers={"content-type": "application/json"}).json()
    assert plain == odd and len(plain["results"]) == len(points) and plain["results"][-1] is None


def test_a_committed_lookup_change_makes_the_next_lookup_check_the_database(client, homes) -> None:
    """Only a unit of work that noted a lookup change (an activation) invalidates the
    cache, once it commits; reads and stateless POSTs leave it alone (issue #10: the
    cache used to be invalidated after every non-GET request)."""
    cache = client.app.state.lookups
    lon, lat, _ = homes[0]
    client.get("/v1/lookup", params={"lon": lon, "lat": lat})
    cache._invalid = False
    client.get("/v1/lookup", params={"lon": lon, "lat": lat})
    assert cache._invalid is False                       # reads leave it alone
    client.post("/v1/lookup", json={"points": [[lon, lat]]})
    assert cache._invalid is False                       # so does a stateless POST
    with client.app.state.sessionmaker() as session:
        session.execute(text("SELECT 1"))
        note_lookup_change(session)
        session.rollback()
        session.execute(text("SELECT 1"))
        session.commit()
    assert cache._invalid is False                       # a rolled-back change is forgotten
    with client.app.state.sessionmaker() as session:
        session.execute(text("SELECT 1"))
        note_lookup_change(session)
        session.commit()
    assert cache._invalid is True                        # a committed one sets it


def test_address_lookup_returns_the_match_and_its_grid(client, homes, accounts) -> None:
    lon, lat, address = homes[2]
    r = client.get("/v1/lookup/address", params={"q": address.replace("号楼", "栋")},
                   headers=accounts["staff"].headers)     # the room's own staff see the household
    assert r.status_code == 200
    body = check(r)
    assert body["match"]["address"] == address and body["match"]["confidence"] == 1.0
    point = client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()
    assert body["grid"] == point["grid"]


def test_address_lookup_errors_have_codes(client) -> None:
    r = client.get("/v1/lookup/address", params={"q": "火星路1号"})
    assert r.status_code == 404 and check(r)["code"] == "address_not_found"
    r = client.get("/v1/lookup/address")
    assert r.status_code == 422 and check(r)["code"] == "invalid_request"
    r = client.get("/v1/lookup/address", params={"q": "星元苑1号楼", "coordsys": "mars"})
    assert r.status_code == 400 and check(r)["code"] == "unknown_coordsys"


def test_no_lookup_response_carries_a_phone_number(client, homes, engine: Engine) -> None:
    with engine.connect() as conn:
        phones = set(conn.execute(text("SELECT phone FROM staff WHERE phone IS NOT NULL")).scalars())
    bodies = [client.get("/v1/lookup", params={"lon": h[0], "lat": h[1]}).text for h in homes]
    bodies.append(client.post("/v1/lookup", json={"points": [h[:2] for h in homes]}).text)
    bodies.append(client.get("/v1/lookup/address", params={"q": homes[0][2]}).text)
    assert phones and not any(p in b for p in phones for b in bodies)
