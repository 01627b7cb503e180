"""``/v1/lookup``: which grid, and which people, a point or an address belongs to.

Point lookups are answered from memory (``gisgrid.lookup.cache``: the grids in force,
re-read when the database says they changed); answers are JSON bytes made by
``gisgrid.lookup.answer`` and sent as they are, with no re-serialisation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from api.auth import Reader, ServiceCaller, access_settings
from api.batch_body import read_batch
from api.heavy import BULK_BODY
from api.lookup_query import GET_PARAMETERS, point_query
from api.schemas.errors import route_responses
from api.schemas.lookup import BatchLookup, LookupAnswer
from gisgrid.access import lookup_batch_view, lookup_view
from gisgrid.errors import (
    DatabaseUnavailableError,
    InvalidInputError,
    TooLargeError,
    UnknownCoordsysError,
)
from gisgrid.lookup.cache import LookupCache
from gisgrid.lookup.point import (
    DEFAULT_NEAR_M,
    check_near,
    outside_error,
    parse_points,
)
from gisgrid.rules import today

router = APIRouter(prefix="/v1/lookup", tags=["lookup"])

_COORDSYS_DOC = "Coordinate system of lon/lat: wgs84 (default), cgcs2000, gcj02 or bd09."


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def _outside(engine: Engine, lon: float, lat: float, wlon: float, wlat: float, coordsys: str,
             on: dt.date) -> Exception:
    try:
        with engine.connect() as conn:
            return outside_error(conn, lon, lat, wlon, wlat, coordsys, on)
    except OperationalError:
        return DatabaseUnavailableError("the database is unreachable; try again later")


# The point lookups send the bytes gisgrid.lookup.answer wrote (the fast lane sends the
# same): their schema is documented with responses=, and nothing is re-validated.
@router.get("", summary="The grid, areas and team at a point (404 outside_coverage outside)",
            openapi_extra={"parameters": GET_PARAMETERS},
            responses=route_responses(400, 404, 422, 503, ok=LookupAnswer))
async def lookup(request: Request, who: Reader) -> Response:
    # The hot path: checks, a coordinate conversion and an in-memory answer on the event
    # loop (tens of microseconds); the database only when the cache must look at it.
    # api.lookup_lane answers the plain cases before they reach this route; what comes
    # here is the rest (errors, a cache to check, points outside) or lane-less apps.
    q = point_query(request.query_params)
    cache: LookupCache = request.app.state.lookups
    index = cache.ready(q.on) or await run_in_threadpool(cache.get, q.on)
    body = index.answer(q.wlon, q.wlat, q.near_m)
    if body is None:
        raise await run_in_threadpool(_outside, request.app.state.engine, q.lon, q.lat, q.wlon, q.wlat,
                                      q.coordsys, q.on)
    return _json(lookup_view(body, who, public_names=access_settings(request).public_team_names))


_BATCH_BODY = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["points"],
    "properties": {
        "points": {"type": "array", "items": {"type": "array", "items": {"type": "number"},
                                              "minItems": 2, "maxItems": 2}},
        "coordsys": {"type": "string", "enum": ["wgs84", "cgcs2000", "gcj02", "bd09"]},
        "date": {"type": "string", "format": "date"},
        "near_m": {"type": "number"},
    }}}}, "required": True}


def _batch_args(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or "points" not in doc:
        raise InvalidInputError('the body must be {"points": [[lon, lat], ...], "coordsys": ...}')
    args: dict[str, Any] = {"coordsys": doc.get("coordsys", "wgs84"),
                            "near_m": doc.get("near_m", DEFAULT_NEAR_M)}
    if not isinstance(args["coordsys"], str):
        raise UnknownCoordsysError(f"coordsys must be a string (wgs84, cgcs2000, gcj02 or bd09), "
                                   f"got {type(args['coordsys']).__name__}")
    if not isinstance(args["near_m"], int | float) or isinstance(args["near_m"], bool):
        raise InvalidInputError("near_m must be a number")
    if doc.get("date") is not None:
        try:
            args["on"] = dt.date.fromisoformat(str(doc["date"]))
        except ValueError as exc:
            raise InvalidInputError(f"date must be YYYY-MM-DD, got {doc['date']!r}") from exc
    return args


def _batch(cache: LookupCache, raw: bytes, max_points: int) -> bytes:
    doc, points = read_batch(raw)
    args = _batch_args(doc)
    if not isinstance(points, list | np.ndarray):
        raise InvalidInputError('the body must be {"points": [[lon, lat], ...], "coordsys": ...}')
    if len(points) > max_points:
        raise TooLargeError(f"at most {max_points:,} points per batch (GISGRID_MAX_BATCH_POINTS), "
                            f"got {len(points):,}", details={"limit": max_points,
                                                             "limit_name": "max_batch_points"})
    on = args.pop("on", None) or today()
    near_m = check_near(args["near_m"])
    lon, lat = parse_points(points, args["coordsys"])
    return cache.get(on).answers_json(lon, lat, near_m, prefix=b'{"results":', suffix=b"}")


@router.post("", summary="Batch lookup: one answer (or null outside) per point, in input order",
             openapi_extra={"requestBody": _BATCH_BODY, BULK_BODY: True},
             responses=route_responses(400, 413, 503, ok=BatchLookup))
async def lookup_batch(request: Request, who: ServiceCaller) -> Response:
    raw = await request.body()
    limits = request.app.state.settings.limits
    public = access_settings(request).public_team_names
    # A batch's answer is built in this process (~0.5 KB a point): a few at a time.
    async with request.app.state.batch_slots:
        return _json(await run_in_threadpool(
            lambda: lookup_batch_view(_batch(request.app.state.lookups, raw, limits.max_batch_points),
                                      who, public_names=public)))
