"""``gisgrid import KIND FILE``: a dry run and its report, a committed import (undone after), a refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gisgrid.cli import app

SHOP = "命令行测试小卖部"


@pytest.fixture
def cleanup(engine: Engine) -> Iterator[None]:
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM shop WHERE name = :n"), {"n": SHOP})
        conn.execute(text("DELETE FROM audit_event WHERE action = 'import' AND actor = 'cli'"))


def _households(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM household WHERE register_key IS NOT NULL")).scalar_one()


def test_a_dry_run_reports_every_row_and_writes_nothing(db_url: str, engine: Engine, tmp_path: Path) -> None:
    register = tmp_path / "登记.csv"
    register.write_bytes("小区,房屋,户主,人数\n金林小区,3栋2单元904,王五,3\n火星小区,1栋1单元1,李四,2\n"
                         .encode("gb18030"))
    before = _households(engine)
    out = CliRunner().invoke(app, ["import", "households", str(register), "--dry-run",
                                   "-r", str(tmp_path / "report.xlsx")], env={"GISGRID_DATABASE_URL": db_url})
    assert out.exit_code == 0, out.output
    assert "2 rows: 1 matched, 0 ambiguous, 1 unmatched, 0 duplicate" in out.output
    assert "dry run" in out.output and _households(engine) == before
    assert "matched 2 / 2 rows" in out.output        # the progress, on stderr
    rows = list(openpyxl.load_workbook(tmp_path / "report.xlsx")["明细 rows"].values)
    assert [r[0] for r in rows[1:]] == [2, 3] and rows[2][8]      # row numbers; the reason why not


def test_an_import_commits_once_and_a_second_changes_nothing(db_url: str, tmp_path: Path,
                                                             cleanup: None) -> None:
    register = tmp_path / "shops.csv"
    register.write_text(f"店名,地址,经营者\n{SHOP},金林小区3号楼,赵六\n", encoding="utf-8")
    env = {"GISGRID_DATABASE_URL": db_url}
    first = CliRunner().invoke(app, ["import", "shops", str(register)], env=env)
    assert first.exit_code == 0 and "1 inserted, 0 updated, 0 unchanged" in first.output, first.output
    again = CliRunner().invoke(app, ["import", "shops", str(register)], env=env)
    assert "0 inserted, 0 updated, 1 unchanged" in again.output, again.output


def test_a_broken_file_is_refused_with_its_row(db_url: str, tmp_path: Path) -> None:
    register = tmp_path / "broken.csv"
    register.write_bytes("小区,房屋,人数\n金林小区,3栋2单元904,3\n金林小区,3栋2单元903,三个\n".encode("gb18030"))
    out = CliRunner().invoke(app, ["import", "households", str(register)],
                             env={"GISGRID_DATABASE_URL": db_url})
    assert out.exit_code == 2 and "invalid_register" in out.output and "row 3" in out.output
