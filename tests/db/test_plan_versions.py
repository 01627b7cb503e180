"""Plan versions on the demo: drafts, edits with versions, regeneration, activation, diffs.

Each test runs in a transaction rolled back at its end, so activating a draft here
never disturbs the demo's active plan for other tests.
"""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db import plan_store
from gisgrid.errors import InvalidGeometryError, PlanNotDraftError, StaleVersionError
from gisgrid.plans.activation import activate_plan
from gisgrid.plans.versions import apply_edit, create_draft, diff_plans, generate_community


def _draft(session: Session) -> int:
    return create_draft(session, scope="610802", name="2021 draft", author="test")


def _version(session: Session, plan_id: int) -> int:
    return session.execute(text("SELECT version FROM plan WHERE id = :p"), {"p": plan_id}).scalar_one()


def _community(session: Session, name: str) -> str:
    return session.execute(text("SELECT code FROM admin_area WHERE name = :n"), {"n": name}).scalar_one()


def _two_neighbours(session: Session, plan_id: int) -> tuple[int, int]:
    """Two residential grids of one community sharing an edge of more than 50 m."""
    return tuple(session.execute(text("""
        SELECT a.id, b.id FROM grid a JOIN grid b ON a.plan_id = b.plan_id AND a.id < b.id
          AND a.community_id = b.community_id AND a.kind = 'residential' AND b.kind = 'residential'
        WHERE a.plan_id = :p
          AND ST_Length(ST_Intersection(a.boundary, b.boundary)::geography) > 50
        ORDER BY a.code, b.code LIMIT 1
    """), {"p": plan_id}).one())


def test_a_copied_draft_keeps_every_grid_its_uid_and_its_team(session: Session) -> None:
    plan = _draft(session)
    row = session.execute(text("""
        SELECT count(*) AS grids,
               count(*) FILTER (WHERE g.uid IN (SELECT uid FROM grid o JOIN plan p ON p.id = o.plan_id
                                                WHERE p.status = 'active')) AS same_uid,
               (SELECT count(*) FROM grid_staff s JOIN grid x ON x.id = s.grid_id WHERE x.plan_id = :p)
                   AS team_links
        FROM grid g WHERE g.plan_id = :p
    """), {"p": plan}).one()
    active = session.execute(text("""
        SELECT count(*) FROM grid g JOIN plan p ON p.id = g.plan_id WHERE p.status = 'active'
    """)).scalar_one()
    assert row.grids == active == row.same_uid
    assert row.team_links >= 3 * active
    assert diff_plans(session, session.execute(text(
        "SELECT parent_id FROM plan WHERE id = :p"), {"p": plan}).scalar_one(), plan
    )["households"]["moved"] == 0


def test_splitting_a_grid_along_a_drawn_line_keeps_its_households_and_bumps_the_version(
        session: Session) -> None:
    plan = _draft(session)
    gid = session.execute(text("""
        SELECT id FROM grid WHERE plan_id = :p AND kind = 'residential' ORDER BY code LIMIT 1
    """), {"p": plan}).scalar_one()
    before = plan_store.grid_counts(session, [gid])[0]["households"]
    shape = shapely.from_wkb(bytes(session.execute(text(
        "SELECT ST_AsBinary(boundary) FROM grid WHERE id = :g"), {"g": gid}).scalar_one()))
    x0, y0, x1, y1 = shape.bounds
    cut = shapely.LineString([((x0 + x1) / 2, y0 - 0.001), ((x0 + x1) / 2, y1 + 0.001)])
    result = apply_edit(session, plan, "split", expected_version=1, grid=gid, line=cut)
    assert result.version == 2 == _version(session, plan)
    assert len(result.grids) == 2
    assert sum(g["households"] for g in result.grids) == before
    assert {g["uid"] for g in result.grids} >= {
        str(session.execute(text("SELECT uid FROM grid WHERE id = :g"), {"g": gid}).scalar_one())}


def test_an_edit_sent_with_a_stale_version_changes_nothing(session: Session) -> None:
    plan = _draft(session)
    a, b = _two_neighbours(session, plan)
    apply_edit(session, plan, "merge", expected_version=1, grids=[a, b])
    grids_after_first = session.execute(text("SELECT count(*) FROM grid WHERE plan_id = :p"),
                                        {"p": plan}).scalar_one()
    with pytest.raises(StaleVersionError) as err:
        apply_edit(session, plan, "renumber", expected_version=1, community="610802001001")
    assert err.value.details == {"current_version": 2, "sent_version": 1}
    assert _version(session, plan) == 2
    assert session.execute(text("SELECT count(*) FROM grid WHERE plan_id = :p"),
                           {"p": plan}).scalar_one() == grids_after_first


