"""Which grid holds each point: one base owner per point, edge points flagged.

A point strictly inside one grid belongs to it. A point on an edge (or a vertex) shared
by several grids is ``on_boundary``; all those grids are its ``candidates`` and the
owner is chosen by a fixed rule (the candidate whose id sorts first, as text), so the
same input always gives the same answer. A point in no grid gets ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely


@dataclass
class Assignment:
    """The answer for one point."""

    id: Any
    grid: Any | None
    on_boundary: bool = False
    candidates: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _owner(candidate_ids: list[Any]) -> Any:
    return min(candidate_ids, key=lambda gid: (str(gid), repr(gid)))


def assign_points(grids: Sequence[tuple[Any, Any]], points: Sequence[tuple[Any, Any]]) -> list[Assignment]:
    """Assign each point to a grid, in input order.

    Parameters
    ----------
    grids
        ``(grid_id, polygon)`` pairs, any CRS as long as points share it.
    points
        ``(point_id, Point)`` pairs.

    Examples
    --------
    >>> from shapely import box, Point
    >>> [a.grid for a in assign_points([("a", box(0, 0, 1, 1)), ("b", box(1, 0, 2, 1))],
    ...                                [(1, Point(0.5, 0.5)), (2, Point(1, 0.5)), (3, Point(5, 5))])]
    ['a', 'a', None]
    """
    grid_ids = [g[0] for g in grids]
    geoms = np.asarray([g[1] for g in grids], dtype=object)
    pts = np.asarray([p[1] for p in points], dtype=object)
    hits: dict[int, list[int]] = {}
    touching: set[int] = set()
    if len(geoms) and len(pts):
        tree = shapely.STRtree(geoms)
        p_idx, g_idx = tree.query(pts, predicate="intersects")
        on_edge = shapely.touches(geoms[g_idx], pts[p_idx])
        for p, g, edge in zip(p_idx.tolist(), g_idx.tolist(), on_edge.tolist(), strict=True):
            hits.setdefault(p, []).append(g)
            if edge:
                touching.add(p)
    out = []
    for i, (pid, _) in enumerate(points):
        cands = sorted((grid_ids[g] for g in hits.get(i, [])), key=lambda gid: (str(gid), repr(gid)))
        out.append(Assignment(
            id=pid,
            grid=_owner(cands) if cands else None,
            on_boundary=bool(cands) and (len(cands) > 1 or i in touching),
            candidates=cands,
        ))
    return out


@dataclass
class ArrayAssignment:
    """Vectorised answer for n points against m grids (indices into the grids given).

    ``owner[i]`` is the index of point i's grid, -1 outside every grid;
    ``on_boundary[i]`` is True on an edge or corner; ``candidates`` maps each boundary
    point to the indices of every grid covering it, in ascending order.
    """

    owner: np.ndarray
    on_boundary: np.ndarray
    candidates: dict[int, list[int]]


def assign_arrays(grids: Any, x: Any, y: Any) -> ArrayAssignment:
    """Assign n points to m polygons with vectorised shapely; the lowest index owns an edge.

    The same rule as :func:`assign_points` when the grids are given sorted by id (as
    text): order them so, and the answers agree point for point. Made for millions of
    points: the polygons are prepared once and queried against an STRtree of the points.

    Parameters
    ----------
    grids : array_like of shapely polygons
        The grids, in priority order (the first covering grid owns a shared edge).
    x, y : array_like of float
        Point coordinates, in the grids' CRS.

    Returns
    -------
    ArrayAssignment

    Examples
    --------
    >>> from shapely import box
    >>> a = assign_arrays([box(0, 0, 1, 1), box(1, 0, 2, 1)], [0.5, 1.0, 5.0], [0.5, 0.5, 5.0])
    >>> a.owner.tolist(), a.on_boundary.tolist(), a.candidates
    ([0, 0, -1], [False, True, False], {1: [0, 1]})
    """
    geoms = np.asarray(grids, dtype=object)
    x = np.asarray(x, dtype=float)
    n = len(x)
    owner = np.full(n, -1, dtype=np.int64)
    on_boundary = np.zeros(n, dtype=bool)
    if n == 0 or len(geoms) == 0:
        return ArrayAssignment(owner, on_boundary, {})
    pts = shapely.points(x, np.asarray(y, dtype=float))
    shapely.prepare(geoms)
    g_idx, p_idx = shapely.STRtree(pts).query(geoms, predicate="intersects")
    # contains_xy on prepared polygons: strictly inside (boundary excluded), no geometry made.
    inside = shapely.contains_xy(geoms[g_idx], x[p_idx], np.asarray(y, dtype=float)[p_idx])
    order = np.lexsort((g_idx, p_idx))
    p_sorted, g_sorted = p_idx[order], g_idx[order]
    first = np.ones(len(p_sorted), dtype=bool)
    first[1:] = p_sorted[1:] != p_sorted[:-1]
    owner[p_sorted[first]] = g_sorted[first]
    on_boundary[p_idx[~inside]] = True
    on_boundary |= np.bincount(p_idx, minlength=n) > 1
    candidates: dict[int, list[int]] = {}
    sel = on_boundary[p_sorted]
    for p, g in zip(p_sorted[sel].tolist(), g_sorted[sel].tolist(), strict=True):
        candidates.setdefault(p, []).append(g)
    return ArrayAssignment(owner, on_boundary, candidates)
