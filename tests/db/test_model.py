"""Model constraints, enforced by PostGIS itself (each test rolled back)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gisgrid.db.models import AdminArea, Grid, GridStaff, Plan, Staff
from gisgrid.errors import ConflictError
from gisgrid.plans.activation import activate_plan
from gisgrid.plans.versions import create_draft

SQUARE = "SRID=4326;MULTIPOLYGON(((109.70 38.20, 109.71 38.20, 109.71 38.21, 109.70 38.21, 109.70 38.20)))"
# A bow-tie: the ring crosses itself between (109.70 38.20)-(109.71 38.21) and back.
BOWTIE = "SRID=4326;MULTIPOLYGON(((109.70 38.20, 109.71 38.21, 109.71 38.20, 109.70 38.21, 109.70 38.20)))"


def _district(session: Session) -> AdminArea:
    return session.scalars(select(AdminArea).where(AdminArea.level == "district")).one()


def _draft(session: Session, scope: AdminArea, name: str = "draft") -> Plan:
    plan = Plan(scope_id=scope.id, district_code=scope.district_code, name=name, status="draft")
    session.add(plan)
    session.flush()
    return plan


def test_database_refuses_a_second_active_plan_for_one_scope(session: Session) -> None:
    scope = _district(session)
    plan = _draft(session, scope)
    plan.status = "active"
    with pytest.raises(IntegrityError, match="plan_one_active_per_scope"):
        session.flush()


def test_activating_a_draft_retires_the_previous_plan_and_closes_its_dates(session: Session) -> None:
    scope = _district(session)
    old = session.scalars(select(Plan).where(Plan.scope_id == scope.id, Plan.status == "active")).one()
    # A copy of the active plan: it passes the coverage check that activation requires.
    new = session.get(Plan, create_draft(session, scope=scope.code, name="2021 version"))
    activate_plan(session, new.id, effective_from=dt.date(2021, 3, 1))
    session.expire_all()
    assert session.get(Plan, new.id).status == "active"
    retired = session.get(Plan, old.id)
    assert retired.status == "retired"
    assert retired.effective_to == dt.date(2021, 3, 1)
    events = session.execute(text(
        "SELECT action, entity_id FROM audit_event WHERE entity = 'plan' AND details->>'by_plan' = :b"
        " UNION ALL SELECT action, entity_id FROM audit_event WHERE entity = 'plan' AND entity_id = :n"
        " AND action <> 'create_draft'"
    ), {"b": str(new.id), "n": new.id}).all()
    assert sorted(events) == [("activate", new.id), ("retire", old.id)]
    stored = session.execute(text("SELECT count(*) FROM household_assignment WHERE plan_id = :p"),
                             {"p": new.id}).scalar_one()
    assert stored == session.execute(text("SELECT count(*) FROM household")).scalar_one()


def test_an_active_plan_cannot_be_activated_again(session: Session) -> None:
    active = session.scalars(select(Plan).where(Plan.status == "active")).first()
    with pytest.raises(ConflictError):
        activate_plan(session, active.id)


def test_database_refuses_a_self_intersecting_grid_boundary(session: Session) -> None:
    scope = _district(session)
    plan = _draft(session, scope)
    community = session.scalars(select(AdminArea).where(AdminArea.level == "community")).first()
    session.add(Grid(plan_id=plan.id, community_id=community.id, district_code="610802",
                     code="610802001001999", seq=999, name="bow-tie", boundary=BOWTIE))
    with pytest.raises(IntegrityError, match="grid_valid_boundary"):
        session.flush()


def test_a_valid_grid_boundary_is_accepted_and_a_malformed_code_is_not(session: Session) -> None:
    scope = _district(session)
    plan = _draft(session, scope)
    community = session.scalars(select(AdminArea).where(AdminArea.level == "community")).first()
    session.add(Grid(plan_id=plan.id, community_id=community.id, district_code="610802",
                     code="610802001001999", seq=999, name="square", boundary=SQUARE))
    session.flush()
    with session.begin_nested():
        session.add(Grid(plan_id=plan.id, community_id=community.id, district_code="610802",
                         code="61080-1", seq=1000, name="bad code", boundary=SQUARE))
        with pytest.raises(IntegrityError, match="grid_code_format"):
            session.flush()


def test_a_grid_has_at_most_one_leader(session: Session) -> None:
    grid_id = session.execute(text(
        "SELECT grid_id FROM grid_staff WHERE role = 'leader' LIMIT 1")).scalar_one()
    person = Staff(district_code="610802", name="测试")
    session.add(person)
    session.flush()
    session.add(GridStaff(grid_id=grid_id, staff_id=person.id, role="leader"))
    with pytest.raises(IntegrityError, match="grid_staff_one_leader_one_full_time"):
        session.flush()


def test_every_geometry_column_has_a_gist_index(session: Session) -> None:
    rows = session.execute(text("""
        SELECT f_table_name, f_geometry_column,
               EXISTS (SELECT 1 FROM pg_indexes i
                       WHERE i.tablename = f_table_name AND i.indexdef ILIKE '%USING gist%'
                         AND i.indexdef LIKE '%' || f_geometry_column || '%') AS indexed
        FROM geometry_columns WHERE f_table_schema = 'public'
    """)).all()
    assert len(rows) >= 9
    assert [r for r in rows if not r.indexed] == []
