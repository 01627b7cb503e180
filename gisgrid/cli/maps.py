"""``gisgrid map``: the staff map as one standalone offline HTML file."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from gisgrid.cli.common import session

#: The renderer of a standalone page, named by its import string (the map pages live in
#: ``maps/``, which the core does not import; ``gisgrid serve`` names the web app the same way).
RENDERER = "maps.staffmap_page:render_standalone_map"


def map_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write")],
    community: Annotated[str | None, typer.Option(
        help="A community code: its grids and what is in them")] = None,
    grid: Annotated[str | None, typer.Option(help="A grid code: its community, the grid selected")] = None,
    tiles: Annotated[str, typer.Option(
        help="Basemap offered first: osm, tianditu, a URL template, none")] = "osm",
) -> None:
    """Write the staff map of a community (or of every active grid) as ONE offline HTML file:
    MapLibre, the page and its data inlined; opens from disk without a server."""
    from gisgrid.settings import AccessSettings, ServerSettings
    from gisgrid.staffmap.export import standalone_bundle

    module, name = RENDERER.split(":")
    render = getattr(importlib.import_module(module), name)
    resolve = importlib.import_module("maps.tiles").resolve_tiles
    server = ServerSettings()
    with session(dry_run=True) as s:   # reads only
        bundle = standalone_bundle(s, community=community, grid=grid,
                                   team_names=AccessSettings().public_team_names)
        page = render(bundle, tiles=resolve(tiles, tianditu_key=server.tianditu_key))
    output.write_text(page, encoding="utf-8")
    data = bundle["data"]
    size = len(page.encode()) / 2**20
    typer.echo(f"{len(bundle['index']['grids'])} grids, {len(data['requests']['features'])} requests, "
               f"{len(data['resources']['features'])} resources -> {output} ({size:.1f} MiB)")


def register(app: typer.Typer) -> None:
    app.command("map")(map_cmd)
