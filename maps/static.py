"""Serve the map pages' front-end files from node_modules, and nothing else from it.

The API layer mounts one ASGI app under the static prefix the pages were rendered with
(``settings`` is ``gisgrid.settings.Settings``)::

    from maps.assets import DEFAULT_STATIC_PREFIX, SETUP_HINT, missing_assets
    from maps.pages import render_grid_map
    from maps.static import map_static_app
    from maps.tiles import resolve_tiles

    server = settings.server
    app.mount(DEFAULT_STATIC_PREFIX, map_static_app(server.node_modules), name="map-static")
    tiles = resolve_tiles(server.tiles_url, tianditu_key=server.tianditu_key)  # at startup
    if problems := missing_assets(server.node_modules):  # say so instead of a blank map
        log.warning("map assets missing: %s; %s", "; ".join(problems), SETUP_HINT)
    # GET /maps/ -> HTMLResponse(render_grid_map(<active plan's grid FeatureCollection>,
    #                                             tiles=tiles))

Only the ``dist`` folder of each package listed in ``maps.assets.PACKAGES`` (the
packages in package.json) is exposed, at ``{prefix}/{package}/...``; the rest of
node_modules (sources, other packages, package.json files) answers 404. A package that
is not installed answers 503 with the setup hint, so a blank map is explained in the
browser's network tab rather than by a bare 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from maps.assets import PACKAGES, SETUP_HINT


class _PackageFiles:
    """A package's dist folder, or a 503 with the setup hint while it is not installed.

    Checked per request, so running ``npm ci`` needs no server restart.
    """

    def __init__(self, package: str, folder: Path) -> None:
        self.folder = folder
        self.files = StaticFiles(directory=folder, check_dir=False)
        self.message = f"map asset package {package!r} is not installed: {SETUP_HINT}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.folder.is_dir():
            await self.files(scope, receive, send)
        else:
            await JSONResponse({"code": "assets_missing", "message": self.message},
                               status_code=503)(scope, receive, send)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _json_error(request: Request, exc: Exception) -> Response:
    """Errors of the static files (404, 405) in the JSON shape the whole service uses."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = f"no such file: {request.url.path}" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse({"code": code, "message": message}, status_code=exc.status_code,
                        headers=exc.headers)


def static_dir(node_modules: Path, package: str) -> Path:
    """The folder served for one package (its ``dist``), whether or not it exists yet."""
    return PACKAGES[package].folder(Path(node_modules))


def map_static_app(node_modules: Path) -> ASGIApp:
    """An ASGI app serving ``/{package}/{file}`` from each listed package's dist folder."""
    routes = [
        Mount(f"/{name}", app=_PackageFiles(name, static_dir(node_modules, name)), name=name)
        for name in PACKAGES
    ]
    # A Starlette app rather than a bare Router, so a file that is not there is a 404
    # response wherever this is mounted, not an exception; JSON like every other error.
    return Starlette(routes=routes, exception_handlers={HTTPException: _json_error})
