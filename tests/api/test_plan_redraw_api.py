"""POST /v1/plans/{id}/redraw on the demo: redraw vs regenerate, dry runs, refusals, hostile twins.

The redraw runs in a worker process with a connection of its own, so what a test builds
(a new estate) is committed for real, and removed after the test with its drafts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shapely
from estates import build_estate, community, vacant_block
from openapi_check import check
from shapely.geometry import shape
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session that commits for real (the worker must see the estate); the estates and
    drafts the test made are removed after it (households go with their building)."""
    with Session(engine) as s:
        yield s
        s.rollback()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM building WHERE estate = '新苑小区'"))
        conn.execute(text("DELETE FROM plan WHERE name = 'redraw draft'"))


@pytest.fixture
def api(client, session: Session, accounts) -> Iterator[object]:
    """The test client, signed as a planner of the district."""
    saved = dict(client.headers)
    client.headers.update(accounts["planner"].headers)
    try:
        yield client
    finally:
        client.headers.clear()
        client.headers.update(saved)


@pytest.fixture
def draft(api) -> dict:
    r = api.post("/v1/plans", json={"scope": "610802", "name": "redraw draft"})
    assert r.status_code == 201, r.text
    return r.json()


def _counts(session: Session, plan_id: int) -> tuple:
    return session.execute(text("""
        SELECT (SELECT count(*) FROM grid), (SELECT version FROM plan WHERE id = :p),
               (SELECT count(*) FROM audit_event), (SELECT count(*) FROM grid_staff),
               (SELECT md5(string_agg(ST_AsEWKB(boundary)::text, ',' ORDER BY id)) FROM grid
                  WHERE plan_id = :p)
    """), {"p": plan_id}).one()


def _diff(api, plan: dict) -> int:
    r = api.get(f"/v1/plans/{plan['id']}/diff")
    assert r.status_code == 200, r.text
    return r.json()["households"]["moved"]


