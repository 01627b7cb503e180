"""``POST /v1/requests/batch``: many requests at once, each answered as alone, all or none, hostile twins."""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gisgrid.crs import wgs84_to_gcj02
from gisgrid.requests import MAX_BATCH, Rules
from tests.api.openapi_check import check
from tests.api.request_helpers import cleanup, place_in, shop_in_business_grid  # noqa: F401

pytestmark = pytest.mark.usefixtures("cleanup")

ME = {"reporter": {"name": "王秀英", "phone": "13912345678"}, "source": "hotline_12345"}


def _east(lon: float, lat: float, m: float) -> float:
    return lon + m / (111_320.0 * math.cos(math.radians(lat)))


def _items(engine: Engine) -> list[dict]:
    jlon, jlat = place_in(engine, "金阳社区")
    glon, glat = wgs84_to_gcj02(jlon, jlat)
    slon, slat = shop_in_business_grid(engine)
    xlon, xlat = place_in(engine, "学院社区")
    return [
        {"lon": jlon, "lat": jlat, "category": "parking", "description": "楼下车辆乱停", **ME},
        {"lon": float(glon), "lat": float(glat), "coordsys": "gcj02", "category": "parking", **ME},
        {"lon": slon, "lat": slat, "category": "shop_complaint", "source": "wechat", **ME},
        {"address": "金阳小区", "category": "leaking_roof", **ME},
        {"lon": xlon, "lat": xlat, "category": "noise", **ME},
        {"lon": _east(xlon, xlat, 30), "lat": xlat, "category": "noise", **ME},
        {"lon": _east(xlon, xlat, 60), "lat": xlat, "category": "noise", **ME},
    ]


def _count(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(text("""SELECT (SELECT count(*) FROM request),
            (SELECT count(*) FROM request_reporter), (SELECT count(*) FROM request_event)""")).one())


def _batch(client, accounts, items, who: str = "staff"):
    return client.post("/v1/requests/batch", json={"requests": items}, headers=accounts[who].headers)


def test_each_request_of_a_batch_is_routed_as_a_single_post_routes_it(client, accounts, engine: Engine,
                                                                     session: Session) -> None:
    items = _items(engine)
    r = _batch(client, accounts, items)
    assert r.status_code == 201, r.text
    batch = check(r)["requests"]
    assert len(batch) == len(items)
    single = [client.post("/v1/requests", json=i, headers=accounts["staff"].headers).json() for i in items]
    rules = Rules.load(session)
    for b, s, item in zip(batch, single, items, strict=True):
        for key in ("stage", "category", "grid", "overlays", "community", "team"):
            assert b[key] == s[key], key
        stored = client.get(f"/v1/requests/{b['id']}", headers=accounts["staff"].headers).json()
        assert stored["grid"] == b["grid"] and stored["stage"] == b["stage"]
        if b["stage"] == "registered":       # the deadline: the category's limit from its reception
            due = rules.calendar.deadline(dt.datetime.fromisoformat(stored["reported_at"]),
                                          rules.limit(item["category"]))
            assert dt.datetime.fromisoformat(b["due_at"]) == due
    look = client.get("/v1/lookup", params={"lon": items[0]["lon"], "lat": items[0]["lat"]}).json()
    assert batch[0]["grid"] == look["grid"] == batch[1]["grid"]
    assert [o["name"] for o in batch[2]["overlays"]] == ["夫子庙商圈网格"]
    # duplicates: the earlier items of the batch within 50 m, not the later ones, not 60 m
    assert batch[0]["id"] in [d["id"] for d in batch[1]["duplicates"]]
    assert [(d["id"], d["distance_m"]) for d in batch[5]["duplicates"] if d["id"] == batch[4]["id"]] == [
        (batch[4]["id"], 30.0)]
    assert batch[4]["id"] not in [d["id"] for d in batch[6]["duplicates"]]
    assert batch[5]["id"] not in [d["id"] for d in batch[4]["duplicates"]]
    # and the single posts made after the batch see the batch's requests
    assert batch[4]["id"] in [d["id"] for d in single[4]["duplicates"]]


