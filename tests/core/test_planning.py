"""Blocks to grids on tiny hand-drawn block layouts near Yulin.

Each drawing is a lattice of square cells about 111 m a side, north up; a letter names
the block holding that cell (a letter in several cells is one block), ``.`` is no block.
Blocks in neighbouring cells share a street edge; blocks touching at a corner do not.
"""

from __future__ import annotations

import json
import math
import random
import textwrap

import numpy as np
import pytest
import shapely
from shapely import Point, Polygon, box

from gisgrid.blocks.graph import MIN_SHARED_EDGE_M, block_graph
from gisgrid.crs import LocalEqualArea
from gisgrid.errors import InvalidGeometryError, InvalidInputError
from gisgrid.planning.generate import DEFAULT_BOUNDS, build_proposal, plan_grids
from gisgrid.planning.partition import partition_blocks

LON0, LAT0 = 109.73, 38.28
DX, DY = 1.2741e-3, 1e-3  # about 111 m both ways at 38.28°N


def drawn_blocks(drawing: str) -> list[tuple[str, Polygon]]:
    """(id, polygon) pairs from an ASCII drawing (see the module docstring)."""
    rows = [line.split() for line in textwrap.dedent(drawing).strip().splitlines()]
    cells: dict[str, list[Polygon]] = {}
    for r, row in enumerate(rows):
        y = len(rows) - 1 - r
        for x, token in enumerate(row):
            if token != ".":
                cells.setdefault(token, []).append(
                    box(LON0 + x * DX, LAT0 + y * DY, LON0 + (x + 1) * DX, LAT0 + (y + 1) * DY))
    return [(token, shapely.union_all(parts)) for token, parts in cells.items()]


def grid_of(plan) -> dict[str, object]:
    return plan.assignment()


def test_four_blocks_in_a_row_make_two_grids_of_two() -> None:
    """
    a b c d      200 households each, bounds 100-600: two grids of 400
    """
    plan = plan_grids(drawn_blocks("a b c d"), counts=dict.fromkeys("abcd", 200))
    assert [(g.blocks, g.households) for g in plan.grids] == [(["a", "b"], 400), (["c", "d"], 400)]
    assert plan.violations == []
    assert plan.bounds == DEFAULT_BOUNDS


def test_blocks_touching_only_at_a_corner_are_not_neighbours_and_never_share_a_grid() -> None:
    """
    a .          a and b meet at one point only: no street edge between them
    . b
    """
    blocks = drawn_blocks("a .\n. b")
    graph = block_graph(blocks, counts={"a": 60, "b": 60})
    assert graph.nbrs == [{}, {}]
    plan = plan_grids(graph)
    assert sorted(g.blocks for g in plan.grids) == [["a"], ["b"]]
    assert [(v.kind, v.blocks) for v in plan.violations] == [("under_min", ["a"]), ("under_min", ["b"])]
    assert "isolated" in plan.violations[0].suggestion
    assert "block b" in plan.violations[0].suggestion  # the neighbour to merge with is named


def test_a_block_above_the_maximum_is_a_grid_of_its_own_with_a_split_suggestion() -> None:
    """
    a b c        b holds 700 > 600; a and c (150 each) are cut apart by it
    """
    plan = plan_grids(drawn_blocks("a b c"), counts={"a": 150, "b": 700, "c": 150})
    assert sorted(g.blocks for g in plan.grids) == [["a"], ["b"], ["c"]]
    [violation] = plan.violations
    assert (violation.kind, violation.blocks, violation.households) == ("over_max", ["b"], 700)
    assert "split it along a lane or by buildings" in violation.suggestion
    assert violation.grid == plan.assignment()["b"]


def test_an_isolated_block_below_the_minimum_names_the_nearest_grid_across_the_street() -> None:
    """
    a a b        c (40 households) touches a only at a corner
    a a .
    . . c
    """
    plan = plan_grids(drawn_blocks("a a b\na a .\n. . c"), counts={"a": 300, "b": 200, "c": 40})
    assert sorted(g.blocks for g in plan.grids) == [["a", "b"], ["c"]]
    [violation] = plan.violations
    assert (violation.kind, violation.blocks, violation.households) == ("under_min", ["c"], 40)
    ab = plan.assignment()["a"]
    assert f"grid {ab} (block a, 0 m away)" in violation.suggestion


