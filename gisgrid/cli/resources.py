"""``gisgrid resources``: import resources (venues, merchants, teams, party units, centres)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gisgrid.cli.common import new_app, session

resources_app = new_app("Resources: what can help a grid (venues, merchants, volunteer teams, "
                        "party units, service centres).")


@resources_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage or other OGR file of points with "
                                              "name, kind and optional address, details, floor_area_m2, "
                                              "members, projects (a;b), contact_name, contact_phone")],
    coordsys: Annotated[str, typer.Option(help="wgs84 (default), cgcs2000, gcj02 or bd09")] = "wgs84",
    district: Annotated[str | None, typer.Option(
        help="District code (default: the only district loaded)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; write nothing")] = False,
) -> None:
    """Add resources, or update those with the same kind and name; each gets its grid."""
    from sqlalchemy import text

    from gisgrid.errors import InvalidInputError
    from gisgrid.resources import import_resources, read_resource_file

    with session(dry_run=dry_run, announce=True) as s:
        rows = read_resource_file(file, coordsys=coordsys)
        districts = [r[0] for r in s.execute(text(
            "SELECT code FROM admin_area WHERE level = 'district' ORDER BY code"))]
        if district is None and len(districts) != 1:
            raise InvalidInputError(f"{len(districts)} districts are loaded: name one with --district")
        code = district or districts[0]
        if code not in districts:
            raise InvalidInputError(f"district {code} is not loaded")
        summary = import_resources(s, rows, district_code=code)
        typer.echo(f"{summary.rows:,} resources: {summary.inserted:,} new, {summary.updated:,} updated, "
                   f"{summary.in_grid:,} in a grid of an active plan")
        for name in summary.outside_grids[:20]:
            typer.echo(f"outside every grid: {name}", err=True)
