"""Which grid holds each point: one base owner per point, edge points flagged.

A point strictly inside one grid belongs to it. A point on an edge (or a vertex) shared
by several grids is ``on_boundary``; all those grids are its ``candidates`` and the
owner is chosen by a fixed rule (the candidate whose id sorts first, as text:
:func:`gisgrid.rules.stateless_owner_key`, the owner rule where grids have no code), so
the same input always gives the same answer. A point in no grid gets ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely

from gisgrid.errors import InvalidGeometryError
from gisgrid.rules import stateless_owner_key


@dataclass
class Assignment:
    """The answer for one point."""

    id: Any
    grid: Any | None
    on_boundary: bool = False
    candidates: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def assign_points(grids: Sequence[tuple[Any, Any]], points: Sequence[tuple[Any, Any]]) -> list[Assignment]:
    """Assign each point to a grid, in input order.

    Parameters
    ----------
    grids
        ``(grid_id, polygon)`` pairs, any CRS as long as points share it.
    points
        ``(point_id, Point)`` pairs.

    Raises
    ------
    InvalidGeometryError
        A grid that is not a valid polygon (a bow-tie has no well-defined inside).

    Examples
    --------
    >>> from shapely import box, Point
    >>> [a.grid for a in assign_points([("a", box(0, 0, 1, 1)), ("b", box(1, 0, 2, 1))],
    ...                                [(1, Point(0.5, 0.5)), (2, Point(1, 0.5)), (3, Point(5, 5))])]
    ['a', 'a', None]
    """
    grid_ids = [g[0] for g in grids]
    geoms = np.asarray([g[1] for g in grids], dtype=object)
    _check_grids(grid_ids, geoms)
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
        cands = sorted((grid_ids[g] for g in hits.get(i, [])), key=stateless_owner_key)
        out.append(Assignment(
            id=pid,
            grid=cands[0] if cands else None,         # the owner: first by the rule
            on_boundary=bool(cands) and (len(cands) > 1 or i in touching),
            candidates=cands,
        ))
    return out


def _check_grids(grid_ids: list[Any], geoms: np.ndarray) -> None:
    present = ~shapely.is_missing(geoms)
    bad = np.flatnonzero(present & ~shapely.is_valid(np.where(present, geoms, None)))
    if len(bad):
        i = int(bad[0])
        raise InvalidGeometryError(
            f"grid {grid_ids[i]} is not a valid polygon ({shapely.is_valid_reason(geoms[i])}): "
            "which points it holds is undefined; repair it first (POST /v1/coverage/repair)",
            details={"invalid_grids": [grid_ids[int(j)] for j in bad[:50]]})


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

    @classmethod
    def concat(cls, parts: list[ArrayAssignment]) -> ArrayAssignment:
        """The answers for the points of ``parts`` one after another (indices shifted)."""
        candidates: dict[int, list[int]] = {}
        offset = 0
        for part in parts:
            candidates.update((i + offset, c) for i, c in part.candidates.items())
            offset += len(part.owner)
        return cls(np.concatenate([p.owner for p in parts]),
                   np.concatenate([p.on_boundary for p in parts]), candidates)


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


class GridRaster:
    """Grids rasterised once, so that most points are answered by a table look-up.

    :meth:`assign` gives exactly the answers of :func:`assign_arrays` (and so of
    :func:`assign_points` with the grids in id order), several times faster for many
    points (bench/README.md): assign_arrays makes a shapely Point per point and queries
    a tree of them; here a point only becomes a geometry test when it falls in a cell
    that a grid boundary touches.

    Not the lattice of the lookup's settled cells (:class:`gisgrid.lookup.cells.SettledCells`):
    those must also settle distances to other grids (``near_m``), so they are cut in
    lon/lat and decided in UTM metres against buffered grids; an assignment needs no
    distance, so these cells are square in the grids' own CRS, sized by the number of
    grids and decided exactly by the boundary segments crossing them.

    How. The grids' extent is cut into square cells. A cell that no boundary segment
    comes near (a margin of ``1e-6`` cell is added on every side, far above rounding)
    lies wholly inside one grid or inside none, and so does every point that falls in
    it. Which grid is read from two running sums along the cell rows, over the edges
    crossing each row's centre line (the crossing-number test, run for all grids at
    once): the winding number of the rings (shells +1, holes -1) and that winding times
    the grid's number. For valid polygons a winding of 1 means exactly one grid, and the
    second sum names it; 0 means none. Points in touched cells, and in cells where grids
    overlap (winding 2 or more), are tested exactly with prepared polygons
    (``intersects_xy``, then ``contains_xy`` to tell the boundary), against the grids
    whose bounds meet their cell.

    Anything that is not a valid polygon or multipolygon (the winding argument needs
    valid rings) makes the raster step aside: :meth:`assign` then runs
    :func:`assign_arrays` itself.

    Parameters
    ----------
    grids : array_like of shapely polygons
        The grids, in priority order (the first covering grid owns a shared edge);
        ``None`` or empty entries hold no point.
    cells : int, optional
        About how many cells: by default 400 per grid (cells of about 1/20 of a grid
        across), at most 2**22 (a 4-million-cell raster takes ~36 MB).

    Examples
    --------
    >>> from shapely import box
    >>> raster = GridRaster([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> a = raster.assign([0.5, 1.0, 5.0], [0.5, 0.5, 5.0])
    >>> a.owner.tolist(), a.on_boundary.tolist(), a.candidates
    ([0, 0, -1], [False, True, False], {1: [0, 1]})
    """

    #: A cell counts as touched by a boundary passing within this fraction of a cell.
    MARGIN = 1e-6

    def __init__(self, grids: Any, *, cells: int | None = None) -> None:
        self.geoms = np.asarray(grids, dtype=object).reshape(-1)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.ready = False
        bounds = shapely.bounds(self.geoms)
        usable = np.flatnonzero(np.isfinite(bounds).all(axis=1))
        polygonal = np.isin(shapely.get_type_id(self.geoms[usable]), (3, 6))
        if not len(usable) or not polygonal.all() or not shapely.is_valid(self.geoms[usable]).all():
            return
        x0, y0 = bounds[usable, 0].min(), bounds[usable, 1].min()
        x1, y1 = bounds[usable, 2].max(), bounds[usable, 3].max()
        width, height = x1 - x0, y1 - y0
        target = min(1 << 22, max(4096, cells if cells is not None else 400 * len(usable)))
        size = max(float(np.sqrt(width * height / target)), max(width, height) / 4096)
        scale = max(abs(x0), abs(x1), abs(y0), abs(y1))
        if not size > 0 or size * self.MARGIN < 1e3 * np.spacing(scale):
            return   # degenerate extent, or cells too small for the coordinates' precision
        # One cell of margin on every side: no boundary reaches the outer cells' far sides.
        self.size, self.eps = size, size * self.MARGIN
        self.ox, self.oy = x0 - size, y0 - size
        self.nx, self.ny = int(width / size) + 3, int(height / size) + 3

        parts, part_grid = shapely.get_parts(self.geoms[usable], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
        seg = np.flatnonzero(vertex_ring[1:] == vertex_ring[:-1])   # vertex i to i+1, same ring
        ax, ay, bx, by = xy[seg, 0], xy[seg, 1], xy[seg + 1, 0], xy[seg + 1, 1]
        seg_ring = vertex_ring[seg]
        shell = np.ones(len(rings), dtype=bool)
        shell[1:] = ring_part[1:] != ring_part[:-1]          # get_rings: shell first, then holes
        # +1 inside a shell, -1 inside a hole, whichever way the ring runs.
        sign = np.where(shell, 1, -1) * np.where(shapely.is_ccw(rings), 1, -1)
        ring_grid = usable[part_grid[ring_part]]
        touched = self._touched(ax, ay, bx, by)
        if touched is None:
            return
        self.touched = touched
        self.winding, self.grid_sum = self._row_sums(ax, ay, bx, by, sign[seg_ring], ring_grid[seg_ring])
        self.ready = True

    def _touched(self, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray | None:
        """Cells within the margin of a boundary segment (a superset is harmless, only slower).

        Segments are cut into pieces shorter than a cell, so the box of a piece grown by
        the margin spans at most 2 x 2 cells, and its four corner cells are all of them.
        """
        size, eps, nx = self.size, self.eps, self.nx
        pieces = np.maximum(np.ceil(np.maximum(np.abs(bx - ax), np.abs(by - ay)) / (0.999 * size)), 1
                            ).astype(np.int64)
        if pieces.sum() > 8 * self.nx * self.ny + 1_000_000:
            return None           # boundaries far longer than the raster is wide: pathological
        s = np.repeat(np.arange(len(pieces)), pieces)
        k = pieces[s]
        j = np.arange(len(s)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        dx, dy = (bx - ax)[s], (by - ay)[s]
        px0, px1 = ax[s] + dx * (j / k), ax[s] + dx * ((j + 1) / k)
        py0, py1 = ay[s] + dy * (j / k), ay[s] + dy * ((j + 1) / k)
        ix0 = ((np.minimum(px0, px1) - (self.ox + eps)) / size).astype(np.int64)
        ix1 = ((np.maximum(px0, px1) - (self.ox - eps)) / size).astype(np.int64)
        iy0 = ((np.minimum(py0, py1) - (self.oy + eps)) / size).astype(np.int64) * nx
        iy1 = ((np.maximum(py0, py1) - (self.oy - eps)) / size).astype(np.int64) * nx
        touched = np.zeros(self.nx * self.ny, dtype=bool)
        for cell in (iy0 + ix0, iy0 + ix1, iy1 + ix0, iy1 + ix1):
            touched[cell] = True
        return touched

    def _row_sums(self, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray,
                  sign: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Winding number and winding x (grid + 1) at every cell centre, summed from the left.

        Every edge crossing a row's centre line (half-open in y, the usual rule, so a
        vertex on the line counts once) adds its ±1 to the cells right of the crossing's
        cell. Each ring's crossings of a line cancel out, so one running sum over the
        whole raster, row after row, is the same as a sum restarted on every row.
        """
        size, oy, nx = self.size, self.oy, self.nx
        # Candidate rows of each edge, one more at each end than rounding could need.
        lo = np.ceil((np.minimum(ay, by) - oy) / size - 0.5).astype(np.int64) - 1
        hi = np.ceil((np.maximum(ay, by) - oy) / size - 0.5).astype(np.int64)
        count = np.maximum(hi - lo + 1, 0)
        e = np.repeat(np.arange(len(ay)), count)
        row = np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(len(e))
        yc = oy + (row + 0.5) * size
        cross = (ay[e] <= yc) != (by[e] <= yc)
        e, row, yc = e[cross], row[cross], yc[cross]
        xc = ax[e] + (yc - ay[e]) * (bx[e] - ax[e]) / (by[e] - ay[e])
        col = np.minimum(np.floor((xc - self.ox) / size).astype(np.int64) + 1, nx - 1)
        # Seen from the left, a ring running anticlockwise goes down on the near side.
        step = (np.where(by[e] > ay[e], -1, 1) * sign[e]).astype(np.int32)
        winding = np.zeros(nx * self.ny, dtype=np.int32)
        np.add.at(winding, row * nx + col, step)
        grid_sum = np.zeros(nx * self.ny, dtype=np.int32)
        # int32 may wrap on overlaps; where the winding is 1 the true sum is one grid + 1.
        np.add.at(grid_sum, row * nx + col, step * (grid[e] + 1).astype(np.int32))
        return np.cumsum(winding, out=winding), np.cumsum(grid_sum, out=grid_sum)

    def assign(self, x: Any, y: Any) -> ArrayAssignment:
        """Assign points given by coordinates; the same answers as :func:`assign_arrays`."""
        x = np.asarray(x, dtype=float).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if not self.ready:
            return assign_arrays(self.geoms, x, y)
        n = len(x)
        cx = np.floor((x - self.ox) / self.size)
        cy = np.floor((y - self.oy) / self.size)
        on_raster = (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)   # NaN: False
        cell = np.where(on_raster, cy * self.nx + cx, 0).astype(np.intp)
        winding = self.winding[cell]
        owner = np.where(on_raster & (winding == 1), self.grid_sum[cell].astype(np.int64) - 1, -1)
        test = np.flatnonzero(on_raster & (self.touched[cell] | (winding < 0) | (winding > 1)))
        on_boundary = np.zeros(n, dtype=bool)
        candidates: dict[int, list[int]] = {}
        if not len(test):
            return ArrayAssignment(owner, on_boundary, candidates)
        owner[test] = -1
        # Grids whose bounds meet each tested cell (grown by the margin: the point's cell
        # index may be off by rounding), then (point, grid) pairs ordered by point, grid.
        cells, inverse = np.unique(cell[test], return_inverse=True)
        cx0 = self.ox + (cells % self.nx) * self.size - self.eps
        cy0 = self.oy + (cells // self.nx) * self.size - self.eps
        side = self.size + 2 * self.eps
        c_idx, g_idx = self.tree.query(shapely.box(cx0, cy0, cx0 + side, cy0 + side))
        order = np.lexsort((g_idx, c_idx))
        c_idx, g_idx = c_idx[order], g_idx[order]
        start = np.searchsorted(c_idx, np.arange(len(cells) + 1))
        count = start[inverse + 1] - start[inverse]
        p = np.repeat(test, count)
        g = g_idx[np.repeat(start[inverse] - (np.cumsum(count) - count), count) + np.arange(len(p))]
        hit = shapely.intersects_xy(self.geoms[g], x[p], y[p])
        p, g = p[hit], g[hit]
        inside = shapely.contains_xy(self.geoms[g], x[p], y[p])
        first = np.ones(len(p), dtype=bool)
        first[1:] = p[1:] != p[:-1]
        owner[p[first]] = g[first]                                   # lowest index owns an edge
        on_boundary[p[~inside]] = True
        on_boundary[p[~first]] = True                                # in two grids or more
        sel = on_boundary[p]
        for i, gi in zip(p[sel].tolist(), g[sel].tolist(), strict=True):
            candidates.setdefault(i, []).append(gi)
        return ArrayAssignment(owner, on_boundary, candidates)
