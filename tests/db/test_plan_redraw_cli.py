"""``gisgrid plan redraw`` as a planner runs it, on a committed draft of the demo (deleted afterwards).

The CLI opens its own connection and commits, so the draft is committed first and
removed with its audit events at the end; the demo's households are not touched (the
bounds are tightened instead: a minimum of 250 breaks several Xueyuan grids).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid.cli import app
from gisgrid.plans.versions import create_draft

XUEYUAN = "610802001001"


@pytest.fixture
def committed_draft(engine: Engine) -> Iterator[int]:
    with Session(engine) as s:
        plan = create_draft(s, scope="610802", name="CLI redraw draft", author="test")
        s.commit()
    yield plan
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE entity = 'plan' AND entity_id = :p"), {"p": plan})
        conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": plan})


def _state(engine: Engine, plan: int) -> tuple:
    with engine.connect() as conn:
        return conn.execute(text("""
            SELECT (SELECT version FROM plan WHERE id = :p),
                   (SELECT count(*) FROM audit_event WHERE entity_id = :p AND action = 'redraw'),
                   (SELECT md5(string_agg(code || ST_AsEWKB(boundary)::text, ',' ORDER BY id))
                      FROM grid WHERE plan_id = :p)
        """), {"p": plan}).one()


def _run(db_url: str, *args: str) -> object:
    return CliRunner().invoke(app, ["plan", "redraw", *args], env={"GISGRID_DATABASE_URL": db_url})


def test_a_dry_run_prints_the_grids_out_of_bounds_and_what_would_move_and_writes_nothing(
        db_url: str, engine: Engine, committed_draft: int) -> None:
    before = _state(engine, committed_draft)
    r = _run(db_url, str(committed_draft), "--version", "1", "--community", XUEYUAN, "--min", "250",
             "--dry-run")
    assert r.exit_code == 0, r.output
    assert f"plan {committed_draft}: nothing written, still version 1" in r.output
    assert "bounds: 250-600 households per grid; communities: 610802001001" in r.output
    listed = [line for line in r.output.splitlines() if "below the minimum 250" in line]
    assert listed and all(line.strip().startswith(XUEYUAN) for line in listed)
    moved = next(line for line in r.output.splitlines() if line.startswith("moved: "))
    assert int(moved.split()[1]) > 0
    assert "(dry run: nothing was written)" in r.output
    assert _state(engine, committed_draft) == before


def test_without_dry_run_the_redraw_is_written_as_the_next_version(
        db_url: str, engine: Engine, committed_draft: int) -> None:
    before = _state(engine, committed_draft)
    r = _run(db_url, str(committed_draft), "--version", "1", "--min", "250", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["written"] and out["version"] == 2 and out["out_of_bounds"]
    after = _state(engine, committed_draft)
    assert after[:2] == (2, 1) and after[2] != before[2]
    r = _run(db_url, str(committed_draft), "--version", "1", "--min", "250")
    assert r.exit_code == 2 and "stale_version" in r.output
    r = _run(db_url, str(committed_draft), "--version", "2", "--min", "700", "--max", "600")
    assert r.exit_code == 2 and "invalid_input" in r.output
    assert _state(engine, committed_draft) == after