def test_merging_neighbours_adds_their_households_and_refuses_grids_apart(session: Session) -> None:
    plan = _draft(session)
    a, b = _two_neighbours(session, plan)
    counts = {g["id"]: g["households"] for g in plan_store.grid_counts(session, [a, b])}
    result = apply_edit(session, plan, "merge", expected_version=1, grids=[a, b])
    assert result.removed == [b]
    assert result.grids[0]["households"] == counts[a] + counts[b]
    far = session.execute(text("""
        SELECT g.id FROM grid g, grid k WHERE k.id = :a AND g.plan_id = :p AND g.kind = 'residential'
          AND g.community_id = k.community_id AND NOT ST_Intersects(g.boundary, k.boundary)
        ORDER BY g.id LIMIT 1
    """), {"a": a, "p": plan}).scalar_one()
    with pytest.raises(InvalidGeometryError):
        apply_edit(session, plan, "merge", expected_version=2, grids=[a, far])


def test_moving_an_area_between_neighbours_moves_its_households(session: Session) -> None:
    plan = _draft(session)
    a, b = _two_neighbours(session, plan)
    counts = {g["id"]: g["households"] for g in plan_store.grid_counts(session, [a, b])}
    # The area: the half of grid a nearest to grid b.
    shape_a, shape_b = (shapely.from_wkb(bytes(session.execute(text(
        "SELECT ST_AsBinary(boundary) FROM grid WHERE id = :g"), {"g": g}).scalar_one())) for g in (a, b))
    area = shapely.intersection(shape_a, shapely.buffer(shape_b, shapely.hausdorff_distance(
        shape_a, shape_b) / 2))
    result = apply_edit(session, plan, "move", expected_version=1, from_grid=a, to_grid=b, area=area)
    after = {g["id"]: g["households"] for g in result.grids}
    assert after[a] + after[b] == counts[a] + counts[b]
    assert after[b] >= counts[b]


def test_regenerating_xueyuan_meets_the_bounds_covers_it_exactly_and_follows_streets(
        session: Session) -> None:
    plan = _draft(session)
    code = _community(session, "学院社区")
    out = generate_community(session, plan, community=code, expected_version=1)
    grids = out["grids"]
    assert grids and all(100 <= g["households"] <= 600 for g in grids) or out["violations"]
    row = session.execute(text("""
        SELECT ST_Area(ST_SymDifference(ST_Union(g.boundary), c.boundary)::geography) AS diff,
               sum(ST_Area(g.boundary::geography)) - ST_Area(c.boundary::geography) AS overlap,
               bool_and(g.code ~ ('^' || c.code || '[0-9]{3}$')) AS codes_ok
        FROM grid g JOIN admin_area c ON c.id = g.community_id
        WHERE g.plan_id = :p AND c.code = :c AND g.kind = 'residential' GROUP BY c.boundary
    """), {"p": plan, "c": code}).one()
    assert row.diff < 1.0 and abs(row.overlap) < 1.0 and row.codes_ok
    # Grid edges run along streets or the community boundary: every edge point lies on one.
    off_street = session.execute(text("""
        WITH edges AS (
            SELECT (ST_Dump(ST_Points(
                ST_Segmentize(ST_Boundary(g.boundary)::geography, 25)::geometry))).geom AS p
            FROM grid g JOIN admin_area c ON c.id = g.community_id
            WHERE g.plan_id = :p AND c.code = :c AND g.kind = 'residential')
        SELECT count(*) FROM edges e, admin_area c WHERE c.code = :c
          AND NOT ST_DWithin(e.p::geography, ST_Boundary(c.boundary)::geography, 0.05)
          AND NOT EXISTS (SELECT 1 FROM street s WHERE ST_DWithin(e.p::geography, s.geom::geography, 0.05))
    """), {"p": plan, "c": code}).scalar_one()
    assert off_street == 0
    moved = diff_plans(session, session.execute(text(
        "SELECT parent_id FROM plan WHERE id = :p"), {"p": plan}).scalar_one(), plan)
    assert moved["households"]["moved"] > 0 and moved["households"]["moves"][0]["n"] > 0


def test_activating_a_draft_retires_the_old_plan_and_edits_on_it_are_refused(session: Session) -> None:
    plan = _draft(session)
    activate_plan(session, plan, effective_from=dt.date(2021, 6, 1))
    status = session.execute(text("SELECT status FROM plan WHERE id = :p"), {"p": plan}).scalar_one()
    assert status == "active"
    with pytest.raises(PlanNotDraftError):
        apply_edit(session, plan, "renumber", expected_version=_version(session, plan),
                   community="610802001001")
