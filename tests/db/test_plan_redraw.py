"""Redrawing a draft on the demo (动态调整): fix the broken grids, move few households, write one version.

Each test runs in a transaction rolled back at its end; the new estate of
:mod:`estates` is built inside it.
"""

from __future__ import annotations

import pytest
import shapely
from estates import build_estate, community, vacant_block
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.coverage.plan import plan_coverage
from gisgrid.errors import InvalidInputError, NotFoundError, PlanNotDraftError, StaleVersionError
from gisgrid.plans.redraw import redraw_draft
from gisgrid.plans.versions import create_draft, diff_plans, generate_community


def _active(session: Session) -> int:
    return session.execute(text("SELECT id FROM plan WHERE status = 'active'")).scalar_one()


def _draft(session: Session) -> int:
    return create_draft(session, scope="610802", name="redraw draft", author="test")


def _state(session: Session, plan_id: int) -> dict[str, object]:
    """Everything a redraw may write: the plan's version, its grids and teams, the audit trail."""
    return session.execute(text("""
        SELECT (SELECT version FROM plan WHERE id = :p) AS version,
               (SELECT count(*) FROM grid) AS grids,
               (SELECT count(*) FROM grid_staff) AS grid_staff,
               (SELECT count(*) FROM audit_event) AS audit_events,
               (SELECT md5(string_agg(id || code || uid::text || ST_AsEWKB(boundary)::text, ',' ORDER BY id))
                  FROM grid WHERE plan_id = :p) AS grids_hash
    """), {"p": plan_id}).one()._asdict()


def _staff(session: Session, grid_id: int) -> list[tuple[int, str]]:
    return sorted(session.execute(text("SELECT staff_id, role FROM grid_staff WHERE grid_id = :g"),
                                  {"g": grid_id}).all())


def test_a_new_estate_is_fixed_moving_fewer_households_than_regenerating_the_community(
        session: Session) -> None:
    active = _active(session)
    code, before, block = vacant_block(session, active, "学院社区")
    build_estate(session, "学院社区", block, 600)
    _, xueyuan = community(session, "学院社区")
    redrawn, regenerated = _draft(session), _draft(session)
    teams = {r.code: _staff(session, r.id) for r in session.execute(text(
        "SELECT id, code FROM grid WHERE plan_id = :p"), {"p": redrawn})}

    out = redraw_draft(session, redrawn, expected_version=1, actor="test")
    generate_community(session, regenerated, community=xueyuan, expected_version=1)

    assert out.written and out.version == 2 and out.communities == [xueyuan]
    assert [(g["code"], g["households"], g["bound"]) for g in out.out_of_bounds] == [
        (code, before + 600, "max")]
    assert out.violations == [] and out.grids
    assert all(100 <= g["households"] <= 600 for g in out.grids)
    moved = diff_plans(session, active, redrawn)["households"]["moved"]
    assert moved == out.moved["households"] > 0
    assert moved < diff_plans(session, active, regenerated)["households"]["moved"]
    # The redrawn draft still tiles its area, and every grid now meets the bounds.
    coverage = plan_coverage(session, redrawn)
    assert coverage.ok and coverage.size_breaches == []
    # Changed grids keep their row, uid and team; new grids start without a team.
    for g in out.grids:
        row = session.execute(text("""
            SELECT d.uid = a.uid AS same_uid FROM grid d LEFT JOIN grid a ON a.plan_id = :a
              AND a.code = d.code WHERE d.id = :g
        """), {"a": active, "g": g["id"]}).one()
        if g["status"] == "changed":
            assert row.same_uid and _staff(session, g["id"]) == teams[g["code"]]
        else:
            assert not row.same_uid and _staff(session, g["id"]) == []
    assert any("no team" in n for n in out.notes) == any(g["status"] == "new" for g in out.grids)
    events = session.execute(text("SELECT details FROM audit_event WHERE action = 'redraw' "
                                  "AND entity_id = :p"), {"p": redrawn}).scalars().all()
    assert len(events) == 1 and events[0]["version"] == 2


def test_grids_the_redraw_does_not_touch_and_overlays_stay_exactly_as_they_were(session: Session) -> None:
    active = _active(session)
    _, _, block = vacant_block(session, active, "学院社区")
    build_estate(session, "学院社区", block, 600)
    plan = _draft(session)
    out = redraw_draft(session, plan, expected_version=1)
    touched = [g["id"] for g in out.grids] + [g["id"] for g in out.removed]
    differing = session.execute(text("""
        SELECT d.code, d.kind FROM grid d JOIN grid a ON a.plan_id = :a AND a.uid = d.uid
        WHERE d.plan_id = :p AND NOT (d.id = ANY(:t))
          AND (d.code <> a.code OR NOT ST_Equals(d.boundary, a.boundary))
    """), {"a": active, "p": plan, "t": touched}).all()
    assert differing == []
    business = session.execute(text("SELECT count(*) FROM grid WHERE plan_id = :p AND kind = 'business'"),
                               {"p": plan}).scalar_one()
    assert business == 1


