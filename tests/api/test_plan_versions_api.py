"""Plan versions over HTTP: drafts, edits with optimistic versions, concurrent edits, diffs."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from openapi_check import check
from shapely.geometry import mapping, shape
from sqlalchemy import Engine, text


@pytest.fixture
def planner(accounts) -> dict[str, str]:
    """The headers of a planner of the whole district (every write here is theirs)."""
    return accounts["planner"].headers


@pytest.fixture
def draft(live_server: str, engine: Engine, planner: dict[str, str]) -> Iterator[dict]:
    """A draft copied from the active plan, deleted after the test (the API commits)."""
    r = httpx.post(f"{live_server}/v1/plans", json={"scope": "610802", "name": "API draft"},
                   headers=planner, timeout=60)
    assert r.status_code == 201, r.text
    plan = check(r)
    yield plan
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": plan["id"]})


def _pairs(engine: Engine, plan_id: int) -> list[tuple[int, int]]:
    """Two disjoint pairs of neighbouring residential grids."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT a.id, b.id FROM grid a JOIN grid b ON a.plan_id = b.plan_id AND a.id < b.id
              AND a.community_id = b.community_id AND a.kind = 'residential' AND b.kind = 'residential'
            WHERE a.plan_id = :p AND ST_Length(ST_Intersection(a.boundary, b.boundary)::geography) > 50
            ORDER BY a.id, b.id
        """), {"p": plan_id}).all()
    first = rows[0]
    second = next(r for r in rows if not set(r) & set(first))
    return [tuple(first), tuple(second)]


def test_a_draft_copies_the_active_plan_and_starts_at_version_1(draft: dict, live_server: str) -> None:
    assert draft["status"] == "draft" and draft["version"] == 1
    active = httpx.get(f"{live_server}/v1/plans", params={"status": "active"}).json()["plans"][0]
    assert draft["parent_id"] == active["id"] and draft["grids"] == active["grids"]
    diff = check(httpx.get(f"{live_server}/v1/plans/{draft['id']}/diff", timeout=120))
    assert diff["households"]["moved"] == 0 and diff["shops"]["moved"] == 0


def test_two_concurrent_edits_with_the_same_version_one_wins_one_gets_409(
        draft: dict, live_server: str, engine: Engine, planner: dict[str, str]) -> None:
    pairs = _pairs(engine, draft["id"])
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def merge(pair: tuple[int, int]) -> None:
        start.wait()
        answers.append(httpx.post(f"{live_server}/v1/plans/{draft['id']}/edits",
                                  json={"version": 1, "op": "merge", "grids": list(pair)},
                                  headers=planner, timeout=60))

    threads = [threading.Thread(target=merge, args=(p,)) for p in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = check(next(a for a in answers if a.status_code == 200))
    assert winner["op"] == "merge" and winner["version"] == 2 and len(winner["removed"]) == 1
    loser = check(next(a for a in answers if a.status_code == 409))
    assert loser["code"] == "stale_version" and loser["details"]["current_version"] == 2
    plan = httpx.get(f"{live_server}/v1/plans/{draft['id']}").json()
    assert plan["version"] == 2 and plan["grids"] == draft["grids"] - 1  # exactly one merge landed


def test_edit_errors_are_4xx_with_codes_and_change_nothing(draft: dict, live_server: str,
                                                          planner: dict[str, str]) -> None:
    url = f"{live_server}/v1/plans/{draft['id']}/edits"
    grid = httpx.get(f"{live_server}/v1/plans/{draft['id']}/grids", timeout=60).json()["features"][0]["id"]
    cases = [
        ({"version": 1, "op": "explode"}, 422, "invalid_request"),
        ({"version": 1, "op": "merge", "grids": [999999, 999998]}, 404, "not_found"),
        ({"version": 1, "op": "split", "grid": grid}, 400, "invalid_input"),
        ({"version": 1, "op": "replace", "grid": grid,
          "boundary": {"type": "Polygon", "coordinates": [[[0, 0]]]}}, 400, "invalid_input"),
        ({"version": 7, "op": "renumber", "community": "610802001001"}, 409, "stale_version"),
    ]
    for body, status, code in cases:
        r = httpx.post(url, json=body, headers=planner, timeout=60)
        assert (r.status_code, check(r)["code"]) == (status, code), (body, r.text)
    assert httpx.get(f"{live_server}/v1/plans/{draft['id']}").json()["version"] == 1
    active = httpx.get(f"{live_server}/v1/plans", params={"status": "active"}).json()["plans"][0]
    r = httpx.post(f"{live_server}/v1/plans/{active['id']}/edits",
                   json={"version": active["version"], "op": "renumber", "community": "610802001001"},
                   headers=planner)
    assert r.status_code == 409 and check(r)["code"] == "plan_not_draft"


def test_generating_a_community_answers_the_new_grids_and_refuses_bad_requests(
        draft: dict, live_server: str, planner: dict[str, str]) -> None:
    """Sanguanhui (三官会社区): its residential grids redrawn from its streets."""
    url = f"{live_server}/v1/plans/{draft['id']}/generate"
    r = httpx.post(url, json={"version": 1, "community": "610802002001"}, headers=planner, timeout=120)
    assert r.status_code == 200, r.text
    body = check(r)
    assert body["version"] == 2 and body["removed"] and body["grids"]
    assert {g["kind"] for g in body["grids"]} == {"residential"}
    assert sum(g["households"] for g in body["grids"]) == body["summary"]["households"]
    cases = [
        ({"version": 1, "community": "610802002001"}, 409, "stale_version"),
        ({"version": 2, "community": "610802002"}, 400, "invalid_input"),   # a subdistrict
        ({"version": 2, "community": "610802002001", "min_households": 700, "max_households": 600},
         400, "invalid_input"),
    ]
    for body_, status, code in cases:
        r = httpx.post(url, json=body_, headers=planner, timeout=120)
        assert (r.status_code, check(r)["code"]) == (status, code), (body_, r.text)
    r = httpx.post(f"{live_server}/v1/plans/987654/generate", json={"version": 1, "community": "x"},
                   headers=planner)
    assert (r.status_code, check(r)["code"]) == (404, "not_found")


def test_a_draft_with_a_gap_is_not_activated(draft: dict, live_server: str,
                                             planner: dict[str, str]) -> None:
    """One grid shrunk by ~5 m all round: the gaps fail the coverage gate (409)."""
    grids = check(httpx.get(f"{live_server}/v1/plans/{draft['id']}/grids", timeout=60))["features"]
    grid = next(f for f in grids if f["properties"]["kind"] == "residential")
    smaller = mapping(shape(grid["geometry"]).buffer(-0.00005))
    r = httpx.post(f"{live_server}/v1/plans/{draft['id']}/edits", timeout=60, headers=planner,
                   json={"version": 1, "op": "replace", "grid": grid["id"], "boundary": smaller})
    assert r.status_code == 200 and check(r)["version"] == 2, r.text
    r = httpx.post(f"{live_server}/v1/plans/{draft['id']}/activate", json={"version": 2}, headers=planner,
                   timeout=120)
    body = check(r)
    assert (r.status_code, body["code"]) == (409, "coverage_failed") and body["details"]["counts"]["gap"] >= 1
    assert httpx.get(f"{live_server}/v1/plans/{draft['id']}").json()["status"] == "draft"
    active = httpx.get(f"{live_server}/v1/plans", params={"status": "active"}).json()["plans"][0]
    for plan_id, body_, status, code in [
        (active["id"], {}, 409, "conflict"),                      # only a draft can be activated
        (987654, {}, 404, "not_found"),
        (draft["id"], {"version": "two"}, 422, "invalid_request"),
    ]:
        r = httpx.post(f"{live_server}/v1/plans/{plan_id}/activate", json=body_, headers=planner, timeout=60)
        assert (r.status_code, check(r)["code"]) == (status, code), r.text
    r = httpx.post(f"{live_server}/v1/plans/{draft['id']}/activate", content=b"{not json",
                   headers={**planner, "content-type": "application/json"})
    assert (r.status_code, check(r)["code"]) == (400, "invalid_json")
