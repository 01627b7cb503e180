"""``gisgrid coverage``: check and repair grid layouts from files or stored plans.

Exit codes are meant for scripts and CI of data teams: 0 when the grids tile the parent
(no defect), 1 when defects remain, 2 when the input cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import shapely
import typer

from gisgrid.cli.common import fail as _fail
from gisgrid.cli.common import new_app
from gisgrid.cli.common import session as _session
from gisgrid.coverage.check import CoverageReport, check_coverage
from gisgrid.crs import COORDSYS, geometry_from_wgs84, geometry_to_wgs84
from gisgrid.errors import GisGridError, InvalidInputError
from gisgrid.io.geojson import read_features

coverage_app = new_app("Coverage: do grids tile their area without gaps or overlaps? "
                       "Exit 0 clean, 1 defects, 2 bad input.")

GridsArg = Annotated[Path, typer.Argument(help="Grids: GeoJSON FeatureCollection (properties.id), "
                                          "GeoPackage, Shapefile...", exists=True, dir_okay=False)]
ParentOpt = Annotated[Path, typer.Option("--parent", "-p", help="File whose polygons are the area "
                                         "the grids must tile", exists=True, dir_okay=False)]
IdOpt = Annotated[str, typer.Option("--id-field", help="Property holding each grid's unique id")]
SliverOpt = Annotated[float, typer.Option("--sliver-width", min=0, help="Pieces thinner than this "
                                          "(metres) are flagged as slivers")]
CoordsysOpt = Annotated[str, typer.Option(help="Lon/lat system of the files: " + ", ".join(COORDSYS))]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON (the API's shape)")]
_POLYGONS = ("Polygon", "MultiPolygon")


def read_layer(path: Path, *, id_field: str = "id", geometry_types: tuple[str, ...] = _POLYGONS,
               coordsys: str = "wgs84") -> list[tuple[Any, Any]]:
    """(id, geometry) pairs from a vector file, in lon/lat WGS84.

    GeoJSON goes through the API's reader (same checks, same errors); other formats are
    read with pyogrio and reprojected from their CRS to lon/lat first.
    """
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"{path.name} is not JSON: {exc}") from exc
        if id_field != "id" and isinstance(doc, dict) and isinstance(doc.get("features"), list):
            for f in doc["features"]:
                if isinstance(f, dict) and isinstance(f.get("properties"), dict):
                    f["properties"]["id"] = f["properties"].get(id_field)
        return read_features(doc, what=path.name, geometry_types=geometry_types, coordsys=coordsys)
    import geopandas

    frame = geopandas.read_file(path)
    if id_field not in frame.columns:
        raise InvalidInputError(f"{path.name} has no column {id_field!r} (use --id-field)")
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    wrong = sorted(set(frame.geom_type.dropna()) - set(geometry_types))
    if wrong:
        raise InvalidInputError(f"{path.name}: {', '.join(wrong)} geometries; expected "
                                f"{' or '.join(geometry_types)}")
    geoms = geometry_to_wgs84(frame.geometry.to_numpy(), coordsys)
    return list(zip(frame[id_field].tolist(), geoms, strict=True))


def read_parent(path: Path, coordsys: str) -> shapely.Geometry:
    from gisgrid.io.streets import read_boundary

    return geometry_to_wgs84(read_boundary(path), coordsys)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(report: CoverageReport, limit: int) -> str:
    """The defects as a fixed-width table, then the summary."""
    s = report.summary
    lines = []
    if report.defects:
        lines.append(f"{'kind':<17}{'grids':<28}{'area m²':>12}  sliver  message")
        for d in report.defects[:limit]:
            grids = _short(", ".join(str(g) for g in d.grids) or "-", 26)
            lines.append(f"{d.kind:<17}{grids:<28}{d.area_m2:>12,.1f}  {'yes' if d.sliver else '':<6}  "
                         f"{_short(d.message, 70)}")
        if len(report.defects) > limit:
            lines.append(f"... and {len(report.defects) - limit} more (use --json for all)")
    counts = ", ".join(f"{n} {kind}" for kind, n in report.counts().items()) or "no defect"
    lines.append(f"{'OK' if report.ok else 'FAIL'}: {s.grids} grids, {counts}; parent "
                 f"{s.parent_area_m2:,.0f} m², covered {s.covered_area_m2:,.0f} m², gaps "
                 f"{s.gap_area_m2:,.1f} m², overlaps {s.overlap_area_m2:,.1f} m²")
    return "\n".join(lines)


def _emit(report: CoverageReport, as_json: bool, coordsys: str, limit: int,
          extra: dict[str, Any] | None = None) -> None:
    if as_json:
        for d in report.defects:
            d.geometry = geometry_from_wgs84(d.geometry, coordsys)
        sys.stdout.write(json.dumps({**report.to_dict(), **(extra or {})}, ensure_ascii=False) + "\n")
    else:
        typer.echo(_table(report, limit))
    raise typer.Exit(0 if report.ok else 1)


@coverage_app.command("check")
def check_cmd(
    grids: GridsArg,
    parent: ParentOpt,
    points: Annotated[Path | None, typer.Option(help="Points (households, shops) that must each "
                                                "fall in a grid", exists=True, dir_okay=False)] = None,
    id_field: IdOpt = "id",
    sliver_width: SliverOpt = 1.0,
    min_area: Annotated[float, typer.Option(min=0, help="Smaller pieces (m²) are residue, "
                                            "not defects")] = 0.5,
    coordsys: CoordsysOpt = "wgs84",
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(min=1, help="Rows of the table")] = 50,
) -> None:
    """Check that GRIDS tile the --parent area; list every gap, overlap and bad grid."""
    try:
        pairs = read_layer(grids, id_field=id_field, coordsys=coordsys)
        pts = read_layer(points, geometry_types=("Point",), coordsys=coordsys) if points else None
        report = check_coverage(pairs, read_parent(parent, coordsys), points=pts,
                                sliver_width_m=sliver_width, min_area_m2=min_area)
    except GisGridError as exc:
        _fail(exc)
    _emit(report, as_json, coordsys, limit)


@coverage_app.command("repair")
def repair_cmd(
    grids: GridsArg,
    parent: ParentOpt,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the repaired grids "
                                                "here as GeoJSON (without it: a dry run)")] = None,
    id_field: IdOpt = "id",
    sliver_width: SliverOpt = 1.0,
    max_gap: Annotated[float | None, typer.Option(min=0, help="Leave gaps larger than this (m²) "
                                                  "for a planner")] = None,
    coordsys: CoordsysOpt = "wgs84",
) -> None:
    """Propose repaired grids: each gap/overlap piece to the grid sharing the longest edge."""
    from gisgrid.coverage.repair import repair_coverage

    try:
        result = repair_coverage(read_layer(grids, id_field=id_field, coordsys=coordsys),
                                 read_parent(parent, coordsys), sliver_width_m=sliver_width,
                                 max_gap_m2=max_gap)
    except GisGridError as exc:
        _fail(exc)
    for step in result.steps:
        typer.echo(f"{step.action:<16}{step.message}")
    if output is not None:
        result.grids = [(gid, geometry_from_wgs84(g, coordsys)) for gid, g in result.grids]
        output.write_text(json.dumps(result.to_dict()["grids"], ensure_ascii=False), encoding="utf-8")
    where = f"written to {output}" if output else "dry run: nothing written (use --output)"
    counts = ", ".join(f"{n} {k}" for k, n in result.after.counts().items()) or "no defect left"
    typer.echo(f"{len(result.steps)} steps, {len(result.changed)} grids changed, "
               f"{len(result.dropped)} dropped; after: {counts}; {where}")
    raise typer.Exit(0 if result.ok else 1)



@coverage_app.command("plan")
def plan_cmd(
    plan_id: Annotated[int, typer.Argument(help="Plan id (gisgrid's /v1/plans lists them)")],
    min_households: Annotated[int | None, typer.Option(help="Size check's minimum "
                                                       "(default: the plan's)")] = None,
    max_households: Annotated[int | None, typer.Option(help="Size check's maximum "
                                                       "(default: the plan's)")] = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(min=1, help="Rows of the table")] = 50,
) -> None:
    """Check a stored plan (the activation gate's check), grid sizes included."""
    from gisgrid.coverage.plan import plan_coverage

    try:
        with _session() as session:
            result = plan_coverage(session, plan_id, household_bounds=(min_households, max_households))
    except GisGridError as exc:
        _fail(exc)
    body = result.to_dict()
    if not as_json:
        for b in result.size_breaches[:limit]:
            typer.echo(f"size     {b['grid']}  {b['households']} households (bound {b['bound']})")
    _emit(result.report, as_json, "wgs84", limit,
          {k: body[k] for k in ("plan_id", "unassigned", "household_bounds")})


@coverage_app.command("repair-plan")
def repair_plan_cmd(
    plan_id: Annotated[int, typer.Argument(help="Plan to repair (it is left unchanged)")],
    commit: Annotated[bool, typer.Option("--commit", help="Write the new draft plan (default: "
                                         "dry run)")] = False,
    name: Annotated[str | None, typer.Option(help="Name of the new draft")] = None,
    author: Annotated[str | None, typer.Option(help="Who asks for the repair")] = None,
) -> None:
    """Repair a stored plan into a NEW draft plan; without --commit, only show the steps."""
    from gisgrid.coverage.plan import repair_plan
    from gisgrid.plans.repaired import save_repair_as_draft

    try:
        with _session() as session:
            result = repair_plan(session, plan_id)
            for step in result.steps:
                typer.echo(f"{step.action:<16}{step.message}")
            if commit and result.steps:
                new_id = save_repair_as_draft(session, plan_id, result, name=name, author=author)
                typer.echo(f"new draft plan {new_id} (from plan {plan_id}); passes: {result.ok}")
            elif not result.steps:
                typer.echo(f"plan {plan_id} passes its coverage check; nothing to repair")
            else:
                session.rollback()
                typer.echo(f"dry run: {len(result.steps)} steps; passes after repair: {result.ok}; "
                           "use --commit to write the draft")
    except GisGridError as exc:
        _fail(exc)
    raise typer.Exit(0 if result.ok else 1)
