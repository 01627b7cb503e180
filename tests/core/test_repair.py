"""Tests for gisgrid.coverage.repair on tiny hand-drawn grids near Yulin.

Unless a test draws otherwise, the parent is the 2 x 2 square and the grids its quarters,
D = 0.001° a side (about 87 m east-west, 111 m north-south):

    Y2 +-------+-------+
       |   c   |   d   |
    Y1 +-------+-------+
       |   a   |   b   |
    Y0 +-------+-------+
       X0      X1      X2
"""

import json

import pytest
import shapely
from quarters import GEOD, PARENT, D, X, Y, bow_tie_c, geodesic_m2, quarters
from shapely import MultiPolygon, Polygon, box

from gisgrid.coverage.repair import REPAIR_ACTIONS, repair_coverage
from gisgrid.errors import InvalidInputError
from gisgrid.io.geojson import feature_collection_problems


def same_area(geom, expected):
    return shapely.symmetric_difference(geom, expected).area < 1e-13  # in degrees²


def actions(result):
    return [s.action for s in result.steps]


def test_a_clean_layout_needs_no_step_and_comes_back_unchanged():
    result = repair_coverage(quarters(), PARENT)
    assert result.ok and result.steps == [] and result.changed == [] and result.dropped == []
    assert [gid for gid, _ in result.grids] == ["a", "b", "c", "d"]
    assert all(same_area(g, dict(quarters())[gid]) for gid, g in result.grids)


def test_a_notch_gap_goes_to_the_grid_sharing_the_longest_edge_with_it():
    """A notch cut from the top of b, 0.5 D wide and 0.2 D deep, at b's west edge.

    +-------+-------+
    |   c   |   d   |
    +-------+---+---+
    |   a   |gap|   |   the gap shares 0.2 D with a, 0.5 D with d and 0.7 D with b
    |       |   b   |   (its bottom side and its east side): b wins
    +-------+-------+
    """
    notch = box(X[1], Y[1] - 0.2 * D, X[1] + 0.5 * D, Y[1])
    b = shapely.difference(box(X[1], Y[0], X[2], Y[1]), notch)
    result = repair_coverage(quarters(b=b), PARENT)
    (step,) = result.steps
    assert step.action == "fill_gap" and step.to_grid == "b"
    assert step.grids == ["a", "b", "c", "d"]  # c touches it at a corner
    assert step.area_m2 == pytest.approx(geodesic_m2(notch), rel=1e-4)
    assert step.shared_edge_m == pytest.approx(GEOD.geometry_length(shapely.LineString(
        [(X[1] + 0.5 * D, Y[1]), (X[1] + 0.5 * D, Y[1] - 0.2 * D), (X[1], Y[1] - 0.2 * D)])), rel=1e-3)
    assert "b" in step.message and "longest edge" in step.message
    assert result.ok and result.changed == ["b"]
    assert same_area(dict(result.grids)["b"], box(X[1], Y[0], X[2], Y[1]))


def test_an_overlap_goes_back_to_the_grid_it_was_taken_from():
    """b grows a bump 0.4 D wide, 0.1 D high into d: without the bump b shares its bottom
    side with it, d its other three sides: d keeps it.

    +-------+-------+
    |   c   |   d   |
    |       |  +-+  |
    +-------+--+-+--+
    |   a   |   b   |
    +-------+-------+
    """
    bump = box(X[1] + 0.3 * D, Y[1], X[1] + 0.7 * D, Y[1] + 0.1 * D)
    result = repair_coverage(quarters(b=shapely.union(box(X[1], Y[0], X[2], Y[1]), bump)), PARENT)
    (step,) = result.steps
    assert (step.action, step.grids, step.to_grid) == ("resolve_overlap", ["b", "d"], "d")
    assert step.area_m2 == pytest.approx(geodesic_m2(bump), rel=1e-4)
    assert result.ok and result.changed == ["b", "d"]
    grids = dict(result.grids)
    assert same_area(grids["b"], box(X[1], Y[0], X[2], Y[1]))
    assert same_area(grids["d"], box(X[1], Y[1], X[2], Y[2]))


