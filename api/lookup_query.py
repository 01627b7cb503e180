"""The query string of ``GET /v1/lookup``, read and checked by hand.

Shared by the route (``api.routers.lookup``) and the fast lane (``api.lookup_lane``),
so both read a query the same way and neither depends on the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from fastapi.exceptions import RequestValidationError

from gisgrid.lookup.point import DEFAULT_NEAR_M, checked_point

_COORDSYS_DOC = "Coordinate system of lon/lat: wgs84 (default), cgcs2000, gcj02 or bd09."
DATE_DOC = "Answer with the plans in force on this day (default: today in China, UTC+8)."
_NEAR_DOC = "Another grid within this many metres makes the point near_boundary."


def _param(name: str, kind: str, description: str, default: object = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number"} if kind == "number" else {"type": "string"}
    if kind == "date":
        schema["format"] = "date"
    if default is not None:
        schema["default"] = default
    return {"name": name, "in": "query", "required": default is None and name in ("lon", "lat"),
            "description": description, "schema": schema}


GET_PARAMETERS = [
    _param("lon", "number", "Longitude"),
    _param("lat", "number", "Latitude"),
    _param("coordsys", "string", _COORDSYS_DOC, "wgs84"),
    _param("date", "date", DATE_DOC),
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
    validation cost as much as the rest of a lookup (measured with wrk; figures in
    bench/README.md, lookup). Errors keep the shape FastAPI gives them (422
    invalid_request, with the parameter's location).
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
