"""Open311 GeoReport v2: unchanged clients post and follow requests, in JSON and XML.

The field lists below are GeoReport v2's own (wiki.open311.org/GeoReport_v2: "GET
Service List", "POST Service Request" response, "GET Service Requests"), written out
here rather than imported, so that the test fails if the code's lists drift.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import Engine, text

from tests.api.openapi_check import check
from tests.api.request_helpers import cleanup, place_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("cleanup")

SPEC_SERVICE = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
SPEC_POSTED = {"service_request_id", "service_notice", "account_id"}
SPEC_REQUEST = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
REPORTER = {"first_name": "秀英", "last_name": "王", "phone": "13911112222", "email": "wang@example.cn"}


def _xml_items(body: bytes, root: str, item: str) -> list[dict[str, str | None]]:
    top = ET.fromstring(body)
    assert top.tag == root
    return [{child.tag: child.text for child in node} for node in top if node.tag == item]


def _same(json_item: dict, xml_item: dict) -> None:
    assert set(json_item) == set(xml_item)
    for k, v in json_item.items():
        expected = "" if v is None else ("true" if v is True else "false" if v is False else str(v))
        assert (xml_item[k] or "") == expected, k


def _post(client, accounts, engine, **extra):
    lon, lat = place_in(engine, "金阳社区")
    form = {"api_key": accounts["consumer"].token, "service_code": "parking", "lat": str(lat),
            "long": str(lon), "description": "小区门口车辆乱停", **REPORTER, **extra}
    return client.post("/open311/v2/requests.json", data=form)


def test_services_have_the_specs_fields_in_json_and_xml(client) -> None:
    js = client.get("/open311/v2/services.json")
    assert js.status_code == 200 and js.headers["content-type"].startswith("application/json")
    assert check(js) and all(set(s) == SPEC_SERVICE for s in js.json())
    xml = client.get("/open311/v2/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    items = _xml_items(xml.content, "services", "service")
    assert len(items) == len(js.json())
    for a, b in zip(js.json(), items, strict=True):
        _same(a, b)
    one = client.get("/open311/v2/services/sanitation.json").json()
    assert one == {"service_code": "sanitation", "attributes": []}
    xml = client.get("/open311/v2/services/sanitation.xml").content
    assert ET.fromstring(xml).tag == "service_definition"
    assert client.get("/open311/v2/services/ufo.json").status_code == 404


def test_a_posted_request_is_open_then_closed_in_json_and_xml(client, accounts, engine: Engine) -> None:
    r = _post(client, accounts, engine)
    assert r.status_code == 201, r.text
    posted = check(r)
    assert len(posted) == 1 and set(posted[0]) == SPEC_POSTED
    sid = posted[0]["service_request_id"]
    listed = check(client.get("/open311/v2/requests.json"))
    mine = [x for x in listed if x["service_request_id"] == sid]
    assert len(mine) == 1 and set(mine[0]) == SPEC_REQUEST
    assert mine[0]["status"] == "open" and mine[0]["service_code"] == "parking"
    assert mine[0]["expected_datetime"] and "金阳社区" in mine[0]["agency_responsible"]
    one = check(client.get(f"/open311/v2/requests/{sid}.json"))
    assert one == mine
    xml = _xml_items(client.get(f"/open311/v2/requests/{sid}.xml").content, "service_requests", "request")
    _same(one[0], xml[0])
    h = accounts["admin"].headers
    for to in ("dispatched", "in_progress", "checked", "closed"):
        assert client.post(f"/v1/requests/{sid}/transitions", json={"to": to}, headers=h).status_code == 200
    closed = client.get(f"/open311/v2/requests/{sid}.json").json()[0]
    assert closed["status"] == "closed"
    assert sid in [x["service_request_id"] for x in client.get("/open311/v2/requests.json",
                                                                params={"status": "closed"}).json()]
    assert sid not in [x["service_request_id"] for x in client.get("/open311/v2/requests.json",
                                                                    params={"status": "open"}).json()]


def test_the_request_list_takes_ids_codes_dates_jurisdiction_and_pages(client, accounts, engine) -> None:
    a = _post(client, accounts, engine).json()[0]["service_request_id"]
    b = _post(client, accounts, engine, service_code="noise").json()[0]["service_request_id"]
    got = client.get("/open311/v2/requests.json", params={"service_request_id": f"{a},{b}"}).json()
    assert sorted(x["service_request_id"] for x in got) == sorted([a, b])
    noise = client.get("/open311/v2/requests.json", params={"service_code": "noise"}).json()
    assert b in [x["service_request_id"] for x in noise] and all(x["service_code"] == "noise" for x in noise)
    assert client.get("/open311/v2/requests.json", params={"jurisdiction_id": "610802"}).status_code == 200
    assert client.get("/open311/v2/requests.json", params={"jurisdiction_id": "110101"}).status_code == 404
    old = client.get("/open311/v2/requests.json", params={"end_date": "2021-01-01T00:00:00Z"}).json()
    assert a not in [x["service_request_id"] for x in old]
    pages = [client.get("/open311/v2/requests.json", params={"page": p, "page_size": 1}).json()
             for p in (1, 2)]
    assert all(len(p) == 1 for p in pages) and pages[0] != pages[1]
    assert client.get("/open311/v2/requests.json", params={"page_size": 1001}).status_code == 422


def test_no_reporter_name_or_phone_in_any_open311_or_public_answer(client, accounts, engine: Engine) -> None:
    sid = _post(client, accounts, engine).json()[0]["service_request_id"]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT name, phone FROM request_reporter WHERE request_id = :i"),
                              {"i": int(sid)}).one()
    assert stored == ("王 秀英", "13911112222")
    secrets = ["秀英", "13911112222", "wang@example.cn"]
    answers = [client.get(u) for u in (
        "/open311/v2/requests.json", "/open311/v2/requests.xml", f"/open311/v2/requests/{sid}.json",
        f"/open311/v2/requests/{sid}.xml", f"/v1/requests/{sid}", "/v1/requests?limit=1000",
        "/v1/requests/stats?area=610802", "/ogc/collections/requests/items?limit=10000")]
    for caller in ("consumer", "other_staff"):
        answers.append(client.get(f"/v1/requests/{sid}", headers=accounts[caller].headers))
        answers.append(client.get(f"/open311/v2/requests/{sid}.json", headers=accounts[caller].headers))
    for r in answers:
        assert r.status_code == 200, r.url
        assert not [s for s in secrets if s in r.text], r.url
    # ... while the staff of Jinyang's district (an admin here) see them.
    assert "13911112222" in client.get(f"/v1/requests/{sid}", headers=accounts["admin"].headers).text


@pytest.mark.parametrize("form, status, code", [
    ({"service_code": "ufo"}, 400, "unknown_category"),
    ({"lat": "", "long": ""}, 400, "invalid_input"),
    ({"lat": "north"}, 400, "invalid_input"),
    ({"lat": "30.0", "long": "100.0"}, 404, "outside_coverage"),
    ({"jurisdiction_id": "110101"}, 404, "not_found"),
    ({"colour": "red"}, 400, "invalid_input"),
    ({"description": "x" * 3000}, 400, "invalid_input"),
])
def test_bad_open311_posts_are_refused_and_store_nothing(client, accounts, engine, form, status,
                                                         code) -> None:
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM request")).scalar_one()
    r = _post(client, accounts, engine, **form)
    assert (r.status_code, check(r)["code"]) == (status, code), r.text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM request")).scalar_one() == before


def test_posting_needs_an_api_key_or_a_token(client, engine) -> None:
    lon, lat = place_in(engine, "金阳社区")
    r = client.post("/open311/v2/requests.json", data={"service_code": "parking", "lat": lat, "long": lon})
    assert r.status_code == 401
    r = client.post("/open311/v2/requests.json", data={"api_key": "nonsense", "service_code": "parking",
                                                       "lat": lat, "long": lon})
    assert r.status_code == 401


def test_hostile_posts_huge_and_degenerate_are_refused_and_store_nothing(client, accounts, engine) -> None:
    """A body over the small-body limit (413 before it is parsed), NaN and infinite
    coordinates, an empty service code; in Open311 and in /v1."""
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM request")).scalar_one()
    huge = _post(client, accounts, engine, description="长" * 40_000)
    assert (huge.status_code, huge.json()["code"]) == (413, "payload_too_large")
    for lat, lon in (("nan", "109.7"), ("inf", "109.7"), ("38.2", "-inf")):
        r = _post(client, accounts, engine, lat=lat, long=lon)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_input"), r.text
    r = _post(client, accounts, engine, service_code="")
    assert (r.status_code, r.json()["code"]) == (400, "invalid_input")
    r = client.post("/v1/requests", content=b'{"category": "parking", "lon": ' + b"1" * 70_000 + b"}",
                    headers={**accounts["staff"].headers, "Content-Type": "application/json"})
    assert r.status_code == 413
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM request")).scalar_one() == before