def test_the_same_request_twice_in_a_batch_is_two_requests_the_second_the_firsts_duplicate(
        client, accounts, engine: Engine) -> None:
    item = _items(engine)[4] | {"category": "dispute"}
    a, b = check(_batch(client, accounts, [item, item]))["requests"]
    assert a["id"] != b["id"]
    assert [d for d in b["duplicates"] if d["id"] == a["id"]][0]["distance_m"] == 0.0
    assert b["id"] not in [d["id"] for d in a["duplicates"]]


@pytest.mark.parametrize("bad, status, code", [
    ({"lon": 100.0, "lat": 30.0, "category": "parking"}, 404, "outside_coverage"),
    ({"lon": 109.7, "lat": 38.3, "category": "flying_saucer"}, 400, "unknown_category"),
    ({"address": "火星路1号", "category": "parking"}, 404, "address_not_found"),
    ({"category": "parking"}, 400, "invalid_input"),
])
def test_one_bad_request_refuses_the_batch_naming_its_index_and_writes_nothing(
        client, accounts, engine: Engine, bad, status, code) -> None:
    items = _items(engine)
    before = _count(engine)
    r = _batch(client, accounts, [*items[:3], bad, *items[3:]])
    assert (r.status_code, check(r)["code"]) == (status, code), r.text
    assert r.json()["details"]["index"] == 3 and r.json()["message"].startswith("requests[3]: ")
    assert _count(engine) == before


@pytest.mark.parametrize("change, where", [
    ({"source": "pigeon"}, "source"),
    ({"photos": ["http://x.example/a.jpg"] * 11}, "photos"),
    ({"coordsys": "mars"}, "coordsys"),
    ({"lon": 1e308}, "lon"),
    ({"reporter": {"name": "x", "phone": "call me"}}, "reporter"),
    ({"secret": 1}, "secret"),
])
def test_a_request_failing_its_declared_types_is_422_naming_its_index(client, accounts, engine: Engine,
                                                                     change, where) -> None:
    items = _items(engine)
    before = _count(engine)
    r = _batch(client, accounts, [items[0], items[4] | change])
    assert (r.status_code, check(r)["code"]) == (422, "invalid_request"), r.text
    assert any(e["loc"][:3] == ["body", "requests", 1] and where in e["loc"] for e in r.json()["details"])
    assert _count(engine) == before


def test_hostile_batches_are_refused_and_write_nothing(client, accounts, engine: Engine) -> None:
    item = _items(engine)[0]
    before = _count(engine)
    huge = _batch(client, accounts, [item] * (MAX_BATCH + 1))
    assert (huge.status_code, check(huge)["code"]) == (413, "too_large")
    assert f"{MAX_BATCH:,}" in huge.json()["message"] and huge.json()["details"]["limit"] == MAX_BATCH
    empty = _batch(client, accounts, [])
    assert (empty.status_code, check(empty)["code"]) == (400, "empty_input")
    h = {**accounts["staff"].headers, "Content-Type": "application/json"}
    for raw in (b'{"requests": [{"category": "parking", "lon": NaN, "lat": 38.2}]}',
                b'{"requests": [{"category": "parking", "lon": Infinity, "lat": 38.2}]}',
                b'{"requests": [{"category": "parking", "lon": 109.7, "lat": 38.2}',  # cut half-way
                b'{"requests": [{"category": "parking", "lon": 109.7, "lat": 38.2}]}\x00'):
        r = client.post("/v1/requests/batch", content=raw, headers=h)
        assert (r.status_code, check(r)["code"]) == (400, "invalid_json"), raw
    for doc in ({"requests": "all of them"}, {"requests": None}, [item], {"items": [item]}):
        r = client.post("/v1/requests/batch", json=doc, headers=accounts["staff"].headers)
        assert (r.status_code, check(r)["code"]) == (422, "invalid_request"), doc
    anonymous = client.post("/v1/requests/batch", json={"requests": [item]})
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert _count(engine) == before


