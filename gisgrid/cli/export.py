"""``gisgrid export``: a plan's grids as GIS files, a grid's household roster as Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gisgrid.cli.common import new_app, session

export_app = new_app("Exports: a plan's grids for GIS tools, a grid's household roster (staff only).")


@export_app.command("grids")
def grids_cmd(
    plan: Annotated[int, typer.Argument(help="Plan id (gisgrid plan list)")],
    fmt: Annotated[str, typer.Option("-f", "--format", help="gpkg, shp, geojson, kml or csv")] = "gpkg",
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="File to write (default plan-ID-grids[-COORDSYS].EXT here); "
                               "for shp, a .shp set, or a .zip of it")] = None,
    coordsys: Annotated[str, typer.Option(
        help="wgs84 (default), cgcs2000, gcj02 or bd09; gcj02/bd09 files declare no CRS "
             "and say so in their name and metadata")] = "wgs84",
) -> None:
    """Write a plan's grids (code, name, kind, community, counts, team size) as a GIS file."""
    from gisgrid.export.formats import check_coordsys, export_format, file_stem
    from gisgrid.export.grids import save_grids

    with session(dry_run=True) as s:   # reads only
        target = output or Path(f"{file_stem(plan, check_coordsys(coordsys))}."
                                f"{'shp' if fmt == 'shp' else export_format(fmt).ext}")
        path, count = save_grids(s, plan, fmt, target, coordsys=coordsys)
    typer.echo(f"{count:,} grids of plan {plan} -> {path} ({coordsys})")


@export_app.command("roster")
def roster_cmd(
    plan: Annotated[int, typer.Argument(help="Plan id")],
    grid: Annotated[str, typer.Argument(help="Grid code (15 digits)")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Excel file to write (default plan-ID-grid-CODE-roster.xlsx)")] = None,
) -> None:
    """Write a grid's household roster and team (PERSONAL DATA: for staff only) as .xlsx."""
    from gisgrid.export.roster import save_roster

    target = output or Path(f"plan-{plan}-grid-{grid}-roster.xlsx")
    with session(dry_run=True) as s:
        summary = save_roster(s, plan, grid, target)
    typer.echo(f"grid {summary['grid']['code']} {summary['grid']['name']}: {summary['households']:,} "
               f"households, {summary['residents']:,} residents, team of {summary['team']} -> {target}")
    typer.echo("this file holds personal data: keep it within the grid's staff", err=True)