def test_a_remnant_below_the_minimum_is_merged_into_a_neighbour_with_room() -> None:
    """
    a b c d e    a lone 60 next to four 150s: the remnant joins a neighbour with room
    """
    plan = plan_grids(drawn_blocks("a b c d e"), counts={"a": 60, "b": 150, "c": 150, "d": 150, "e": 150})
    assert plan.violations == []
    assert all(100 <= g.households <= 600 for g in plan.grids)
    assert sum(g.households for g in plan.grids) == 660


def test_grids_never_cross_a_community_boundary() -> None:
    """
    a b          a, c in community W; b, d in community E; 60 households each:
    c d          all four would fit one grid, but a grid stays in its community
    """
    blocks = drawn_blocks("a b\nc d")
    plan = plan_grids(blocks, counts=dict.fromkeys("abcd", 60),
                      communities={"a": "W", "c": "W", "b": "E", "d": "E"})
    assert sorted((g.community, g.blocks) for g in plan.grids) == [("E", ["b", "d"]), ("W", ["a", "c"])]
    assert plan_grids(blocks, counts=dict.fromkeys("abcd", 60)).grids[0].blocks == ["a", "b", "c", "d"]


def test_a_strip_is_cut_into_the_fewest_grids_the_maximum_allows() -> None:
    """
    0 1 2 3 4 5 6 7 8 9      100 households each, bounds 100-300: 4 grids, not 5 or more
    """
    blocks = [(i, box(LON0 + i * DX, LAT0, LON0 + (i + 1) * DX, LAT0 + DY)) for i in range(10)]
    plan = plan_grids(blocks, counts=dict.fromkeys(range(10), 100), bounds=(100, 300))
    assert len(plan.grids) == math.ceil(1000 / 300)
    assert all(100 <= g.households <= 300 for g in plan.grids)
    for g in plan.grids:  # runs of consecutive blocks: contiguous
        assert g.blocks == list(range(g.blocks[0], g.blocks[-1] + 1))


def test_a_square_lattice_is_cut_into_square_grids_not_strips() -> None:
    """
    a b c d
    e f g h      100 households each, bounds 100-400: four 2 x 2 squares
    i j k l
    m n o p
    """
    blocks = drawn_blocks("a b c d\ne f g h\ni j k l\nm n o p")
    plan = plan_grids(blocks, counts=dict.fromkeys("abcdefghijklmnop", 100), bounds=(100, 400))
    assert sorted(g.blocks for g in plan.grids) == [["a", "b", "e", "f"], ["c", "d", "g", "h"],
                                                    ["i", "j", "m", "n"], ["k", "l", "o", "p"]]
    assert all(g.compactness == pytest.approx(math.pi / 4, rel=1e-2) for g in plan.grids)


def test_empty_blocks_ride_along_with_their_neighbours() -> None:
    """
    a p b        p is a park (0 households) between two estates of 300
    """
    plan = plan_grids(drawn_blocks("a p b"), counts={"a": 300, "p": 0, "b": 300})
    assert [g.blocks for g in plan.grids] == [["a", "b", "p"]]
    assert plan.violations == []


def test_the_same_input_in_any_order_gives_the_same_plan() -> None:
    """
    a b c d e f
    g h i j k l      random counts; blocks and counts given in shuffled orders
    m n o p q r
    """
    blocks = drawn_blocks("a b c d e f\ng h i j k l\nm n o p q r")
    rng = random.Random(4)
    counts = {b: rng.randrange(0, 250) for b, _ in blocks}
    first = plan_grids(blocks, counts=counts).to_dict()
    for seed in range(3):
        shuffled = blocks[:]
        random.Random(seed).shuffle(shuffled)
        again = plan_grids(shuffled, counts=dict(sorted(counts.items(), key=lambda kv: -kv[1])))
        assert again.to_dict() == first


