"""Shapes sent by clients put back on the stored vertices they came from (within :data:`SNAP_DEG`).

A grid the API served and a client sends back was rounded on the way out (7 decimals,
``gisgrid.db.queries.GEOJSON_DIGITS``: up to 7e-8 degrees, under 1 cm); a block cut by
``POST /v1/blocks`` from served streets is off the stored edges by as much. Stored
unchanged, such a shape no longer meets its neighbours: sending each grid of the demo
back through ``replace`` opened 9 gaps and 10 outside-the-community slivers. So a vertex
sent within :data:`SNAP_DEG` of a stored vertex (of the grid itself, of the grids near
it, of its community) *is* that vertex, and a stored vertex within it of a sent edge is
put on that edge (GEOS ``snap``). A shape sent back unchanged is then stored exactly as
it was, and a block cut from served streets sits exactly on the grid edges it follows.

Uploaded plans (``POST /v1/plans`` with ``source: upload``) are snapped to the active
plan's and the communities' vertices the same way, so a plan exported as served and
uploaded again tiles its communities (unsnapped: the same 9 gaps and 10 slivers).

Why snap rather than store every boundary on the 7-decimal grid the API serves: that
would make the round trip exact only if every writer (edits, redraws, imports, repairs)
rounded every grid of a plan together (rounding one grid alone opens the same slivers
against its neighbours), and community boundaries would have to follow, or the outer
grids would leave slivers inside them. Snapping touches only what a client sends.

The tolerance, about 10 cm, is far above the rounding (under 1 cm) and far below any
edge a planner means to draw: street centre lines and building outlines are metres apart.
"""

from __future__ import annotations

import shapely

from gisgrid.shapes import polygonal

__all__ = ["SNAP_DEG", "snap_to_vertices"]

#: How far (degrees, about 10 cm at 38°N) a sent vertex may be from the stored one it means.
SNAP_DEG = 1e-6


def snap_to_vertices(geom: shapely.Geometry, reference: shapely.Geometry | None,
                     tolerance: float = SNAP_DEG) -> shapely.Geometry:
    """``geom`` with its vertices moved onto the ``reference`` vertices within ``tolerance``.

    Returns ``geom`` unchanged when there is no reference or when snapping would make it
    invalid (a sliver folded onto itself): the caller's own checks then judge it as sent.

    Examples
    --------
    >>> from shapely import MultiPoint, box
    >>> sent = box(0.00000004, 0, 1, 1)
    >>> snap_to_vertices(sent, MultiPoint([(0, 0), (0, 1)])).bounds
    (0.0, 0.0, 1.0, 1.0)
    """
    if reference is None or reference.is_empty:
        return geom
    snapped = polygonal(shapely.snap(geom, reference, tolerance))
    if snapped is None or not snapped.is_valid or snapped.is_empty:
        return geom
    return snapped
