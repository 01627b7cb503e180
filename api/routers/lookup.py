"""``/v1/lookup``: which grid, and which people, a point or an address belongs to.

Answers are assembled as JSON text by ``gisgrid.lookup`` and sent as they are: no
re-serialisation on the hot path.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from api.deps import SessionDep
from gisgrid.address_lookup import lookup_address
from gisgrid.errors import DatabaseUnavailableError, InvalidInputError
from gisgrid.lookup import DEFAULT_NEAR_M, json_loads, lookup_point_json, lookup_points_json

router = APIRouter(prefix="/v1/lookup", tags=["lookup"])

_COORDSYS_DOC = "Coordinate system of lon/lat: wgs84 (default), cgcs2000, gcj02 or bd09."
_DATE_DOC = "Answer with the plans in force on this day (default: today)."
_NEAR_DOC = "Another grid within this many metres makes the point near_boundary."


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


def _lookup_one(engine: Engine, lon: float, lat: float, coordsys: str, on: dt.date | None,
                near_m: float) -> str:
    # The hot path: one pooled connection, one statement (prepared by psycopg after a few
    # uses), no ORM session; the same path /health takes to the database.
    try:
        with engine.connect() as conn:
            return lookup_point_json(conn, lon, lat, coordsys=coordsys, on=on,  # type: ignore[arg-type]
                                     near_m=near_m)
    except OperationalError as exc:
        raise DatabaseUnavailableError("the database is unreachable; try again later") from exc


@router.get("", summary="The grid, areas and team at a point (404 outside_coverage outside)")
async def lookup(
    request: Request,
    lon: Annotated[float, Query(description="Longitude")],
    lat: Annotated[float, Query(description="Latitude")],
    coordsys: Annotated[str, Query(description=_COORDSYS_DOC)] = "wgs84",
    date: Annotated[dt.date | None, Query(description=_DATE_DOC)] = None,
    near_m: Annotated[float, Query(description=_NEAR_DOC)] = DEFAULT_NEAR_M,
) -> Response:
    return _json(await run_in_threadpool(_lookup_one, request.app.state.engine, lon, lat, coordsys,
                                         date, near_m))


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
    if not isinstance(doc, dict) or not isinstance(doc.get("points"), list):
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


@router.post("", summary="Batch lookup: one answer (or null outside) per point, in input order",
             openapi_extra={"requestBody": _BATCH_BODY})
async def lookup_batch(request: Request, session: SessionDep) -> Response:
    raw = await request.body()
    try:
        doc = json_loads(raw)
    except ValueError:
        return JSONResponse({"code": "invalid_json", "message": "The request body is not valid JSON."},
                            status_code=400)
    args = _batch_args(doc)
    parts = await run_in_threadpool(lookup_points_json, session, doc["points"], **args)
    return _json('{"results": [' + ",".join(parts) + "]}")


@router.get("/address", summary="Resolve an address to its registry place, location and grid "
            "(404 address_not_found)")
def lookup_by_address(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, description="The address, in any common written form")],
    coordsys: Annotated[str, Query(description="Coordinate system of returned locations.")] = "wgs84",
    date: Annotated[dt.date | None, Query(description=_DATE_DOC)] = None,
) -> dict[str, Any]:
    return lookup_address(session, q, coordsys=coordsys, on=date)
