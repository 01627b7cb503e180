"""The edge of the service (``api.guard`` and the limits): each limit answers a clear 4xx,
the 500s a client could trigger are 4xx now, and pages carry their security headers.

Limits are set small on an app of this module, so the tests send kilobytes, not the
hundreds of megabytes the defaults are about (bench/hostile_bench.py sends those to a
real server).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api import create_app
from gisgrid.settings import DatabaseSettings, LimitSettings, Settings
from maps.policy import script_hashes

LIMITS = LimitSettings(max_body_bytes=20_000, max_url_bytes=300, max_address_chars=30,
                       max_features=5, max_vertices=60, max_batch_points=10, work_processes=1)


@pytest.fixture(scope="module")
def small(settings: Settings) -> Iterator[TestClient]:
    """An app of the test database with small limits."""
    with TestClient(create_app(settings.model_copy(update={"limits": LIMITS})),
                    raise_server_exceptions=False) as c:
        yield c


def square(x: float = 109.73, y: float = 38.28, d: float = 0.001) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def grids(n: int) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"g{i}"}, "geometry": square(109.73 + i * 0.001)}
        for i in range(n)]}


def assert_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["code"] == code and body["message"], body
    return body


def test_a_body_declared_larger_than_the_limit_is_413_before_it_is_read(small) -> None:
    body = b'{"parent": ' + b" " * 30_000 + b"}"
    r = small.post("/v1/coverage/check", content=body, headers={"content-type": "application/json"})
    message = assert_error(r, 413, "payload_too_large")["message"]
    assert "20,000 bytes" in message and "GISGRID_MAX_BODY_BYTES" in message
    assert r.headers["connection"] == "close"


def test_small_forms_have_a_small_body_limit_and_bulk_routes_the_large_one(client) -> None:
    """A body FastAPI parses on the event loop (activate, generate, repair) is a small
    form: 64 KiB; bulk routes read theirs raw and parse it in a worker: 32 MiB."""
    padding = " " * 100_000
    for url in ("/v1/plans/1/activate", "/v1/plans/1/generate", "/v1/plans/1/repair"):
        r = client.post(url, content=b"{}" + padding.encode(), headers={"content-type": "application/json"})
        assert "GISGRID_MAX_SMALL_BODY_BYTES" in assert_error(r, 413, "payload_too_large")["message"]
    body = json.dumps({"parent": square(), "grids": grids(1)}) + padding
    r = client.post("/v1/coverage/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_a_streamed_body_is_cut_off_at_the_limit(small) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"points": ['
        for _ in range(2_000):
            yield b"[109.73, 38.28],"
        yield b"[109.73, 38.28]]}"

    r = small.post("/v1/lookup", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_a_long_query_string_or_path_is_414(small) -> None:
    assert_error(small.get("/v1/lookup", params={"lon": "1" * 400, "lat": "38"}), 414, "uri_too_long")
    assert_error(small.get("/v1/areas/" + "1" * 400), 414, "uri_too_long")


def test_an_address_over_the_limit_is_refused_before_it_is_parsed(small, client) -> None:
    body = assert_error(small.get("/v1/lookup/address", params={"q": "1" * 31}), 400, "too_long")
    assert body["details"] == {"limit": 30, "limit_name": "max_address_chars"}
    # The 32,000-digit address that held the interpreter for 37 s: a URL over the default.
    assert_error(client.get("/v1/lookup/address", params={"q": "1" * 32_000}), 414, "uri_too_long")
    # ... and under the URL limit but over 200 characters (the default address limit).
    assert_error(client.get("/v1/lookup/address", params={"q": "1" * 1_000}), 400, "too_long")


def test_more_batch_points_than_the_limit_is_413(small) -> None:
    r = small.post("/v1/lookup", json={"points": [[109.73, 38.28]] * 11})
    body = assert_error(r, 413, "too_large")
    assert "at most 10 points" in body["message"] and body["details"]["limit"] == 10
    assert small.post("/v1/lookup", json={"points": [[109.73, 38.28]] * 10}).status_code == 200


@pytest.mark.parametrize("path", ["/v1/coverage/check", "/v1/coverage/repair", "/v1/assign"])
def test_more_features_than_the_limit_is_413_naming_it(small, path) -> None:
    body = {"parent": square(d=0.01), "grids": grids(6), "points": {"type": "FeatureCollection",
                                                                     "features": []}}
    message = assert_error(small.post(path, json=body), 413, "too_large")["message"]
    assert "more than 5 features" in message and "GISGRID_MAX_FEATURES" in message


def test_more_vertices_than_the_limit_is_413_naming_it(small) -> None:
    ring = [[109.73 + i * 1e-5, 38.28 + (i % 2) * 1e-5] for i in range(70)] + [[109.73, 38.28]]
    body = {"boundary": square(d=0.01), "streets": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": ring}}]}}
    message = assert_error(small.post("/v1/blocks", json=body), 413, "too_large")["message"]
    assert "more than 60 coordinate positions" in message


def test_a_nul_anywhere_in_a_url_or_json_body_is_400_not_500(client, accounts) -> None:
    for url in ["/v1/plans?scope=a%00b", "/v1/areas/a%00b", "/v1/areas?parent=%00",
                "/v1/lookup?lon=109.7&lat=38.2&coordsys=wgs84%00",
                "/v1/lookup/address?q=%E6%A6%86%00"]:
        assert_error(client.get(url), 400, "nul_character")
    batch = b'{"points": [[109.73, 38.28]], "a\\u0000b": 1}'  # a NUL in a member name
    assert_error(client.post("/v1/lookup", content=batch), 400, "nul_character")
    draft = {"scope": "610802", "name": "a\u0000b"}
    assert_error(client.post("/v1/plans", json=draft, headers=accounts["planner"].headers), 400,
                 "nul_character")


def test_a_plan_id_beyond_the_database_integer_is_422_on_every_route(client, accounts) -> None:
    big = 2**31
    for method, url, body in [("POST", f"/v1/plans/{big}/activate", {}),
                              ("GET", f"/v1/plans/{big}", None), ("GET", f"/v1/plans/{big}/grids", None),
                              ("GET", f"/v1/plans/{big}/coverage", None),
                              ("GET", f"/v1/plans/1/diff?before={big}", None),
                              ("POST", f"/v1/plans/{big}/edits", {"version": 1, "op": "renumber"}),
                              ("POST", "/v1/plans/1/edits", {"version": big, "op": "renumber"}),
                              ("POST", f"/v1/plans/{big}/repair", {}),
                              ("GET", f"/maps/plans/{big}", None)]:
        r = client.request(method, url, json=body, headers=accounts["planner"].headers)
        assert_error(r, 422, "invalid_request")
        assert "2147483647" in r.json()["message"], url


def test_a_coordsys_that_is_no_string_is_4xx(client) -> None:
    for coordsys in (5, [], {}, None, True):
        r = client.post("/v1/lookup", json={"points": [[109.73, 38.28]], "coordsys": coordsys})
        assert_error(r, 400, "unknown_coordsys")
    r = client.post("/v1/coverage/check", json={"parent": square(), "grids": grids(1), "coordsys": 3})
    assert_error(r, 422, "invalid_request")


def test_text_longer_than_its_column_is_422_at_the_edge(client, accounts) -> None:
    for body in ({"scope": "6" * 13, "name": "x"}, {"scope": "610802", "name": "x" * 201},
                 {"scope": "610802", "name": "x", "author": "a" * 101}):
        r = client.post("/v1/plans", json=body, headers=accounts["planner"].headers)
        assert_error(r, 422, "invalid_request")


def _refused_value(engine: Engine) -> Exception:
    with engine.connect() as conn:
        try:
            conn.execute(text("SELECT CAST(:v AS integer)"), {"v": 2**40})
        except Exception as exc:  # noqa: BLE001 - the DataError to map
            return exc
    raise AssertionError("PostgreSQL accepted 2**40 as an integer")


def test_a_value_the_database_refuses_is_a_400_in_the_server_and_in_a_worker(
        settings: Settings, engine: Engine) -> None:
    """What slips past the edge checks (a DataError of PostgreSQL) is the input's fault."""
    from api.workers import _call

    refused = _refused_value(engine)

    def store() -> None:
        raise refused

    kind, err = _call(store, ())  # as a worker reports it
    assert kind == "raise" and err.code == "invalid_value"
    app = create_app(settings.model_copy(update={"limits": LimitSettings(work_processes=1)}))
    app.add_api_route("/store", store)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_error(c.get("/store"), 400, "invalid_value")


