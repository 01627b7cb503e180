"""Resources: the migration's particulars, the grid each lies in (the households' owner
rule), the import (checked rows, update by kind and name) and its command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid.cli import app
from gisgrid.db import resource_store
from gisgrid.errors import InvalidInputError
from gisgrid.resources import import_resources, read_resource_file
from gisgrid.rules import owner_order_sql


def _owner(session: Session, lon: float, lat: float) -> int | None:
    """The owner of a point by the owner rule, asked the plain way (the oracle)."""
    return session.execute(text(f"""
        SELECT g.id FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
        WHERE ST_Covers(g.boundary, ST_SetSRID(ST_MakePoint(:x, :y), 4326))
          AND g.kind IN ('residential', 'special') ORDER BY {owner_order_sql('g')} LIMIT 1"""),
        {"x": lon, "y": lat}).scalar()


def test_every_demo_resource_is_in_the_grid_that_owns_its_location(session: Session) -> None:
    rows = session.execute(text(
        "SELECT id, grid_id, ST_X(location) x, ST_Y(location) y FROM resource ORDER BY id")).all()
    assert len(rows) > 100
    assert [r.grid_id for r in rows] == [_owner(session, r.x, r.y) for r in rows]
    assert sum(r.grid_id is not None for r in rows) > 0.9 * len(rows)


def test_venues_have_their_floor_area_and_teams_their_members_from_the_details(session: Session) -> None:
    venues = session.execute(text(
        "SELECT details, floor_area_m2 FROM resource WHERE kind = 'venue' AND details LIKE '%m²%'")).all()
    assert venues and all(f is not None and f > 0 and str(int(f)) in d for d, f in venues)
    teams = session.execute(text(
        "SELECT details, members FROM resource WHERE kind = 'volunteer_team' AND details LIKE '队员%'")).all()
    assert teams and all(m is not None and f"{m}人" in d for d, m in teams)


def _write(tmp_path: Path, features: list[dict], name: str = "r.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def _feature(name: str, kind: str, lon: float, lat: float, **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, "kind": kind, **props}}


def _inside_a_grid(session: Session) -> tuple[int, float, float]:
    return session.execute(text("""
        SELECT g.id, ST_X(ST_PointOnSurface(g.boundary)), ST_Y(ST_PointOnSurface(g.boundary))
        FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
        WHERE g.kind = 'residential' ORDER BY g.code LIMIT 1""")).one()


def test_an_import_adds_a_party_unit_with_its_projects_in_its_grid_then_updates_it(
        session: Session, tmp_path: Path) -> None:
    grid, lon, lat = _inside_a_grid(session)
    path = _write(tmp_path, [_feature("测试党支部", "party_unit", lon, lat, members=12,
                                      projects="才智巷路灯;楼道清理", contact_name="王测试",
                                      contact_phone="13900001111")])
    first = import_resources(session, read_resource_file(path), district_code="610802")
    assert (first.inserted, first.updated, first.in_grid) == (1, 0, 1)
    again = import_resources(session, read_resource_file(path), district_code="610802")
    assert (again.inserted, again.updated) == (0, 1)
    total, rows = resource_store.list_resources(session, grid_id=grid, kind="party_unit")
    mine = [r for r in rows if r["name"] == "测试党支部"]
    assert len(mine) == 1 and mine[0]["projects"] == ["才智巷路灯", "楼道清理"] and mine[0]["members"] == 12
    assert mine[0]["contact_phone"] == "13900001111" and mine[0]["community_code"]


def test_gcj02_coordinates_are_converted_before_the_grid_is_found(session: Session, tmp_path: Path) -> None:
    from gisgrid.crs import wgs84_to_gcj02

    grid, lon, lat = _inside_a_grid(session)
    glon, glat = wgs84_to_gcj02(lon, lat)
    path = _write(tmp_path, [_feature("偏移场地", "venue", glon, glat, floor_area_m2=300)])
    rows = read_resource_file(path, coordsys="gcj02")
    assert shapely.distance(rows[0]["location"], shapely.Point(lon, lat)) < 1e-5
    import_resources(session, rows, district_code="610802")
    _, found = resource_store.list_resources(session, grid_id=grid, kind="venue")
    assert any(r["name"] == "偏移场地" and r["floor_area_m2"] == 300 for r in found)


@pytest.mark.parametrize("features, problem", [
    ([_feature("", "venue", 109.7, 38.3)], "name"),
    ([_feature("x", "castle", 109.7, 38.3)], "kind"),
    ([_feature("x", "venue", 109.7, 38.3, floor_area_m2=-5)], "floor_area_m2"),
    ([_feature("x", "volunteer_team", 109.7, 38.3, members=2.5)], "members"),
    ([_feature("x", "venue", 109.7, 38.3), _feature("x", "venue", 109.8, 38.3)], "twice"),
    ([{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[109.7, 38.3], [109.8, 38.3]]},
       "properties": {"name": "x", "kind": "venue"}}], "point"),
    ([], "no resources"),
], ids=["no name", "unknown kind", "negative area", "half a member", "duplicated", "not a point", "empty"])
def test_a_bad_file_is_refused_with_the_row_and_the_problem(tmp_path: Path, features, problem) -> None:
    with pytest.raises(InvalidInputError) as err:
        read_resource_file(_write(tmp_path, features))
    assert problem in err.value.message


def test_the_command_line_import_checks_assigns_and_writes_nothing_in_a_dry_run(
        db_url: str, engine, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GISGRID_DATABASE_URL", db_url)
    with Session(engine) as s:
        _, lon, lat = _inside_a_grid(s)
        before = s.execute(text("SELECT count(*) FROM resource")).scalar_one()
    path = _write(tmp_path, [_feature("命令行场地", "venue", lon, lat, floor_area_m2=120)])
    result = CliRunner().invoke(app, ["resources", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 resources: 1 new, 0 updated, 1 in a grid" in result.output
    bad = CliRunner().invoke(app, ["resources", "import", str(_write(tmp_path, [], "empty.geojson"))])
    assert bad.exit_code == 2 and "no resources" in bad.output
    with Session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM resource")).scalar_one() == before
