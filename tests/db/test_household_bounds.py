"""Household bounds are a stored property of each plan (issue #10, migration 0008).

They were a constant written in several places (100..600 households per grid); now a
plan stores its own (``plan.household_min``/``household_max``, default
:data:`gisgrid.rules.DEFAULT_HOUSEHOLD_BOUNDS`), a draft takes them from the plan it is
made from unless given others, and the coverage size check and generation use them.
The planner's map and the API/CLI entry points are checked in ``tests/api``.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gisgrid.coverage.plan import plan_coverage
from gisgrid.db import coverage_store, plan_store, queries
from gisgrid.db.engine import MIGRATIONS
from gisgrid.errors import InvalidInputError
from gisgrid.plans.versions import copy_to_draft, create_draft, generate_community
from gisgrid.rules import DEFAULT_HOUSEHOLD_BOUNDS, check_household_bounds, fill_household_bounds


def _bounds(session: Session, plan_id: int) -> tuple[int, int]:
    b = queries.get_plan(session, plan_id)["household_bounds"]
    return b["min"], b["max"]


def _plans(session: Session) -> int:
    return session.execute(text("SELECT count(*) FROM plan")).scalar_one()


def test_the_bounds_are_checked_in_one_place() -> None:
    assert check_household_bounds((0, 1)) == (0, 1) and check_household_bounds([250.0, 250]) == (250, 250)
    for bad in ((500, 100), (-1, 10), (0, 0), (1.5, 10), ("a", 10), (1, 2, 3)):
        with pytest.raises(InvalidInputError, match="household bounds"):
            check_household_bounds(bad)
    assert fill_household_bounds((None, 400), (100, 600)) == (100, 400)
    assert fill_household_bounds(None, (150, 450)) == (150, 450)


def test_the_demo_plan_has_the_default_bounds(session: Session) -> None:
    active = session.execute(text("SELECT id FROM plan WHERE status = 'active'")).scalar_one()
    assert _bounds(session, active) == DEFAULT_HOUSEHOLD_BOUNDS == plan_store.plan_bounds(session, active)


def test_a_draft_takes_the_bounds_of_the_plan_it_is_made_from_unless_given_others(session: Session) -> None:
    draft = create_draft(session, scope="610802", name="tight", household_bounds=(150, 450))
    assert _bounds(session, draft) == (150, 450)
    assert _bounds(session, copy_to_draft(session, draft, name="copy")) == (150, 450)
    wider = copy_to_draft(session, draft, name="wider", household_bounds=(None, 500))
    assert _bounds(session, wider) == (150, 500)
    assert _bounds(session, create_draft(session, scope="610802", name="default")) == DEFAULT_HOUSEHOLD_BOUNDS


def test_bounds_out_of_order_are_refused_and_nothing_is_written(session: Session) -> None:
    before = _plans(session)
    for bad in ((500, 100), (-5, 100), (None, 50)):        # (None, 50): min 100 from the source
        with pytest.raises(InvalidInputError):
            create_draft(session, scope="610802", name="bad", household_bounds=bad)
    assert _plans(session) == before
    draft = create_draft(session, scope="610802", name="ok")
    with pytest.raises(IntegrityError), session.begin_nested():     # the table refuses them too
        session.execute(text("UPDATE plan SET household_min = 700 WHERE id = :p"), {"p": draft})


def test_the_coverage_size_check_uses_the_plans_own_bounds(session: Session) -> None:
    draft = create_draft(session, scope="610802", name="300-310", household_bounds=(300, 310))
    coverage = plan_coverage(session, draft)
    assert coverage.household_bounds == (300, 310)
    assert coverage.size_breaches == coverage_store.size_breaches(session, draft, (300, 310))
    assert coverage.size_breaches and all(not 300 <= b["households"] <= 310 for b in coverage.size_breaches)
    assert coverage.to_dict()["household_bounds"]["min"] == 300
    wider = plan_coverage(session, draft, household_bounds=(None, 10_000))      # an override, min kept
    assert wider.household_bounds == (300, 10_000)
    assert all(b["bound"] == "min" for b in wider.size_breaches)


def test_generation_uses_the_plans_own_bounds(session: Session) -> None:
    draft = create_draft(session, scope="610802", name="gen", household_bounds=(150, 300))
    code = session.execute(text("SELECT code FROM admin_area WHERE name = '学院社区'")).scalar_one()
    out = generate_community(session, draft, community=code, expected_version=1)
    assert out["bounds"] == {"min": 150, "max": 300}
    assert all(150 <= g["households"] <= 300 for g in out["grids"]) or out["violations"]
    again = generate_community(session, draft, community=code, expected_version=2, bounds=(200, None))
    assert again["bounds"] == {"min": 200, "max": 300}


def test_migration_0007_downgrades_and_upgrades_again(engine: Engine) -> None:
    """Run in one transaction that is rolled back (PostgreSQL DDL is transactional)."""
    def columns() -> set[str]:
        return set(conn.execute(text("SELECT column_name FROM information_schema.columns "
                                     "WHERE table_name = 'plan'")).scalars())

    with engine.connect() as conn:
        outer = conn.begin()
        try:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            assert {"household_min", "household_max"} <= columns()
            command.downgrade(cfg, "0007")
            assert not {"household_min", "household_max"} & columns()
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0007"
            command.upgrade(cfg, "0008")
            assert set(conn.execute(text("SELECT DISTINCT (household_min, household_max)::text FROM plan")
                                    ).scalars()) == {"(100,600)"}
            with pytest.raises(IntegrityError), conn.begin_nested():
                conn.execute(text("UPDATE plan SET household_min = 700"))
        finally:
            outer.rollback()