def test_health_does_not_tell_where_the_database_is(settings: Settings) -> None:
    away = settings.model_copy(update={
        "db": DatabaseSettings(database_url="postgresql://u:p@127.0.0.1:9/nowhere"),
        "limits": LimitSettings(work_processes=1)})
    with TestClient(create_app(away)) as c:
        r = c.get("/health")
    body = assert_error(r, 503, "database_unavailable")
    text_ = json.dumps(body)
    assert "127.0.0.1" not in text_ and ":9" not in text_ and "nowhere" not in text_


def test_redirects_are_relative_whatever_host_the_client_names(client) -> None:
    r = client.get("/v1/plans/", headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/v1/plans"
    r = client.get("/maps", follow_redirects=False)
    assert r.headers["location"] == "/maps/"


def test_errors_of_the_static_files_are_json(client) -> None:
    assert_error(client.post("/maps/static/leaflet/leaflet.js"), 405, "method_not_allowed")
    assert_error(client.get("/maps/static/leaflet/no-such-file.js"), 404, "not_found")
    assert client.get("/maps/static/leaflet/leaflet.js").status_code == 200


def test_pages_send_a_csp_with_their_own_inline_scripts_frame_denial_and_nosniff(client) -> None:
    r = client.get("/maps/grids")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    hashes = script_hashes(r.content)
    assert hashes and csp["script-src"].split() == ["'self'", *hashes]
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/v1/areas").headers["x-content-type-options"] == "nosniff"


def test_the_basemap_tile_servers_are_allowed_as_images(settings: Settings) -> None:
    osm = settings.model_copy(update={"server": settings.server.model_copy(update={"tiles_url": "osm"}),
                                      "limits": LimitSettings(work_processes=1)})
    with TestClient(create_app(osm)) as c:
        csp = c.get("/maps/grids").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in csp


def test_an_unexpected_error_is_a_json_500_logged_once_that_closes_the_connection(
        settings: Settings, caplog) -> None:
    app = create_app(settings.model_copy(update={"limits": LimitSettings(work_processes=1)}))

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.get("/broken")
        assert_error(r, 500, "internal_error")
        assert "a bug" not in r.text
        assert r.headers["connection"] == "close"
        assert c.get("/health").status_code == 200
    logged = [rec for rec in caplog.records if "unhandled error on GET /broken" in rec.getMessage()]
    assert len(logged) == 1


def test_a_second_activation_on_the_same_day_is_a_clear_409_naming_the_earliest_day(
        client, engine: Engine, accounts) -> None:
    """The active demo plan starts on 2020-01-01; a draft asked to start that same day
    (or before) would retire it on, or before, its first day: a range with no day in it."""
    active = client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]
    planner = accounts["planner"].headers
    draft = client.post("/v1/plans", json={"scope": "610802", "name": "same day"}, headers=planner).json()
    try:
        for day in ("2020-01-01", "2019-06-01"):
            r = client.post(f"/v1/plans/{draft['id']}/activate", json={"effective_from": day},
                            headers=planner)
            body = assert_error(r, 409, "effective_date_conflict")
            assert body["details"]["earliest"] == "2020-01-02" and str(active["id"]) in body["message"]
        assert client.get(f"/v1/plans/{active['id']}").json()["status"] == "active"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM plan WHERE id = :id"), {"id": draft["id"]})
    assert dt.date.fromisoformat(body["details"]["earliest"]) > dt.date(2020, 1, 1)
