"""``gisgrid blocks``: cut a boundary into blocks along the streets of a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from gisgrid.blocks.polygonize import DEFAULT_TOLERANCE_M, polygonize_blocks
from gisgrid.cli.common import fail
from gisgrid.crs import COORDSYS, geometry_to_wgs84
from gisgrid.errors import GisGridError
from gisgrid.io.streets import DEFAULT_HIGHWAYS, read_boundary, read_streets


def blocks_cmd(
    streets: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile, OSM .pbf or .osm")],
    boundary: Annotated[Path, typer.Option("--boundary", "-b", help="File whose polygons are the area")],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write the blocks here (default: stdout)")] = None,
    highway: Annotated[str | None, typer.Option(
        help=f"Comma-separated highway classes to keep (OSM default: {','.join(DEFAULT_HIGHWAYS)})")] = None,
    tolerance: Annotated[float, typer.Option(help="Snapping tolerance and sliver width, metres")]
    = DEFAULT_TOLERANCE_M,
    layer: Annotated[str | None, typer.Option(help="Layer of the streets file")] = None,
    coordsys: Annotated[str, typer.Option(help="Lon/lat system of the files' coordinates: "
                                          + ", ".join(COORDSYS))] = "wgs84",
) -> None:
    """Cut a boundary into blocks along streets; print a summary, write GeoJSON.

    Ends within the tolerance of a street or the boundary are joined to it; thinner faces merge.
    """
    classes = [c.strip() for c in highway.split(",") if c.strip()] if highway else None
    try:
        lines = read_streets(streets, highways=classes, layer=layer)
        area = read_boundary(boundary)
        result = polygonize_blocks(geometry_to_wgs84(area, coordsys),
                                   geometry_to_wgs84(lines.geometry.to_numpy(), coordsys),
                                   tolerance_m=tolerance)
        doc = result.to_feature_collection(coordsys)
    except GisGridError as exc:
        fail(exc)
    text = json.dumps(doc, ensure_ascii=False)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    d = result.diagnostics
    typer.echo(f"{len(result.blocks)} blocks, {d.blocks_area_m2:,.0f} m² of {d.boundary_area_m2:,.0f} m²; "
               f"{d.streets_used} of {d.streets_in} street lines inside; {d.snapped_ends} ends snapped, "
               f"{d.dangles} dangles, {d.cut_edges} cut edges, {d.dropped_slivers} slivers merged"
               + (f"; written to {output}" if output else ""), err=True)
