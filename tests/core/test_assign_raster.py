"""GridRaster: the same answers as assign_arrays and assign_points, point for point.

The raster answers a point from its cell when no boundary comes near the cell, so the
points that matter are the ones near boundaries and cell edges: every grid vertex, the
midpoint of every edge, points exactly on cell edges and corners, points just inside
and just outside, and points outside the grids' extent (and NaN). Holes, multipolygons,
overlapping grids, both ring orientations, missing grids, and inputs the raster does
not handle (invalid or non-polygonal grids: it hands over to assign_arrays).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import box

from gisgrid.assign.points import ArrayAssignment, GridRaster, assign_arrays, assign_points


def jittered_lattice(nx: int, ny: int, *, x0: float, y0: float, step: float, seed: int = 5) -> list:
    """nx x ny quadrilaterals sharing their (jittered) corners, as street blocks do."""
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(nx + 1), np.arange(ny + 1), indexing="ij")
    xs = x0 + (ix + rng.uniform(-0.2, 0.2, ix.shape)) * step
    ys = y0 + (iy + rng.uniform(-0.2, 0.2, iy.shape)) * step
    return [shapely.Polygon([(xs[i, j], ys[i, j]), (xs[i + 1, j], ys[i + 1, j]),
                             (xs[i + 1, j + 1], ys[i + 1, j + 1]), (xs[i, j + 1], ys[i, j + 1])])
            for i in range(nx) for j in range(ny)]


def probe_points(grids: list, raster: GridRaster | None = None, seed: int = 9) -> np.ndarray:
    """Vertices, edge midpoints, near misses, random points, cell corners, outside points."""
    rng = np.random.default_rng(seed)
    present = [g for g in grids if g is not None and not shapely.is_empty(g)]
    rings = shapely.get_rings(shapely.get_parts(present))
    xy = shapely.get_coordinates(rings)
    mids = (xy[:-1] + xy[1:]) / 2
    x0, y0, x1, y1 = shapely.total_bounds(present)
    span = max(x1 - x0, y1 - y0)
    near = np.concatenate([xy + span * 1e-9, xy - span * 1e-9, mids + span * 1e-12])
    inside = rng.uniform((x0, y0), (x1, y1), (3000, 2))
    outside = np.array([(x0 - span, y0), (x1 + span, y1), (x0 - 1e-9 * span, y0), (x1, y1), (x0, y0)])
    pts = [xy, mids, near, inside, outside]
    if raster is not None and raster.ready:     # exactly on cell edges and corners
        i = rng.integers(0, raster.nx + 1, 500)
        j = rng.integers(0, raster.ny + 1, 500)
        pts.append(np.column_stack([raster.ox + i * raster.size, raster.oy + j * raster.size]))
    return np.concatenate(pts)


def winding_at(raster: GridRaster, x: float, y: float) -> int:
    """The raster's winding number at the cell holding (x, y): how many grids hold it."""
    i, j = int((x - raster.ox) // raster.size), int((y - raster.oy) // raster.size)
    return int(raster.winding[j * raster.nx + i])


def same(a: ArrayAssignment, b: ArrayAssignment) -> None:
    assert a.owner.tolist() == b.owner.tolist()
    assert a.on_boundary.tolist() == b.on_boundary.tolist()
    assert a.candidates == b.candidates


def check_against_references(grids: list, xy: np.ndarray, raster: GridRaster) -> ArrayAssignment:
    got = raster.assign(xy[:, 0], xy[:, 1])
    same(got, assign_arrays(np.array(grids, dtype=object), xy[:, 0], xy[:, 1]))
    # assign_points takes ids; zero-padded, their text order is the index order.
    ids = [f"{i:05d}" for i in range(len(grids))]
    finite = np.isfinite(xy).all(axis=1)
    slow = assign_points([(i, g) for i, g in zip(ids, grids, strict=True) if g is not None],
                         list(enumerate(shapely.points(xy[finite]))))
    for k, a in zip(np.flatnonzero(finite).tolist(), slow, strict=True):
        assert (int(a.grid) if a.grid else -1) == got.owner[k], (k, xy[k])
        assert a.on_boundary == got.on_boundary[k], (k, xy[k])
        # assign_points lists the one grid of an inner point too; arrays list edges only.
        assert [int(c) for c in a.candidates] == (got.candidates[k] if a.on_boundary else
                                                  [got.owner[k]] if a.grid else []), (k, xy[k])
        assert a.on_boundary or k not in got.candidates
    return got


@pytest.mark.parametrize("cells", [None, 5_000, 200_000])
@pytest.mark.parametrize("origin, step", [((109.6, 38.15), 0.003),      # degrees, as stored
                                          ((12_100_000.0, 4_600_000.0), 300.0),   # metres
                                          ((0.0, 0.0), 1.0)])
def test_a_lattice_is_answered_as_assign_arrays_and_assign_points(cells, origin, step) -> None:
    grids = jittered_lattice(12, 9, x0=origin[0], y0=origin[1], step=step)
    raster = GridRaster(grids, cells=cells)
    assert raster.ready and raster.touched.mean() < 0.9
    assert set(np.unique(raster.winding).tolist()) == {0, 1} and (raster.winding == 1).mean() > 0.5
    xy = probe_points(grids, raster)
    got = check_against_references(grids, xy, raster)
    assert got.on_boundary.sum() > 200 and (got.owner >= 0).sum() > 3000


def test_holes_multipolygons_overlaps_orientation_and_missing_grids() -> None:
    frame = shapely.Polygon(box(0, 0, 10, 10).exterior.coords, [box(3, 3, 6, 6).exterior.coords])
    grids = [
        frame,                                                        # a shell with a hole
        box(3, 3, 6, 6),                                              # fills the hole
        shapely.MultiPolygon([box(10, 0, 12, 4), box(10, 6, 12, 10)]),  # two parts
        shapely.reverse(box(12, 0, 15, 10)),                          # clockwise shell
        box(14, 8, 16, 12),                                           # overlaps it
        box(4, 4, 5, 5),                                              # inside grid 1: overlap
        box(8, 8, 11, 11),                                            # overlaps 0, 2, and sticks out
        None,
        shapely.Polygon(),
        shapely.reverse(shapely.Polygon(box(15, 0, 20, 5).exterior.coords,
                                        [box(16, 1, 17, 2).exterior.coords])),  # all reversed
    ]
    raster = GridRaster(grids, cells=20_000)
    assert raster.ready
    xy = probe_points(grids, raster)
    got = check_against_references(grids, xy, raster)
    k = int(np.flatnonzero((xy[:, 0] > 4) & (xy[:, 0] < 5) & (xy[:, 1] > 4) & (xy[:, 1] < 5))[0])
    assert got.owner[k] == 1 and got.on_boundary[k] and got.candidates[k] == [1, 5]
    assert raster.assign([14.5], [9.0]).candidates == {0: [3, 4]}
    hole = raster.assign([16.5], [1.5])
    assert hole.owner.tolist() == [-1]
    # Read from the cells, not tested point by point: holes, reversed rings, overlaps.
    assert [winding_at(raster, *p) for p in [(16.5, 1.5), (18, 4), (2, 2), (3.5, 3.5), (4.5, 4.5),
                                            (13, 5), (14.5, 9), (11, 2), (11, 5)]] == [0, 1, 1, 1, 2,
                                                                                      1, 2, 1, 0]


def test_points_off_the_raster_nan_and_infinite_are_outside() -> None:
    raster = GridRaster([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    got = raster.assign([np.nan, np.inf, -np.inf, 1e300, 0.5, 1.0], [0.5, 0.5, 0.5, 0.5, np.nan, 0.0])
    assert got.owner.tolist() == [-1, -1, -1, -1, -1, 0]
    assert got.on_boundary.tolist() == [False] * 5 + [True] and got.candidates == {5: [0, 1]}


@pytest.mark.parametrize("odd", [
    shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]),      # bow-tie: not valid
    shapely.LineString([(0, 0), (3, 3)]),                   # not a polygon
])
def test_grids_it_cannot_rasterise_are_handed_to_assign_arrays(odd) -> None:
    grids = [box(0, 0, 1, 1), odd, box(1, 0, 2, 1)]
    raster = GridRaster(grids)
    assert not raster.ready
    x, y = np.array([0.5, 1.0, 1.5, 0.2, 2.5]), np.array([0.5, 0.5, 1.5, 1.8, 2.5])
    same(raster.assign(x, y), assign_arrays(np.array(grids, dtype=object), x, y))


def test_no_grids_or_no_points() -> None:
    empty = GridRaster([]).assign([0.5], [0.5])
    assert empty.owner.tolist() == [-1] and not empty.candidates
    none = GridRaster([box(0, 0, 1, 1)]).assign([], [])
    assert len(none.owner) == 0 and len(none.on_boundary) == 0