def test_a_full_batch_of_the_limit_is_taken_in(client, accounts, engine: Engine) -> None:
    lon, lat = place_in(engine, "金阳社区")
    items = [{"lon": _east(lon, lat, (i % 40) * 2.0), "lat": lat, "category": "sanitation", **ME}
             for i in range(MAX_BATCH)]
    before = _count(engine)
    r = _batch(client, accounts, items)
    assert r.status_code == 201, r.text
    answers = r.json()["requests"]
    assert len(answers) == MAX_BATCH and len({a["id"] for a in answers}) == MAX_BATCH
    assert [a["id"] for a in answers] == sorted(a["id"] for a in answers)
    assert all(len(a["duplicates"]) == min(i, 20) for i, a in enumerate(answers))   # at most 20, nearest
    after = _count(engine)
    assert after == (before[0] + MAX_BATCH, before[1] + MAX_BATCH, before[2] + MAX_BATCH)


def test_no_reporter_in_a_batchs_answer_and_team_names_as_a_single_post_shows_them(client, accounts,
                                                                                    engine: Engine) -> None:
    items = _items(engine)[:1]
    for who in ("staff", "consumer", "admin"):
        r = _batch(client, accounts, items, who)
        assert r.status_code == 201, r.text
        assert "王秀英" not in r.text and "13912345678" not in r.text and "reporter" not in r.text
        one = client.post("/v1/requests", json=items[0], headers=accounts[who].headers).json()
        assert check(r)["requests"][0]["team"] == one["team"], who


def test_team_names_are_hidden_from_consumers_where_they_are_not_public(settings, accounts,
                                                                        engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from api import create_app
    closed = settings.model_copy(update={"access": settings.access.model_copy(
        update={"public_team_names": False})})
    with TestClient(create_app(closed)) as c:
        r = _batch(c, accounts, _items(engine)[:1], "consumer")
        assert r.status_code == 201, r.text
        assert [m["name"] for m in r.json()["requests"][0]["team"]] == [None, None]
        r = _batch(c, accounts, _items(engine)[:1], "staff")
        assert all(m["name"] for m in r.json()["requests"][0]["team"])


def test_the_batch_route_is_documented_with_its_body_and_errors(client) -> None:
    op = client.get("/openapi.json").json()["paths"]["/v1/requests/batch"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["requests"]["maxItems"] == MAX_BATCH
    assert body["properties"]["requests"]["items"] == {"$ref": "#/components/schemas/RequestIn"}
    assert {"201", "400", "401", "404", "413", "422", "503"} <= set(op["responses"])
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RequestBatchTaken"}


def test_single_posts_arriving_together_are_each_answered_as_if_posted_one_after_another(
        client, accounts, engine: Engine) -> None:
    """Group commit (the default): concurrent POST /v1/requests, written together, each see
    exactly the requests stored before them (one transaction each could not: concurrent
    transactions miss each other's rows), and a bad one fails alone."""

    lon, lat = place_in(engine, "学院社区")
    good = {"lon": lon, "lat": lat, "category": "dispute", **ME}
    bad = {"lon": 100.0, "lat": 30.0, "category": "dispute", **ME}
    bodies = [bad if i % 5 == 4 else good for i in range(15)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda b: client.post("/v1/requests", json=b, headers=accounts["staff"].headers), bodies))
    refused = [r for r, b in zip(answers, bodies, strict=True) if b is bad]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(404, "outside_coverage")] * 3
    taken = sorted((check(r) for r, b in zip(answers, bodies, strict=True) if b is good),
                   key=lambda a: a["id"])
    assert [r.status_code for r, b in zip(answers, bodies, strict=True) if b is good] == [201] * 12
    ours = {a["id"] for a in taken}
    for k, a in enumerate(taken):
        assert sorted(d["id"] for d in a["duplicates"] if d["id"] in ours) == [t["id"] for t in taken[:k]]
        assert a["grid"] == taken[0]["grid"] and a["due_at"]
    assert client.app.state.intake_groups is not None
