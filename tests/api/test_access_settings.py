"""The access settings: closing anonymous reads or services, private team names, Open311's api_key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api import create_app
from api.auth import ApiKeyCaller
from gisgrid.settings import Settings

SQUARE = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"},
          "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}]}
POINTS = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": 1},
          "geometry": {"type": "Point", "coordinates": [0.5, 0.5]}}]}


@contextmanager
def app_with(settings: Settings, **access: object) -> Iterator[TestClient]:
    changed = settings.model_copy(update={"access": settings.access.model_copy(update=access)})
    with TestClient(create_app(changed)) as client:
        yield client


@pytest.fixture(scope="module")
def home(engine: Engine) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(text("SELECT ST_X(location), ST_Y(location) FROM household "
                                       "ORDER BY id LIMIT 1")).one())


def test_closed_anonymous_reads_need_a_token_and_send_browsers_to_sign_in(settings, accounts, home) -> None:
    lon, lat = home
    with app_with(settings, anonymous_reads=False) as client:
        for path in ("/v1/areas", "/v1/plans", f"/v1/lookup?lon={lon}&lat={lat}",
                     "/v1/lookup/address?q=星元苑1号楼"):
            r = client.get(path)
            assert (r.status_code, r.json()["code"]) == (401, "not_authenticated"), path
            assert client.get(path, headers=accounts["consumer"].headers).status_code == 200, path
        r = client.get("/maps/", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login?next=/maps/")
        assert client.get("/health").status_code == 200 and client.get("/login").status_code == 200
        assert client.post("/v1/assign", json={"grids": SQUARE, "points": POINTS}).status_code == 200


def test_closed_services_need_a_token(settings, accounts, home) -> None:
    with app_with(settings, anonymous_services=False) as client:
        for path, body in (("/v1/assign", {"grids": SQUARE, "points": POINTS}),
                           ("/v1/lookup", {"points": [list(home)]}),
                           ("/v1/coverage/check", {"parent": SQUARE["features"][0]["geometry"],
                                                   "grids": SQUARE})):
            assert client.post(path, json=body).status_code == 401, path
            r = client.post(path, json=body, headers=accounts["consumer"].headers)
            assert r.status_code == 200, (path, r.text)
        assert client.get("/v1/lookup", params={"lon": home[0], "lat": home[1]}).status_code == 200


def test_the_services_are_open_to_anonymous_clients_by_default(client, home) -> None:
    """What ../shared/contract/check_contract.py relies on: it sends no token."""
    assert client.post("/v1/assign", json={"grids": SQUARE, "points": POINTS}).status_code == 200
    assert client.post("/v1/lookup", json={"points": [list(home)]}).status_code == 200


def test_private_team_names_leave_roles_for_outsiders_and_names_for_staff(settings, accounts, home,
                                                                          engine: Engine) -> None:
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM staff")).scalars())
    lon, lat = home
    with app_with(settings, public_team_names=False) as client:
        for key in (None, "consumer"):
            headers = accounts[key].headers if key else {}
            one = client.get("/v1/lookup", params={"lon": lon, "lat": lat}, headers=headers).json()
            batch = client.post("/v1/lookup", json={"points": [[lon, lat]]}, headers=headers).json()
            assert one["staff"] and all(set(m) == {"role"} for m in one["staff"])
            assert batch["results"][0] == one
            team = client.get(f"/v1/grids/{one['grid']['id']}/team", headers=headers).json()["team"]
            assert team and all(set(m) == {"role"} for m in team)
        seen = client.get("/v1/lookup", params={"lon": lon, "lat": lat}, headers=accounts["staff"].headers)
        assert {m["name"] for m in seen.json()["staff"]} <= names and seen.json()["staff"]
        other = client.get("/v1/lookup", params={"lon": lon, "lat": lat},
                           headers=accounts["other_staff"].headers).json()
        assert all("name" in m for m in other["staff"])        # staff names are no secret to staff


def test_a_route_may_take_open311s_api_key_by_query_or_form(settings, accounts) -> None:
    app = create_app(settings)

    @app.api_route("/_probe/open311", methods=["GET", "POST"])
    def probe(who: ApiKeyCaller) -> dict:
        return {"user": who.user, "via": who.via}

    consumer = accounts["consumer"]
    with TestClient(app) as client:
        assert client.get("/_probe/open311").json() == {"user": None, "via": "none"}
        assert client.get("/_probe/open311", params={"api_key": consumer.token}).json() == {
            "user": consumer.name, "via": "api_key"}
        r = client.post("/_probe/open311", data={"api_key": consumer.token, "service_code": "parking"})
        assert r.json() == {"user": consumer.name, "via": "api_key"}
        r = client.get("/_probe/open311", params={"api_key": "ggt_wrong"})
        assert (r.status_code, r.json()["code"]) == (401, "invalid_credentials")
        r = client.get("/_probe/open311", params={"api_key": "ggt_wrong"},
                       headers=accounts["staff"].headers)      # the header wins
        assert r.json()["via"] == "token"
        # Routes that do not take api_key ignore it: a token must come in the header.
        assert client.get("/v1/me", params={"api_key": consumer.token}).status_code == 401
