"""The lookup and assign verbs of the CLI, on the demo database, as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid.cli import app
from gisgrid.crs import from_wgs84
from gisgrid.lookup.point import lookup_point


@pytest.fixture
def run(db_url: str):
    def _run(*args: str) -> object:
        return CliRunner().invoke(app, list(args), env={"GISGRID_DATABASE_URL": db_url})
    return _run


def test_lookup_lon_lat_in_gcj02_prints_the_answer_of_the_api(run, session: Session) -> None:
    lon, lat = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 1")).one()
    glon, glat = from_wgs84(lon, lat, "gcj02")
    r = run("lookup", str(glon), str(glat), "--coordsys", "gcj02")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == lookup_point(session, lon, lat)


def test_lookup_of_an_address_prints_its_grid(run, session: Session) -> None:
    address, hid = session.execute(text(
        "SELECT address, id FROM household ORDER BY id DESC LIMIT 1")).one()
    r = run("lookup", address)
    assert r.exit_code == 0, r.output
    lon, lat = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM household WHERE id = :h"), {"h": hid}).one()
    assert json.loads(r.output)["grid"]["code"] == lookup_point(session, lon, lat)["grid"]["code"]


def test_outside_coverage_is_an_error_with_its_code_and_exit_2(run) -> None:
    r = run("lookup", "100.0", "30.0")
    assert r.exit_code == 2 and "outside_coverage" in r.output


def test_a_csv_file_of_points_gets_one_row_each_with_grid_and_no_names(
        run, session: Session, tmp_path: Path) -> None:
    homes = session.execute(text(
        "SELECT id, ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 300")).all()
    src, out = tmp_path / "points.csv", tmp_path / "out.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "lon", "lat"])
        w.writerows([*homes, (0, 100.0, 30.0)])
    r = run("lookup", "--file", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(homes) + 1 and rows[-1]["grid_code"] == ""
    for row, (_, lon, lat) in zip(rows, homes, strict=False):
        expected = lookup_point(session, lon, lat)
        assert row["grid_code"] == expected["grid"]["code"]
        assert row["near_boundary"] == str(expected["near_boundary"]).lower()
        assert row["alternatives"] == ";".join(a["code"] for a in expected["alternatives"])
    names = set(session.execute(text("SELECT name FROM staff")).scalars())
    assert not any(n in out.read_text(encoding="utf-8") for n in names)


def test_assign_dry_run_prints_totals_and_stores_nothing(run, engine: Engine) -> None:
    # Short transactions only: the verb swaps a partition, which waits for every reader.
    count = "SELECT count(*), sum(grid_id) FROM household_assignment WHERE plan_id = :p"
    with engine.connect() as conn:
        plan = conn.execute(text("SELECT id FROM plan WHERE status = 'active' ORDER BY id LIMIT 1")).scalar()
        before = conn.execute(text(count), {"p": plan}).one()
    r = run("assign", "--plan", str(plan), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "would store: 59,206 households" in r.output
    with engine.connect() as conn:
        assert conn.execute(text(count), {"p": plan}).one() == before
    assert run("assign", "--plan", "987654").exit_code == 2


def test_a_stored_assignment_is_an_audit_event_of_the_cli(run, engine: Engine) -> None:
    events = "SELECT count(*) FROM audit_event WHERE action = 'assign' AND entity_id = :p AND actor = 'cli'"
    with engine.connect() as conn:
        plan = conn.execute(text("SELECT id FROM plan WHERE status = 'active' ORDER BY id LIMIT 1")).scalar()
        before = conn.execute(text(events), {"p": plan}).scalar()
    assert run("assign", "--plan", str(plan), "--dry-run").exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(text(events), {"p": plan}).scalar() == before
    r = run("assign", "--plan", str(plan))
    assert r.exit_code == 0 and "stored: 59,206 households" in r.output, r.output
    with engine.connect() as conn:
        assert conn.execute(text(events), {"p": plan}).scalar() == before + 1


def test_a_csv_row_that_is_not_numbers_is_a_clear_error_naming_its_line(run, tmp_path: Path) -> None:
    src = tmp_path / "points.csv"
    src.write_text("lon,lat\n109.735,38.285\nx,38.2\n", encoding="utf-8")
    r = run("lookup", "--file", str(src))
    assert r.exit_code == 2 and "line 3" in r.output and "Traceback" not in r.output
