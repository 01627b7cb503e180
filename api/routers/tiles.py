"""``/tiles/{epoch}/{crs}/{layer}/{z}/{x}/{y}.mvt``: the staff map's vector tiles.

A URL names the map epoch it was made for; its bytes never change, so it is sent with
``Cache-Control: public, max-age=31536000, immutable`` and an ETag. A URL of an older
epoch is redirected (302, not cached) to the same tile of the current one.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import Reader
from api.deps import SessionDep
from api.schemas.errors import route_responses
from gisgrid.db.resource_store import map_epoch
from gisgrid.staffmap import TileCache, render_tile

router = APIRouter(tags=["maps"])

MVT = "application/vnd.mapbox-vector-tile"
Layer = Literal["grids", "households", "shops", "requests", "resources"]
Crs = Literal["wgs84", "gcj02"]
Coord = Annotated[int, Path(ge=0, le=2**22 - 1)]
#: How long this process trusts the map epoch it last read before asking the database again.
EPOCH_CHECK_S = 0.5


def _cache(request: Request) -> TileCache:
    cache = getattr(request.app.state, "tile_cache", None)
    if cache is None:
        cache = request.app.state.tile_cache = TileCache()
    return cache


@router.get("/tiles/{epoch}/{crs}/{layer}/{z}/{x}/{y}.mvt",
            summary="A vector tile (MVT) of a staff map layer: grids, household density (counts per "
                    "cell), shops, requests (clusters per stage below zoom 15), resources; no personal "
                    "fields. crs gcj02 shifts the layer onto Amap's basemap",
            response_class=Response,
            responses=route_responses(400, 422, 503, media_type=MVT, more={
                200: {"content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
                      "description": "The tile (may be empty)"},
                302: {"description": "The tile of the current map epoch"}}))
async def tile(
    request: Request,
    epoch: Annotated[int, Path(ge=0, le=2**62)],
    crs: Crs,
    layer: Layer,
    z: Annotated[int, Path(ge=0, le=22)],
    x: Coord,
    y: Coord,
    who: Reader,
    session: SessionDep,
) -> Response:
    cache = _cache(request)
    key = (epoch, crs, layer, z, x, y)
    body = cache.get(key) if epoch == await _current_epoch(request, session) else None
    if body is None:
        current = await _current_epoch(request, session, fresh=True)
        if epoch != current:
            return RedirectResponse(f"/tiles/{current}/{crs}/{layer}/{z}/{x}/{y}.mvt", status_code=302,
                                    headers={"Cache-Control": "no-store"})
        body = await run_in_threadpool(render_tile, session, layer, z, x, y, crs=crs)
        cache.put(key, body)
    etag = f'"{epoch}-{crs}-{layer}-{z}-{x}-{y}"'
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MVT, headers=headers)


async def _current_epoch(request: Request, session: Session, *, fresh: bool = False) -> int:
    """The map epoch, read from the database at most every EPOCH_CHECK_S seconds (or now,
    ``fresh``): a cached tile is answered without the database, and a change shows within
    that time (an old epoch's URL then redirects)."""
    state = request.app.state
    seen = getattr(state, "tile_epoch", None)
    now = time.monotonic()
    if fresh or seen is None or now - seen[1] > EPOCH_CHECK_S:
        seen = state.tile_epoch = (await run_in_threadpool(map_epoch, session), now)
    return int(seen[0])
