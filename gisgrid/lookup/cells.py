"""Settled cells: a lon/lat lattice over the grids, each cell answered by one array read
or left to the exact path (why cells, and what "settled" means: :mod:`gisgrid.lookup.index`).

:func:`settle_cells` builds the lattice in three steps over the grids projected to one
UTM zone: mark every cell a grid may reach (unknown, the rest stay outside), settle the
cells deep inside one base grid, and list each unknown cell's candidate grids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from gisgrid.crs import utm_epsg_for

if TYPE_CHECKING:
    from gisgrid.lookup.index import Zone

__all__ = ["OUTSIDE", "UNKNOWN", "SettledCells", "settle_cells", "start_of", "utm_zones"]

UNKNOWN = -1   # a cell that needs the exact path
OUTSIDE = -2   # a cell whose every point is outside every grid


def utm_zones(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG code of each point's UTM zone (latitude clamped into UTM's range), vectorised.

    The same zone as :func:`gisgrid.crs.utm_epsg_for` and the SQL path's ``metric_srid``.
    """
    clat = np.clip(lat, -80.0, 84.0)
    zone = np.minimum(((lon + 180.0) // 6.0).astype(np.int64) + 1, 60)
    return np.where(clat >= 0.0, 32600, 32700) + zone


def start_of(count: np.ndarray) -> np.ndarray:
    """Where each group starts in a run of groups of these sizes."""
    start = np.zeros(len(count), dtype=np.int64)
    np.cumsum(count[:-1], out=start[1:])
    return start


@dataclass
class SettledCells:
    """Settled cells for one near_m: a lon/lat lattice of grid indices (or -1, -2).

    Not the lattice of :class:`gisgrid.assign.points.GridRaster`, which is square in the
    grids' own CRS and decided by the boundary segments crossing it: a lookup cell must
    also settle distances (no other grid within near_m of any of its points), so it is
    cut in lon/lat, sized in metres at the extent's latitude and decided in UTM metres
    against buffered grids; the two share no more than a floor division.
    """

    near_m: float
    epsg: int
    x0: float
    y0: float
    dx: float
    dy: float
    values: np.ndarray          # (ny, nx) int32
    # Unsettled cells: every grid within near_m (+ the cell's reach) of the cell, grouped
    # by flat cell index: cand_grid[cand_start[c]:cand_start[c + 1]]; None when there
    # were too many to keep.
    cand_start: np.ndarray | None = None
    cand_grid: np.ndarray | None = None

    def read(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each point's cell value (-1 where the cells do not settle it) and flat cell
        index (-1 off the lattice or in another UTM zone)."""
        ny, nx = self.values.shape
        ix = np.floor((lon - self.x0) / self.dx)
        iy = np.floor((lat - self.y0) / self.dy)
        on = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        ok = on & (utm_zones(lon, lat) == self.epsg)
        flat = np.full(len(lon), -1, dtype=np.int64)
        flat[ok] = iy[ok].astype(np.int64) * nx + ix[ok].astype(np.int64)
        # Off the lattice is beyond every grid's bounds (the lattice covers them all).
        value = np.where(on, UNKNOWN, OUTSIDE).astype(np.int64)
        value[ok] = self.values.ravel()[flat[ok]]
        return value, flat

    def read_one(self, lon: float, lat: float) -> tuple[int, int]:
        """:meth:`read` for one point, without array overhead (the GET hot path)."""
        ix = math.floor((lon - self.x0) / self.dx)
        iy = math.floor((lat - self.y0) / self.dy)
        ny, nx = self.values.shape
        if not (0 <= ix < nx and 0 <= iy < ny):
            return OUTSIDE, -1
        if utm_epsg_for(lon, min(max(lat, -80.0), 84.0)) != self.epsg:
            return UNKNOWN, -1
        return int(self.values[iy, ix]), iy * nx + ix

    def candidates(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(k, grid) pairs: every candidate grid of the cell flat[k], for every k."""
        assert self.cand_start is not None and self.cand_grid is not None
        lo = self.cand_start[flat]
        count = self.cand_start[flat + 1] - lo
        k = np.repeat(np.arange(len(flat)), count)
        offsets = start_of(count)
        return k, self.cand_grid[lo[k] + (np.arange(len(k)) - offsets[k])]


def settle_cells(geoms: np.ndarray, is_base: np.ndarray, zone: Zone, near_m: float,
                 cell_m: float, max_cells: int) -> SettledCells:
    """Decide which cells of a lattice over ``geoms`` one array read can answer.

    A cell is settled for base grid A when its centre lies in A shrunk by ``near_m`` plus
    the cell's half-diagonal plus a margin (less what other grids that matter claim),
    and outside when no grid comes within the half-diagonal plus the margin of its centre.

    Parameters
    ----------
    geoms : array of shapely polygons
        The grids, lon/lat WGS84 (their bounds place the lattice).
    is_base : array of bool
        Which grids own points (not business overlays).
    zone : Zone
        The same grids projected to the UTM zone of the extent's centre, with their STRtree.
    near_m, cell_m, max_cells
        The answers' near_m; the cell size in metres, grown until the lattice has at most
        ``max_cells`` cells (candidate lists are dropped past four times that).

    Examples
    --------
    One grid of about 870 x 1,110 m: its middle is settled (grid 0), a point 9 m inside
    its edge needs the exact path (-1), one 870 m west of it is outside (-2).

    >>> from pyproj import Transformer
    >>> from gisgrid.lookup.index import Zone
    >>> geoms = np.array([shapely.box(109.73, 38.28, 109.74, 38.29)])
    >>> tf = Transformer.from_crs(4326, 32649, always_xy=True)
    >>> grids_m = shapely.transform(geoms, lambda xy: np.column_stack(tf.transform(*xy.T)))
    >>> zone = Zone(32649, tf, grids_m, shapely.STRtree(grids_m))
    >>> cells = settle_cells(geoms, np.array([True]), zone, 30.0, 10.0, 4_000_000)
    >>> [cells.read_one(lon, 38.285)[0] for lon in (109.735, 109.7301, 109.72)]
    [0, -1, -2]
    """
    lattice = _Lattice.over(shapely.total_bounds(geoms), zone, near_m + 4.0 * cell_m, cell_m, max_cells)
    h = lattice.half_diagonal(zone)
    # Margin for the chords that approximate buffer arcs (< 0.5% of the radius) and
    # for lon/lat vs UTM straight edges (millimetres over a street block).
    margin = 0.5 + 0.01 * (near_m + h)
    bounds = shapely.bounds(geoms)
    values = np.full((lattice.ny, lattice.nx), OUTSIDE, dtype=np.int32)
    _mark_reachable(values, lattice, zone.grids_m, bounds, h + margin)
    _mark_settled(values, lattice, zone, is_base, bounds, near_m + h + margin, h + margin)
    cells = SettledCells(near_m, zone.epsg, float(lattice.x0), float(lattice.y0),
                         float(lattice.dx), float(lattice.dy), values)
    # Every grid that can be within near_m (+1 cm, as the STRtree path asks) of some
    # point of the cell.
    lists = _candidate_lists(values, lattice, zone.grids_m, bounds,
                             near_m * 1.001 + 0.01 + h + margin, max_cells)
    if lists is not None:
        cells.cand_start, cells.cand_grid = lists
    return cells


@dataclass
class _Lattice:
    """A lattice being settled: origin and cell size in degrees, shape, every cell's
    centre in degrees (cx, cy) and projected to the zone's metres ((ny, nx) mx, my), and
    degrees per metre (generous, for pads)."""

    x0: float
    y0: float
    dx: float
    dy: float
    nx: int
    ny: int
    cx: np.ndarray
    cy: np.ndarray
    mx: np.ndarray
    my: np.ndarray
    deg_lon: float
    deg_lat: float

    @classmethod
    def over(cls, extent: np.ndarray, zone: Zone, pad_m: float, cell_m: float,
             max_cells: int) -> _Lattice:
        """Cells of about ``cell_m`` (grown to at most ``max_cells``) over the lon/lat
        ``extent`` padded by ``pad_m`` metres on every side."""
        minx, miny, maxx, maxy = extent
        lat0 = (miny + maxy) / 2.0
        # Degrees per metre, generous (a degree of latitude is 110.57-111.69 km; of
        # longitude 111.32 km x cos(lat) on the sphere), so pads cover what they must.
        deg_lat = 1.0 / 110_000.0
        deg_lon = 1.0 / (110_000.0 * math.cos(math.radians(max(abs(miny), abs(maxy)))))
        x0, x1 = minx - pad_m * deg_lon, maxx + pad_m * deg_lon
        y0, y1 = miny - pad_m * deg_lat, maxy + pad_m * deg_lat
        dy = cell_m / 110_574.0
        dx = cell_m / (111_320.0 * math.cos(math.radians(lat0)))
        grow = math.sqrt(((x1 - x0) / dx) * ((y1 - y0) / dy) / max_cells)
        if grow > 1.0:
            dx, dy = dx * grow, dy * grow
        nx, ny = math.ceil((x1 - x0) / dx), math.ceil((y1 - y0) / dy)
        cx = x0 + (np.arange(nx) + 0.5) * dx
        cy = y0 + (np.arange(ny) + 0.5) * dy
        mx, my = zone.project(*(a.ravel() for a in np.meshgrid(cx, cy)))
        return cls(x0, y0, dx, dy, nx, ny, cx, cy, mx.reshape(ny, nx), my.reshape(ny, nx),
                   deg_lon, deg_lat)

    def half_diagonal(self, zone: Zone) -> float:
        """The farthest a cell's point lies from its centre, in metres (with a margin),
        measured on the cells at the extent's corners and centre (distortion is smooth)."""
        h = 0.0
        for iy in (0, self.ny // 2, self.ny - 1):
            for ix in (0, self.nx // 2, self.nx - 1):
                kx, ky = zone.project(self.cx[ix] + np.array([-0.5, 0.5, -0.5, 0.5]) * self.dx,
                                      self.cy[iy] + np.array([-0.5, -0.5, 0.5, 0.5]) * self.dy)
                h = max(h, float(np.hypot(kx - self.mx[iy, ix], ky - self.my[iy, ix]).max()))
        return h * 1.01 + 1e-3

    def cells_in(self, poly: shapely.Geometry, b: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
        """Indices (rows, columns) of the cells whose centre lies in poly (metres); b: its
        source grid's lon/lat bounds, r: how far (m) poly reaches beyond them."""
        i0 = max(int((b[0] - r * self.deg_lon - self.x0) / self.dx) - 1, 0)
        i1 = min(int((b[2] + r * self.deg_lon - self.x0) / self.dx) + 2, self.nx)
        j0 = max(int((b[1] - r * self.deg_lat - self.y0) / self.dy) - 1, 0)
        j1 = min(int((b[3] + r * self.deg_lat - self.y0) / self.dy) + 2, self.ny)
        if i0 >= i1 or j0 >= j1 or poly.is_empty:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        sub_x, sub_y = self.mx[j0:j1, i0:i1], self.my[j0:j1, i0:i1]
        jj, ii = np.nonzero(shapely.contains_xy(poly, sub_x, sub_y))
        return jj + j0, ii + i0


def _mark_reachable(values: np.ndarray, lattice: _Lattice, grids_m: np.ndarray, bounds: np.ndarray,
                    reach_r: float) -> None:
    """Step 1: a cell with a grid within ``reach_r`` of its centre may hold a hit: unknown."""
    for g, poly in enumerate(shapely.buffer(grids_m, reach_r).tolist()):
        jj, ii = lattice.cells_in(poly, bounds[g], reach_r)
        values[jj, ii] = UNKNOWN


def _mark_settled(values: np.ndarray, lattice: _Lattice, zone: Zone, is_base: np.ndarray,
                  bounds: np.ndarray, shrink: float, reach_r: float) -> None:
    """Step 2: a cell whose centre lies in a base grid's core (:func:`_core`) is settled
    for that grid."""
    for a in np.flatnonzero(is_base).tolist():
        core = _core(a, zone, is_base, shrink, reach_r)
        if core is None:
            continue
        shapely.prepare(core)
        jj, ii = lattice.cells_in(core, bounds[a], 0.0)
        values[jj, ii] = a


def _core(a: int, zone: Zone, is_base: np.ndarray, shrink: float, reach_r: float
          ) -> shapely.Geometry | None:
    """Base grid ``a`` (metres) shrunk by ``shrink``, far from every other grid that could
    matter; None when nothing is left of the shrunk grid.

    A base grid B that only touches A cannot come nearer to a point of A than A's own
    boundary does; one that overlaps A's interior (a special grid over a residential
    one) and every business grid are cut out explicitly.
    """
    grids_m = zone.grids_m
    core = shapely.buffer(grids_m[a], -shrink)
    if core.is_empty:
        return None
    for b in zone.tree.query(grids_m[a], predicate="dwithin", distance=shrink).tolist():
        if b == a:
            continue
        if not is_base[b]:
            core = shapely.difference(core, shapely.buffer(grids_m[b], reach_r))
        elif shapely.relate_pattern(grids_m[a], grids_m[b], "T********"):
            core = shapely.difference(core, shapely.buffer(grids_m[b], shrink))
    return core


def _candidate_lists(values: np.ndarray, lattice: _Lattice, grids_m: np.ndarray, bounds: np.ndarray,
                     cand_r: float, max_cells: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Step 3: (cand_start, cand_grid) of :class:`SettledCells`: for every unknown cell,
    the grids within ``cand_r`` of its centre. None when there are too many to keep
    (more than ``4 * max_cells`` entries): unsettled cells then use the STRtree."""
    flat_parts, grid_parts, total = [], [], 0
    for g, poly in enumerate(shapely.buffer(grids_m, cand_r).tolist()):
        jj, ii = lattice.cells_in(poly, bounds[g], cand_r)
        flat = jj * lattice.nx + ii
        flat = flat[values.ravel()[flat] == UNKNOWN]
        flat_parts.append(flat)
        grid_parts.append(np.full(len(flat), g, dtype=np.int64))
        total += len(flat)
        if total > max_cells * 4:
            return None
    if not flat_parts:
        return None
    flat, grid = np.concatenate(flat_parts), np.concatenate(grid_parts)
    o = np.argsort(flat, kind="stable")
    cand_start = np.searchsorted(flat[o], np.arange(lattice.ny * lattice.nx + 1)).astype(np.int64)
    return cand_start, grid[o].astype(np.int32)
