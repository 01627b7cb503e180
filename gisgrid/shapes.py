"""Grid shapes for coverage work: reading (id, geometry) input and taking polygonal parts.

Shared by :mod:`gisgrid.coverage.check` (the check) and :mod:`gisgrid.coverage.repair` (the fixes), so
both read input, snap to the fixed precision and split collections the same way.
Geometry is lon/lat WGS84 throughout; see :mod:`gisgrid.coverage.check` for why the overlays
run in degrees and only the measuring is done in metres.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
import shapely.errors
from shapely.geometry import mapping

from gisgrid.crs import LocalEqualArea
from gisgrid.errors import InvalidInputError

__all__ = [
    "GRID_DEG",
    "TOUCH_DEG",
    "check_lonlat",
    "check_parent",
    "geojson_geometry",
    "metric_near",
    "polygon_parts",
    "polygonal",
    "read_pairs",
    "snap",
    "uncovered",
]

# Grids are snapped to this grid (degrees: about 0.1 mm) and overlays run at this fixed
# precision, so edges that two grids share up to floating-point noise become identical
# instead of leaving hairline gaps and overlaps all over a layout.
GRID_DEG = 1e-9
# A grid this close to a gap (in degrees: about 1 mm) counts as touching it; the gap's
# edges are the grids' own edges, so the true distance is 0 up to floating-point noise.
TOUCH_DEG = 1e-8
_POLYGON = 3  # shapely type id of Polygon
#: Largest parent extent (degrees, either way) a check accepts.
MAX_EXTENT_DEG = 10.0


def read_pairs(features: Any, what: str) -> tuple[list[Hashable], np.ndarray]:
    """Ids and lon/lat geometries from (id, geometry) pairs or a GeoDataFrame.

    A GeoDataFrame needs an ``id`` column and is reprojected to lon/lat WGS84 when its
    CRS says otherwise. Ids must be unique strings or numbers; geometries shapely or None.

    Raises
    ------
    InvalidInputError
        Not pairs, repeated ids, non-geometries, or coordinates that are not lon/lat.
    """
    if hasattr(features, "geometry") and hasattr(features, "columns"):
        if "id" not in features.columns:
            raise InvalidInputError(f"{what}: the GeoDataFrame needs an 'id' column")
        if features.crs is not None and not features.crs.equals("EPSG:4326"):
            features = features.to_crs("EPSG:4326")
        ids = list(features["id"])
        geoms = np.asarray(features.geometry.values, dtype=object)
    else:
        pairs = list(features)
        if any(not isinstance(p, Sequence) or len(p) != 2 for p in pairs):
            raise InvalidInputError(f"{what}: expected (id, geometry) pairs")
        ids = [p[0] for p in pairs]
        geoms = np.empty(len(pairs), dtype=object)
        geoms[:] = [p[1] for p in pairs]
    try:
        repeated = sorted(str(i) for i, n in Counter(ids).items() if n > 1)
    except TypeError:
        raise InvalidInputError(f"{what}: ids must be strings or numbers") from None
    if repeated:
        raise InvalidInputError(
            f"{what}: ids must be unique; repeated: {', '.join(repeated)}",
            details={"repeated_ids": repeated},
        )
    if not all(g is None or isinstance(g, shapely.Geometry) for g in geoms):
        raise InvalidInputError(f"{what}: every geometry must be a shapely geometry or None")
    check_lonlat(geoms, what)
    return ids, geoms


def check_lonlat(geoms: Any, what: str) -> None:
    """Refuse coordinates that cannot be lon/lat (projected metres sent by mistake)."""
    if np.size(geoms) == 0:
        return
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if np.isfinite(xmin) and not (-180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90):
        raise InvalidInputError(f"{what}: coordinates are not lon/lat degrees (WGS84)")


def check_parent(parent: Any) -> shapely.Geometry:
    """The parent area as a valid (Multi)Polygon, repaired if needed, at fixed precision."""
    if not isinstance(parent, shapely.Geometry):
        raise InvalidInputError("parent must be a geometry")
    check_lonlat(parent, "parent")
    repaired = polygonal(parent if shapely.is_valid(parent) else shapely.make_valid(parent))
    if repaired is None or shapely.area(repaired) == 0:
        raise InvalidInputError("parent has no area: expected a Polygon or MultiPolygon")
    xmin, ymin, xmax, ymax = repaired.bounds
    if max(xmax - xmin, ymax - ymin) > MAX_EXTENT_DEG:
        # Areas are measured in a projection centred on the parent; continents are out of
        # its reach (and of any grid plan: Yuyang district spans about 1.5 degrees).
        raise InvalidInputError(
            f"parent spans more than {MAX_EXTENT_DEG:g} degrees; check a district or less at a time"
        )
    return shapely.set_precision(repaired, GRID_DEG)


def polygon_parts(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """Non-empty Polygon parts of geometries (collections opened), with source index."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while True:  # make_valid can nest a MultiPolygon inside a GeometryCollection
        nested = (shapely.get_num_geometries(parts) > 1) | (shapely.get_type_id(parts) >= 4)
        if not nested.any():
            break
        sub, sub_index = shapely.get_parts(parts[nested], return_index=True)
        index = np.concatenate([index[~nested], index[nested][sub_index]])
        parts = np.concatenate([parts[~nested], sub])
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    return parts[keep], index[keep]


def polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of one geometry (None if there is none)."""
    parts, _ = polygon_parts(geom)
    if len(parts) == 0:
        return None
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def geojson_geometry(geom: shapely.Geometry | None) -> dict[str, Any] | None:
    """A GeoJSON geometry dict, exterior rings counter-clockwise as RFC 7946 asks."""
    if geom is None:
        return None
    return mapping(shapely.orient_polygons(geom))


def snap(shapes: np.ndarray) -> np.ndarray:
    """Shapes snapped to :data:`GRID_DEG`, still valid.

    Rounding each vertex ("pointwise") is much faster than GEOS's validity-preserving
    snapping (bench/README.md) and leaves a valid shape valid in all but degenerate cases; those few
    (checked) are snapped again the careful way.
    """
    out = shapely.set_precision(shapes, GRID_DEG, mode="pointwise")
    broken = ~shapely.is_missing(out) & ~shapely.is_valid(out)
    if broken.any():
        out[broken] = shapely.set_precision(shapes[broken], GRID_DEG)
    return out


def uncovered(parent: shapely.Geometry, shapes: np.ndarray, overlapping: np.ndarray) -> shapely.Geometry:
    """The part of ``parent`` that no shape covers (``parent - union(shapes)``).

    The shapes that overlap nothing (all but the ``overlapping`` indices) form a polygon
    coverage, which GEOS unions by matching edges (``coverage_union_all``) many times
    faster than a general union (bench/README.md); the few overlapping shapes are subtracted afterwards. GEOS
    refuses a coverage whose shared edges are not noded alike and returns an invalid
    union for one with overlaps: in both cases the general union is used instead.
    """
    present = ~shapely.is_missing(shapes)
    rest = present.copy()
    rest[overlapping] = False
    try:
        union = shapely.coverage_union_all(shapes[rest])
        if not shapely.is_valid(union):
            raise ValueError("not a coverage")
    except (shapely.errors.GEOSException, ValueError):
        return shapely.difference(parent, shapely.union_all(shapes[present], grid_size=GRID_DEG),
                                  grid_size=GRID_DEG)
    out = shapely.difference(parent, union, grid_size=GRID_DEG)
    others = shapes[present & ~rest]
    if len(others):
        out = shapely.difference(out, shapely.union_all(others, grid_size=GRID_DEG), grid_size=GRID_DEG)
    return out


@lru_cache(maxsize=64)
def _metric_at(lon: float, lat: float) -> LocalEqualArea:
    return LocalEqualArea(lon, lat)


def metric_near(geom: shapely.Geometry) -> LocalEqualArea:
    """The equal-area projection centred on a geometry, to ~100 m (built once per place).

    One projection per place is built and kept (its build cost: bench/README.md);
    re-centring it by under 100 m changes no area (equal-area) and no width measurably,
    so checks of one district share it.
    """
    centre = shapely.centroid(geom)
    return _metric_at(round(centre.x, 3), round(centre.y, 3))