@pytest.mark.parametrize("order", ["bd", "db"])
def test_an_overlap_with_equal_edges_goes_to_the_grid_listed_first(order):
    """b grown north by 0.1 D across d's whole width: each shares one edge D with it."""
    grids = dict(quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D)))
    result = repair_coverage([(k, grids[k]) for k in ["a", "c", *order]], PARENT)
    (step,) = result.steps
    assert step.to_grid == order[0] and result.ok


def test_a_grid_wholly_inside_another_keeps_its_area_and_is_cut_out_of_the_other():
    """e sits inside d; giving the overlap to d would make e vanish.

    +-------+-------+
    |   c   | d [e] |
    +-------+-------+
    |   a   |   b   |
    +-------+-------+
    """
    e = box(X[1] + 0.3 * D, Y[1] + 0.3 * D, X[1] + 0.6 * D, Y[1] + 0.6 * D)
    result = repair_coverage(quarters(e=e), PARENT)
    (step,) = result.steps
    assert step.to_grid == "e" and "vanish" in step.message
    grids = dict(result.grids)
    assert same_area(grids["e"], e)
    assert same_area(grids["d"], shapely.difference(box(X[1], Y[1], X[2], Y[2]), e))
    assert result.ok


def test_a_sliver_gap_is_snapped_so_both_grids_share_one_edge():
    """a stops 1e-7° (under 1 cm) short of b: a sliver, snapped to the longer side."""
    result = repair_coverage(quarters(a=box(X[0], Y[0], X[1] - 1e-7, Y[1])), PARENT)
    (step,) = result.steps
    assert step.action == "fill_gap" and step.sliver is True and "snapped" in step.message
    assert result.ok
    grids = dict(result.grids)
    assert shapely.intersection(grids["a"], grids["b"]).length == pytest.approx(D, rel=1e-6)


def test_outside_parts_are_clipped_and_a_grid_wholly_outside_is_dropped():
    """d sticks out 0.2 D east of the parent; f lies beyond it."""
    f = box(X[2] + 0.5 * D, Y[0], X[3], Y[1])
    result = repair_coverage(quarters(d=box(X[1], Y[1], X[2] + 0.2 * D, Y[2]), f=f), PARENT)
    assert actions(result) == ["clip_outside", "clip_outside"]
    assert result.dropped == ["f"] and result.ok
    assert same_area(dict(result.grids)["d"], box(X[1], Y[1], X[2], Y[2]))


def test_empty_and_repeated_grids_are_dropped_keeping_the_first_copy():
    d2 = Polygon([(X[2], Y[2]), (X[1], Y[2]), (X[1], Y[1]), (X[2], Y[1])])
    result = repair_coverage(quarters(d2=d2) + [("e", None)], PARENT)
    assert actions(result) == ["drop_empty", "drop_duplicate"]
    assert result.dropped == ["d2", "e"] and result.ok
    assert [gid for gid, _ in result.grids] == ["a", "b", "c", "d"]


def test_a_bow_tie_is_replaced_by_its_repair_and_what_it_lost_is_refilled():
    """c drawn as a bow-tie: two triangles remain; the two gaps go to their neighbours.
    Drawn in ``quarters.bow_tie_c``.
    """
    bow_tie = bow_tie_c()
    result = repair_coverage(quarters(c=bow_tie), PARENT)
    assert actions(result)[0] == "repair_invalid" and "Self-intersection" in result.steps[0].message
    assert result.ok, result.after.counts()
    assert all(g.geom_type == "Polygon" for _, g in result.grids)
    assert sum(geodesic_m2(g) for _, g in result.grids) == pytest.approx(geodesic_m2(PARENT), rel=1e-6)


