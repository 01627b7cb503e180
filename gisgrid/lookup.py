"""Which grid, and so which people, a coordinate belongs to, in the plans in force on a date.

The answer for a point (the contract of ``GET /v1/lookup``)::

    {"grid": {"id", "code", "name", "kind"}, "overlays": [...], "community": {...},
     "subdistrict": {...}, "district": {...}, "near_boundary": bool,
     "alternatives": [{"id", "code", "name", "kind", "distance_m"}], "staff": [{"role", "name"}]}

Rules, shared by the single lookup (one SQL round trip) and the batch (one query for
the grids, then vectorised shapely), which assemble their answers with the same code:

- ``grid`` is the base grid (residential or special) holding the point; on an edge
  shared by several, the one whose code sorts first (the rule of
  :func:`gisgrid.assign.assign_points` with codes as ids). A point held only by a
  business grid gets that grid.
- ``overlays``: the business grids holding the point (the Fuzimiao merchants' grid).
- ``alternatives``: the other base grids within ``near_m`` metres (default 30), nearest
  first, with their distance; ``near_boundary`` says whether there are any. Distances
  are measured in the point's UTM zone.
- Outside every grid: :class:`OutsideCoverageError` with the distance to the nearest.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy.orm import Session

from gisgrid.crs import to_wgs84, utm_epsg_for
from gisgrid.db.lookup_store import (
    GridContext,
    distance_to_nearest_grid,
    grids_at_point,
    grids_in_force,
)
from gisgrid.errors import InvalidInputError, OutsideCoverageError

try:  # orjson parses ~5x faster; the standard library does the same job without it.
    import orjson as _fastjson

    def json_loads(data: str | bytes) -> Any:
        return _fastjson.loads(data)
except ImportError:  # pragma: no cover - depends on the environment
    import json as _json

    def json_loads(data: str | bytes) -> Any:
        return _json.loads(data)

__all__ = ["DEFAULT_NEAR_M", "MAX_BATCH", "lookup_point", "lookup_point_json", "lookup_points",
           "lookup_points_json"]

#: Distance (m) within which another grid makes a point ``near_boundary``.
DEFAULT_NEAR_M = 30.0
#: Largest near_m accepted: beyond it "near" means nothing for street-bounded grids.
MAX_NEAR_M = 1000.0
#: Most points in one batch.
MAX_BATCH = 1_000_000


#: China Standard Time (UTC+8, no daylight saving): plan dates are Chinese calendar days.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def today() -> dt.date:
    """Today's date in China, the default day of every lookup (not the server's UTC day)."""
    return dt.datetime.now(CHINA_TZ).date()


def _check_near(near_m: float) -> float:
    near_m = float(near_m)
    if not (0.0 <= near_m <= MAX_NEAR_M):
        raise InvalidInputError(f"near_m must be between 0 and {MAX_NEAR_M:g} m, got {near_m:g}")
    return near_m


def _check_lonlat(lon: np.ndarray, lat: np.ndarray) -> None:
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"point {i}: ({lon[i]}, {lat[i]}) is not a lon/lat position (lon -180..180, lat -90..90)",
            details={"index": i},
        )


def _distance_text(d: float) -> str:
    return f"{round(d, 1):.1f}"


def assemble(hits: Sequence[GridContext], near: Sequence[tuple[GridContext, float]],
             near_m: float) -> str | None:
    """The JSON answer for one point from the grids holding it and those near it.

    ``hits`` carry the areas and team; ``near`` pairs base grids with their distance in
    metres (those farther than ``near_m`` are ignored). None when nothing holds the point.
    """
    key = lambda c: (c.code, c.id)  # noqa: E731 - a sort key, used three times
    base = sorted((h for h in hits if h.kind != "business"), key=key)
    business = sorted((h for h in hits if h.kind == "business"), key=key)
    if not base and not business:
        return None
    owner = base[0] if base else business[0]
    overlays = ",".join(h.grid_json for h in business if h.id != owner.id)
    alts = sorted(((c, d) for c, d in near if c.id != owner.id and d <= near_m),
                  key=lambda t: (t[1], t[0].code, t[0].id))
    alt_json = ",".join(f'{c.grid_json[:-1]}, "distance_m" : {_distance_text(d)}}}' for c, d in alts)
    return (f'{{"grid": {owner.grid_json}, "overlays": [{overlays}], {owner.areas_json}, '
            f'"near_boundary": {"true" if alts else "false"}, "alternatives": [{alt_json}], '
            f'"staff": {owner.staff_json}}}')


def _search_box(lat: float, near_m: float) -> tuple[float, float]:
    """Half-size in degrees (lon, lat) of a box surely holding everything within near_m."""
    dlat = near_m * 1.1 / 110_574.0 + 1e-7
    return dlat / max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-6), dlat


def lookup_point_json(session: Session, lon: float, lat: float, *, coordsys: str = "wgs84",
                      on: dt.date | None = None, near_m: float = DEFAULT_NEAR_M) -> str:
    """The lookup answer for one point as JSON text (one database round trip).

    See :func:`lookup_point` (the same answer, parsed) for parameters and errors.
    """
    near_m = _check_near(near_m)
    wlon, wlat = to_wgs84(float(lon), float(lat), coordsys)
    _check_lonlat(np.asarray([wlon]), np.asarray([wlat]))
    on = on or today()
    rows = grids_at_point(session, wlon, wlat, on=on, metric_srid=_metric_srid(wlon, wlat),
                          search_deg=_search_box(wlat, near_m))
    body = assemble(rows.hits, rows.near, near_m)
    if body is None:
        d = distance_to_nearest_grid(session, wlon, wlat, on=on)
        where = "no grid in force" if d is None else f"the nearest grid is {d:,.0f} m away"
        raise OutsideCoverageError(
            f"({lon}, {lat}) {coordsys} is outside every grid in force on {on.isoformat()}; {where}",
            details={"distance_m": None if d is None else round(d, 1)},
        )
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
        The contract's answer (see the module docstring).

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
    return json_loads(lookup_point_json(session, lon, lat, coordsys=coordsys, on=on, near_m=near_m))


def _metric_srid(lon: float, lat: float) -> int:
    """The point's UTM zone (latitude clamped into UTM's range: such points are far from
    every grid anyway)."""
    return utm_epsg_for(lon, min(max(lat, -80.0), 84.0))


def _as_lonlat(points: Any, coordsys: str) -> tuple[np.ndarray, np.ndarray]:
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
    _check_lonlat(lon, lat)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _candidate_pairs(geoms: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                     near_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point index, grid index, metres) for every grid within near_m (+1 cm), per UTM zone.

    Distances are measured in the point's UTM zone, as the single lookup does in SQL.
    A grid holding a point is at 0 m, so these pairs are also the candidates for the
    exact point-in-polygon test.
    """
    clat = np.clip(lat, -80.0, 84.0)
    zone = np.minimum(((lon + 180.0) // 6.0).astype(int) + 1, 60)
    srid = np.where(clat >= 0.0, 32600, 32700) + zone
    out_p, out_g, out_d = [], [], []
    for epsg in np.unique(srid).tolist():
        sel = np.flatnonzero(srid == epsg)
        tf = Transformer.from_crs(4326, int(epsg), always_xy=True)

        def project(xy: np.ndarray, tf: Transformer = tf) -> np.ndarray:
            return np.column_stack(tf.transform(xy[:, 0], xy[:, 1]))

        grids_m = shapely.transform(geoms, project)
        pts_m = shapely.points(*tf.transform(lon[sel], lat[sel]))
        p_i, g_i = shapely.STRtree(grids_m).query(pts_m, predicate="dwithin",
                                                   distance=near_m * 1.001 + 0.01)
        out_p.append(sel[p_i])
        out_g.append(g_i)
        out_d.append(shapely.distance(grids_m[g_i], pts_m[p_i]))
    return np.concatenate(out_p), np.concatenate(out_g), np.concatenate(out_d)


def _groups(owner_idx: np.ndarray, other_idx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sort pairs by point; return the order and each point's start offset."""
    order = np.argsort(owner_idx, kind="stable")
    starts = np.searchsorted(owner_idx[order], np.arange(n + 1))
    return order, starts


def lookup_points_json(session: Session, points: Any, *, coordsys: str = "wgs84",
                       on: dt.date | None = None, near_m: float = DEFAULT_NEAR_M) -> list[str]:
    """Batch lookup: the JSON answer (or ``"null"`` outside) for each point, in input order.

    One query fetches every grid in force; the points are then tested with shapely's
    vectorised STRtree query (in metres, for the near grids) and an exact
    point-in-polygon test on lon/lat for the candidates. Answers are assembled by the same code as
    :func:`lookup_point_json`, so a point gets the same answer either way.
    """
    near_m = _check_near(near_m)
    lon, lat = _as_lonlat(points, coordsys)
    n = len(lon)
    grids = grids_in_force(session, on=on or today())
    if n == 0 or not grids:
        return ["null"] * n
    contexts = [c for c, _ in grids]
    geoms = shapely.from_wkb([w for _, w in grids])
    shapely.prepare(geoms)
    is_base = np.array([c.kind != "business" for c in contexts])
    p_cand, g_cand, d_cand = _candidate_pairs(geoms, lon, lat, near_m)
    inside = shapely.intersects_xy(geoms[g_cand], lon[p_cand], lat[p_cand])   # exact, in lon/lat
    p_hit, g_hit = p_cand[inside], g_cand[inside]
    near = is_base[g_cand] & (d_cand <= near_m)
    p_near, g_near, d_near = p_cand[near], g_cand[near], d_cand[near]
    hit_count = np.bincount(p_hit, minlength=n)
    near_count = np.bincount(p_near, minlength=n)
    first_hit = np.full(n, -1, dtype=np.intp)
    first_hit[p_hit[::-1]] = g_hit[::-1]
    # The common case: one base grid holds the point and no other is near (the near
    # pair is then the grid itself, at 0 m): the answer depends on the grid alone.
    simple = (hit_count == 1) & (near_count == 1) & is_base[np.maximum(first_hit, 0)]
    simple_json = [assemble([c], [], near_m) for c in contexts]
    out = ["null"] * n
    for i in np.flatnonzero(simple).tolist():
        out[i] = simple_json[first_hit[i]]  # type: ignore[assignment]
    h_order, h_start = _groups(p_hit, g_hit, n)
    n_order, n_start = _groups(p_near, g_near, n)
    for i in np.flatnonzero(~simple & (hit_count > 0)).tolist():
        hits = [contexts[g] for g in g_hit[h_order[h_start[i]:h_start[i + 1]]].tolist()]
        sel = n_order[n_start[i]:n_start[i + 1]]
        near = [(contexts[g], d) for g, d in zip(g_near[sel].tolist(), d_near[sel].tolist(),
                                                  strict=True)]
        out[i] = assemble(hits, near, near_m) or "null"
    return out


def lookup_points(session: Session, points: Any, *, coordsys: str = "wgs84",
                  on: dt.date | None = None, near_m: float = DEFAULT_NEAR_M) -> list[dict[str, Any] | None]:
    """Batch lookup: the answer for each ``[lon, lat]`` point, None outside, in input order.

    Parameters
    ----------
    session : Session
        Database session.
    points : array_like of shape (n, 2)
        ``[lon, lat]`` pairs in ``coordsys``.
    coordsys, on, near_m
        As for :func:`lookup_point`.

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
    return json_loads("[" + ",".join(lookup_points_json(session, points, coordsys=coordsys, on=on,
                                                        near_m=near_m)) + "]")
