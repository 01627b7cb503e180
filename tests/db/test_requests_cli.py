"""``gisgrid requests`` on the test database: import a file (all or nothing), move, configure, stats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gisgrid.cli import app


@pytest.fixture
def run(db_url: str):
    def _run(*args: str) -> object:
        return CliRunner().invoke(app, list(args), env={"GISGRID_DATABASE_URL": db_url})
    return _run


@pytest.fixture
def jinyang(engine: Engine) -> Iterator[tuple[float, float]]:
    with engine.connect() as conn:
        before = conn.execute(text("SELECT max(id) FROM request")).scalar_one()
        lon, lat = conn.execute(text("""SELECT ST_X(h.location), ST_Y(h.location) FROM household h
            JOIN admin_area c ON c.name = '金阳社区' AND ST_Covers(c.boundary, h.location)
            ORDER BY h.id LIMIT 1""")).one()
    yield lon, lat
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM request WHERE id > :b"), {"b": before})
        conn.execute(text("DELETE FROM request_category WHERE code = 'snow'"))
        conn.execute(text("DELETE FROM request_holiday WHERE day = '2031-01-02'"))


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM request")).scalar_one()


def test_import_routes_every_line_of_a_csv_and_a_jsonl_file(run, engine, jinyang, tmp_path: Path) -> None:
    lon, lat = jinyang
    csv_file = tmp_path / "hotline.csv"
    csv_file.write_text("lon,lat,coordsys,address,category,description,source,reporter_name,reporter_phone,"
                        "reported_at,photos\n"
                        f"{lon},{lat},wgs84,,parking,车辆乱停,hotline_12345,王某,13900000001,,\n"
                        f",,,金阳小区,leaking_roof,顶层漏水,hotline_12345,,,,http://x.example/1.jpg\n",
                        encoding="utf-8")
    before = _count(engine)
    r = run("requests", "import", str(csv_file))
    assert r.exit_code == 0, r.output
    assert "2 requests taken in" in r.output and _count(engine) == before + 2
    jsonl = tmp_path / "wechat.jsonl"
    jsonl.write_text("\n".join(json.dumps({"lon": lon, "lat": lat, "category": "noise", "source": "wechat",
                                           "reported_at": "2026-11-02T09:30:00+08:00"}) for _ in range(3)))
    r = run("requests", "import", str(jsonl))
    assert r.exit_code == 0 and "3 requests taken in" in r.output and "2 with likely duplicates" in r.output
    with engine.connect() as conn:
        grids = conn.execute(text("SELECT DISTINCT grid_id FROM request WHERE id > :b "
                                  "AND category = 'noise'"), {"b": before}).scalars().all()
    assert len(grids) == 1 and grids[0] is not None


def test_a_bad_line_stops_the_import_and_writes_nothing(run, engine, jinyang, tmp_path: Path) -> None:
    lon, lat = jinyang
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"lon": lon, "lat": lat, "category": "parking"}) + "\n"
                 + json.dumps({"lon": lon, "lat": lat, "category": "ufo"}) + "\n")
    before = _count(engine)
    r = run("requests", "import", str(f))
    assert r.exit_code == 2 and "request 2" in r.output and "unknown_category" in r.output
    assert _count(engine) == before
    r = run("requests", "import", str(f.with_name("missing.jsonl")))
    assert r.exit_code != 0


def test_move_categories_holidays_and_stats(run, engine, jinyang, tmp_path: Path) -> None:
    lon, lat = jinyang
    f = tmp_path / "one.json"
    f.write_text(json.dumps([{"lon": lon, "lat": lat, "category": "parking"}]))
    assert run("requests", "import", str(f)).exit_code == 0
    with engine.connect() as conn:
        rid = conn.execute(text("SELECT max(id) FROM request")).scalar_one()
    r = run("requests", "move", str(rid), "closed")
    assert r.exit_code == 2 and "transition_not_allowed" in r.output and "dispatched" in r.output
    assert run("requests", "move", str(rid), "dispatched", "--note", "派单").exit_code == 0
    assert run("requests", "category", "snow", "--days", "1", "--name", "积雪清扫").exit_code == 0
    assert "snow" in run("requests", "categories").output
    r = run("requests", "holidays", "--add", "2031-01-02", "--name", "测试")
    assert r.exit_code == 0 and "2031-01-02  休  测试" in r.output
    xlsx = tmp_path / "s.xlsx"
    r = run("requests", "stats", "610802", "--xlsx", str(xlsx))
    assert r.exit_code == 0, r.output
    figures = json.loads(r.output[:r.output.rindex("}") + 1])
    assert figures["area"]["level"] == "district" and figures["received"] > 0
    assert load_workbook(xlsx).active.cell(3, 4).value == figures["received"]