def test_after_a_new_estate_a_redraw_moves_fewer_households_than_regenerating_the_community(
        api, draft: dict, session: Session) -> None:
    code, before, block = vacant_block(session, draft["parent_id"], "学院社区")
    build_estate(session, "学院社区", block, 600)
    session.commit()
    r = api.post(f"/v1/plans/{draft['id']}/redraw", json={"version": 1})
    assert r.status_code == 200, r.text
    out = check(r)
    assert out["written"] and out["version"] == 2
    assert out["out_of_bounds"] == [{"id": out["out_of_bounds"][0]["id"], "code": code,
                                     "name": out["out_of_bounds"][0]["name"], "households": before + 600,
                                     "community": code[:12], "bound": "max", "limit": 600}]
    grids = out["proposal"]["grids"]
    assert grids and all(100 <= g["households"] <= 600 for g in grids)
    for g in grids:
        geom = shape(g["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid and g["blocks"]
        assert g["code"] and (g["status"] == "changed") == (g["label"] == g["code"])
    redrawn = _diff(api, draft)
    assert redrawn == out["moved"]["households"] > 0
    r = api.post(f"/v1/plans/{draft['id']}/generate", json={"version": 2, "community": code[:12]})
    assert r.status_code == 200, r.text
    regenerated = _diff(api, draft)
    assert redrawn < regenerated
    assert api.get(f"/v1/plans/{draft['id']}/coverage").json()["ok"]


def test_a_dry_run_writes_nothing(api, draft: dict, session: Session) -> None:
    _, _, block = vacant_block(session, draft["parent_id"], "学院社区")
    build_estate(session, "学院社区", block, 600)
    session.commit()
    before = _counts(session, draft["id"])
    r = api.post(f"/v1/plans/{draft['id']}/redraw", json={"version": 1, "dry_run": True})
    assert r.status_code == 200, r.text
    out = check(r)
    assert out["proposal"]["grids"] and out["moved"]["households"] > 0
    assert (out["written"], out["version"]) == (False, 1)
    assert all(g["id"] is None and g["code"] is None for g in out["proposal"]["grids"]
               if g["status"] == "new")
    assert _counts(session, draft["id"]) == before


def test_nothing_out_of_bounds_is_a_200_with_an_empty_proposal_and_nothing_written(
        api, draft: dict, session: Session) -> None:
    _, xueyuan = community(session, "学院社区")
    before = _counts(session, draft["id"])
    r = api.post(f"/v1/plans/{draft['id']}/redraw", json={"version": 1, "community": [xueyuan, xueyuan]})
    assert r.status_code == 200, r.text
    out = check(r)
    assert out["communities"] == [xueyuan] and out["out_of_bounds"] == []
    assert out["proposal"] == {"grids": [], "removed": [], "violations": []}
    assert out["written"] is False and out["version"] == 1 and "nothing to redraw" in out["notes"][0]
    assert _counts(session, draft["id"]) == before


def test_refusals_and_hostile_twins_are_4xx_and_change_nothing(
        api, draft: dict, session: Session) -> None:
    url = f"/v1/plans/{draft['id']}/redraw"
    before = _counts(session, draft["id"])
    cases = [
        ({"version": 2}, 409, "stale_version"),
        ({"version": 2, "dry_run": True}, 409, "stale_version"),
        ({"version": 1, "community": "610802009009"}, 404, "not_found"),
        ({"version": 1, "community": "610802"}, 400, "invalid_input"),
        ({"version": 1, "min_households": 700, "max_households": 600}, 400, "invalid_input"),
        ({"version": 1, "min_households": -1}, 422, "invalid_request"),
        ({"version": 1, "max_households": 10**12}, 422, "invalid_request"),
        ({"version": 1, "community": ["610802001001"] * 600}, 422, "invalid_request"),
        ({"version": 1, "community": "6" * 1000}, 422, "invalid_request"),
        ({"version": 1, "padding": "x" * 1000}, 422, "invalid_request"),
        # bodies over the small-form limit are refused before they are read
        ({"version": 1, "community": ["610802001001"] * 5000}, 413, "payload_too_large"),
        ({"version": 1, "community": "6" * 1_000_000}, 413, "payload_too_large"),
        ({"version": 1, "padding": "x" * 2_000_000}, 413, "payload_too_large"),
        ({"community": "610802001001"}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        r = api.post(url, json=body)
        assert (r.status_code, check(r)["code"]) == (status, code), (str(body)[:80], r.text[:300])
    r = api.post(url, content=b'{"version": 1, "dry_run": tr', headers={"content-type": "application/json"})
    assert (r.status_code, check(r)["code"]) == (400, "invalid_json")
    r = api.post("/v1/plans/987654/redraw", json={"version": 1})
    assert (r.status_code, check(r)["code"]) == (404, "not_found")
    active = api.get("/v1/plans", params={"status": "active"}).json()["plans"][0]
    r = api.post(f"/v1/plans/{active['id']}/redraw", json={"version": active["version"]})
    assert (r.status_code, check(r)["code"]) == (409, "plan_not_draft")
    assert _counts(session, draft["id"]) == before


def test_the_redraw_is_listed_in_the_openapi_document(api) -> None:
    op = api.get("/openapi.json").json()["paths"]["/v1/plans/{plan_id}/redraw"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/RedrawRequest")


def test_a_redrawn_grid_is_what_the_grids_endpoint_then_serves(api, draft: dict, session: Session) -> None:
    _, _, block = vacant_block(session, draft["parent_id"], "学院社区")
    build_estate(session, "学院社区", block, 600)
    session.commit()
    out = api.post(f"/v1/plans/{draft['id']}/redraw", json={"version": 1}).json()
    features = api.get(f"/v1/plans/{draft['id']}/grids").json()["features"]
    served = {f["properties"]["code"]: f for f in features}
    for g in out["proposal"]["grids"]:
        f = served[g["code"]]
        assert f["properties"]["households"] == g["households"]
        # The grids endpoint rounds to 7 decimals (~1 cm): the shapes differ by less than that.
        assert shapely.hausdorff_distance(shape(f["geometry"]), shape(g["geometry"])) < 1e-7
