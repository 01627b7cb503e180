"""``GET`` and ``POST /v1/lookup/address`` on the demo, and their hostile twins."""

from __future__ import annotations

import pytest
from openapi_check import check
from sqlalchemy import Engine, text


@pytest.fixture(scope="module")
def addresses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT address FROM household ORDER BY id DESC LIMIT 6")).scalars())


def test_a_batch_answers_each_address_as_get_does_in_input_order(client, addresses) -> None:
    queries = [*addresses, "火星路1号", "", addresses[0], "金阳小区"]
    r = client.post("/v1/lookup/address", json={"queries": queries})
    assert r.status_code == 200
    results = check(r)["results"]
    assert len(results) == len(queries) and results[6] is None and results[7] is None
    for q, got in zip(queries, results, strict=True):
        if got is not None:
            one = client.get("/v1/lookup/address", params={"q": q})
            assert one.status_code == 200 and check(one) == got
    assert results[0] == results[8]                     # duplicates answered alike


def test_get_answers_with_level_grid_team_and_candidates(client, addresses) -> None:
    body = check(client.get("/v1/lookup/address", params={"q": "金阳小区"}))
    assert body["match"]["level"] == "estate" and body["match"]["confidence"] < 0.5
    assert len(body["candidates"]) >= 10 and body["staff"] and body["community"]["name"]


def test_an_empty_batch_is_an_empty_answer(client) -> None:
    r = client.post("/v1/lookup/address", json={"queries": []})
    assert r.status_code == 200 and r.json() == {"results": []}


@pytest.mark.parametrize(("body", "code"), [
    (b"{not json", "invalid_json"),
    (b'{"points": [[1, 2]]}', "invalid_input"),
    ('{"queries": "金阳小区"}'.encode(), "invalid_input"),
    (b'{"queries": ["ok", 3]}', "invalid_input"),
    (b'{"queries": [null]}', "invalid_input"),
    (b'{"queries": ["' + "长".encode() * 600 + b'"]}', "too_long"),
    (b'{"queries": ["a"], "coordsys": "mars"}', "unknown_coordsys"),
    (b'{"queries": ["a"], "date": "yesterday"}', "invalid_input"),
    (b"[]", "invalid_input"),
])
def test_bad_batches_are_400_with_a_code(client, body: bytes, code: str) -> None:
    r = client.post("/v1/lookup/address", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and check(r)["code"] == code, r.text


def test_a_batch_over_the_limit_is_refused_before_any_work(client) -> None:
    r = client.post("/v1/lookup/address", json={"queries": ["金阳小区"] * 100_001})
    assert r.status_code == 400 and "at most 100,000" in r.json()["message"]


def test_get_refuses_an_empty_or_huge_query(client) -> None:
    assert client.get("/v1/lookup/address", params={"q": ""}).status_code == 422
    r = client.get("/v1/lookup/address", params={"q": "长" * 201})  # over the 200-character default
    assert r.status_code == 400 and check(r)["code"] == "too_long"
    r = client.get("/v1/lookup/address", params={"q": "延安市金林小区3号楼"})
    assert r.status_code == 404 and check(r)["code"] == "address_not_found"
