"""Grid codes: county + subdistrict + community + sequence, in rows north to south, west to east.

Drawings show grids on a lattice of cells about 111 m a side (north up); a letter is the
grid holding that cell. The expected sequence is written next to each drawing.
"""

from __future__ import annotations

import textwrap

import geopandas as gpd
import pytest
import shapely
from shapely import Polygon, box

from gisgrid.errors import InvalidInputError
from gisgrid.planning.codes import ROW_RULE, assign_codes, number_grids
from gisgrid.planning.generate import plan_grids

LON0, LAT0 = 109.73, 38.28
DX, DY = 1.2741e-3, 1e-3


def drawn_grids(drawing: str, *, jitter: dict[str, tuple[float, float]] | None = None) -> dict[str, Polygon]:
    """Grid id -> polygon; ``jitter`` shifts a grid by (dx, dy) cells."""
    rows = [line.split() for line in textwrap.dedent(drawing).strip().splitlines()]
    cells: dict[str, list[Polygon]] = {}
    for r, row in enumerate(rows):
        for x, token in enumerate(row):
            if token != ".":
                dx, dy = (jitter or {}).get(token, (0.0, 0.0))
                y = len(rows) - 1 - r
                cells.setdefault(token, []).append(box(LON0 + (x + dx) * DX, LAT0 + (y + dy) * DY,
                                                       LON0 + (x + 1 + dx) * DX, LAT0 + (y + 1 + dy) * DY))
    return {token: shapely.union_all(parts) for token, parts in cells.items()}


def test_codes_read_rows_north_to_south_and_west_to_east_within_a_row() -> None:
    """
    c a f        -> c a f = 001 002 003
    e d b        -> e d b = 004 005 006
    """
    codes = assign_codes(drawn_grids("c a f\ne d b"))
    assert list(codes) == ["c", "a", "f", "e", "d", "b"]
    assert list(codes.values()) == [f"610802001001{n:03d}" for n in range(1, 7)]


def test_a_grid_a_little_out_of_line_stays_in_its_row() -> None:
    """
    a b c        b sits 0.2 of a grid lower and c 0.2 higher than a, e 0.2 higher than
    d e f        d and f: still two rows, each numbered west to east
    """
    grids = drawn_grids("a b c\nd e f", jitter={"b": (0, -0.2), "c": (0, 0.2), "e": (0, 0.2)})
    assert list(number_grids(grids)) == ["a", "b", "c", "d", "e", "f"]
    grids = drawn_grids("a b c\nd e f", jitter={"b": (0, -0.6)})  # b is more in row 2 than in 1
    assert list(number_grids(grids)) == ["a", "c", "d", "b", "e", "f"]


def test_a_tall_grid_falls_in_the_row_of_its_representative_point() -> None:
    """
    a b          t spans two rows; its representative point lies on its middle line,
    t c          between rows 1 and 2: it comes after a and b only when below them
    t d
    """
    numbers = number_grids(drawn_grids("a b\nt c\nt d"))
    assert list(numbers) == ["a", "b", "t", "c", "d"]
    assert numbers == {"a": 1, "b": 2, "t": 3, "c": 4, "d": 5}


def test_codes_carry_the_county_subdistrict_and_community_given() -> None:
    codes = assign_codes(drawn_grids("a b"), county="110101", subdistrict="007", community="042")
    assert codes == {"a": "110101007042001", "b": "110101007042002"}
    assert all(len(c) == 15 for c in codes.values())


def test_recomputed_codes_follow_a_new_plan_while_grids_keep_their_ids() -> None:
    """
    old:  p q        new:  p r q     r is new, cut from between p and q: p keeps 001,
          s t              s s t     r takes 002 and pushes q to 003, s to 004, t to 005
    """
    old = assign_codes(drawn_grids("p q\ns t"))
    new = assign_codes(drawn_grids("p r q\ns s t"))
    assert old == {"p": "610802001001001", "q": "610802001001002", "s": "610802001001003",
                   "t": "610802001001004"}
    assert new == {"p": "610802001001001", "r": "610802001001002", "q": "610802001001003",
                   "s": "610802001001004", "t": "610802001001005"}


def test_grids_come_as_a_mapping_pairs_a_geodataframe_or_a_plan() -> None:
    grids = drawn_grids("a b\nc d")
    expected = {"a": 1, "b": 2, "c": 3, "d": 4}
    assert number_grids(grids) == expected
    assert number_grids(list(grids.items())[::-1]) == expected
    frame = gpd.GeoDataFrame({"id": list(grids)}, geometry=list(grids.values()), crs="EPSG:4326")
    assert number_grids(frame.to_crs(32649)) == expected
    plan = plan_grids(list(grids.items()), counts=dict.fromkeys(grids, 400))
    assert sorted(number_grids(plan).values()) == [1, 2, 3, 4]
    assert set(number_grids(plan)) == {g.id for g in plan.grids}


def test_bad_code_parts_and_too_many_grids_are_refused() -> None:
    grids = drawn_grids("a b")
    for kwargs in ({"county": "61080"}, {"county": "6108O2"}, {"subdistrict": "1"}, {"community": "0001"}):
        with pytest.raises(InvalidInputError, match="digits"):
            assign_codes(grids, **kwargs)
    many = {i: box(LON0 + i * 1e-4, LAT0, LON0 + (i + 1) * 1e-4, LAT0 + 1e-4) for i in range(1000)}
    with pytest.raises(InvalidInputError, match="at most 999"):
        assign_codes(many)
    with pytest.raises(InvalidInputError, match="no geometry"):
        assign_codes({"a": grids["a"], "b": None})


def test_the_rule_is_stated_and_no_grids_give_no_codes() -> None:
    assert "north to south" in ROW_RULE and "west to east" in ROW_RULE
    assert assign_codes({}) == {}
