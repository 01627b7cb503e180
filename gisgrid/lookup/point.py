"""Which grid, and so which people, a coordinate belongs to, in the plans in force on a date.

Two paths give the same bytes for every point (the answer and its rules:
:mod:`gisgrid.lookup.answer`):

- :func:`lookup_point_json`: one SQL round trip (GiST indexes, distances by
  ``ST_Distance`` in the point's UTM zone): the reference, and the CLI's single lookup.
- :func:`lookup_points_json` and the API: :class:`gisgrid.lookup.index.LookupIndex`, the
  grids in force held in memory (one query), answering points without the database.

Outside every grid: :class:`OutsideCoverageError` with the distance to the nearest.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from gisgrid.crs import to_wgs84, utm_epsg_for
from gisgrid.db.lookup_store import distance_to_nearest_grid, grids_at_point, grids_in_force
from gisgrid.errors import InvalidInputError, OutsideCoverageError
from gisgrid.io.positions import swapped_hint
from gisgrid.lookup.answer import DEFAULT_NEAR_M, MAX_NEAR_M, assemble, check_near
from gisgrid.lookup.index import LookupIndex
from gisgrid.rules import today

__all__ = ["DEFAULT_NEAR_M", "MAX_BATCH", "MAX_NEAR_M", "assemble", "check_near", "checked_point",
           "index_for", "json_loads", "lookup_point", "lookup_point_json", "lookup_points",
           "lookup_points_json", "outside_error", "parse_points", "wgs84_point"]

#: Most points in one batch.
MAX_BATCH = 1_000_000
#: From this many points a batch builds settled cells before answering (their build time
#: for a city, in bench/README.md, pays off only over thousands of points).
CELLS_FROM = 5_000

json_loads = orjson.loads


def _check_lonlat(lon: np.ndarray, lat: np.ndarray) -> None:
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"point {i}: ({lon[i]}, {lat[i]}) is not a lon/lat position (lon -180..180, lat -90..90)"
            + swapped_hint(lon[i], lat[i]),
            details={"index": i},
        )


def wgs84_point(lon: float, lat: float, coordsys: str) -> tuple[float, float]:
    """One point in ``coordsys`` as checked WGS84 (lon, lat), or :class:`InvalidInputError`."""
    wlon, wlat = to_wgs84(float(lon), float(lat), coordsys)
    if not (math.isfinite(wlon) and math.isfinite(wlat) and abs(wlon) <= 180 and abs(wlat) <= 90):
        raise InvalidInputError(
            f"point 0: ({wlon}, {wlat}) is not a lon/lat position (lon -180..180, lat -90..90)"
            + swapped_hint(wlon, wlat), details={"index": 0})
    return wlon, wlat


def checked_point(lon: float, lat: float, coordsys: str, near_m: float, on: dt.date | None
                  ) -> tuple[float, float, float, dt.date]:
    """(wlon, wlat, near_m, on) for one lookup, checked as every path checks it: near_m
    in range, the point a WGS84 position, the day today in China unless given
    (:func:`gisgrid.rules.today`)."""
    near_m = check_near(near_m)
    wlon, wlat = wgs84_point(lon, lat, coordsys)
    return wlon, wlat, near_m, on or today()


def _search_box(lat: float, near_m: float) -> tuple[float, float]:
    """Half-size in degrees (lon, lat) of a box surely holding everything within near_m."""
    dlat = near_m * 1.1 / 110_574.0 + 1e-7
    return dlat / max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-6), dlat


def outside_error(session: Session | Connection, lon: float, lat: float, wlon: float, wlat: float,
                  coordsys: str, on: dt.date) -> OutsideCoverageError:
    """The 404 for a point outside every grid in force, with the distance to the nearest."""
    d = distance_to_nearest_grid(session, wlon, wlat, on=on)
    where = "no grid in force" if d is None else f"the nearest grid is {d:,.0f} m away"
    return OutsideCoverageError(
        f"({lon}, {lat}) {coordsys} is outside every grid in force on {on.isoformat()}; {where}",
        details={"distance_m": None if d is None else round(d, 1)},
    )


def lookup_point_json(session: Session | Connection, lon: float, lat: float, *,
                      coordsys: str = "wgs84", on: dt.date | None = None,
                      near_m: float = DEFAULT_NEAR_M) -> bytes:
    """The lookup answer for one point as JSON bytes (one database round trip).

    See :func:`lookup_point` (the same answer, parsed) for parameters and errors.
    """
    wlon, wlat, near_m, on = checked_point(lon, lat, coordsys, near_m, on)
    rows = grids_at_point(session, wlon, wlat, on=on, metric_srid=_metric_srid(wlon, wlat),
                          search_deg=_search_box(wlat, near_m))
    body = assemble(rows.hits, rows.near, near_m)
    if body is None:
        raise outside_error(session, lon, lat, wlon, wlat, coordsys, on)
    return body


def lookup_point(session: Session, lon: float, lat: float, *, coordsys: str = "wgs84",
                 on: dt.date | None = None, near_m: float = DEFAULT_NEAR_M) -> dict[str, Any]:
    """Which grid holds a point, who serves it, and whether another grid is near.

    Parameters
    ----------
    session : Session
        Database session.
    lon, lat : float
        The point, in ``coordsys``.
    coordsys : str
        ``wgs84`` (default), ``cgcs2000``, ``gcj02`` or ``bd09``.
    on : datetime.date, optional
        Answer with the plans in force on that day (default: today in China, UTC+8).
    near_m : float
        Another base grid within this many metres makes the point ``near_boundary``.

    Returns
    -------
    dict
        The contract's answer (see :mod:`gisgrid.lookup.answer`).

    Raises
    ------
    OutsideCoverageError
        No grid in force holds the point; ``details["distance_m"]`` to the nearest.
    InvalidInputError
        Bad coordinates, unknown coordsys, near_m out of range.

    Examples
    --------
    >>> lookup_point(session, 109.735, 38.285)["grid"]["code"]   # doctest: +SKIP
    '610802002001003'
    """
    return orjson.loads(lookup_point_json(session, lon, lat, coordsys=coordsys, on=on, near_m=near_m))


def _metric_srid(lon: float, lat: float) -> int:
    """The point's UTM zone (latitude clamped into UTM's range: such points are far from
    every grid anyway)."""
    return utm_epsg_for(lon, min(max(lat, -80.0), 84.0))


def parse_points(points: Any, coordsys: str) -> tuple[np.ndarray, np.ndarray]:
    """``[[lon, lat], ...]`` in ``coordsys`` as WGS84 arrays, or :class:`InvalidInputError`."""
    try:
        arr = np.asarray(points, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("points must be a list of [lon, lat] number pairs") from exc
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidInputError("points must be a list of [lon, lat] number pairs")
    if len(arr) > MAX_BATCH:
        raise InvalidInputError(f"at most {MAX_BATCH:,} points per batch, got {len(arr):,}")
    lon, lat = to_wgs84(arr[:, 0], arr[:, 1], coordsys)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    _check_lonlat(lon, lat)
    return lon, lat


def index_for(session: Session | Connection, n_points: int, *, on: dt.date | None = None,
              near_m: float = DEFAULT_NEAR_M) -> LookupIndex:
    """The grids in force on ``on`` (default today) in memory, for ``n_points`` lookups:
    with settled cells for ``near_m`` from :data:`CELLS_FROM` points (they repay their
    build there), without below."""
    return LookupIndex(grids_in_force(session, on=on or today()),
                       cells_near_m=near_m if n_points >= CELLS_FROM else None)


def lookup_points_json(session: Session | Connection | None, points: Any, *, coordsys: str = "wgs84",
                       on: dt.date | None = None, near_m: float = DEFAULT_NEAR_M,
                       index: LookupIndex | None = None) -> list[bytes]:
    """Batch lookup: the JSON answer (or ``b"null"`` outside) for each point, in input order.

    One query fetches every grid in force into a :class:`~gisgrid.lookup.index.LookupIndex`
    (or ``index`` is used as given: the API keeps one); answers are the same bytes
    :func:`lookup_point_json` gives.
    """
    near_m = check_near(near_m)
    lon, lat = parse_points(points, coordsys)
    if index is None:
        assert session is not None, "give a session or an index"
        index = index_for(session, len(lon), on=on, near_m=near_m)
    return [b"null" if a is None else a for a in index.answers(lon, lat, near_m).tolist()]


def lookup_points(session: Session | None, points: Any, *, coordsys: str = "wgs84",
                  on: dt.date | None = None, near_m: float = DEFAULT_NEAR_M,
                  index: LookupIndex | None = None) -> list[dict[str, Any] | None]:
    """Batch lookup: the answer for each ``[lon, lat]`` point, None outside, in input order.

    Parameters
    ----------
    session : Session
        Database session.
    points : array_like of shape (n, 2)
        ``[lon, lat]`` pairs in ``coordsys``.
    coordsys, on, near_m
        As for :func:`lookup_point`.
    index : LookupIndex, optional
        The grids in force already in memory (for many calls); default: read them.

    Returns
    -------
    list
        One answer per point (see the module docstring), None where no grid holds it.

    Examples
    --------
    >>> [r and r["grid"]["code"] for r in lookup_points(session, [[109.735, 38.285], [100, 30]])]
    ... # doctest: +SKIP
    ['610802002001003', None]
    """
    return orjson.loads(b"[" + b",".join(lookup_points_json(session, points, coordsys=coordsys, on=on,
                                                             near_m=near_m, index=index)) + b"]")