def test_grids_tile_the_blocks_and_their_geometry_is_the_union_of_their_blocks() -> None:
    """
    a b c d
    e f g h      random counts, a hole (.) in the middle row
    i . k l
    """
    blocks = drawn_blocks("a b c d\ne f g h\ni . k l")
    rng = random.Random(9)
    plan = plan_grids(blocks, counts={b: rng.randrange(40, 200) for b, _ in blocks})
    geom = dict(blocks)
    assert sorted(b for g in plan.grids for b in g.blocks) == sorted(geom)
    for g in plan.grids:
        expected = shapely.union_all([geom[b] for b in g.blocks])
        assert shapely.symmetric_difference(g.geometry, expected).area < 1e-14
        assert g.geometry.geom_type == "Polygon"  # contiguous: one piece


def test_compactness_is_polsby_popper_of_the_dissolved_grid_in_metres() -> None:
    """
    a a b        an L-shaped block a and a square b, 100 households each
    a . .
    """
    plan = plan_grids(drawn_blocks("a a b\na . ."), counts={"a": 100, "b": 100})
    [grid] = plan.grids
    metric = LocalEqualArea.centred_on(grid.geometry).to_metric(grid.geometry)
    assert grid.area_m2 == pytest.approx(metric.area, rel=1e-6)
    assert grid.perimeter_m == pytest.approx(metric.length, rel=1e-6)
    assert grid.compactness == pytest.approx(4 * math.pi * metric.area / metric.length ** 2, rel=1e-6)
    assert grid.compactness == pytest.approx(4 * math.pi * 4 / 10 ** 2, rel=1e-2)  # 4 cells, 10 sides


def test_a_t_junction_without_the_shared_vertex_still_makes_neighbours() -> None:
    """
    b c          a is one rectangle with no vertex under the b|c street;
    a a          b and c each still share a 111 m edge (half of a's top) with it
    """
    a = Polygon([(LON0, LAT0), (LON0 + 2 * DX, LAT0), (LON0 + 2 * DX, LAT0 + DY), (LON0, LAT0 + DY)])
    b = box(LON0, LAT0 + DY, LON0 + DX, LAT0 + 2 * DY)
    c = box(LON0 + DX, LAT0 + DY, LON0 + 2 * DX, LAT0 + 2 * DY)
    graph = block_graph([("a", a), ("b", b), ("c", c)], counts={})
    assert sorted(graph.nbrs[0]) == [1, 2]
    assert graph.nbrs[0][1] == pytest.approx(111.3, abs=0.5)
    assert graph.nbrs[0][2] == pytest.approx(graph.nbrs[0][1], rel=1e-3)


def test_a_shared_edge_shorter_than_a_metre_does_not_make_neighbours() -> None:
    """
    a and b overlap along half a metre of a street (a corner nicked), no more
    """
    step = 0.5 / 111_000  # half a metre in latitude
    a = box(LON0, LAT0, LON0 + DX, LAT0 + DY)
    b = box(LON0 + DX, LAT0 + DY - step, LON0 + 2 * DX, LAT0 + 2 * DY)
    graph = block_graph([("a", a), ("b", b)], counts={})
    assert graph.nbrs == [{}, {}]
    assert MIN_SHARED_EDGE_M == 1.0


def test_household_points_count_for_their_block_an_edge_point_for_the_lowest_id() -> None:
    """
    a b          3 points inside a, 1 inside b, 1 on the a|b street (goes to a), 1 outside
    """
    blocks = drawn_blocks("a b")
    mid = LAT0 + DY / 2
    points = [Point(LON0 + DX * f, mid) for f in (0.2, 0.5, 0.8, 1.5, 1.0)] + [Point(LON0 - DX, mid)]
    graph = block_graph(blocks, households=points)
    assert graph.households == [4, 1]
    assert graph.unassigned_households == 1
    xy = np.array([[p.x, p.y] for p in points])
    assert block_graph(blocks, households=xy).households == [4, 1]
    plan = plan_grids(blocks, households=points, bounds=(1, 600))
    assert plan.summary()["unassigned_households"] == 1


