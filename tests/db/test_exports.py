"""Exports of a plan's grids read back by pyogrio equal the plan; rosters list the counted households."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid.cli import app
from gisgrid.crs import from_wgs84
from gisgrid.db import queries
from gisgrid.errors import InvalidInputError, NotFoundError
from gisgrid.export import export_grids, export_roster, save_grids
from gisgrid.export.formats import COLUMNS
from gisgrid.export.roster import NOTICE

FORMATS = ("gpkg", "shp", "geojson", "kml", "csv")
TEXT_COLUMNS = ("code", "name", "kind", "comm_code", "comm_name")


@pytest.fixture
def plan_id(session: Session) -> int:
    return session.execute(text("SELECT id FROM plan WHERE status = 'active'")).scalar_one()


def stored(session: Session, plan_id: int) -> pd.DataFrame:
    """The plan as the database and the grids route hold it: attributes and exact geometry."""
    wkb = dict(session.execute(text("SELECT id, ST_AsBinary(boundary) FROM grid WHERE plan_id = :p"),
                               {"p": plan_id}).all())
    rows = []
    for f in queries.grid_features(session, plan_id)["features"]:
        p, team = f["properties"], f["properties"]["team"]
        rows.append({"grid_id": p["id"], "code": p["code"], "name": p["name"], "kind": p["kind"],
                     "plan_id": p["plan_id"], "comm_code": p["community_code"],
                     "comm_name": p["community_name"], "area_m2": float(p["area_m2"]),
                     "households": p["households"], "residents": p["residents"], "shops": p["shops"],
                     "team_lead": team.get("leader", 0), "team_full": team.get("full_time", 0),
                     "team_part": team.get("part_time", 0), "geometry": shapely.from_wkb(wkb[p["id"]])})
    return pd.DataFrame(rows).set_index("grid_id", drop=False)


def read_back(path: Path, fmt: str) -> pd.DataFrame:
    """An export as pyogrio reads it, in the export's columns (KML's <name> is ``name``;
    CSV cells are text, read as the export's types)."""
    frame = pyogrio.read_dataframe(path)
    if fmt == "kml":
        frame = frame.rename(columns={"Name": "name"})
    if fmt == "csv":
        for column in COLUMNS:
            if column not in TEXT_COLUMNS:
                frame[column] = pd.to_numeric(frame[column])
    return frame[[*COLUMNS, "geometry"]].set_index("grid_id", drop=False)


def same_shape(a: shapely.Geometry, b: shapely.Geometry, tolerance: float = 1e-9) -> bool:
    """Same polygons, vertex by vertex within ``tolerance`` degrees (ring order and
    orientation aside; KML adds a zero height and reads single parts as Polygons)."""
    def norm(g: shapely.Geometry) -> shapely.Geometry:
        return shapely.normalize(shapely.MultiPolygon(list(shapely.get_parts(shapely.force_2d(g)))))
    return bool(shapely.equals_exact(norm(a), norm(b), tolerance=tolerance))


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_read_back_by_pyogrio_is_the_plan(session: Session, plan_id: int, fmt: str,
                                                    tmp_path: Path) -> None:
    exported = export_grids(session, plan_id, fmt)
    path = tmp_path / exported.filename
    path.write_bytes(exported.content)
    got, want = read_back(path, fmt), stored(session, plan_id)
    assert sorted(got.index) == sorted(want.index) and got.index.is_unique
    for column in COLUMNS:
        assert got[column].tolist() == want.loc[got.index, column].tolist(), column
    far = [gid for gid in want.index if not same_shape(got.loc[gid, "geometry"], want.loc[gid, "geometry"])]
    assert far == []
    assert "学院社区第37网格" in set(got["name"])
    if fmt in ("gpkg", "shp", "geojson"):
        assert pyogrio.read_info(path)["crs"] == "EPSG:4326"


def test_the_shapefile_zip_says_utf8_and_keeps_chinese_names(session: Session, plan_id: int,
                                                             tmp_path: Path) -> None:
    exported = export_grids(session, plan_id, "shp")
    assert exported.filename == f"plan-{plan_id}-grids.zip" and exported.media_type == "application/zip"
    path = tmp_path / exported.filename
    path.write_bytes(exported.content)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        stem = f"plan-{plan_id}-grids"
        assert {f"{stem}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
        assert zf.read(f"{stem}.cpg").decode().strip() == "UTF-8"
    names_back = set(pyogrio.read_dataframe(path, columns=["name", "comm_name"])["name"])
    assert names_back == {f["properties"]["name"]
                          for f in queries.grid_features(session, plan_id)["features"]}
    assert "夫子庙商圈网格" in names_back


@pytest.mark.parametrize("coordsys", ["gcj02", "bd09"])
def test_a_gcj02_or_bd09_export_is_converted_declares_no_crs_and_says_so(
        session: Session, plan_id: int, coordsys: str, tmp_path: Path) -> None:
    exported = export_grids(session, plan_id, "gpkg", coordsys=coordsys)
    assert exported.filename == f"plan-{plan_id}-grids-{coordsys}.gpkg"
    path = tmp_path / exported.filename
    path.write_bytes(exported.content)
    info = pyogrio.read_info(path)
    assert info["crs"] is None
    assert coordsys.upper().replace("02", "-02").replace("09", "-09") in info["layer_metadata"]["DESCRIPTION"]
    got, want = read_back(path, "gpkg"), stored(session, plan_id)
    for gid in want.index[:20]:
        expected = shapely.transform(want.loc[gid, "geometry"],
                                     lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], coordsys)))
        assert same_shape(got.loc[gid, "geometry"], expected)
        assert not same_shape(got.loc[gid, "geometry"], want.loc[gid, "geometry"], tolerance=1e-4)


