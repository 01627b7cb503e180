"""Requests through the API: intake routed as the lookup routes, reads, duplicates, hostile input."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import Engine, text

from gisgrid.crs import wgs84_to_gcj02
from tests.api.openapi_check import check
from tests.api.request_helpers import cleanup, place_in, shop_in_business_grid  # noqa: F401

pytestmark = pytest.mark.usefixtures("cleanup")


def _post(client, accounts, **body):
    doc = {"category": "parking", "description": "楼下车辆乱停", "source": "hotline_12345",
           "reporter": {"name": "王秀英", "phone": "13912345678"}, **body}
    return client.post("/v1/requests", json=doc, headers=accounts["staff"].headers)


def _offset(lon: float, lat: float, east_m: float) -> tuple[float, float]:
    return lon + east_m / (111_320.0 * math.cos(math.radians(lat))), lat


def test_a_jinyang_request_goes_to_the_grid_and_team_the_lookup_names(client, accounts,
                                                                       engine: Engine) -> None:
    lon, lat = place_in(engine, "金阳社区")
    look = client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()
    r = _post(client, accounts, lon=lon, lat=lat)
    assert r.status_code == 201, r.text
    body = check(r)
    assert body["grid"] == look["grid"]
    assert body["community"] == look["community"] and body["community"]["name"] == "金阳社区"
    assert body["team"] == [s for s in look["staff"] if s["role"] in ("leader", "full_time")]
    assert {m["role"] for m in body["team"]} == {"leader", "full_time"}
    assert body["stage"] == "registered" and body["due_at"] is not None
    stored = check(client.get(f"/v1/requests/{body['id']}", headers=accounts["staff"].headers))
    assert stored["grid"] == look["grid"] and stored["team"] == body["team"]


def test_the_same_place_in_gcj02_goes_to_the_same_grid(client, accounts, engine: Engine) -> None:
    lon, lat = place_in(engine, "金阳社区")
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert abs(glon - lon) > 1e-3           # hundreds of metres apart as numbers
    wgs = _post(client, accounts, lon=lon, lat=lat).json()
    gcj = _post(client, accounts, lon=float(glon), lat=float(glat), coordsys="gcj02").json()
    assert gcj["grid"] == wgs["grid"]
    look = client.get("/v1/lookup", params={"lon": glon, "lat": glat, "coordsys": "gcj02"}).json()
    assert gcj["grid"] == look["grid"]


def test_a_shop_complaint_in_sanguanhui_also_names_the_fuzimiao_grid(client, accounts,
                                                                      engine: Engine) -> None:
    lon, lat = shop_in_business_grid(engine)
    body = _post(client, accounts, lon=lon, lat=lat, category="shop_complaint").json()
    assert [o["name"] for o in body["overlays"]] == ["夫子庙商圈网格"]
    assert body["grid"]["kind"] == "residential"
    assert body["community"]["name"] == "三官会社区"
    with engine.connect() as conn:
        overlays = conn.execute(text("SELECT overlay_grid_ids FROM request WHERE id = :i"),
                                {"i": body["id"]}).scalar_one()
    assert overlays == [body["overlays"][0]["id"]]


def test_an_address_request_keeps_its_match_and_confidence(client, accounts) -> None:
    r = _post(client, accounts, address="金阳小区")
    assert r.status_code == 201, r.text
    body = r.json()
    one = check(client.get(f"/v1/requests/{body['id']}", headers=accounts["admin"].headers))
    assert one["address"] == "金阳小区" and 0 < one["address_confidence"] <= 1
    outsider = check(client.get(f"/v1/requests/{body['id']}", headers=accounts["staff"].headers))
    assert outsider["address"] is None              # a typed address may name a room: its staff only
    assert one["community"]["name"] == "金阳社区"
    assert body["stage"] == ("registered" if one["address_confidence"] >= 0.8 else "accepted")


def test_a_second_request_30_m_away_is_a_likely_duplicate_60_m_is_not(client, accounts,
                                                                       engine: Engine) -> None:
    lon, lat = place_in(engine, "学院社区")
    first = _post(client, accounts, lon=lon, lat=lat, category="noise").json()
    assert all(d["id"] != first["id"] for d in first["duplicates"])
    near = _post(client, accounts, lon=_offset(lon, lat, 30)[0], lat=lat, category="noise").json()
    hit = [d for d in near["duplicates"] if d["id"] == first["id"]]
    assert hit and 29 <= hit[0]["distance_m"] <= 31 and hit[0]["stage"] == "registered"
    far = _post(client, accounts, lon=_offset(lon, lat, 60)[0], lat=lat, category="noise").json()
    assert first["id"] not in [d["id"] for d in far["duplicates"]]
    other = _post(client, accounts, lon=_offset(lon, lat, 30)[0], lat=lat, category="sanitation").json()
    assert first["id"] not in [d["id"] for d in other["duplicates"]]


def test_merging_a_duplicate_moves_its_reporter_to_the_master(client, accounts, engine: Engine) -> None:
    lon, lat = place_in(engine, "学院社区")
    master = _post(client, accounts, lon=lon, lat=lat, category="sanitation").json()
    dup = _post(client, accounts, lon=_offset(lon, lat, 10)[0], lat=lat, category="sanitation",
                reporter={"name": "李建国", "phone": "13800001111"}).json()
    assert master["id"] in [d["id"] for d in dup["duplicates"]]
    h = accounts["staff"].headers
    r = client.post(f"/v1/requests/{dup['id']}/transitions", json={"to": "duplicate", "master": master["id"]},
                    headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "duplicate" and r.json()["master"] == master["id"]
    names = [p["name"] for p in client.get(f"/v1/requests/{master['id']}", headers=h).json()["reporters"]]
    assert names == ["王秀英", "李建国"]
    assert client.get(f"/v1/requests/{dup['id']}", headers=h).json()["reporters"] == []


def test_reporters_are_only_for_the_staff_of_the_community(client, accounts, engine: Engine) -> None:
    lon, lat = place_in(engine, "学院社区")
    rid = _post(client, accounts, lon=lon, lat=lat).json()["id"]
    for who in (None, "consumer", "other_staff"):
        headers = accounts[who].headers if who else {}
        body = client.get(f"/v1/requests/{rid}", headers=headers)
        assert body.status_code == 200 and check(body)
        assert "reporters" not in body.json() and "13912345678" not in body.text and "王秀英" not in body.text
    assert client.get(f"/v1/requests/{rid}", headers=accounts["staff"].headers).json()["reporters"][0][
        "phone"] == "13912345678"


def test_lists_filter_by_grid_stage_and_overdue(client, accounts, engine: Engine) -> None:
    lon, lat = place_in(engine, "金阳社区")
    body = _post(client, accounts, lon=lon, lat=lat).json()
    page = check(client.get("/v1/requests", params={"grid": body["grid"]["code"], "stage": "registered",
                                                    "limit": 1000}))
    assert body["id"] in [r["id"] for r in page["requests"]]
    assert all(r["grid"]["code"] == body["grid"]["code"] and r["stage"] == "registered"
               for r in page["requests"])
    assert page["total"] >= len(page["requests"])
    overdue = client.get("/v1/requests", params={"overdue": "true", "limit": 1000}).json()
    assert body["id"] not in [r["id"] for r in overdue["requests"]]
    assert all(r["overdue"] for r in overdue["requests"])


def test_categories_list_limits_and_stages(client) -> None:
    body = check(client.get("/v1/requests/categories"))
    limits = {c["code"]: c["limit_days"] for c in body["categories"]}
    assert limits["sanitation"] == 2 and limits["leaking_roof"] == 7
    assert len(body["stages"]) == 10 and body["transitions"]["checked"] == ["closed", "in_progress"]


@pytest.mark.parametrize("change, code, status", [
    ({"category": "flying_saucer"}, "unknown_category", 400),
    ({"lon": 100.0, "lat": 30.0}, "outside_coverage", 404),
    ({"address": "火星路1号", "lon": None, "lat": None}, "address_not_found", 404),
    ({"address": "金阳小区"}, "invalid_input", 400),                 # a point AND an address
    ({"lon": None, "lat": None}, "invalid_input", 400),             # no place at all
    ({"lon": float("nan")}, "invalid_json", 400),
    ({"description": "长" * 2001}, "invalid_request", 422),
    ({"photos": ["javascript:alert(1)"]}, "invalid_input", 400),
    ({"photos": ["http://x.example/a.jpg"] * 11}, "invalid_request", 422),
    ({"reporter": {"name": "x", "phone": "call me"}}, "invalid_request", 422),
    ({"source": "pigeon"}, "invalid_request", 422),
    ({"coordsys": "mars"}, "invalid_request", 422),
    ({"lon": 1e308, "lat": 38.0}, "invalid_request", 422),
])
def test_bad_requests_are_refused_and_nothing_is_stored(client, accounts, engine: Engine, change, code,
                                                        status) -> None:
    lon, lat = place_in(engine, "金阳社区")
    doc = {"category": "parking", "source": "patrol", "lon": lon, "lat": lat, **change}
    doc = {k: v for k, v in doc.items() if v is not None}
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM request")).scalar_one()
    if code == "invalid_json":
        r = client.post("/v1/requests", content=b'{"category": "parking", "lon": NaN, "lat": 38.2}',
                        headers={**accounts["staff"].headers, "Content-Type": "application/json"})
        assert r.status_code in (400, 422) and r.json()["code"] in ("invalid_json", "invalid_request")
    else:
        r = client.post("/v1/requests", json=doc, headers=accounts["staff"].headers)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert r.json()["message"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM request")).scalar_one() == before


def test_anonymous_callers_cannot_post_requests_and_ids_out_of_range_are_422(client, accounts) -> None:
    r = client.post("/v1/requests", json={"category": "parking", "lon": 109.7, "lat": 38.3})
    assert r.status_code == 401
    assert client.get("/v1/requests/99999999").json()["code"] == "request_not_found"
    assert client.get(f"/v1/requests/{2**40}").status_code == 422


def test_the_same_request_posted_twice_is_two_requests_each_the_others_duplicate(client, accounts,
                                                                                  engine: Engine) -> None:
    lon, lat = place_in(engine, "金阳社区")
    a = _post(client, accounts, lon=lon, lat=lat, category="dispute").json()
    b = _post(client, accounts, lon=lon, lat=lat, category="dispute").json()
    assert a["id"] != b["id"] and [d for d in b["duplicates"] if d["id"] == a["id"]][0]["distance_m"] == 0.0


def test_a_transition_the_stage_does_not_allow_is_409_with_the_allowed_ones(client, accounts,
                                                                            engine: Engine) -> None:
    lon, lat = place_in(engine, "学院社区")
    rid = _post(client, accounts, lon=lon, lat=lat).json()["id"]
    h = accounts["staff"].headers
    r = client.post(f"/v1/requests/{rid}/transitions", json={"to": "closed"}, headers=h)
    assert r.status_code == 409 and check(r)
    assert r.json()["code"] == "transition_not_allowed" and r.json()["message"]
    assert r.json()["details"]["allowed"] == ["dispatched", "suspended", "duplicate", "referred"]
    r = client.post(f"/v1/requests/{rid}/transitions", json={"to": "dispatched", "note": "派给网格员"},
                    headers=h)
    assert r.status_code == 200 and check(r)["stage"] == "dispatched"
    assert [e["to"] for e in r.json()["events"]] == ["registered", "dispatched"]
    assert r.json()["events"][-1]["actor"] == accounts["staff"].name
    assert client.post(f"/v1/requests/{rid}/transitions", json={"to": "returned"}, headers=h).json()[
        "code"] == "invalid_input"                                   # a return needs its reason
    r = client.post(f"/v1/requests/{rid}/transitions", json={"to": "teleported"}, headers=h)
    assert r.status_code == 409


def test_only_the_staff_of_the_requests_community_move_it(client, accounts, engine: Engine) -> None:
    lon, lat = place_in(engine, "学院社区")
    rid = _post(client, accounts, lon=lon, lat=lat).json()["id"]
    body = {"to": "dispatched"}
    assert client.post(f"/v1/requests/{rid}/transitions", json=body).status_code == 401
    for who, code in (("other_staff", "out_of_scope"), ("consumer", "forbidden")):
        r = client.post(f"/v1/requests/{rid}/transitions", json=body, headers=accounts[who].headers)
        assert (r.status_code, r.json()["code"]) == (403, code)
    assert client.get(f"/v1/requests/{rid}").json()["stage"] == "registered"
    r = client.post(f"/v1/requests/{rid}/transitions", json=body, headers=accounts["admin"].headers)
    assert r.status_code == 200


def test_public_answers_give_a_requests_place_to_its_10_m_cell_only(client, accounts, engine: Engine) -> None:
    """A request made at a home: the exact position for its community's staff; the centre
    of its 1e-4 degree cell in /v1 for others, in Open311 and in the OGC collection."""
    from gisgrid.requests.answers import public_position

    lon, lat = place_in(engine, "金阳社区")
    rid = _post(client, accounts, lon=lon, lat=lat).json()["id"]
    coarse = public_position(lon, lat)
    assert coarse != (round(lon, 7), round(lat, 7))
    assert abs(coarse[0] - lon) < 1e-4 and abs(coarse[1] - lat) < 1e-4
    public = client.get(f"/v1/requests/{rid}").json()["location"]
    assert (public["lon"], public["lat"]) == coarse
    exact = client.get(f"/v1/requests/{rid}", headers=accounts["admin"].headers).json()["location"]
    assert (exact["lon"], exact["lat"]) == (round(lon, 7), round(lat, 7))
    o311 = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert (o311["long"], o311["lat"]) == coarse
    feature = client.get(f"/ogc/collections/requests/items/{rid}").json()
    assert feature["geometry"]["coordinates"] == pytest.approx(list(coarse), abs=1e-7)