def test_bad_input_is_refused_with_a_reason() -> None:
    blocks = drawn_blocks("a b")
    with pytest.raises(InvalidInputError, match="bounds"):
        plan_grids(blocks, counts={"a": 1}, bounds=(600, 100))
    with pytest.raises(InvalidInputError, match="bounds"):
        plan_grids(blocks, counts={"a": 1}, bounds=(10.5, 100))
    with pytest.raises(InvalidInputError, match="not both"):
        plan_grids(blocks)
    with pytest.raises(InvalidInputError, match="unknown block ids: z"):
        plan_grids(blocks, counts={"z": 5})
    with pytest.raises(InvalidInputError, match="whole numbers"):
        plan_grids(blocks, counts={"a": -3})
    with pytest.raises(InvalidGeometryError, match="b"):
        plan_grids([("a", box(0, 0, 1, 1)), ("b", Point(0, 0))], counts={})


def test_an_invalid_block_is_repaired_and_reported() -> None:
    """
    a b          a is drawn as a bow-tie-free ring that touches itself (self-intersecting)
    """
    bow = Polygon([(LON0, LAT0), (LON0 + DX, LAT0 + DY), (LON0 + DX, LAT0), (LON0, LAT0 + DY)])
    graph = block_graph([("a", bow), ("b", box(LON0 + DX, LAT0, LON0 + 2 * DX, LAT0 + DY))], counts={})
    assert graph.repaired == ["a"]
    assert shapely.is_valid(graph.geometry[0])


def test_the_proposal_serialises_to_json_with_summary_grids_and_violations() -> None:
    """
    a b c        counts 50, 700, 300
    """
    plan = plan_grids(drawn_blocks("a b c"), counts={"a": 50, "b": 700, "c": 300})
    doc = json.loads(json.dumps(plan.to_dict()))
    assert doc["bounds"] == {"min": 100, "max": 600}
    assert doc["summary"]["grids"] == 3 and doc["summary"]["violations"] == 2
    assert {v["kind"] for v in doc["violations"]} == {"over_max", "under_min"}
    assert doc["grids"][0]["geometry"]["type"] == "Polygon"
    assert set(doc["grids"][0]) == {"id", "blocks", "households", "community", "area_m2", "perimeter_m",
                                    "compactness", "geometry"}


def test_partition_blocks_keeps_every_part_connected_and_within_bounds() -> None:
    """
    a b c d e
    f . . . g        a ring of blocks around a hole (a courtyard), 100 households each
    h i j k l
    """
    blocks = drawn_blocks("a b c d e\nf . . . g\nh i j k l")
    graph = block_graph(blocks, counts={b: 100 for b, _ in blocks})
    parts = partition_blocks(graph, range(len(graph.ids)), (200, 300))
    assert sorted(i for p in parts for i in p) == list(range(len(graph.ids)))
    for part in parts:
        assert 200 <= graph.total(part) <= 300
        assert len(graph.components(part)) == 1


def test_build_proposal_lists_a_violation_for_every_grid_outside_the_bounds() -> None:
    blocks = drawn_blocks("a b c")
    graph = block_graph(blocks, counts={"a": 50, "b": 400, "c": 300})
    plan = build_proposal(graph, {"x": [0], "y": [1, 2]}, (100, 600), dissolve=False)
    assert [(v.kind, v.grid) for v in plan.violations] == [("under_min", "x"), ("over_max", "y")]
    assert "together 750 households" in plan.violations[0].suggestion
    assert "split block b" in plan.violations[1].suggestion
    assert plan.grids[0].geometry is None


def test_the_examples_in_the_planning_docstrings_hold() -> None:
    import doctest

    import gisgrid.blocks.graph
    import gisgrid.planning.codes
    import gisgrid.planning.generate
    import gisgrid.planning.partition
    import gisgrid.planning.redraw
    import gisgrid.planning.regroup

    for module in (gisgrid.blocks.graph, gisgrid.planning.partition, gisgrid.planning.generate,
                   gisgrid.planning.regroup,
                   gisgrid.planning.redraw, gisgrid.planning.codes):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_the_planning_modules_import_neither_fastapi_nor_folium() -> None:
    import subprocess
    import sys

    code = ("import sys, gisgrid.planning.generate, gisgrid.planning.redraw, gisgrid.planning.codes\n"
            "bad = [m for m in ('fastapi', 'folium', 'api', 'maps', 'sqlalchemy') if m in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