def test_a_plan_without_grids_exports_empty_files(session: Session, tmp_path: Path) -> None:
    scope = session.execute(text("SELECT id FROM admin_area WHERE level = 'district'")).scalar_one()
    empty = session.execute(text("INSERT INTO plan (scope_id, district_code, name) "
                                 "VALUES (:s, '610802', '空草案') RETURNING id"), {"s": scope}).scalar_one()
    for fmt in FORMATS:
        exported = export_grids(session, empty, fmt)
        path = tmp_path / exported.filename
        path.write_bytes(exported.content)
        assert len(pyogrio.read_dataframe(path)) == 0, fmt


def test_unknown_plans_formats_and_coordsys_are_refused(session: Session, plan_id: int) -> None:
    with pytest.raises(NotFoundError):
        export_grids(session, 987654, "gpkg")
    with pytest.raises(InvalidInputError):
        export_grids(session, plan_id, "dxf")
    with pytest.raises(InvalidInputError):
        export_grids(session, plan_id, "gpkg", coordsys="utm")


def test_save_writes_a_plain_shapefile_set_beside_a_cpg(session: Session, plan_id: int,
                                                        tmp_path: Path) -> None:
    path, count = save_grids(session, plan_id, "shp", tmp_path / "grids.shp")
    assert count == len(stored(session, plan_id))
    assert (tmp_path / "grids.cpg").read_text().strip() == "UTF-8"
    assert len(pyogrio.read_dataframe(path)) == count


def _grid(session: Session, plan_id: int, name: str) -> dict:
    return next(f["properties"] for f in queries.grid_features(session, plan_id)["features"]
                if f["properties"]["name"] == name)


def test_a_roster_lists_exactly_the_households_the_grid_counts(session: Session, plan_id: int) -> None:
    grid = _grid(session, plan_id, "学院社区第37网格")
    exported = export_roster(session, plan_id, grid["code"])
    assert exported.filename == f"plan-{plan_id}-grid-{grid['code']}-roster.xlsx"
    wb = load_workbook(__import__("io").BytesIO(exported.content), read_only=True)
    assert wb.sheetnames == ["说明", "住户", "网格团队"]
    rows = list(wb["住户"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == grid["households"] and sum(r[7] for r in rows) == grid["residents"]
    in_grid = {r[0] for r in session.execute(text(
        "SELECT h.id FROM household h JOIN grid g ON ST_Covers(g.boundary, h.location) WHERE g.id = :g"),
        {"g": grid["id"]})}
    assert {r[1] for r in rows} == in_grid
    team = list(wb["网格团队"].iter_rows(min_row=2, values_only=True))
    names = {r[0] for r in session.execute(text(
        "SELECT s.name FROM staff s JOIN grid_staff gs ON gs.staff_id = s.id WHERE gs.grid_id = :g"),
        {"g": grid["id"]})}
    assert {r[1] for r in team} == names and len(team) == sum(grid["team"].values())
    assert [r[0] for r in team][:2] == ["网格长", "专职网格员"]
    info = dict(wb["说明"].iter_rows(values_only=True))
    assert info["网格编码"] == grid["code"] and info["说明"] == NOTICE


def test_a_roster_of_a_grid_the_plan_lacks_is_not_found(session: Session, plan_id: int) -> None:
    with pytest.raises(NotFoundError):
        export_roster(session, plan_id, "610802999999999")


@pytest.fixture
def run(db_url: str):
    def _run(*args: str) -> object:
        return CliRunner().invoke(app, list(args), env={"GISGRID_DATABASE_URL": db_url})
    return _run


def test_the_export_verbs_write_what_the_core_exports(run, session: Session, plan_id: int,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "grids.gpkg"
    r = run("export", "grids", str(plan_id), "-f", "gpkg", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert f"{len(stored(session, plan_id))} grids" in r.output
    assert read_back(out, "gpkg")["households"].tolist() == stored(session, plan_id)["households"].tolist()
    zipped = tmp_path / "grids.zip"
    assert run("export", "grids", str(plan_id), "-f", "shp", "-o", str(zipped)).exit_code == 0
    assert zipfile.is_zipfile(zipped)
    grid = _grid(session, plan_id, "学院社区第37网格")
    xlsx = tmp_path / "roster.xlsx"
    r = run("export", "roster", str(plan_id), grid["code"], "-o", str(xlsx))
    assert r.exit_code == 0, r.output
    assert f"{grid['households']:,} households" in r.output
    assert load_workbook(xlsx)["住户"].max_row == grid["households"] + 1
    bad = run("export", "grids", str(plan_id), "-f", "dwg", "-o", str(tmp_path / "x.dwg"))
    assert bad.exit_code == 2 and "unknown export format" in bad.output
    assert run("export", "roster", str(plan_id), "123").exit_code == 2
