"""Concurrency against a running server: racing planners and lookups during an activation.

- N clients send an edit of one draft on the same version: exactly one wins per version,
  the others get 409 ``stale_version``, and what is stored is the winner's edit whole
  (no lost update, no mix), round after round.
- While a plan is activated, lookups keep being answered (some complete while the
  activation runs) and each answer comes from the old plan or the new one, never a mix;
  a batch answer is all old or all new.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import shapely
from shapely.geometry import mapping, shape

N_CLIENTS = 16
ROUNDS = 3


@pytest.fixture(scope="module")
def draft(strict_server) -> Iterator[dict]:
    r = httpx.post(f"{strict_server.base}/v1/plans", json={"scope": "610802", "name": "race"}, timeout=120,
                   headers=strict_server.headers)
    assert r.status_code == 201, r.text
    yield r.json()


def _grids(base: str, plan_id: int) -> dict[int, dict]:
    features = httpx.get(f"{base}/v1/plans/{plan_id}/grids", timeout=60).json()["features"]
    return {f["id"]: f for f in features}


def _race(url: str, bodies: list[dict], headers: dict[str, str]) -> list[tuple[int, httpx.Response]]:
    """Send every body at once (each from its own client); (index, response) pairs."""
    answers: list[tuple[int, httpx.Response]] = []
    start = threading.Barrier(len(bodies))

    def send(k: int) -> None:
        start.wait()
        answers.append((k, httpx.post(url, json=bodies[k], timeout=120, headers=headers)))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_racing_edits_of_one_version_have_one_winner_each_and_lose_no_update(strict_server, draft) -> None:
    base, pid = strict_server.base, draft["id"]
    grids = _grids(base, pid)
    targets = sorted(grids)[:ROUNDS]
    version = draft["version"]
    for target in targets:
        original = shape(grids[target]["geometry"])
        # Client k shrinks the grid by its own amount: the stored shape names the winner.
        shapes = [shapely.buffer(original, -(k + 1) * 2e-6, join_style="mitre") for k in range(N_CLIENTS)]
        answers = _race(f"{base}/v1/plans/{pid}/edits", [
            {"version": version, "op": "replace", "grid": target, "boundary": mapping(s)} for s in shapes],
            strict_server.headers)
        winners = [k for k, r in answers if r.status_code == 200]
        losers = [r for _, r in answers if r.status_code != 200]
        assert len(winners) == 1, [(k, r.status_code, r.text[:100]) for k, r in answers]
        assert all(r.status_code == 409 and r.json()["code"] == "stale_version" for r in losers)
        version += 1
        assert httpx.get(f"{base}/v1/plans/{pid}").json()["version"] == version
        stored = shape(_grids(base, pid)[target]["geometry"])
        expected = shapes[winners[0]]
        assert shapely.symmetric_difference(stored, expected).area < 1e-4 * expected.area
        for k in set(range(N_CLIENTS)) - set(winners):  # no loser's shape got in
            assert shapely.symmetric_difference(stored, shapes[k]).area > 0.5 * abs(
                shapes[k].area - expected.area)


def _points(base: str, plan_id: int) -> list[list[float]]:
    """One interior point per residential grid of the active plan."""
    features = httpx.get(f"{base}/v1/plans/{plan_id}/grids", params={"kind": "residential"},
                         timeout=60).json()["features"]
    return [list(shapely.point_on_surface(shape(f["geometry"])).coords[0]) for f in features]


def test_lookups_during_an_activation_see_the_old_plan_or_the_new_never_a_mix(strict_server) -> None:
    base = strict_server.base
    old = httpx.get(f"{base}/v1/plans", params={"status": "active"}).json()["plans"][0]
    new = httpx.post(f"{base}/v1/plans", json={"scope": "610802", "name": "switch"}, timeout=120,
                     headers=strict_server.headers).json()
    old_ids, new_ids = set(_grids(base, old["id"])), set(_grids(base, new["id"]))
    assert old_ids and new_ids and not old_ids & new_ids
    points = _points(base, old["id"])
    seen: list[tuple[float, float, str]] = []  # (sent, answered, plan) of every lookup
    bad: list[str] = []
    window: dict[str, float] = {}
    stop = threading.Event()

    def plan_of(ids: set[int]) -> str:
        if ids <= old_ids:
            return "old"
        if ids <= new_ids:
            return "new"
        bad.append(f"mixed answer: {sorted(ids)[:5]}")
        return "mixed"

    def single(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            i = offset
            while not stop.is_set():
                lon, lat = points[i % len(points)]
                sent = time.monotonic()
                r = c.get("/v1/lookup", params={"lon": lon, "lat": lat})
                if r.status_code != 200:
                    bad.append(f"lookup {r.status_code}: {r.text[:200]}")
                    continue
                seen.append((sent, time.monotonic(), plan_of({r.json()["grid"]["id"]})))
                i += 7

    def batch() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not stop.is_set():
                sent = time.monotonic()
                r = c.post("/v1/lookup", json={"points": points})
                ids = {a["grid"]["id"] for a in r.json()["results"] if a}
                seen.append((sent, time.monotonic(), plan_of(ids)))

    threads = [threading.Thread(target=single, args=(k,)) for k in range(3)]
    threads.append(threading.Thread(target=batch))
    for t in threads:
        t.start()
    time.sleep(1.0)
    window["start"] = time.monotonic()
    r = httpx.post(f"{base}/v1/plans/{new['id']}/activate", json={}, timeout=300,
                   headers=strict_server.headers)
    window["end"] = time.monotonic()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join()
    assert r.status_code == 200, r.text
    assert not bad, bad[:5]
    during = [s for s in seen if s[0] >= window["start"] and s[1] <= window["end"]]
    assert during, "no lookup was answered while the activation ran"
    after = [p for sent, _, p in seen if sent > window["end"] + 1.0]
    assert after and set(after) == {"new"}  # after the switch, only the new plan
    before = [p for _, done, p in seen if done < window["start"]]
    assert before and set(before) == {"old"}
    # Old, then new: once a lookup sent after another's answer saw the new plan, no later
    # one sees the old plan again.
    first_new = min(done for _, done, p in seen if p == "new")
    assert all(p == "new" for sent, _, p in seen if sent > first_new)
