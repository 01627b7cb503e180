"""Units to paint, on a hand-drawn community: street blocks, building parcels, neighbours along
streets, and the figures of grids made of them (gisgrid.plans.units, parcels, assignment).

The community is a square about 222 m a side cut by one N-S street (中街) and one E-W lane
(横巷) into four blocks; two buildings stand in the north-west block, one in the south-east.

    +------+------+
    | NW   |  NE  |     NW holds buildings 11 and 12 (west and east halves)
    | 11 12|      |
    +------+------+ 横巷
    | SW   |  SE  |     SE holds building 13
    |      |  13  |
    +------+------+
          中街
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import LineString, box

from gisgrid.crs import LocalEqualArea
from gisgrid.plans.assignment import grid_figures
from gisgrid.plans.parcels import building_parcels
from gisgrid.plans.units import cut_units, owners, point_owners

X, Y, D = 109.73, 38.28, 0.001


@pytest.fixture(scope="module")
def units():
    sources = {
        "boundary": box(X, Y, X + 2 * D, Y + 2 * D),
        "streets": [
            LineString([(X + D, Y - D), (X + D, Y + 3 * D)]),
            LineString([(X - D, Y + D), (X + 3 * D, Y + D)]),
        ],
        "street_names": ["中街", "横巷"],
        "building_ids": [11, 12, 13],
        "buildings": [
            box(X + 0.1 * D, Y + 1.3 * D, X + 0.4 * D, Y + 1.7 * D),
            box(X + 0.6 * D, Y + 1.3 * D, X + 0.9 * D, Y + 1.7 * D),
            box(X + 1.3 * D, Y + 0.3 * D, X + 1.7 * D, Y + 0.7 * D),
        ],
        "digest": "test",
    }
    return cut_units("610802001001", sources)


def test_a_block_with_two_buildings_is_cut_in_two_parcels_and_the_others_stay_whole(units) -> None:
    assert units.ids == [
        "610802001001-1-11",
        "610802001001-1-12",
        "610802001001-2",
        "610802001001-3",
        "610802001001-4",
    ]
    assert units.building == [11, 12, None, None, None]
    assert units.block.tolist() == [1, 1, 2, 3, 4]
    west, east = units.geometry[0], units.geometry[1]
    block = box(X, Y + D, X + D, Y + 2 * D)
    assert shapely.area(shapely.symmetric_difference(shapely.union(west, east), block)) < 1e-6 * block.area
    assert shapely.area(shapely.intersection(west, east)) < 1e-18
    assert abs(units.area_m2.sum() - 4 * units.area_m2[2]) / units.area_m2.sum() < 1e-3  # four equal blocks


def test_neighbours_share_edges_along_their_street_and_parcels_along_the_line_between_buildings(
    units,
) -> None:
    pairs = {
        (units.ids[i][13:], units.ids[j][13:]): (round(float(m)), street)
        for (i, j), m, street in zip(units.pairs.tolist(), units.shared_m, units.street, strict=True)
    }
    assert pairs[("1-11", "1-12")][1] is None  # between two buildings of one block
    assert pairs[("1-12", "2")] == (111, "中街")  # across the N-S street, the whole block side
    assert pairs[("1-11", "3")][1] == "横巷" and pairs[("1-12", "3")][1] == "横巷"
    assert pairs[("3", "4")] == (111, "中街")
    assert ("1-11", "4") not in pairs and ("2", "3") not in pairs  # corners only: no neighbours


def test_the_grid_a_unit_overlaps_most_owns_it_and_a_point_on_a_shared_edge_counts_once(units) -> None:
    west_grid, east_grid = (
        box(X - D, Y - D, X + 1.05 * D, Y + 3 * D),
        box(X + 1.05 * D, Y - D, X + 3 * D, Y + 3 * D),
    )
    grids = np.empty(2, dtype=object)
    grids[:] = [west_grid, east_grid]
    assert owners(units.geometry, grids).tolist() == [0, 0, 1, 0, 1]
    on_street = shapely.get_coordinates(units.edges[units.pairs.tolist().index([1, 2])])[1]  # on both units
    points = np.array([on_street, [X + 0.2 * D, Y + 0.2 * D], [X + 5 * D, Y]])
    assert point_owners(units.geometry, points).tolist() == [1, 3, -1]


def test_figures_of_grids_made_of_units_count_pieces_compactness_and_totals(units) -> None:
    """
    grid A = NW parcels and SE; grid B = NE and SW: each in two pieces meeting at corners
    """
    grid_of = ["A", "A", "B", "B", "A"]
    figures = grid_figures(
        grid_of,
        area_m2=units.area_m2,
        perimeter_m=units.perimeter_m,
        pairs=units.pairs,
        shared_m=units.shared_m,
        counts={"households": [3, 4, 5, 6, 7]},
    )
    assert figures["A"].pieces == [[0, 1], [4]] and figures["B"].pieces == [[2], [3]]
    assert figures["A"].counts == {"households": 14} and figures["B"].units == 2
    whole = grid_figures(
        ["A"] * 5,
        area_m2=units.area_m2,
        perimeter_m=units.perimeter_m,
        pairs=units.pairs,
        shared_m=units.shared_m,
    )["A"]
    assert whole.pieces == [[0, 1, 2, 3, 4]]
    community = LocalEqualArea(X + D, Y + D).to_metric(box(X, Y, X + 2 * D, Y + 2 * D))
    assert whole.compactness == pytest.approx(4 * np.pi * community.area / community.length**2, rel=1e-3)


def test_parcels_of_mirror_image_buildings_tile_the_block_and_hold_their_buildings() -> None:
    block = box(X, Y, X + 2 * D, Y + D)
    houses = [
        box(X + 0.2 * D, Y + 0.2 * D, X + 0.6 * D, Y + 0.8 * D),
        box(X + 1.4 * D, Y + 0.2 * D, X + 1.8 * D, Y + 0.8 * D),
        box(X + 0.8 * D, Y + 0.4 * D, X + 1.2 * D, Y + 0.6 * D),
    ]
    parcels = building_parcels(block, houses)
    assert all(p.is_valid and not p.is_empty for p in parcels)
    assert abs(sum(p.area for p in parcels) - block.area) < 1e-15
    assert all(shapely.covers(p, h) for p, h in zip(parcels, houses, strict=True))
    assert shapely.area(shapely.intersection(parcels[0], parcels[2])) < 1e-18
