"""Which requests make the lookup cache look at the database again (issue #10).

The cache used to be invalidated after every non-GET request, stateless ones included
(``POST /v1/lookup``, ``/v1/assign``, ``/v1/coverage/check``, ``/v1/blocks``), so the next
lookup waited for the database. Now only a committed unit of work that changed what
lookups answer (an activation) invalidates it. The app here checks the database epoch
at most once an hour on its own (``plan_switch.quiet_client``), so every read of it
counted below is one a request caused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from plan_switch import activated_copy, quiet_client
from sqlalchemy import Engine, text

from gisgrid.settings import Settings

SQUARE = [[[109.73, 38.28], [109.731, 38.28], [109.731, 38.281], [109.73, 38.281], [109.73, 38.28]]]


@pytest.fixture(scope="module")
def quiet(settings: Settings) -> Iterator[TestClient]:
    with quiet_client(settings) as client:
        yield client


@pytest.fixture
def home(engine: Engine) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 1")).one())


def _reads(client: TestClient) -> tuple[int, int]:
    cache = client.app.state.lookups
    return cache.epoch_checks, cache.builds


def _stateless_posts(client: TestClient, lon: float, lat: float, admin: dict[str, str]) -> list[Any]:
    square = {"type": "Polygon", "coordinates": SQUARE}
    grids = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "a"}, "geometry": square}]}
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": 1},
         "geometry": {"type": "Point", "coordinates": [109.7305, 38.2805]}}]}
    streets = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "LineString", "coordinates": [[109.7305, 38.279], [109.7305, 38.282]]}}]}
    return [
        client.post("/v1/lookup", json={"points": [[lon, lat]]}),
        client.post("/v1/assign", json={"grids": grids, "points": points}),
        client.post("/v1/coverage/check", json={"parent": square, "grids": grids}),
        client.post("/v1/coverage/repair", json={"parent": square, "grids": grids}),
        client.post("/v1/blocks", json={"boundary": square, "streets": streets}),
        client.post("/v1/plans", json={"scope": "no-such-area", "name": "refused"},   # a 404
                    headers=admin),
    ]


def test_stateless_posts_leave_the_cache_and_the_next_lookup_reads_no_database(
        quiet: TestClient, home: tuple[float, float], accounts) -> None:
    lon, lat = home
    first = quiet.get("/v1/lookup", params={"lon": lon, "lat": lat})
    assert first.status_code == 200
    before = _reads(quiet)
    statuses = [r.status_code for r in _stateless_posts(quiet, lon, lat, accounts["admin"].headers)]
    assert statuses == [200, 200, 200, 200, 200, 404]
    again = quiet.get("/v1/lookup", params={"lon": lon, "lat": lat})
    assert again.content == first.content
    assert _reads(quiet) == before                 # no epoch check, no index built


def test_an_activation_through_the_api_is_answered_by_the_next_lookup(
        quiet: TestClient, engine: Engine, home: tuple[float, float], accounts) -> None:
    lon, lat = home
    before = orjson.loads(quiet.get("/v1/lookup", params={"lon": lon, "lat": lat}).content)["grid"]
    checks, _ = _reads(quiet)
    with activated_copy(quiet, engine, accounts["planner"].headers) as (old_plan, new_plan):
        assert new_plan["status"] == "active"
        after = orjson.loads(quiet.get("/v1/lookup", params={"lon": lon, "lat": lat}).content)["grid"]
        with engine.connect() as conn:
            owner_plan = conn.execute(text("SELECT plan_id FROM grid WHERE id = :g"),
                                      {"g": after["id"]}).scalar_one()
        assert owner_plan == new_plan["id"] != old_plan          # the new plan, at once
        assert after["code"] == before["code"] and after["id"] != before["id"]
        assert _reads(quiet)[0] == checks + 1      # the activation made it check, once
