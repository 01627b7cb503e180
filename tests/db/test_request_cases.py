"""Requests as cases on the real database: every transition, the clock, escalation, plans that change.

Each test runs in a transaction rolled back afterwards (the ``session`` fixture).
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from shapely import wkb
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db import request_store
from gisgrid.errors import InvalidInputError, TransitionNotAllowedError
from gisgrid.lookup.point import index_for
from gisgrid.plans import activate_plan
from gisgrid.plans.versions import apply_edit, copy_to_draft, diff_plans
from gisgrid.requests import (
    REQUEST_STAGES,
    Intake,
    Rules,
    WorkCalendar,
    allowed_from,
    escalate_overdue,
    move_request,
    take_in,
)
from gisgrid.rules import CHINA_TZ


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=CHINA_TZ)


def _place(session: Session, community: str = "学院社区") -> tuple[float, float]:
    return tuple(session.execute(text("""
        SELECT ST_X(h.location), ST_Y(h.location) FROM household h
        JOIN admin_area c ON c.name = :c AND ST_Covers(c.boundary, h.location)
        ORDER BY h.id LIMIT 1"""), {"c": community}).one())


def _new(session: Session, rules: Rules, *, when: dt.datetime, category: str = "sanitation",
         lon: float | None = None, lat: float | None = None) -> int:
    if lon is None or lat is None:
        lon, lat = _place(session)
    doc = {"lon": lon, "lat": lat, "category": category, "source": "patrol",
           "reporter": {"name": "测试", "phone": "13800000000"}}
    return take_in(session, Intake.from_dict(doc), index=index_for(session, 1), rules=rules,
                   actor="test", now=when)["id"]


@pytest.fixture
def rules(session: Session) -> Rules:
    # A fixed calendar for the tests: the stored holidays replaced by one on Wed 2026-12-09.
    loaded = Rules.load(session)
    return Rules(loaded.limits, loaded.names, WorkCalendar(holidays={dt.date(2026, 12, 9)}))


def _stage(session: Session, rid: int) -> dict:
    return request_store.get_requests(session, [rid])[0]


def _extra(to: str, master: int) -> dict:
    return {"note": "因为" if to in ("returned", "suspended", "referred", "closed") else None,
            "master": master if to == "duplicate" else None}


def test_every_transition_allowed_and_refused(session: Session, rules: Rules) -> None:
    """For each of the 10 stages and each of the 10 stages to go to: done when allowed
    (the request is then in the new stage and the move is recorded), else 409 with the
    allowed ones listed and nothing changed."""
    master = _new(session, rules, when=at(2026, 12, 1))
    rid = _new(session, rules, when=at(2026, 12, 1))
    tried = 0
    for stage, to in itertools.product(REQUEST_STAGES, REQUEST_STAGES):
        savepoint = session.begin_nested()
        resume = "dispatched" if stage == "suspended" else None
        session.execute(text("""UPDATE request SET stage = CAST(:s AS varchar), resume_stage = :r,
            suspended_at = CASE WHEN CAST(:s AS varchar) = 'suspended' THEN registered_at END
            WHERE id = :i"""),
                        {"s": stage, "r": resume, "i": rid})
        allowed = allowed_from(stage, resume)
        if to in allowed:
            move_request(session, rid, to, rules=rules, actor="tester", now=at(2026, 12, 2),
                         **_extra(to, master))
            assert _stage(session, rid)["stage"] == to
            last = request_store.events(session, rid)[-1]
            assert (last["kind"], last["from_stage"], last["to_stage"], last["actor"]) == (
                "transition", stage, to, "tester")
        else:
            with pytest.raises(TransitionNotAllowedError) as e:
                move_request(session, rid, to, rules=rules, now=at(2026, 12, 2), **_extra(to, master))
            assert e.value.details["allowed"] == allowed
            assert _stage(session, rid)["stage"] == stage
        savepoint.rollback()
        tried += 1
    assert tried == 100


def test_the_main_line_from_intake_to_closing_on_time(session: Session, rules: Rules) -> None:
    rid = _new(session, rules, when=at(2026, 12, 1), category="leaking_roof")      # 7 working days
    row = _stage(session, rid)
    assert row["stage"] == "registered" and row["due_at"] == at(2026, 12, 11)      # Wed 9th a holiday
    for i, to in enumerate(("dispatched", "in_progress", "checked")):
        move_request(session, rid, to, rules=rules, now=at(2026, 12, 1, 11 + i))
    move_request(session, rid, "closed", rules=rules, now=at(2026, 12, 4))
    row = _stage(session, rid)
    assert row["stage"] == "closed" and row["closed_on_time"] and row["days_to_close"] == pytest.approx(3.0)
    assert [e["to_stage"] for e in request_store.events(session, rid)] == [
        "registered", "dispatched", "in_progress", "checked", "closed"]


def test_a_suspension_stops_the_clock_and_moves_the_deadline(session: Session, rules: Rules) -> None:
    """Registered Fri 27 Nov 10:00, 2 working days: due Tue 1 Dec 10:00 (the weekend
    stands still). Suspended from Mon 30 Nov 10:00 to Thu 3 Dec 10:00: 3 working days
    (Mon 14 h, Tue, Wed, Thu 10 h) → due moves on by 3 working days, to Fri 4 Dec 10:00."""
    rid = _new(session, rules, when=at(2026, 11, 27))
    assert _stage(session, rid)["due_at"] == at(2026, 12, 1)
    move_request(session, rid, "suspended", rules=rules, note="等待产权单位答复", now=at(2026, 11, 30))
    assert not _stage(session, rid)["overdue"]
    with pytest.raises(TransitionNotAllowedError):
        move_request(session, rid, "dispatched", rules=rules, now=at(2026, 12, 3))
    move_request(session, rid, "registered", rules=rules, now=at(2026, 12, 3))
    row = _stage(session, rid)
    assert row["stage"] == "registered" and row["due_at"] == at(2026, 12, 4)
    assert request_store.events(session, rid)[-1]["details"]["paused_working_days"] == pytest.approx(3.0)


def test_a_suspension_over_a_weekend_and_a_holiday_counts_only_working_days(session: Session,
                                                                           rules: Rules) -> None:
    """Suspended Fri 4 Dec 10:00 → Thu 10 Dec 10:00: Fri 14 h, Mon, Tue, (Wed 9 holiday),
    Thu 10 h = 3 working days."""
    rid = _new(session, rules, when=at(2026, 12, 3))                 # due Mon 7 Dec 10:00
    assert _stage(session, rid)["due_at"] == at(2026, 12, 7)
    move_request(session, rid, "suspended", rules=rules, note="x", now=at(2026, 12, 4))
    move_request(session, rid, "registered", rules=rules, now=at(2026, 12, 10))
    assert _stage(session, rid)["due_at"] == at(2026, 12, 11)       # Mon + 3 working days (Wed off)


def test_returns_referrals_and_suspensions_need_a_reason(session: Session, rules: Rules) -> None:
    rid = _new(session, rules, when=at(2026, 12, 1))
    move_request(session, rid, "dispatched", rules=rules, now=at(2026, 12, 1, 11))
    for to in ("returned", "suspended", "referred"):
        with pytest.raises(InvalidInputError):
            move_request(session, rid, to, rules=rules, now=at(2026, 12, 1, 12))
    move_request(session, rid, "returned", rules=rules, note="不属于本网格职责", now=at(2026, 12, 1, 12))
    move_request(session, rid, "referred", rules=rules, department="区住建局", now=at(2026, 12, 1, 13))
    row = _stage(session, rid)
    assert (row["returned"], row["referred_to"], row["stage"]) == (1, "区住建局", "referred")


def test_overdue_requests_escalate_to_the_community_then_the_subdistrict(session: Session,
                                                                        rules: Rules) -> None:
    rid = _new(session, rules, when=at(2026, 11, 30))               # sanitation: due Wed 2 Dec 10:00
    assert escalate_overdue(session, rules=rules, now=at(2026, 12, 2, 9)) == []
    first = escalate_overdue(session, rules=rules, now=at(2026, 12, 2, 11))
    assert {"id": rid, "from": "grid", "to": "community"} in first
    assert [e for e in escalate_overdue(session, rules=rules, now=at(2026, 12, 3)) if e["id"] == rid] == []
    second = escalate_overdue(session, rules=rules, now=at(2026, 12, 4, 11))   # late by 2 more days
    assert {"id": rid, "from": "community", "to": "subdistrict"} in second
    kinds = [(e["kind"], (e["details"] or {}).get("to")) for e in request_store.events(session, rid)]
    assert kinds[-2:] == [("escalation", "community"), ("escalation", "subdistrict")]
    assert _stage(session, rid)["escalation"] == 2


def test_a_closed_request_does_not_escalate_nor_count_overdue(session: Session, rules: Rules) -> None:
    rid = _new(session, rules, when=at(2026, 11, 30))
    for to in ("dispatched", "in_progress", "checked", "closed"):
        move_request(session, rid, to, rules=rules, now=at(2026, 12, 3))
    row = _stage(session, rid)
    assert not row["overdue"] and row["closed_on_time"] is False
    assert [e for e in escalate_overdue(session, rules=rules, now=at(2026, 12, 20)) if e["id"] == rid] == []


def test_activating_a_plan_that_moves_the_place_reroutes_the_open_request_only(session: Session,
                                                                                rules: Rules) -> None:
    """Two residential grids of Jinyang sharing an edge, A and B; a piece of A at the edge
    moves to B in a new plan. The open request in that piece follows it to B (recorded,
    and listed in the diff); the closed one there keeps A."""
    active = session.execute(text("SELECT id FROM plan WHERE status = 'active'")).scalar_one()
    draft = copy_to_draft(session, active, name="move a piece")
    a, b, piece = session.execute(text("""
        SELECT a.id, b.id, ST_AsBinary(ST_Intersection(a.boundary, ST_Buffer(
               ST_PointOnSurface(ST_Intersection(a.boundary, b.boundary))::geography, 25)::geometry))
        FROM grid a JOIN grid b ON b.plan_id = a.plan_id AND b.id <> a.id AND b.kind = 'residential'
             AND ST_Length(ST_Intersection(a.boundary, b.boundary)::geography) > 60
        JOIN admin_area c ON c.id = a.community_id AND c.name = '金阳社区'
        WHERE a.plan_id = :d AND a.kind = 'residential' ORDER BY a.code, b.code LIMIT 1"""),
        {"d": draft}).one()
    area = wkb.loads(bytes(piece))
    inside = area.buffer(-3e-5).representative_point()          # ~3 m inside the piece
    open_id = _new(session, rules, when=at(2026, 12, 1), lon=inside.x, lat=inside.y)
    closed_id = _new(session, rules, when=at(2026, 12, 1), lon=inside.x, lat=inside.y, category="noise")
    for to in ("dispatched", "in_progress", "checked", "closed"):
        move_request(session, closed_id, to, rules=rules, now=at(2026, 12, 2))
    before = {r["id"]: r for r in request_store.get_requests(session, [open_id, closed_id])}
    version = session.execute(text("SELECT version FROM plan WHERE id = :d"), {"d": draft}).scalar_one()
    apply_edit(session, draft, "move", expected_version=version, from_grid=a, to_grid=b, area=area)
    activate_plan(session, draft, effective_from=dt.date.today() + dt.timedelta(days=1), actor="planner",
                  team_override="test")
    after = {r["id"]: r for r in request_store.get_requests(session, [open_id, closed_id])}
    b_code = session.execute(text("SELECT code FROM grid WHERE id = :b"), {"b": b}).scalar_one()
    assert after[open_id]["grid_id"] == b and after[open_id]["grid_code"] == b_code
    assert after[open_id]["plan_id"] == draft
    assert after[closed_id]["grid_id"] == before[closed_id]["grid_id"]
    assert after[closed_id]["plan_id"] == before[closed_id]["plan_id"] == active
    reroute = [e for e in request_store.events(session, open_id) if e["kind"] == "reroute"]
    assert len(reroute) == 1 and reroute[0]["details"]["to"] == b_code
    assert reroute[0]["details"]["from"] == before[open_id]["grid_code"]
    assert not [e for e in request_store.events(session, closed_id) if e["kind"] == "reroute"]
    moves = diff_plans(session, active, draft)["requests"]["moves"]
    listed = [m for m in moves if open_id in m["ids"]]
    assert listed and listed[0]["to_code"] == b_code and all(closed_id not in m["ids"] for m in moves)
    audit = session.execute(text("""SELECT details FROM audit_event WHERE action = 'activate'
        AND entity_id = :d"""), {"d": draft}).scalar_one()
    assert open_id in audit["rerouted_requests"] and closed_id not in audit["rerouted_requests"]
