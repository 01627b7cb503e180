"""``/v1/lookup``: which grid, and which people, a point or an address belongs to.

Point lookups are answered from memory (``gisgrid.lookup_cache``: the grids in force,
re-read when the database says they changed); answers are JSON bytes made by
``gisgrid.lookup_answer`` and sent as they are, with no re-serialisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, NamedTuple

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from api.batch_body import read_batch
from api.deps import SessionDep
from gisgrid.address_lookup import lookup_address
from gisgrid.errors import DatabaseUnavailableError, InvalidInputError
from gisgrid.lookup import (
    DEFAULT_NEAR_M,
    check_near,
    checked_point,
    outside_error,
    parse_points,
    today,
)
from gisgrid.lookup_cache import LookupCache

router = APIRouter(prefix="/v1/lookup", tags=["lookup"])

_COORDSYS_DOC = "Coordinate system of lon/lat: wgs84 (default), cgcs2000, gcj02 or bd09."
_DATE_DOC = "Answer with the plans in force on this day (default: today)."
_NEAR_DOC = "Another grid within this many metres makes the point near_boundary."


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def _outside(engine: Engine, lon: float, lat: float, wlon: float, wlat: float, coordsys: str,
             on: dt.date) -> Exception:
    try:
        with engine.connect() as conn:
            return outside_error(conn, lon, lat, wlon, wlat, coordsys, on)
    except OperationalError:
        return DatabaseUnavailableError("the database is unreachable; try again later")


def _param(name: str, kind: str, description: str, default: object = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number"} if kind == "number" else {"type": "string"}
    if kind == "date":
        schema["format"] = "date"
    if default is not None:
        schema["default"] = default
    return {"name": name, "in": "query", "required": default is None and name in ("lon", "lat"),
            "description": description, "schema": schema}


_GET_PARAMETERS = [
    _param("lon", "number", "Longitude"),
    _param("lat", "number", "Latitude"),
    _param("coordsys", "string", _COORDSYS_DOC, "wgs84"),
    _param("date", "date", _DATE_DOC),
    _param("near_m", "number", _NEAR_DOC, DEFAULT_NEAR_M),
]


def _invalid(name: str, kind: str, msg: str, value: object = None) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", name), "msg": msg, "type": kind, "input": value}])


def _number(query: Any, name: str, default: float | None = None) -> float:
    raw = query.get(name)
    if raw is None:
        if default is None:
            raise _invalid(name, "missing", "Field required")
        return default
    try:
        return float(raw)
    except ValueError:
        raise _invalid(name, "float_parsing", "Input should be a valid number", raw) from None


def _read_query(q: Mapping[str, str]) -> tuple[float, float, str, dt.date | None, float]:
    """lon, lat, coordsys, date, near_m from the query parameters (the last of repeats).

    Read by hand rather than declared as typed parameters: FastAPI's per-parameter
    validation cost ~120 µs a request, as much as the rest of a lookup (measured with
    wrk: 3,300-3,800 against 5,500-6,500 requests/s for an empty handler). Errors keep
    the shape FastAPI gives them (422 invalid_request, with the parameter's location).
    """
    date = q.get("date")
    try:
        on = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise _invalid("date", "date_from_datetime_parsing", "Input should be a valid date", date) from None
    return (_number(q, "lon"), _number(q, "lat"), q.get("coordsys", "wgs84"), on,
            _number(q, "near_m", DEFAULT_NEAR_M))


class PointQuery(NamedTuple):
    """A checked point lookup: the point as given, in WGS84, its day and near_m."""

    lon: float
    lat: float
    coordsys: str
    on: dt.date
    near_m: float
    wlon: float
    wlat: float


def point_query(q: Mapping[str, str]) -> PointQuery:
    """The lookup a query string asks for, checked (422 or 400 errors as documented).

    Shared by the route and ``api.lookup_lane``, so both read a query the same way."""
    lon, lat, coordsys, date, near_m = _read_query(q)
    wlon, wlat, near_m, on = checked_point(lon, lat, coordsys, near_m, date)
    return PointQuery(lon, lat, coordsys, on, near_m, wlon, wlat)


@router.get("", summary="The grid, areas and team at a point (404 outside_coverage outside)",
            openapi_extra={"parameters": _GET_PARAMETERS})
async def lookup(request: Request) -> Response:
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
    return _json(body)


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
    if not isinstance(args["near_m"], int | float) or isinstance(args["near_m"], bool):
        raise InvalidInputError("near_m must be a number")
    if doc.get("date") is not None:
        try:
            args["on"] = dt.date.fromisoformat(str(doc["date"]))
        except ValueError as exc:
            raise InvalidInputError(f"date must be YYYY-MM-DD, got {doc['date']!r}") from exc
    return args


def _batch(cache: LookupCache, raw: bytes) -> bytes:
    doc, points = read_batch(raw)
    args = _batch_args(doc)
    if not isinstance(points, list | np.ndarray):
        raise InvalidInputError('the body must be {"points": [[lon, lat], ...], "coordsys": ...}')
    on = args.pop("on", None) or today()
    near_m = check_near(args["near_m"])
    lon, lat = parse_points(points, args["coordsys"])
    return cache.get(on).answers_json(lon, lat, near_m, prefix=b'{"results":', suffix=b"}")


@router.post("", summary="Batch lookup: one answer (or null outside) per point, in input order",
             openapi_extra={"requestBody": _BATCH_BODY})
async def lookup_batch(request: Request) -> Response:
    raw = await request.body()
    return _json(await run_in_threadpool(_batch, request.app.state.lookups, raw))


@router.get("/address", summary="Resolve an address to its registry place, location and grid "
            "(404 address_not_found)")
def lookup_by_address(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, description="The address, in any common written form")],
    coordsys: Annotated[str, Query(description="Coordinate system of returned locations.")] = "wgs84",
    date: Annotated[dt.date | None, Query(description=_DATE_DOC)] = None,
) -> dict[str, Any]:
    return lookup_address(session, q, coordsys=coordsys, on=date)
