"""``/v1/resources``: resources with their grids, filters and paging, contacts for staff
only, and the hostile twins (huge, duplicated, degenerate, unknown)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openapi_check import check
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gisgrid.db import resource_store

XUEYUAN = "610802001001"
PHONE = "13700004321"


@pytest.fixture(scope="module", autouse=True)
def resources_in_their_grids(engine: Engine) -> None:
    """Every resource in the grid of the active plan that owns it (other tests may have
    replaced and restored plans behind activation's back)."""
    with Session(engine) as s:
        resource_store.assign_resource_grids(s)
        s.commit()


@pytest.fixture(scope="module")
def contact_resource(engine: Engine) -> Iterator[int]:
    """A committed volunteer team of 学院社区 with a contact person (deleted afterwards)."""
    with Session(engine) as s:
        lon, lat = s.execute(text("""
            SELECT ST_X(ST_PointOnSurface(g.boundary)), ST_Y(ST_PointOnSurface(g.boundary))
            FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
            JOIN admin_area c ON c.id = g.community_id WHERE c.code = :c ORDER BY g.code LIMIT 1"""),
            {"c": XUEYUAN}).one()
        import shapely
        ids = resource_store.upsert_resources(s, [{
            "name": "接口测试志愿队", "kind": "volunteer_team", "location": shapely.Point(lon, lat),
            "members": 9, "contact_name": "赵联系", "contact_phone": PHONE}], district_code="610802")["ids"]
        resource_store.assign_resource_grids(s, ids=ids)
        s.commit()
    yield ids[0]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM resource WHERE id = :i"), {"i": ids[0]})


def test_resources_are_listed_with_their_grid_and_filtered_by_kind_grid_and_community(
        client, session: Session) -> None:
    doc = check(client.get("/v1/resources", params={"limit": 1000}))
    stored = session.execute(text("SELECT count(*) FROM resource")).scalar_one()
    assert doc["total"] == stored and len(doc["features"]) == min(stored, 1000)
    venues = check(client.get("/v1/resources", params={"kind": "venue", "limit": 1000}))
    assert venues["total"] == session.execute(text(
        "SELECT count(*) FROM resource WHERE kind = 'venue'")).scalar_one()
    assert all(f["properties"]["kind"] == "venue" for f in venues["features"])
    assert any(f["properties"]["floor_area_m2"] for f in venues["features"])
    grid = next(f["properties"]["grid"] for f in doc["features"] if f["properties"]["grid"])
    in_grid = check(client.get("/v1/resources", params={"grid": grid["id"]}))
    assert in_grid["total"] == session.execute(text(
        "SELECT count(*) FROM resource WHERE grid_id = :g"), {"g": grid["id"]}).scalar_one() > 0
    community = check(client.get("/v1/resources", params={"community": XUEYUAN, "limit": 1000}))
    assert community["total"] > 0
    assert all(f["properties"]["community"]["code"] == XUEYUAN for f in community["features"])
    page = check(client.get("/v1/resources", params={"limit": 5, "offset": 5}))
    assert [f["id"] for f in page["features"]] == [f["id"] for f in doc["features"][5:10]]


def test_a_bbox_keeps_the_resources_inside_it(client) -> None:
    doc = check(client.get("/v1/resources", params={"limit": 1000}))
    lons = sorted(f["geometry"]["coordinates"][0] for f in doc["features"])
    west = lons[len(lons) // 2]
    box = check(client.get("/v1/resources", params={"bbox": f"{west},-90,180,90", "limit": 1000}))
    assert box["total"] == sum(1 for x in lons if x >= west)


def test_the_contact_is_for_staff_full_in_its_community_masked_elsewhere_never_for_others(
        client, accounts, contact_resource: int) -> None:
    url = f"/v1/resources/{contact_resource}"
    for who in (None, "consumer"):
        body = check(client.get(url, headers=accounts[who].headers if who else {}))
        assert "contact" not in body["properties"] and PHONE not in str(body) and "赵联系" not in str(body)
    for who in ("staff", "admin", "planner"):
        contact = check(client.get(url, headers=accounts[who].headers))["properties"]["contact"]
        assert contact == {"name": "赵联系", "phone": PHONE}
    masked = check(client.get(url, headers=accounts["other_staff"].headers))["properties"]["contact"]
    assert masked == {"name": "赵联系", "phone": "137****4321"}
    listed = client.get("/v1/resources", params={"kind": "volunteer_team", "limit": 1000})
    assert PHONE not in listed.text and "赵联系" not in listed.text


@pytest.mark.parametrize("query, status, code", [
    ({"limit": 100000}, 422, "invalid_request"),
    ({"offset": -1}, 422, "invalid_request"),
    ({"kind": "castle"}, 422, "invalid_request"),
    ({"bbox": "109.8,38.3,109.7,38.2"}, 400, "invalid_parameter"),
    ({"bbox": "nan,1,2,3"}, 400, "invalid_parameter"),
    ({"bbox": "1,2,3"}, 400, "invalid_parameter"),
    ({"community": "6108"}, 422, "invalid_request"),
    ({"grid": 2**40}, 422, "invalid_request"),
], ids=["huge page", "negative offset", "unknown kind", "inverted box", "nan box", "short box",
        "short community", "huge grid id"])
def test_bad_filters_are_4xx_with_a_code(client, query, status, code) -> None:
    r = client.get("/v1/resources", params=query)
    assert r.status_code == status and check(r)["code"] == code


def test_a_filter_given_twice_is_refused(client) -> None:
    r = client.get("/v1/resources?kind=venue&kind=merchant")
    assert r.status_code == 400 and check(r)["code"] == "invalid_parameter"
    assert "kind" in r.json()["message"]


def test_an_unknown_or_impossible_resource_id_is_404_or_422(client) -> None:
    r = client.get("/v1/resources/2000000000")
    assert r.status_code == 404 and check(r)["code"] == "not_found"
    assert client.get("/v1/resources/0").status_code == 422
    assert client.get("/v1/resources/99999999999").status_code == 422