def test_a_dry_run_answers_as_the_real_redraw_and_writes_nothing(session: Session) -> None:
    _, _, block = vacant_block(session, _active(session), "学院社区")
    build_estate(session, "学院社区", block, 600)
    plan = _draft(session)
    before = _state(session, plan)
    dry = redraw_draft(session, plan, expected_version=1, dry_run=True)
    assert _state(session, plan) == before
    assert not dry.written and dry.version == 1 and "dry run: nothing was written" in dry.notes
    real = redraw_draft(session, plan, expected_version=1)
    assert real.written and _state(session, plan)["version"] == 2
    shape = [(g["label"], g["blocks"], g["households"], g["geometry"]) for g in dry.grids]
    assert shape == [(g["label"], g["blocks"], g["households"], g["geometry"]) for g in real.grids]
    assert dry.moved == real.moved and dry.out_of_bounds == real.out_of_bounds


def test_with_every_grid_within_bounds_there_is_nothing_to_redraw_and_nothing_is_written(
        session: Session) -> None:
    plan = _draft(session)
    before = _state(session, plan)
    out = redraw_draft(session, plan, expected_version=1)
    assert (out.out_of_bounds, out.grids, out.removed, out.written) == ([], [], [], False)
    assert out.version == 1 and out.notes[0].startswith("nothing to redraw")
    assert _state(session, plan) == before


def test_grids_no_move_of_whole_blocks_can_fix_are_listed_and_nothing_is_written(session: Session) -> None:
    """Jinyang's grids are one block each: a maximum below a block's households cannot be met."""
    plan = _draft(session)
    _, jinyang = community(session, "金阳社区")
    before = _state(session, plan)
    out = redraw_draft(session, plan, expected_version=1, communities=[jinyang], max_households=450)
    assert out.out_of_bounds and all(g["bound"] == "max" for g in out.out_of_bounds)
    assert {v["grid"] for v in out.violations} == {g["code"] for g in out.out_of_bounds}
    assert all(v["kind"] == "over_max" and "split it" in v["suggestion"] for v in out.violations)
    assert not out.written and out.moved["households"] == 0
    assert _state(session, plan) == before


def test_a_grid_emptied_by_demolitions_is_merged_away_and_its_part_time_workers_follow(
        session: Session) -> None:
    plan = _draft(session)
    community_id, code = community(session, "学院社区")
    gone = session.execute(text("""
        SELECT g.id, g.code FROM grid g WHERE g.plan_id = :p AND g.community_id = :c
          AND g.kind = 'residential' ORDER BY g.code LIMIT 1
    """), {"p": plan, "c": community_id}).one()
    part_timers = {s for s, role in _staff(session, gone.id) if role == "part_time"}
    session.execute(text("""
        DELETE FROM household h USING grid g WHERE g.id = :g AND ST_Covers(g.boundary, h.location)
    """), {"g": gone.id})
    out = redraw_draft(session, plan, expected_version=1, communities=[code, code])
    assert [(g["code"], g["bound"], g["households"]) for g in out.out_of_bounds] == [(gone.code, "min", 0)]
    assert [r["code"] for r in out.removed] == [gone.code]
    taker = next(g for g in out.grids if g["label"] == out.removed[0]["to"])
    assert part_timers and part_timers <= {s for s, _ in _staff(session, taker["id"])}
    assert session.execute(text("SELECT count(*) FROM grid WHERE id = :g"), {"g": gone.id}).scalar_one() == 0
    assert out.moved["households"] == 0 == diff_plans(session, _active(session), plan)["households"]["moved"]
    assert plan_coverage(session, plan).ok


def test_refusals_change_nothing(session: Session) -> None:
    plan = _draft(session)
    _, xueyuan = community(session, "学院社区")
    before = _state(session, plan)
    for kwargs, error in [
        ({"expected_version": 2}, StaleVersionError),
        ({"expected_version": 2, "dry_run": True}, StaleVersionError),
        ({"expected_version": 1, "communities": ["610802009009"]}, NotFoundError),
        ({"expected_version": 1, "communities": ["610802001"]}, InvalidInputError),
        ({"expected_version": 1, "min_households": 700, "max_households": 600}, InvalidInputError),
        ({"expected_version": 1, "communities": [xueyuan], "max_households": 0}, InvalidInputError),
    ]:
        with pytest.raises(error):
            redraw_draft(session, plan, **kwargs)
    with pytest.raises(NotFoundError):
        redraw_draft(session, 987654, expected_version=1)
    assert _state(session, plan) == before
    one_grid = create_draft(session, scope="610802", name="one grid", source="upload", grids=[
        {"geometry": shapely.box(109.7, 38.29, 109.701, 38.291), "community": xueyuan}])
    _, wenhua = community(session, "文化社区")
    with pytest.raises(NotFoundError, match=f"no residential grid in community {wenhua}"):
        redraw_draft(session, one_grid, expected_version=1, communities=[xueyuan, wenhua])
    active = _active(session)
    with pytest.raises(PlanNotDraftError):
        redraw_draft(session, active, expected_version=session.execute(text(
            "SELECT version FROM plan WHERE id = :p"), {"p": active}).scalar_one(), dry_run=True)
