"""Coverage of stored plans on the real PostGIS with the Yuyang demo (rolled back per test).

Expected figures come from PostGIS itself (``ST_Area(geography)``, ``ST_Covers``), not
from gisgrid's shapely code. Drafts are made by copying the active plan in SQL and then
damaging one grid:

    +-----------+        a disc cut out of the middle of one residential grid g:
    |  g  ( )   |        one gap (a hole) touching only g; the households standing
    +-----------+        in the disc are unassigned
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gisgrid.coverage.check import CoverageFailedError
from gisgrid.coverage.plan import plan_coverage, repair_plan, require_coverage
from gisgrid.db import queries
from gisgrid.db.models import Plan
from gisgrid.errors import NotFoundError
from gisgrid.plans.activation import activate_plan
from gisgrid.plans.repaired import save_repair_as_draft


def active_plan(session: Session) -> Plan:
    return session.scalars(select(Plan).where(Plan.status == "active")).one()


def copy_plan(session: Session, plan_id: int) -> int:
    """A draft with the same grids and teams (plain SQL, not the code under test)."""
    new = session.execute(text("""
        INSERT INTO plan (scope_id, district_code, name, status, parent_id)
        SELECT scope_id, district_code, name || ' (copy)', 'draft', id FROM plan WHERE id = :p
        RETURNING id
    """), {"p": plan_id}).scalar_one()
    session.execute(text("""
        INSERT INTO grid (plan_id, community_id, district_code, code, seq, name, kind, boundary)
        SELECT :new, community_id, district_code, code, seq, name, kind, boundary
        FROM grid WHERE plan_id = :p
    """), {"p": plan_id, "new": new})
    session.execute(text("""
        INSERT INTO grid_staff (grid_id, staff_id, role)
        SELECT ng.id, gs.staff_id, gs.role FROM grid_staff gs
        JOIN grid og ON og.id = gs.grid_id JOIN grid ng ON ng.plan_id = :new AND ng.code = og.code
        WHERE og.plan_id = :p
    """), {"p": plan_id, "new": new})
    return new


def punch_hole(session: Session, plan_id: int) -> tuple[str, float, int]:
    """Cut a disc 30 m across out of a residential grid, around one of its households.

    Returns the grid's code, the disc's geodesic area and the households inside it.
    """
    code, disc = session.execute(text("""
        WITH g AS (SELECT code, boundary FROM grid WHERE plan_id = :p AND kind = 'residential'
                   ORDER BY code LIMIT 1)
        SELECT g.code, ST_AsEWKB(ST_Buffer(h.location::geography, 15)::geometry)
        FROM g JOIN household h ON ST_Covers(g.boundary, h.location)
        WHERE ST_Covers(g.boundary, ST_Buffer(h.location::geography, 20)::geometry)
        ORDER BY h.id LIMIT 1
    """), {"p": plan_id}).one()
    area, homes = session.execute(text("""
        SELECT ST_Area(ST_GeomFromEWKB(:disc)::geography),
               (SELECT count(*) FROM household h WHERE ST_Covers(ST_GeomFromEWKB(:disc), h.location)
                  AND NOT ST_Covers(ST_Boundary(ST_GeomFromEWKB(:disc)), h.location))
    """), {"disc": disc}).one()
    session.execute(text("""
        UPDATE grid SET boundary = ST_Multi(ST_Difference(boundary, ST_GeomFromEWKB(:disc)))
        WHERE plan_id = :p AND code = :code
    """), {"p": plan_id, "code": code, "disc": disc})
    return code, area, homes


def test_the_demo_plan_tiles_its_communities_and_every_household_has_a_grid(session: Session) -> None:
    plan = active_plan(session)
    coverage = plan_coverage(session, plan.id)
    assert coverage.ok, coverage.report.counts()
    communities_m2 = session.execute(text("""
        SELECT sum(ST_Area(boundary::geography)) FROM admin_area
        WHERE id IN (SELECT community_id FROM grid WHERE plan_id = :p)
    """), {"p": plan.id}).scalar_one()
    summary = coverage.report.summary
    assert summary.parent_area_m2 == pytest.approx(communities_m2, rel=1e-3)
    assert summary.covered_area_m2 == pytest.approx(summary.parent_area_m2, rel=1e-6)
    assert coverage.size_breaches == []
    body = coverage.to_dict()
    assert body["unassigned"] == {"households": 0, "shops": 0}
    assert body["household_bounds"] == {"min": 100, "max": 600, "breaches": []}


def test_tight_household_bounds_list_the_grids_breaking_them_without_failing_the_check(
    session: Session,
) -> None:
    plan = active_plan(session)
    coverage = plan_coverage(session, plan.id, household_bounds=(250, 350))
    counts = {f["properties"]["code"]: f["properties"]["households"]
              for f in queries.grid_features(session, plan.id, kind="residential")["features"]}
    expected = sorted(code for code, n in counts.items() if not 250 <= n <= 350)
    assert expected and [b["grid"] for b in coverage.size_breaches] == expected
    assert all(b["households"] == counts[b["grid"]] for b in coverage.size_breaches)
    assert all((b["bound"] == "min") == (b["households"] < 250) for b in coverage.size_breaches)
    assert coverage.ok


def test_a_hole_in_a_draft_grid_is_one_gap_with_its_code_area_and_unassigned_households(
    session: Session,
) -> None:
    draft = copy_plan(session, active_plan(session).id)
    code, area, homes = punch_hole(session, draft)
    assert homes >= 1
    coverage = plan_coverage(session, draft)
    (gap,) = [d for d in coverage.report.defects if d.kind == "gap"]
    assert gap.grids == [code]
    assert gap.area_m2 == pytest.approx(area, rel=0.01)
    assert coverage.to_dict()["unassigned"]["households"] == homes
    assert set(coverage.report.counts()) == {"gap", "unassigned_point"}


def test_activation_refuses_a_plan_that_fails_its_check_and_leaves_it_a_draft(session: Session) -> None:
    active = active_plan(session)
    draft = copy_plan(session, active.id)
    code, _, homes = punch_hole(session, draft)
    with pytest.raises(CoverageFailedError) as caught:
        activate_plan(session, draft)
    err = caught.value
    assert err.code == "coverage_failed" and "gap" in err.message
    assert err.details["counts"] == {"gap": 1, "unassigned_point": homes}
    assert err.details["defects"][0]["grids"] == [code]
    session.expire_all()
    assert session.get(Plan, draft).status == "draft"
    assert session.get(Plan, active.id).status == "active"


def test_an_empty_plan_cannot_be_activated(session: Session) -> None:
    active = active_plan(session)
    empty = Plan(scope_id=active.scope_id, district_code=active.district_code, name="empty",
                 status="draft")
    session.add(empty)
    session.flush()
    with pytest.raises(CoverageFailedError):
        require_coverage(session, empty.id)


def test_a_repair_becomes_a_new_draft_that_passes_and_can_be_activated(session: Session) -> None:
    active = active_plan(session)
    damaged = copy_plan(session, active.id)
    code, area, _ = punch_hole(session, damaged)
    result = repair_plan(session, damaged)
    assert result.ok and result.changed == [code]
    (step,) = result.steps
    assert step.action == "fill_gap" and step.to_grid == code
    assert step.area_m2 == pytest.approx(area, rel=0.01)
    repaired = save_repair_as_draft(session, damaged, result, author="test")
    plan = session.get(Plan, repaired)
    assert (plan.status, plan.parent_id, plan.author) == ("draft", damaged, "test")
    assert plan_coverage(session, repaired).ok
    teams = session.execute(text("""
        SELECT p.plan_id, count(*) FROM grid_staff gs JOIN grid p ON p.id = gs.grid_id
        WHERE p.plan_id IN (:a, :b) GROUP BY p.plan_id
    """), {"a": active.id, "b": repaired}).all()
    assert len({n for _, n in teams}) == 1 and len(teams) == 2  # teams copied grid by grid
    assert not plan_coverage(session, damaged).ok  # the damaged draft is left as it was
    activate_plan(session, repaired)
    session.expire_all()
    assert session.get(Plan, repaired).status == "active"
    assert session.get(Plan, active.id).status == "retired"


def test_an_overlay_reaching_outside_the_gridded_area_is_reported(session: Session) -> None:
    draft = copy_plan(session, active_plan(session).id)
    code = session.execute(text("""
        UPDATE grid SET boundary = ST_Multi(ST_Union(boundary,
            ST_Translate(boundary, ST_XMax(boundary) - ST_XMin(boundary) + 0.05, 0)))
        WHERE plan_id = :p AND kind = 'business' RETURNING code
    """), {"p": draft}).scalar_one()
    coverage = plan_coverage(session, draft)
    kinds = {(d.kind, tuple(d.grids)) for d in coverage.report.defects}
    assert ("outside_parent", (code,)) in kinds and ("multipart", (code,)) in kinds
    assert all("business overlay" in d.message for d in coverage.report.defects)


def test_an_unknown_plan_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        plan_coverage(session, 987654)


def test_the_cli_checks_a_stored_plan_and_exits_zero_when_it_passes(db_url: str, session: Session) -> None:
    from typer.testing import CliRunner

    from gisgrid.cli import app

    plan_id = active_plan(session).id
    env = {"GISGRID_DATABASE_URL": db_url}
    r = CliRunner().invoke(app, ["coverage", "plan", str(plan_id), "--json"], env=env)
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["ok"] is True and body["plan_id"] == plan_id
    r = CliRunner().invoke(app, ["coverage", "repair-plan", str(plan_id)], env=env)
    assert r.exit_code == 0 and "nothing to repair" in r.output
    r = CliRunner().invoke(app, ["coverage", "plan", "987654"], env=env)
    assert r.exit_code == 2 and "not_found" in r.output
