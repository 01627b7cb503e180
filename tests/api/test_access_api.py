"""Role boundaries over HTTP: who may write plans, read households and phones, see rooms."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from routes import all_routes
from sqlalchemy import Engine, text

from tests.api.request_helpers import requests_follow

XUEYUAN, SANGUANHUI = "610802001001", "610802002001"
ERROR_KEYS = {"code", "message"}


def _who(accounts, key: str | None) -> dict[str, str]:
    return {} if key is None else accounts[key].headers


def _active(client) -> dict:
    return client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]


def _state(engine: Engine) -> dict[str, object]:
    """What a refused write must leave as it was: row counts and every plan's version."""
    with engine.connect() as conn:
        counts = conn.execute(text(
            "SELECT (SELECT count(*) FROM plan), (SELECT count(*) FROM grid), "
            "(SELECT count(*) FROM grid_staff), (SELECT count(*) FROM audit_event)")).one()
        versions = conn.execute(text("SELECT id, status, version FROM plan ORDER BY id")).all()
    return {"counts": tuple(counts), "plans": [tuple(v) for v in versions]}


@pytest.fixture
def draft(client, accounts, engine: Engine) -> Iterator[dict]:
    """A draft of the district plan made by the district planner; deleted after the test."""
    r = client.post("/v1/plans", json={"scope": "610802", "name": "access draft"},
                    headers=accounts["planner"].headers)
    assert r.status_code == 201, r.text
    yield r.json()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :p OR parent_id = :p"), {"p": r.json()["id"]})


def test_without_credentials_a_protected_route_is_a_401_with_a_bearer_challenge(client) -> None:
    for method, path in [("GET", "/v1/me"), ("GET", "/v1/audit"), ("POST", "/v1/plans"),
                         ("GET", f"/v1/areas/{XUEYUAN}/households")]:
        r = client.request(method, path, json={"scope": "610802", "name": "x"})
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"] == "application/json" and set(r.json()) == ERROR_KEYS


