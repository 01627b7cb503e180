"""The demo's requests are cases over the last six months, in every stage, so the figures mean something."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.rules import OPEN_STAGES, OVERDUE_SQL, REQUEST_STAGES


def test_the_demo_requests_cover_six_months_and_most_stages(session: Session) -> None:
    stages = dict(session.execute(text("SELECT stage, count(*) FROM request GROUP BY stage")).all())
    assert sum(stages.values()) >= 190
    assert {"registered", "dispatched", "in_progress", "closed", "duplicate"} <= set(stages), stages
    assert set(stages) <= set(REQUEST_STAGES)
    first, last = session.execute(text("SELECT min(reported_at), max(reported_at) FROM request")).one()
    now = dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=150) < now - first <= dt.timedelta(days=183)
    assert now - last < dt.timedelta(days=10)
    assert stages["closed"] > sum(v for k, v in stages.items() if k in OPEN_STAGES) / 2


def test_some_demo_requests_are_overdue_escalated_merged_returned(session: Session) -> None:
    overdue = session.execute(text(f"SELECT count(*) FROM request t WHERE {OVERDUE_SQL}")).scalar_one()
    late = session.execute(text("SELECT count(*) FROM request WHERE closed_on_time = false")).scalar_one()
    escalated = session.execute(text("SELECT count(*) FROM request WHERE escalation > 0")).scalar_one()
    merged = session.execute(text("""SELECT count(*) FROM request d JOIN request m ON m.id = d.master_id
        WHERE d.stage = 'duplicate' AND d.category = m.category
          AND ST_DWithin(d.location::geography, m.location::geography, 50)""")).scalar_one()
    returned = session.execute(text("SELECT count(*) FROM request WHERE returned > 0")).scalar_one()
    assert overdue >= 6 and late >= 3 and escalated >= overdue and merged >= 4 and returned >= 3


def test_every_demo_request_is_routed_and_has_its_history(session: Session) -> None:
    unrouted = session.execute(text("SELECT count(*) FROM request WHERE grid_id IS NULL")).scalar_one()
    assert unrouted == 0
    no_history = session.execute(text("""SELECT count(*) FROM request t WHERE NOT EXISTS (
        SELECT 1 FROM request_event e WHERE e.request_id = t.id AND e.kind = 'intake')""")).scalar_one()
    assert no_history == 0
    # A closed case's events end with its closing, at its closed_at.
    bad = session.execute(text("""SELECT count(*) FROM request t
        WHERE t.stage = 'closed' AND t.closed_at <> (SELECT max(at) FROM request_event e
                                                     WHERE e.request_id = t.id AND e.kind = 'transition')
    """)).scalar_one()
    assert bad == 0


def test_migration_0010_downgrades_to_statuses_and_upgrades_to_stages_again(engine) -> None:
    """On the demo's cases, in one transaction rolled back (PostgreSQL DDL is transactional):
    closed and merged requests become resolved, the others open or in_progress; upgraded
    again, resolved requests are closed, open ones registered."""
    from alembic import command
    from alembic.config import Config

    from gisgrid.db.engine import MIGRATIONS

    with engine.connect() as conn:
        outer = conn.begin()
        try:
            stages = dict(conn.execute(text("SELECT id, stage FROM request")).all())
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
            statuses = dict(conn.execute(text("SELECT id, status FROM request")).all())
            assert statuses.keys() == stages.keys()
            for rid, stage in stages.items():
                expected = ("resolved" if stage in ("closed", "duplicate") else
                            "in_progress" if stage == "in_progress" else "open")
                assert statuses[rid] == expected
            command.upgrade(cfg, "head")
            again = dict(conn.execute(text("SELECT id, stage FROM request")).all())
            assert {again[r] for r, s in statuses.items() if s == "resolved"} == {"closed"}
            assert {again[r] for r, s in statuses.items() if s == "open"} == {"registered"}
        finally:
            outer.rollback()
