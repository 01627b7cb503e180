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
