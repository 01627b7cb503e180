"""Moving land between grids by faces of the noded edges (gisgrid.plans.reshape), and putting
sent shapes back on the stored vertices (gisgrid.plans.snapping), on hand-drawn squares.

Cells are about 111 m a side, north up; a letter is a grid.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import box

from gisgrid.coverage.check import check_coverage
from gisgrid.plans.reshape import reshape_grids
from gisgrid.plans.snapping import SNAP_DEG, snap_to_vertices

X, Y, D = 109.73, 38.28, 0.001


def cell(col: float, row: float, w: float = 1, h: float = 1) -> shapely.Polygon:
    return box(X + col * D, Y + row * D, X + (col + w) * D, Y + (row + h) * D)


def same(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    """The same area (up to the 1e-9 degree grid the faces are noded on)."""
    return bool(shapely.area(shapely.symmetric_difference(a, b)) < 1e-15)


def test_a_piece_of_a_goes_to_b_and_the_two_still_tile_their_area() -> None:
    """
    a a b      the east cell of a moves to b: a = 1 cell, b = 2 cells, one part each
    """
    old = {"a": cell(0, 0, 2), "b": cell(2, 0)}
    out = reshape_grids(old, [(cell(1, 0), "a", "b")])
    assert same(out.shapes["a"], cell(0, 0)) and same(out.shapes["b"], cell(1, 0, 2))
    assert out.removed == [] and [(f, t) for f, t, _ in out.moved] == [("a", "b")]
    report = check_coverage(list(out.shapes.items()), cell(0, 0, 3))
    assert report.ok, [d.message for d in report.defects]


def test_a_piece_whose_edges_are_off_by_float_noise_leaves_no_hairline_between_a_and_b() -> None:
    """
    a a b      the moved cell's shared edge with b lies 1e-12 degrees inside a: an overlay
               would leave a thread of a between b and its new cell; faces do not
    """
    noisy = box(X + D, Y, X + 2 * D - 1e-12, Y + D)
    out = reshape_grids({"a": cell(0, 0, 2), "b": cell(2, 0)}, [(noisy, "a", "b")])
    assert shapely.get_num_geometries(out.shapes["b"]) == 1
    assert shapely.get_num_geometries(out.shapes["a"]) == 1
    assert abs(out.shapes["b"].area - 2 * D * D) < 1e-15


def test_a_hairline_sliver_between_a_piece_and_its_new_grid_goes_with_the_piece() -> None:
    """
    a a b      the piece stops 1 mm short of b (9e-9 degrees): that strip of a is a sliver
               narrower than 1 cm and joins the face it shares most edge with
    """
    short = box(X + D, Y, X + 2 * D - 9e-9, Y + D)
    out = reshape_grids({"a": cell(0, 0, 2), "b": cell(2, 0)}, [(short, "a", "b")])
    assert shapely.get_num_geometries(out.shapes["b"]) == 1
    assert same(out.shapes["a"], cell(0, 0))


def test_a_piece_reaching_into_a_grid_not_named_takes_nothing_from_it() -> None:
    """
    a b c      the piece covers b and half of c; only a and b are touched: c keeps all of it
    """
    old = {"a": cell(0, 0), "b": cell(1, 0)}
    out = reshape_grids(old, [(cell(1, 0, 1.5), "b", "a")])
    assert same(out.shapes["a"], cell(0, 0, 2))
    assert out.removed == ["b"]
    assert shapely.area(shapely.intersection(out.shapes["a"], cell(2, 0))) == 0


def test_land_can_go_to_a_new_grid_and_a_grid_left_with_nothing_is_removed() -> None:
    """
    a b        a's whole cell becomes new-1; b gives nothing
    """
    out = reshape_grids({"a": cell(0, 0), "b": cell(1, 0)}, [(cell(0, 0), "a", "new-1")])
    assert set(out.shapes) == {"b", "new-1"} and out.removed == ["a"]


def test_a_shape_served_with_7_decimals_is_put_back_exactly_on_the_stored_vertices() -> None:
    stored = shapely.Polygon([(109.731234567891, 38.281234567891), (109.732345678912, 38.281298765432),
                              (109.732301234567, 38.282398765432), (109.731198765432, 38.282345678912)])
    served = shapely.transform(stored, lambda xy: np.round(xy, 7))
    assert not shapely.equals_exact(served, stored, 0)
    back = snap_to_vertices(served, shapely.multipoints(shapely.get_coordinates(stored)))
    assert shapely.equals_exact(back, stored, 0)


def test_a_vertex_moved_on_purpose_further_than_the_tolerance_stays_where_it_was_put() -> None:
    stored = cell(0, 0)
    moved = shapely.Polygon([(X, Y), (X + D + 20 * SNAP_DEG, Y), (X + D, Y + D), (X, Y + D)])
    back = snap_to_vertices(moved, shapely.multipoints(shapely.get_coordinates(stored)))
    assert shapely.equals(back, moved)  # a stored vertex lying on a sent edge may join it; no vertex moves


def test_no_reference_or_a_snap_that_would_fold_the_shape_leaves_it_as_sent() -> None:
    thin = shapely.Polygon([(X, Y), (X + D, Y), (X + D, Y + SNAP_DEG / 4), (X, Y + SNAP_DEG / 4)])
    assert snap_to_vertices(thin, None) is thin
    folded = snap_to_vertices(thin, shapely.multipoints([(X, Y), (X + D, Y)]))
    assert shapely.equals_exact(folded, thin, 0)  # snapping the upper corners down would leave no area
