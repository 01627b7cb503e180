"""The editor's API on a running server: the units document, the reassign save and its hostile
twins, teams and the activation gate, a plan's changes; and shapes surviving the round trip
through the API (every grid sent back as served; a block cut by POST /v1/blocks moved)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import shapely
from openapi_check import check
from shapely.geometry import shape
from sqlalchemy import Engine, text

XUEYUAN = "610802001001"

#: The client every test here calls the server with: signed as the district's planner, since
#: drafts, edits and activation refuse anonymous callers (set by the autouse fixture below).
http: httpx.Client


@pytest.fixture(autouse=True)
def _planner_client(accounts) -> Iterator[None]:
    global http
    with httpx.Client(headers=accounts["planner"].headers, timeout=60) as client:
        http = client
        yield


@pytest.fixture
def draft(live_server: str, engine: Engine) -> Iterator[dict]:
    r = http.post(
        f"{live_server}/v1/plans", json={"scope": "610802", "name": "editor API draft"}, timeout=60
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    yield plan
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": plan["id"]})


@pytest.fixture
def doc(draft: dict, live_server: str) -> dict:
    r = http.get(f"{live_server}/v1/plans/{draft['id']}/units", timeout=300)
    assert r.status_code == 200
    return check(r)


def _version(live_server: str, plan: int) -> int:
    return http.get(f"{live_server}/v1/plans/{plan}").json()["version"]


def _neighbours(doc: dict) -> tuple[int, int, list[str], list[str]]:
    """Two neighbouring grids of Xueyuan and their units."""
    props = [f["properties"] for f in doc["units"]["features"]]
    i, j = next(
        (i, j)
        for i, j, *_ in doc["pairs"]
        if props[i]["grid"] != props[j]["grid"] and props[i]["community"] == XUEYUAN == props[j]["community"]
    )
    a, b = props[i]["grid"], props[j]["grid"]
    return a, b, [p["id"] for p in props if p["grid"] == a], [p["id"] for p in props if p["grid"] == b]


def test_the_units_document_covers_every_household_and_names_every_grid(
    doc: dict, live_server: str, draft: dict
) -> None:
    grids = http.get(
        f"{live_server}/v1/plans/{draft['id']}/grids", params={"kind": "residential"}, timeout=60
    ).json()["features"]
    props = [f["properties"] for f in doc["units"]["features"]]
    assert sum(p["households"] for p in props) == sum(g["properties"]["households"] for g in grids)
    assert {p["grid"] for p in props} == {g["id"] for g in grids}
    assert {c["code"] for c in doc["communities"]} == {p["community"] for p in props}
    assert doc["plan"]["id"] == draft["id"] and doc["bounds"] == {"min": 100, "max": 600}
    assert all(g["team"]["leader"] and g["team"]["full_time"] for g in doc["grids"])
    assert doc["staff"] and "phone" not in doc["staff"][0]
    r = http.get(f"{live_server}/v1/plans/987654/units")
    assert (r.status_code, check(r)["code"]) == (404, "not_found")


def test_a_reassign_save_answers_the_grids_and_the_changes_list_it(
    doc: dict, draft: dict, live_server: str
) -> None:
    a, b, units_a, units_b = _neighbours(doc)
    digests = {c["code"]: c["digest"] for c in doc["communities"]}
    r = http.post(
        f"{live_server}/v1/plans/{draft['id']}/edits",
        timeout=120,
        json={
            "op": "reassign",
            "version": 1,
            "digests": digests,
            "assignment": [{"grid": a, "units": units_a[1:]}, {"grid": b, "units": units_b + units_a[:1]}],
        },
    )
    body = check(r)
    assert (
        r.status_code == 200 and body["op"] == "reassign" and body["version"] == 2 and body["created"] == {}
    )
    changes = check(http.get(f"{live_server}/v1/plans/{draft['id']}/changes", params={"since": 1}))
    assert changes["version"] == 2 and [c["action"] for c in changes["changes"]] == ["edit_reassign"]
    codes = {g["id"]: g["code"] for g in doc["grids"]}
    assert sorted(changes["changes"][0]["grids"]) == sorted([codes[a], codes[b]])
    assert (
        check(http.get(f"{live_server}/v1/plans/{draft['id']}/changes", params={"since": 2}))["changes"]
        == []
    )
    r = http.get(f"{live_server}/v1/plans/{draft['id']}/changes", params={"since": -1})
    assert (r.status_code, check(r)["code"]) == (422, "invalid_request")


def test_hostile_saves_get_a_4xx_and_change_nothing(doc: dict, draft: dict, live_server: str) -> None:
    a, b, units_a, units_b = _neighbours(doc)
    digests = {c["code"]: c["digest"] for c in doc["communities"]}
    url = f"{live_server}/v1/plans/{draft['id']}/edits"
    whole = [{"grid": a, "units": units_a}, {"grid": b, "units": units_b}]
    cases = [
        ({"assignment": whole + [{"grid": "new-1", "units": units_a[:1]}]}, 400, "invalid_input"),  # twice
        ({"assignment": whole * 501}, 422, "invalid_request"),  # huge
        ({"assignment": []}, 400, "invalid_input"),  # nothing
        ({"assignment": [{"grid": a, "units": units_a[1:]}]}, 400, "invalid_input"),  # a unit lost
        ({"assignment": [{"grid": a, "units": [7]}]}, 400, "invalid_input"),  # not an id
        ({"assignment": whole, "digests": {XUEYUAN: "0" * 32}}, 409, "units_changed"),
        ({"assignment": whole, "version": 5}, 409, "stale_version"),
        ({"assignment": whole, "teams": [{"grid": a, "leader": 99_999_999}]}, 400, "invalid_input"),
    ]
    for extra, status, code in cases:
        body = {"op": "reassign", "version": 1, "digests": digests, **extra}
        r = http.post(url, json=body, timeout=120)
        assert (r.status_code, check(r)["code"]) == (status, code), (extra.keys(), r.text)
    r = http.post(
        url,
        content=b'{"op": "reassign", "version": 1, "assignment": [{"grid": ',
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert (r.status_code, check(r)["code"]) == (400, "invalid_json")  # abandoned half-way
    assert _version(live_server, draft["id"]) == 1
    after = http.get(f"{live_server}/v1/plans/{draft['id']}/units", timeout=300).json()
    assert [f["properties"]["grid"] for f in after["units"]["features"]] == [
        f["properties"]["grid"] for f in doc["units"]["features"]
    ]


def test_a_grid_without_its_leader_stops_activation_until_a_reason_is_given(
    doc: dict, draft: dict, live_server: str
) -> None:
    grid = doc["grids"][0]
    team = {
        "leader": None,
        "full_time": grid["team"]["full_time"]["id"],
        "part_time": [p["id"] for p in grid["team"]["part_time"]],
    }
    r = http.post(
        f"{live_server}/v1/plans/{draft['id']}/edits",
        timeout=60,
        json={"op": "team", "version": 1, "grid": grid["id"], "team": team},
    )
    assert r.status_code == 200 and check(r)["op"] == "team"
    r = http.post(f"{live_server}/v1/plans/{draft['id']}/activate", json={"version": 2}, timeout=300)
    body = check(r)
    assert (r.status_code, body["code"]) == (409, "team_incomplete")
    assert body["details"]["grids"] == [
        {
            "id": grid["id"],
            "code": grid["code"],
            "name": grid["name"],
            "kind": grid["kind"],
            "missing": ["leader"],
        }
    ]
    r = http.post(
        f"{live_server}/v1/plans/{draft['id']}/activate",
        timeout=60,
        json={"version": 2, "team_override": "x" * 501},
    )
    assert (r.status_code, check(r)["code"]) == (422, "invalid_request")
    assert http.get(f"{live_server}/v1/plans/{draft['id']}").json()["status"] == "draft"


def test_every_grid_sent_back_as_the_api_serves_it_changes_nothing(draft: dict, live_server: str) -> None:
    url = f"{live_server}/v1/plans/{draft['id']}"
    grids = http.get(f"{url}/grids", timeout=60).json()["features"]
    for version, feature in enumerate(grids, start=1):
        r = http.post(
            f"{url}/edits",
            timeout=60,
            json={
                "op": "replace",
                "version": version,
                "grid": feature["id"],
                "boundary": feature["geometry"],
            },
        )
        assert r.status_code == 200, r.text
    again = {f["id"]: f for f in http.get(f"{url}/grids", timeout=60).json()["features"]}
    assert all(shapely.equals(shape(f["geometry"]), shape(again[f["id"]]["geometry"])) for f in grids)
    coverage = http.get(f"{url}/coverage", timeout=300).json()
    assert coverage["ok"], [d["message"] for d in coverage["defects"][:5]]
    assert http.get(f"{url}/diff", timeout=300).json()["households"]["moved"] == 0


def test_a_block_cut_by_post_blocks_moves_into_its_neighbour_grid(
    doc: dict, draft: dict, live_server: str
) -> None:
    boundary = http.get(f"{live_server}/v1/areas/{XUEYUAN}").json()["geometry"]
    streets = {"type": "FeatureCollection", "features": doc["streets"]["features"]}
    r = http.post(f"{live_server}/v1/blocks", json={"boundary": boundary, "streets": streets}, timeout=120)
    assert r.status_code == 200, r.text
    blocks = [shape(f["geometry"]) for f in r.json()["features"]]
    grids = {
        f["id"]: shape(f["geometry"])
        for f in http.get(
            f"{live_server}/v1/plans/{draft['id']}/grids", params={"community": XUEYUAN}
        ).json()["features"]
    }
    block, a, b = next(
        (blk, a, b)
        for blk in blocks
        for a in grids
        for b in grids
        if a != b
        and shapely.area(shapely.intersection(grids[a], blk)) > 0.99 * blk.area
        and grids[a].area > 1.5 * blk.area
        and shapely.length(shapely.intersection(blk.boundary, grids[b].buffer(1e-6))) > 2e-4
    )
    r = http.post(
        f"{live_server}/v1/plans/{draft['id']}/edits",
        timeout=60,
        json={
            "op": "move",
            "version": 1,
            "from_grid": a,
            "to_grid": b,
            "area": shapely.geometry.mapping(block),
        },
    )
    assert r.status_code == 200, r.text
    coverage = http.get(f"{live_server}/v1/plans/{draft['id']}/coverage", timeout=300).json()
    assert not [d for d in coverage["defects"] if d["kind"] in ("gap", "overlap")], coverage["defects"][:3]
