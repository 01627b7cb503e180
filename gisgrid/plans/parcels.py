"""A street block shared between grids, cut into one parcel per building (nearest-building cells).

When a block must be shared (a new estate pushed its grid over the ceiling, a lane of
old houses belongs with the grid across the street), a planner moves buildings, not
drawn lines. The block is cut into parcels: every point of the block goes to the
building whose outline is nearest (a Voronoi partition of points sampled along the
outlines, each building's cells merged). The parcels tile the block exactly, each holds
its own building whole (a point inside an outline is nearer to that outline than to any
other building, since the way out crosses it; sampled every :data:`SAMPLE_DEG`, this
holds for buildings standing further apart than that), and parcels meet along the lines halfway
between buildings, so grid edges drawn by parcels run between buildings, never through one.

Distances are measured with longitude scaled by cos(latitude), near enough to metres
for a block; the cells are clipped to the block in lon/lat so its street edges stay
exactly where they are.
"""

from __future__ import annotations

import numpy as np
import shapely

from gisgrid.shapes import polygonal

__all__ = ["SAMPLE_DEG", "building_parcels"]

#: Spacing of the points sampled along each outline (degrees, about 2 m).
SAMPLE_DEG = 2e-5


def building_parcels(block: shapely.Geometry, footprints: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Cut ``block`` into one parcel per footprint (same order); lon/lat WGS84.

    Parameters
    ----------
    block : Polygon or MultiPolygon
        A street block.
    footprints : list of Polygon
        The outlines of the buildings standing in it (at least two, not overlapping).

    Returns
    -------
    list of Polygon or MultiPolygon
        Parcel ``i`` holds footprint ``i``; together they tile the block. A building
        whose cells are cut off by another (rare) gets a MultiPolygon, one standing
        outside the block an empty Polygon.

    Examples
    --------
    >>> from shapely import box
    >>> west, east = building_parcels(box(0, 0, 0.002, 0.001),
    ...                               [box(0.0002, 0.0002, 0.0006, 0.0008),
    ...                                box(0.0014, 0.0002, 0.0018, 0.0008)])
    >>> round(west.bounds[2], 6), round(east.bounds[0], 6)
    (0.001, 0.001)
    """
    centre = shapely.get_coordinates(shapely.centroid(block))[0]
    k = float(np.cos(np.radians(centre[1])))

    def to_local(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - centre[0]) * k, xy[:, 1] - centre[1]])

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy[:, 0] / k + centre[0], xy[:, 1] + centre[1]])

    rings = shapely.segmentize(shapely.boundary(np.asarray(footprints, dtype=object)), SAMPLE_DEG)
    xy, owner = shapely.get_coordinates(rings, return_index=True)
    xy, first = np.unique(to_local(xy), axis=0, return_index=True)
    owner = owner[first]
    frame = shapely.transform(shapely.buffer(shapely.envelope(block), 10 * SAMPLE_DEG), to_local)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame,
                                                       ordered=True))
    out = []
    for i in range(len(footprints)):
        cell = shapely.transform(_merge(cells[owner == i]), to_lonlat)
        out.append(polygonal(shapely.intersection(cell, block)) or shapely.Polygon())
    return out


def _merge(cells: np.ndarray) -> shapely.Geometry:
    """One building's Voronoi cells as one shape. Regular samples (two outlines mirror
    images of each other) give cocircular points, whose cells GEOS can return with a
    corner folded onto itself: those are made valid first."""
    bad = ~shapely.is_valid(cells)
    if bad.any():
        cells = cells.copy()
        cells[bad] = [polygonal(shapely.make_valid(c)) or shapely.Polygon() for c in cells[bad]]
    return shapely.union_all(cells)
