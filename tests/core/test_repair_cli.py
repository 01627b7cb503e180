"""``gisgrid coverage check | repair`` on files: tables, JSON, exit codes 0 / 1 / 2.

The files hold the 2 x 2 square near Yulin (D = 0.001° a side) and its quarters:

    +-------+-------+
    |   c   |   d   |      d.geojson-style variants shrink d (a gap at the parent's
    +-------+-------+      edge) or grow b into d (an overlap)
    |   a   |   b   |
    +-------+-------+
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas
import pytest
from shapely import box
from shapely.geometry import mapping
from typer.testing import CliRunner

from gisgrid.cli import app

LON0, LAT0, D = 109.73, 38.28, 0.001
X = [LON0 + k * D for k in range(3)]
Y = [LAT0 + k * D for k in range(3)]
runner = CliRunner()


def quarters(**changes):
    grids = {"a": box(X[0], Y[0], X[1], Y[1]), "b": box(X[1], Y[0], X[2], Y[1]),
             "c": box(X[0], Y[1], X[1], Y[2]), "d": box(X[1], Y[1], X[2], Y[2])}
    grids.update(changes)
    return grids


def write_fc(path: Path, grids: dict, key: str = "id") -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {key: k}, "geometry": mapping(g)}
        for k, g in grids.items() if g is not None]}))
    return path


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    return write_fc(tmp_path / "parent.geojson", {"p": box(X[0], Y[0], X[2], Y[2])})


def run(*args: str):
    return runner.invoke(app, ["coverage", *args])


def test_clean_grids_exit_zero_with_an_ok_summary(tmp_path, parent) -> None:
    r = run("check", str(write_fc(tmp_path / "g.geojson", quarters())), "--parent", str(parent))
    assert r.exit_code == 0, r.output
    assert r.output.startswith("OK: 4 grids, no defect")


def test_a_gap_exits_one_and_shows_a_table_row(tmp_path, parent) -> None:
    grids = write_fc(tmp_path / "g.geojson", quarters(d=box(X[1], Y[1], X[2] - 0.1 * D, Y[2])))
    r = run("check", str(grids), "--parent", str(parent))
    assert r.exit_code == 1
    header, row, summary = r.output.strip().splitlines()
    assert header.split()[:3] == ["kind", "grids", "area"]
    assert row.startswith("gap") and "b, d" in row
    assert summary.startswith("FAIL: 4 grids, 1 gap")


def test_json_output_is_the_api_report(tmp_path, parent) -> None:
    grids = write_fc(tmp_path / "g.geojson", quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D)))
    r = run("check", str(grids), "--parent", str(parent), "--json")
    assert r.exit_code == 1
    body = json.loads(r.output)
    assert set(body) == {"ok", "summary", "defects"}
    assert [(d["kind"], d["grids"]) for d in body["defects"]] == [("overlap", ["b", "d"])]


def test_a_geopackage_in_metres_with_another_id_column_is_read(tmp_path, parent) -> None:
    grids = quarters()
    frame = geopandas.GeoDataFrame({"code": list(grids)}, geometry=list(grids.values()), crs=4326)
    path = tmp_path / "g.gpkg"
    frame.to_crs(32649).to_file(path)
    r = run("check", str(path), "--parent", str(parent), "--id-field", "code")
    assert r.exit_code == 0, r.output
    r = run("check", str(path), "--parent", str(parent))
    assert r.exit_code == 2 and "no column 'id'" in r.output


def test_points_outside_every_grid_fail_the_check(tmp_path, parent) -> None:
    pts = tmp_path / "pts.geojson"
    pts.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "h1"},
         "geometry": {"type": "Point", "coordinates": [X[2] + D, Y[0]]}}]}))
    grids = write_fc(tmp_path / "g.geojson", quarters())
    r = run("check", str(grids), "--parent", str(parent), "--points", str(pts))
    assert r.exit_code == 1 and "unassigned_point" in r.output and "h1" in r.output


@pytest.mark.parametrize("content", ["{not json", json.dumps({"type": "Feature"}),
                                     json.dumps({"type": "FeatureCollection", "features": [
                                         {"type": "Feature", "properties": {"id": 1},
                                          "geometry": {"type": "Point", "coordinates": [0, 0]}}]})])
def test_unreadable_grids_exit_two_with_a_code(tmp_path, parent, content) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(content)
    r = run("check", str(bad), "--parent", str(parent))
    assert r.exit_code == 2 and "Error: [" in r.output


def test_repair_without_output_is_a_dry_run_and_with_it_writes_grids_that_pass(tmp_path, parent) -> None:
    grids = write_fc(tmp_path / "g.geojson", quarters(d=box(X[1], Y[1], X[2] - 0.1 * D, Y[2])))
    r = run("repair", str(grids), "--parent", str(parent))
    assert r.exit_code == 0 and "fill_gap" in r.output and "dry run" in r.output
    out = tmp_path / "fixed.geojson"
    assert not out.exists()
    r = run("repair", str(grids), "--parent", str(parent), "-o", str(out))
    assert r.exit_code == 0 and out.exists()
    assert run("check", str(out), "--parent", str(parent)).exit_code == 0


def test_the_installed_command_returns_the_exit_code(tmp_path, parent) -> None:
    grids = write_fc(tmp_path / "g.geojson", quarters(d=None))
    done = subprocess.run([sys.executable, "-m", "gisgrid.cli", "coverage", "check", str(grids),
                           "--parent", str(parent)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "gap" in done.stdout
