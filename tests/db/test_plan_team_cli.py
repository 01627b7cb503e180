"""``gisgrid plan edit PLAN team`` names a grid's 1+1+X team on a committed draft (deleted afterwards)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid.cli import app
from gisgrid.plans.versions import create_draft


@pytest.fixture
def committed_draft(engine: Engine) -> Iterator[int]:
    with Session(engine) as s:
        plan = create_draft(s, scope="610802", name="CLI team draft", author="test")
        s.commit()
    yield plan
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE entity = 'plan' AND entity_id = :p"), {"p": plan})
        conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": plan})


def test_a_team_named_on_the_command_line_replaces_the_grid_s_team(
    db_url: str, engine: Engine, committed_draft: int
) -> None:
    with engine.connect() as conn:
        grid = conn.execute(
            text("SELECT id FROM grid WHERE plan_id = :p ORDER BY code LIMIT 1"), {"p": committed_draft}
        ).scalar_one()
        staff = conn.execute(text("SELECT id FROM staff ORDER BY id DESC LIMIT 4")).scalars().all()
    args = [
        "plan",
        "edit",
        str(committed_draft),
        "team",
        "--version",
        "1",
        "--grid",
        str(grid),
        "--leader",
        str(staff[0]),
        "--full-time",
        str(staff[1]),
        "--part-time",
        f"{staff[2]},{staff[3]}",
    ]
    env = {"GISGRID_DATABASE_URL": db_url}
    dry = CliRunner().invoke(app, [*args, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    out = CliRunner().invoke(app, args, env=env)
    assert out.exit_code == 0, out.output
    with engine.connect() as conn:
        team = conn.execute(
            text("SELECT role, staff_id FROM grid_staff WHERE grid_id = :g ORDER BY role, staff_id"),
            {"g": grid},
        ).all()
        version = conn.execute(
            text("SELECT version FROM plan WHERE id = :p"), {"p": committed_draft}
        ).scalar_one()
    assert [tuple(r) for r in team] == [
        ("full_time", staff[1]),
        ("leader", staff[0]),
        ("part_time", min(staff[2:])),
        ("part_time", max(staff[2:])),
    ]
    assert version == 2  # the dry run wrote nothing
    refused = CliRunner().invoke(app, [*args[:5], "2", *args[6:8], "--leader", "99999999"], env=env)
    assert refused.exit_code != 0 and "no staff" in refused.output
