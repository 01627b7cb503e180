"""Plan versions over HTTP: drafts, edits with optimistic versions, concurrent edits, diffs."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
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
    plan = r.json()
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
    diff = httpx.get(f"{live_server}/v1/plans/{draft['id']}/diff", timeout=120).json()
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
    loser = next(a for a in answers if a.status_code == 409).json()
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
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    assert httpx.get(f"{live_server}/v1/plans/{draft['id']}").json()["version"] == 1
    active = httpx.get(f"{live_server}/v1/plans", params={"status": "active"}).json()["plans"][0]
    r = httpx.post(f"{live_server}/v1/plans/{active['id']}/edits",
                   json={"version": active["version"], "op": "renumber", "community": "610802001001"},
                   headers=planner)
    assert r.status_code == 409 and r.json()["code"] == "plan_not_draft"