@pytest.mark.parametrize("header", ["Bearer ggt_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "ggt_x"])
def test_a_bad_credential_is_a_401_even_on_a_public_route(client, header) -> None:
    r = client.get("/v1/areas", headers={"Authorization": header})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_a_revoked_token_gets_401(client, db_url, engine: Engine) -> None:
    from gisgrid.access import add_user, revoke_user
    from gisgrid.db.engine import session_scope

    with session_scope(engine) as session:
        token = add_user(session, "t-revoked-soon", "consumer", actor="tests").token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=headers).json()["user"] == "t-revoked-soon"
    with session_scope(engine) as session:
        revoke_user(session, "t-revoked-soon", actor="tests")
    r = client.get("/v1/me", headers=headers)
    assert (r.status_code, r.json()["code"]) == (401, "invalid_credentials")


# caller -> expected status of a plan write on the district plan (401 nobody, 403 wrong role/scope)
WRITERS = [(None, 401), ("consumer", 403), ("staff", 403), ("gulou_planner", 403)]


@pytest.mark.parametrize(("caller", "status"), WRITERS)
def test_a_plan_write_by_anyone_but_its_planner_is_refused_and_changes_nothing(
        client, accounts, engine: Engine, draft: dict, caller, status) -> None:
    grids = client.get(f"/v1/plans/{draft['id']}/grids").json()["features"]
    pair = [grids[0]["id"], grids[1]["id"]]
    writes = [
        ("/v1/plans", {"scope": "610802", "name": "intruder"}),
        (f"/v1/plans/{draft['id']}/edits", {"version": 1, "op": "merge", "grids": pair}),
        (f"/v1/plans/{draft['id']}/edits", {"version": 1, "op": "renumber", "community": XUEYUAN}),
        (f"/v1/plans/{draft['id']}/generate", {"version": 1, "community": XUEYUAN}),
        (f"/v1/plans/{draft['id']}/repair", {"dry_run": False}),
        (f"/v1/plans/{draft['id']}/activate", {"version": 1}),
        (f"/v1/plans/{_active(client)['id']}/activate", {}),
    ]
    before = _state(engine)
    for path, body in writes:
        r = client.post(path, json=body, headers=_who(accounts, caller))
        assert r.status_code == status, (path, r.text)
        assert set(r.json()) == ERROR_KEYS and r.json()["code"] in (
            "not_authenticated", "forbidden", "out_of_scope")
    assert _state(engine) == before


def test_the_gulou_planner_may_plan_gulou_but_not_the_district(client, accounts) -> None:
    gulou = accounts["gulou_planner"].headers
    r = client.post("/v1/plans", json={"scope": "610802", "name": "too wide"}, headers=gulou)
    assert (r.status_code, r.json()["code"]) == (403, "out_of_scope")
    r = client.post("/v1/plans", json={"scope": "610802002", "name": "gulou"}, headers=gulou)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")   # allowed; nothing active to copy
    r = client.post("/v1/plans/2147483647/edits", json={"version": 1, "op": "renumber"}, headers=gulou)
    assert r.status_code == 404
    r = client.post("/v1/plans/2147483648/edits", json={"version": 1, "op": "renumber"}, headers=gulou)
    assert r.status_code == 422             # not a database id at all


def test_api_edits_and_activation_are_audited_with_their_actor(client, accounts, engine: Engine,
                                                               draft: dict) -> None:
    planner = accounts["planner"]
    assert draft["author"] == planner.name
    community = client.get(f"/v1/plans/{draft['id']}/grids").json()["features"][0]["properties"][
        "community_code"]
    r = client.post(f"/v1/plans/{draft['id']}/edits", headers=planner.headers,
                    json={"version": 1, "op": "renumber", "community": community})
    assert r.status_code == 200, r.text
    old = _active(client)
    try:
        r = client.post(f"/v1/plans/{draft['id']}/activate", json={"version": 2}, headers=planner.headers)
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
        events = client.get("/v1/audit", params={"entity": "plan", "actor": planner.name, "limit": 1000},
                            headers=accounts["admin"].headers).json()["events"]
        mine = {(e["action"], e["entity_id"]) for e in events}
        assert {("create_draft", draft["id"]), ("edit_renumber", draft["id"]), ("activate", draft["id"]),
                ("retire", old["id"])} <= mine
        edit = next(e for e in events if e["action"] == "edit_renumber" and e["entity_id"] == draft["id"])
        assert edit["details"]["version"] == {"before": 1, "after": 2}
        activation = next(e for e in events if e["action"] == "activate" and e["entity_id"] == draft["id"])
        assert activation["details"]["before"]["status"] == "draft"
        with engine.connect() as conn:
            anonymous = conn.execute(text("SELECT count(*) FROM audit_event WHERE entity = 'plan' "
                                          "AND entity_id = :p AND actor IS NULL"), {"p": draft["id"]})
            assert anonymous.scalar() == 0
    finally:   # put the demo's plan back in force for the other tests
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": draft["id"]})
            conn.execute(text("UPDATE plan SET status = 'active', effective_to = NULL, version = :v "
                              "WHERE id = :o"), {"v": old["version"], "o": old["id"]})
            requests_follow(conn, old["id"])


def test_the_audit_trail_is_for_admins_and_filters_and_pages(client, accounts) -> None:
    assert client.get("/v1/audit").status_code == 401
    for caller in ("planner", "staff", "consumer"):
        assert client.get("/v1/audit", headers=accounts[caller].headers).status_code == 403
    admin = accounts["admin"].headers
    everything = client.get("/v1/audit", params={"limit": 1000}, headers=admin).json()
    users = client.get("/v1/audit", params={"entity": "user", "actor": "tests"}, headers=admin).json()
    assert users["total"] >= 6
    assert all(e["entity"] == "user" and e["actor"] == "tests" for e in users["events"])
    page = client.get("/v1/audit", params={"limit": 2, "offset": 1}, headers=admin).json()
    assert [e["id"] for e in page["events"]] == [e["id"] for e in everything["events"][1:3]]
    later = client.get("/v1/audit", params={"from": "2999-01-01T00:00:00Z"}, headers=admin).json()
    assert later == {"total": 0, "limit": 100, "offset": 0, "events": []}
    for bad in ({"entity_id": 2**31}, {"limit": 0}, {"from": "yesterday"}):
        r = client.get("/v1/audit", params=bad, headers=admin)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", bad
    r = client.get("/v1/audit", params={"actor": "a\x00b"}, headers=admin)   # refused at the edge
    assert (r.status_code, r.json()["code"]) == (400, "nul_character")


def test_staff_read_their_communitys_households_and_get_403_for_anothers(client, accounts) -> None:
    staff, other = accounts["staff"].headers, accounts["other_staff"].headers
    own = client.get(f"/v1/areas/{XUEYUAN}/households", params={"limit": 5}, headers=staff)
    assert own.status_code == 200 and own.json()["total"] > 1000 and len(own.json()["households"]) == 5
    assert {"id", "room", "address", "lon", "lat"} <= set(own.json()["households"][0])
    for path in (f"/v1/areas/{SANGUANHUI}/households", "/v1/areas/610802/households",
                 "/v1/areas/610802002/households"):
        r = client.get(path, headers=staff)
        assert (r.status_code, r.json()["code"]) == (403, "out_of_scope"), path
    assert client.get(f"/v1/areas/{XUEYUAN}/households", headers=other).status_code == 403
    assert client.get(f"/v1/areas/{SANGUANHUI}/households", headers=other).status_code == 200
    assert client.get(f"/v1/areas/{XUEYUAN}/households",
                      headers=accounts["consumer"].headers).status_code == 403
    assert client.get(f"/v1/areas/{XUEYUAN}/households",
                      headers=accounts["planner"].headers).status_code == 200
    assert client.get("/v1/areas/999999/households", headers=accounts["admin"].headers).status_code == 404
    assert client.get("/v1/areas/61%0080/households", headers=accounts["admin"].headers).status_code == 400


def test_a_grids_team_shows_phones_to_its_community_masks_them_for_other_staff_hides_them_else(
        client, accounts, engine: Engine) -> None:
    with engine.connect() as conn:
        grid, phone = conn.execute(text("""
            SELECT g.id, s.phone FROM grid g JOIN admin_area c ON c.id = g.community_id
            JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
            JOIN grid_staff gs ON gs.grid_id = g.id AND gs.role = 'leader' JOIN staff s ON s.id = gs.staff_id
            WHERE c.code = :c ORDER BY g.id LIMIT 1"""), {"c": XUEYUAN}).one()

    def leader(key):
        r = client.get(f"/v1/grids/{grid}/team", headers=_who(accounts, key))
        assert r.status_code == 200
        return r.json()["team"][0]

    assert leader("staff")["phone"] == phone and leader("admin")["phone"] == phone
    masked = leader("other_staff")["phone"]
    assert masked == phone[:3] + "****" + phone[-4:] and leader("gulou_planner")["phone"] == masked
    for outsider in (None, "consumer"):
        assert set(leader(outsider)) == {"role", "name"}     # names public by default, no phone
    assert client.get("/v1/grids/2147483648/team").status_code == 422
    assert client.get("/v1/grids/2147483647/team").status_code == 404


@pytest.fixture(scope="module")
def room(engine: Engine) -> dict:
    """A household of 学院社区 with its full room address and position."""
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT h.id, h.address, h.room, u.number AS unit, ST_X(h.location) AS lon,
                   ST_Y(h.location) AS lat
            FROM household h JOIN building b ON b.id = h.building_id JOIN unit u ON u.id = h.unit_id
            JOIN admin_area c ON c.id = b.community_id
            WHERE c.code = :c AND h.room IS NOT NULL ORDER BY h.id LIMIT 1"""), {"c": XUEYUAN}).one()
    return dict(row._mapping)


def test_a_room_address_gives_the_household_only_to_its_staff_and_planners(client, accounts, room) -> None:
    def match(key, q=room["address"]):
        r = client.get("/v1/lookup/address", params={"q": q}, headers=_who(accounts, key))
        assert r.status_code == 200, r.text
        return r.json()

    for key in ("staff", "planner", "admin"):
        m = match(key)["match"]
        assert m["level"] == "household" and m["address"] == room["address"]
        assert m["location"]["coordinates"] == [round(room["lon"], 7), round(room["lat"], 7)]
    unit = match(None)
    # Down to the unit (level building, its unit kept apart), never the room.
    assert unit["match"]["level"] == "building" and "室" not in unit["match"]["address"]
    assert unit["match"]["household"] == {"unit": room["unit"], "room": None}
    # Outsiders get the same answer whether the room exists or not: nothing to probe.
    missing = room["address"].replace(f"{room['room']}室", "9999室")
    for key in (None, "consumer", "other_staff", "gulou_planner"):
        seen = match(key)
        assert seen["match"] == unit["match"] and seen["grid"] == unit["grid"]
        assert {k: v for k, v in match(key, missing).items() if k != "parsed"} == {
            k: v for k, v in seen.items() if k != "parsed"}


@pytest.fixture
def holed_draft(client, engine: Engine) -> Iterator[int]:
    """A committed copy of the active plan with a 15 m hole in one grid, so that some
    households lie in no grid; removed after."""
    source = _active(client)["id"]
    with engine.begin() as conn:
        draft = conn.execute(text("""
            INSERT INTO plan (scope_id, district_code, name, status)
            SELECT scope_id, district_code, 'holed copy', 'draft' FROM plan WHERE id = :p RETURNING id
        """), {"p": source}).scalar_one()
        conn.execute(text("""
            INSERT INTO grid (plan_id, community_id, district_code, code, seq, name, kind, boundary)
            SELECT :d, g.community_id, g.district_code, g.code, g.seq, g.name, g.kind,
                   CASE WHEN g.code = (SELECT min(code) FROM grid WHERE plan_id = :p AND kind = 'residential')
                        THEN ST_Multi(ST_Difference(g.boundary, ST_Buffer((
                             SELECT h.location FROM household h WHERE ST_Covers(g.boundary, h.location)
                             ORDER BY h.id LIMIT 1)::geography, 15)::geometry))
                        ELSE g.boundary END
            FROM grid g WHERE g.plan_id = :p
        """), {"p": source, "d": draft})
    yield draft
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :d"), {"d": draft})


def test_a_stored_plans_coverage_lists_households_only_to_planners_and_staff_of_its_area(
        client, accounts, holed_draft: int) -> None:
    full = client.get(f"/v1/plans/{holed_draft}/coverage", headers=accounts["planner"].headers).json()
    points = [d for d in full["defects"] if d["kind"] == "unassigned_point"]
    assert full["unassigned"]["households"] >= 1 and points
    assert any(str(d["point"]).startswith("household:") for d in points)
    for key in (None, "consumer", "staff", "gulou_planner"):
        seen = client.get(f"/v1/plans/{holed_draft}/coverage", headers=_who(accounts, key)).json()
        assert seen["unassigned"] == full["unassigned"] and seen["ok"] is False
        assert [d for d in seen["defects"] if d["kind"] == "unassigned_point"] == []
        assert [d for d in seen["defects"] if d["kind"] == "gap"] == [
            d for d in full["defects"] if d["kind"] == "gap"]
        assert "household:" not in str(seen)


#: The only writes open to anonymous clients: the stateless services (a setting can close
#: them), the batch lookup, and signing in and out.
OPEN_WRITES = {"POST /v1/blocks", "POST /v1/coverage/check", "POST /v1/coverage/repair",
               "POST /v1/assign", "POST /v1/lookup", "POST /v1/lookup/address", "POST /login",
               "POST /logout"}


def test_every_other_write_route_refuses_anonymous_clients(client, engine: Engine) -> None:
    """Enumerated from the app: a new write route without an access check fails here."""
    before = _state(engine)
    checked = []
    for route in all_routes(client.app.routes):
        for method in sorted((route.methods or set()) - {"GET", "HEAD"}):
            key = f"{method} {route.path}"
            if key in OPEN_WRITES:
                continue
            r = client.request(method, re.sub(r"{[^}]+}", "1", route.path), json={})
            assert (r.status_code, r.json()["code"]) == (401, "not_authenticated"), key
            checked.append(key)
    assert len(checked) >= 5 and "POST /v1/plans/{plan_id}/activate" in checked
    assert _state(engine) == before


def test_the_openapi_document_names_the_credentials_and_the_401_and_403(client) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["token"][
            "description"]}
    assert doc["components"]["securitySchemes"]["session"]["in"] == "cookie"
    for path, method in [("/v1/plans/{plan_id}/activate", "post"), ("/v1/audit", "get"),
                         ("/v1/lookup", "get")]:
        responses = doc["paths"][path][method]["responses"]
        assert {"401", "403"} <= set(responses), path
    assert "security" not in doc["paths"]["/health"]["get"]
