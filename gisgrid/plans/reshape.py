"""New grid boundaries when pieces of land change grid: faces of the noded edges, never overlays.

Every edit that moves land between grids (``move``, ``reassign``, the editor's save)
comes here, so one rule decides the shapes (STYLE: the owner of a point on a shared edge
was once decided five ways; the copies drifted).

The rule: the boundaries of the touched grids and of the moving pieces are noded
together on :data:`gisgrid.shapes.GRID_DEG` (snap rounding, the precision of the coverage
check) and cut into faces. A face inside a piece that leaves grid A for grid B goes to B
whole; every other face stays with the grid it lies in. Each grid's new shape is the
union of its faces, so two grids that share a face edge share it exactly: no gap and no
overlap can open between them, whatever the pieces' own edges look like. A face the
touched grids do not cover (an untouched neighbour, or a gap of the draft) is never
given away: land only moves between the grids named.

Faces narrower than :data:`SLIVER_M` are float residue of edges that agree only up to
noise (a block cut from rounded streets, a building parcel on a street edge): each such
hairline goes with the neighbouring face it shares most edge with, so it never strands
a thread of one grid between two parts of another.

Why not ``union``/``difference`` of the pieces: an overlay of edges that agree only to
1e-12 degrees leaves hairline gaps; a grid made of such a union is split in two by a
thread of its neighbour, and ``move`` refused blocks of the server's own
``POST /v1/blocks`` for it ("does not touch grid ... along an edge").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from gisgrid.shapes import GRID_DEG, metric_near, polygonal

__all__ = ["SLIVER_M", "Reshaped", "reshape_grids"]

#: Faces narrower than this (mean width 2A/P, metres) are residue, not land.
SLIVER_M = 0.01


@dataclass
class Reshaped:
    """The touched grids' new shapes and what changed hands.

    ``shapes`` holds every grid that keeps land (old or new key); ``removed`` the old
    grids left with none; ``moved`` lists ``(from, to, face)`` for each face that changed
    grid, for counting what moves.
    """

    shapes: dict[Hashable, shapely.Geometry]
    removed: list[Hashable] = field(default_factory=list)
    moved: list[tuple[Hashable, Hashable, shapely.Geometry]] = field(default_factory=list)


def reshape_grids(old: Mapping[Hashable, shapely.Geometry],
                  pieces: Sequence[tuple[shapely.Geometry, Hashable, Hashable]]) -> Reshaped:
    """Move pieces of land between grids; return the touched grids' new boundaries.

    Parameters
    ----------
    old : mapping of grid key to (Multi)Polygon
        The grids land may leave or join, lon/lat WGS84 (untouched neighbours stay out).
    pieces : sequence of (geometry, from, to)
        Land leaving grid ``from`` for grid ``to`` (``to`` may be a key not in ``old``:
        a new grid). Only the part of a piece inside ``from`` moves.

    Returns
    -------
    Reshaped

    Examples
    --------
    >>> from shapely import box
    >>> out = reshape_grids({"a": box(0, 0, 2, 1), "b": box(2, 0, 3, 1)},
    ...                     [(box(1, 0, 2, 1), "a", "b")])
    >>> sorted((k, round(v.area, 6)) for k, v in out.shapes.items()), out.removed
    ([('a', 1.0), ('b', 2.0)], [])
    """
    keys = list(old)
    olds = _array([old[k] for k in keys])
    geoms = _array([p[0] for p in pieces])
    lines = [*shapely.boundary(olds), *shapely.boundary(geoms)]
    noded = shapely.union_all(lines, grid_size=GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if not len(faces):
        return Reshaped({k: old[k] for k in keys})
    points = shapely.point_on_surface(faces)
    was = _first_within(points, olds)
    now = [None if w < 0 else keys[w] for w in was]
    piece_hits = shapely.STRtree(geoms).query(points, predicate="within") if len(geoms) else np.zeros((2, 0))
    for f, p in sorted(zip(*piece_hits.tolist(), strict=True)):
        if was[f] >= 0 and now[f] == keys[was[f]] and pieces[p][1] == keys[was[f]]:
            now[f] = pieces[p][2]
    _absorb_slivers(faces, was, now)
    parts: dict[Hashable, list[shapely.Geometry]] = defaultdict(list)
    out = Reshaped({})
    for f, face in enumerate(faces):
        if now[f] is None:
            continue
        parts[now[f]].append(face)
        if now[f] != keys[was[f]]:
            out.moved.append((keys[was[f]], now[f], face))
    for key, faces_of in parts.items():
        shape = polygonal(shapely.union_all(faces_of, grid_size=GRID_DEG))
        if shape is not None:
            out.shapes[key] = shape
    out.removed = [k for k in keys if k not in out.shapes]
    return out


def _array(geoms: list[shapely.Geometry]) -> np.ndarray:
    out = np.empty(len(geoms), dtype=object)
    out[:] = geoms
    return out


def _first_within(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the first polygon holding each point, -1 for none."""
    out = np.full(len(points), -1)
    hits = shapely.STRtree(polygons).query(points, predicate="within")
    for p, g in sorted(zip(*hits.tolist(), strict=True), reverse=True):
        out[p] = g  # reversed: the lowest polygon index is written last
    return out


def _absorb_slivers(faces: np.ndarray, was: np.ndarray, now: list[Hashable | None]) -> None:
    """Hairline faces take the owner of the face they share most edge with (a wide one first)."""
    metric = metric_near(shapely.union_all(shapely.envelope(faces)))
    projected = metric.to_metric(faces)
    width = 2 * shapely.area(projected) / np.maximum(shapely.length(projected), 1e-12)
    slivers = np.flatnonzero((width < SLIVER_M) & (was >= 0))
    if not len(slivers):
        return
    tree = shapely.STRtree(faces)
    rings = shapely.boundary(faces)
    for f in slivers.tolist():
        near = [g for g in tree.query(faces[f], predicate="intersects").tolist()
                if g != f and now[g] is not None]
        if not near:
            continue
        shared = shapely.length(shapely.intersection(rings[f], rings[near], grid_size=GRID_DEG))
        best = max(range(len(near)), key=lambda k: (width[near[k]] >= SLIVER_M, shared[k], -near[k]))
        if shared[best] > 0:
            now[f] = now[near[best]]
