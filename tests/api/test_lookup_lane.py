"""The GET /v1/lookup fast lane (api.lookup_lane): same bytes as the route, only sooner.

Two checks. Through the whole app, the lane's answers equal the route's byte for byte:
one app answers through the lane, the other has ``lookup_refresh_s=0`` (its cache must
look at the database before every answer, so the lane passes every request on). And
on its own, the lane answers plain lookups itself and passes everything else to the
app behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api import create_app
from api.lookup_lane import LookupFastLane
from gisgrid.access import ANONYMOUS, lookup_view
from gisgrid.crs import from_wgs84
from gisgrid.lookup.cache import LookupCache
from gisgrid.rules import today
from gisgrid.settings import Settings


@pytest.fixture(scope="module")
def points(engine: Engine) -> list[tuple[float, float]]:
    """Household positions (every 200th: some on shared streets) and points near grid edges."""
    with engine.connect() as conn:
        homes = conn.execute(text("SELECT ST_X(location), ST_Y(location) FROM household "
                                  "WHERE id % 200 = 0 ORDER BY id")).all()
        edges = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_ExteriorRing("
            "ST_GeometryN(boundary, 1)), 2) AS p FROM grid ORDER BY id LIMIT 40) t")).all()
    return [(float(x), float(y)) for x, y in [*homes, *edges]]


@pytest.fixture(scope="module")
def route_only(settings: Settings) -> Iterator[TestClient]:
    server = settings.server.model_copy(update={"lookup_refresh_s": 0.0})
    with TestClient(create_app(settings.model_copy(update={"server": server}))) as c:
        yield c


def test_the_lane_gives_the_routes_bytes(client, route_only, points) -> None:
    queries: list[dict[str, Any]] = [{"lon": x, "lat": y} for x, y in points]
    x, y = points[0]
    glon, glat = from_wgs84(x, y, "gcj02")
    queries += [
        {"lon": glon, "lat": glat, "coordsys": "gcj02"},
        {"lon": x, "lat": y, "near_m": 200},
        {"lon": x, "lat": y, "date": "2024-05-01"},
        {"lon": x, "lat": y, "lon_extra": "ignored"},
        {"lon": 100.0, "lat": 30.0},                         # outside: 404
        {"lon": "x", "lat": y},                              # 422
        {"lon": x, "lat": y, "coordsys": "mars"},             # 400
        {"lon": x, "lat": y, "near_m": -1},                   # 400
        {"lon": x},                                          # 422
    ]
    near = 0
    for q in queries:
        path = "/v1/lookup?" + urlencode(q)
        lane, route = client.get(path), route_only.get(path)
        assert (lane.status_code, lane.content) == (route.status_code, route.content), q
        assert lane.headers["content-type"] == route.headers["content-type"], q
        near += lane.status_code == 200 and lane.json()["near_boundary"]
    assert near >= 5, "the sample should hold points near a grid edge"
    # Repeated parameters: the last one counts, on both paths.
    path = f"/v1/lookup?lon=1&lat=1&lon={x!r}&lat={y!r}"
    assert client.get(path).content == route_only.get(path).content == client.get(
        "/v1/lookup", params={"lon": x, "lat": y}).content


class _Behind:
    """The app behind the lane: records what reached it, answers 418."""

    def __init__(self, lookups: LookupCache) -> None:
        self.state = type("State", (), {"lookups": lookups})()
        self.seen: list[str] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.seen.append(scope["query_string"].decode())
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(lane: LookupFastLane, behind: _Behind, query: str, method: str = "GET",
          path: str = "/v1/lookup", root_path: str = "",
          headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": root_path + path, "root_path": root_path,
             "query_string": query.encode(), "app": behind, "headers": headers or []}
    asyncio.run(lane(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_lane_answers_plain_lookups_and_passes_the_rest_on(engine: Engine, points) -> None:
    cache = LookupCache(engine, refresh_s=3600)
    index = cache.get(today())
    behind = _Behind(cache)
    lane = LookupFastLane(behind)
    x, y = points[3]
    plain = urlencode({"lon": x, "lat": y})
    assert _call(lane, behind, plain) == (200, index.answer(x, y))
    assert _call(lane, behind, plain, root_path="/gisgrid") == (200, index.answer(x, y))
    assert behind.seen == []
    passed = ["lon=100&lat=30", "lon=x&lat=1", f"{plain}&coordsys=mars", f"{plain}&near_m=-1",
              f"{plain}&date=2020-13-45", "lat=38"]
    for q in passed:
        assert _call(lane, behind, q) == (418, b""), q
    assert _call(lane, behind, plain, method="POST") == (418, b"")
    assert _call(lane, behind, plain, path="/v1/lookup/address") == (418, b"")
    cache.invalidate()                        # the cache must look at the database first
    assert _call(lane, behind, plain) == (418, b"")
    assert len(behind.seen) == len(passed) + 3


@pytest.mark.parametrize("public_names", [True, False], ids=["names public", "names private"])
def test_the_lane_gives_each_kind_of_caller_the_routes_bytes(settings: Settings, accounts, points,
                                                              public_names: bool) -> None:
    access = settings.access.model_copy(update={"public_team_names": public_names})
    with_lane = settings.model_copy(update={"access": access})
    server = settings.server.model_copy(update={"lookup_refresh_s": 0.0})
    without = with_lane.model_copy(update={"server": server})
    seen: dict[str | None, set[bytes]] = {}
    with TestClient(create_app(with_lane)) as lane, TestClient(create_app(without)) as route:
        for caller in (None, "consumer", "staff"):
            headers = accounts[caller].headers if caller else {}
            for x, y in points[:40]:
                path = "/v1/lookup?" + urlencode({"lon": x, "lat": y})
                a, b = lane.get(path, headers=headers), route.get(path, headers=headers)
                assert (a.status_code, a.content) == (b.status_code, b.content), (caller, path)
                seen.setdefault(caller, set()).add(a.content)
    assert seen[None] == seen["consumer"]
    assert (seen[None] == seen["staff"]) is public_names      # names private: outsiders see less


def test_the_lane_answers_anonymous_callers_only_in_their_view(engine: Engine, settings: Settings,
                                                               points) -> None:
    cache = LookupCache(engine, refresh_s=3600)
    index = cache.get(today())
    behind = _Behind(cache)
    behind.state.settings = settings.model_copy(update={"access": settings.access.model_copy(
        update={"public_team_names": False})})
    lane = LookupFastLane(behind)
    x, y = points[3]
    plain = urlencode({"lon": x, "lat": y})
    status, body = _call(lane, behind, plain)
    assert (status, body) == (200, lookup_view(index.answer(x, y), ANONYMOUS, public_names=False))
    assert body != index.answer(x, y) and b'"name"' in index.answer(x, y).split(b'"staff"')[1]
    for header in ((b"authorization", b"Bearer ggt_x"), (b"cookie", b"a=1; gisgrid_session=abc")):
        assert _call(lane, behind, plain, headers=[header]) == (418, b""), header
    assert _call(lane, behind, plain, headers=[(b"cookie", b"theme=dark")])[0] == 200
    behind.state.settings = settings.model_copy(update={"access": settings.access.model_copy(
        update={"anonymous_reads": False})})
    assert _call(lane, behind, plain) == (418, b"")