def test_a_detached_part_goes_to_the_grid_around_it():
    """a also holds a small square cut out of the middle of d.

    +-------+-------+
    |   c   | d [a] |
    +-------+-------+
    |   a   |   b   |
    +-------+-------+
    """
    island = box(X[1] + 0.4 * D, Y[1] + 0.4 * D, X[1] + 0.6 * D, Y[1] + 0.6 * D)
    d = shapely.difference(box(X[1], Y[1], X[2], Y[2]), island)
    a = MultiPolygon([box(X[0], Y[0], X[1], Y[1]), island])
    result = repair_coverage(quarters(a=a, d=d), PARENT)
    (step,) = result.steps
    assert (step.action, step.grids, step.to_grid) == ("reassign_part", ["a"], "d")
    grids = dict(result.grids)
    assert same_area(grids["a"], box(X[0], Y[0], X[1], Y[1]))
    assert same_area(grids["d"], box(X[1], Y[1], X[2], Y[2]))
    assert result.ok


def test_a_gap_no_grid_shares_an_edge_with_is_left_unresolved():
    """The parent has an island east of the quarters that no grid reaches."""
    parent = shapely.union(PARENT, box(X[2] + 0.5 * D, Y[0], X[3], Y[1]))
    result = repair_coverage(quarters(), parent)
    (step,) = result.steps
    assert step.action == "unresolved" and step.to_grid is None and "no grid" in step.message
    assert not result.ok and result.after.counts() == {"gap": 1}


def test_gaps_larger_than_max_gap_m2_are_left_for_a_planner():
    """b is missing altogether: a 9,700 m² hole is a missing grid, not a gap to absorb."""
    result = repair_coverage(quarters(b=None), PARENT, max_gap_m2=1000)
    assert actions(result) == ["unresolved"] and not result.ok
    assert repair_coverage(quarters(b=None), PARENT).ok  # without the limit it is absorbed


def test_the_input_is_left_as_it_was():
    grids = quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D))
    wkb = [shapely.to_wkb(g) for _, g in grids]
    repair_coverage(grids, PARENT)
    assert [shapely.to_wkb(g) for _, g in grids] == wkb


def test_the_result_serialises_to_json_with_valid_geojson_grids():
    result = repair_coverage(quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D)), PARENT)
    body = json.loads(json.dumps(result.to_dict()))
    assert set(body) == {"ok", "grids", "changed", "dropped", "steps", "before", "after"}
    assert feature_collection_problems(body["grids"]) == []
    (step,) = body["steps"]
    assert set(step) == {"action", "grids", "to_grid", "area_m2", "sliver", "shared_edge_m",
                         "geometry", "message"}
    assert step["action"] in REPAIR_ACTIONS
    assert body["before"]["ok"] is False and body["after"]["ok"] is True


def test_bad_input_is_refused_as_for_the_check():
    with pytest.raises(InvalidInputError):
        repair_coverage([("a", box(X[0], Y[0], X[1], Y[1]))] * 2, PARENT)
    with pytest.raises(InvalidInputError):
        repair_coverage(quarters(), None)


def test_a_grid_swallowed_with_another_inside_one_overlap_is_dropped_and_said_so():
    """f inside e inside d: the overlap piece is e; e keeps it, f has nothing left.

    +-------+-----------+
    |   c   | d [e [f]] |
    +-------+-----------+
    """
    e = box(X[1] + 0.2 * D, Y[1] + 0.2 * D, X[1] + 0.8 * D, Y[1] + 0.8 * D)
    f = box(X[1] + 0.4 * D, Y[1] + 0.4 * D, X[1] + 0.6 * D, Y[1] + 0.6 * D)
    result = repair_coverage(quarters(e=e, f=f), PARENT)
    assert actions(result) == ["resolve_overlap", "drop_covered"]
    assert result.steps[1].grids == ["f"] and "dropped" in result.steps[1].message
    assert result.dropped == ["f"] and result.ok
    assert same_area(dict(result.grids)["e"], e)
