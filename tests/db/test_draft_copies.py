"""Every draft made from another plan is made one way, so diffs count only real moves.

A draft copied from the active plan, and a repaired draft written from a damaged one,
both go through :func:`gisgrid.plans.versions.copy_to_draft`: every grid keeps its
``uid`` (a diff follows grids by uid), its team and the plan's household bounds. A
repair that only fills a gap where nobody lives moves nobody::

    +-------------+      the source: a copy of the active plan with a 3 m disc cut out
    |  g   ( )    |      of grid g where no household or shop stands; its repair
    +-------------+      fills the disc back into g (a new draft): 0 households moved
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.coverage.plan import plan_coverage, repair_plan
from gisgrid.db import queries
from gisgrid.plans.repaired import save_repair_as_draft
from gisgrid.plans.versions import create_draft, diff_plans


def _active(session: Session) -> int:
    return session.execute(text("SELECT id FROM plan WHERE status = 'active' AND district_code = '610802'")
                           ).scalar_one()


def _uids(session: Session, plan_id: int) -> dict[str, str]:
    return dict(session.execute(text("SELECT code, uid::text FROM grid WHERE plan_id = :p"),
                                {"p": plan_id}).all())


def _moved(session: Session, before: int, after: int) -> tuple[int, int]:
    diff = diff_plans(session, before, after)
    return diff["households"]["moved"], diff["shops"]["moved"]


def punch_empty_hole(session: Session, plan_id: int) -> str:
    """Cut a 3 m disc out of a residential grid where no household or shop is within 10 m,
    away from every other grid; return the grid's code."""
    code, disc = session.execute(text("""
        WITH c AS (SELECT g.id, g.code, ST_PointOnSurface(g.boundary) AS p FROM grid g
                   WHERE g.plan_id = :p AND g.kind = 'residential')
        SELECT c.code, ST_AsEWKB(ST_Buffer(c.p::geography, 3)::geometry) FROM c
        WHERE NOT EXISTS (SELECT 1 FROM household h WHERE h.location && ST_Expand(c.p, 0.001)
                            AND ST_DWithin(h.location::geography, c.p::geography, 10))
          AND NOT EXISTS (SELECT 1 FROM shop s WHERE s.location && ST_Expand(c.p, 0.001)
                            AND ST_DWithin(s.location::geography, c.p::geography, 10))
          AND NOT EXISTS (SELECT 1 FROM grid o WHERE o.plan_id = :p AND o.id <> c.id
                            AND ST_DWithin(o.boundary::geography, c.p::geography, 10))
        ORDER BY c.code LIMIT 1
    """), {"p": plan_id}).one()
    session.execute(text("""
        UPDATE grid SET boundary = ST_Multi(ST_Difference(boundary, ST_GeomFromEWKB(:disc)))
        WHERE plan_id = :p AND code = :code
    """), {"p": plan_id, "code": code, "disc": disc})
    return code


def test_a_copy_of_the_active_plan_keeps_every_uid_and_moves_nobody(session: Session) -> None:
    active = _active(session)
    draft = create_draft(session, scope="610802", name="copy", household_bounds=(120, 580))
    assert _uids(session, draft) == _uids(session, active)
    assert _moved(session, active, draft) == (0, 0)


def test_a_repaired_draft_diffs_against_its_source_as_no_household_moved(session: Session) -> None:
    active = _active(session)
    source = create_draft(session, scope="610802", name="damaged", household_bounds=(120, 580))
    code = punch_empty_hole(session, source)
    assert [d.kind for d in plan_coverage(session, source).report.defects] == ["gap"]
    result = repair_plan(session, source)
    assert [s.action for s in result.steps] == ["fill_gap"] and result.changed == [code]
    repaired = save_repair_as_draft(session, source, result, author="test")
    plan = queries.get_plan(session, repaired)
    assert plan["parent_id"] == source and plan["household_bounds"] == {"min": 120, "max": 580}
    assert _uids(session, repaired) == _uids(session, source) == _uids(session, active)
    assert _moved(session, source, repaired) == (0, 0)
    assert _moved(session, active, repaired) == (0, 0)
    assert plan_coverage(session, repaired).ok
