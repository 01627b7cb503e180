"""Tests for gisgrid.blocks.polygonize on tiny hand-drawn streets, in metres and in lon/lat.

Metric cases cut the 100 m square S = box(0, 0, 100, 100); streets are drawn per test:

    100 +-----------+
        |     |     |     "cross": x = 50 and y = 50, each running past the square
     50 |-----+-----|
        |     |     |
      0 +-----------+
        0    50    100
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely import LineString, MultiLineString, MultiPolygon, Point, Polygon, box

from gisgrid.blocks.polygonize import (
    DEFAULT_TOLERANCE_M,
    _drop_densified_vertices,
    polygonize_blocks,
    polygonize_blocks_metric,
)
from gisgrid.coverage.check import check_coverage
from gisgrid.crs import wgs84_to_gcj02
from gisgrid.errors import EmptyInputError, InvalidGeometryError, InvalidInputError
from gisgrid.io.geojson import feature_collection_problems

S = box(0, 0, 100, 100)
BAR = LineString([(-10, 50), (110, 50)])  # east-west through the middle
STEM = LineString([(50, 50), (50, 110)])  # north from the bar
GEOD = Geod(ellps="WGS84")


def areas(result) -> list[float]:
    return sorted(round(float(a), 3) for a in shapely.area(result.blocks))


def assert_tiles(blocks: np.ndarray, boundary: shapely.Geometry) -> None:
    """Blocks are valid polygons, cover the boundary and do not overlap."""
    assert shapely.is_valid(blocks).all()
    assert (shapely.get_type_id(blocks) == 3).all()
    assert float(shapely.area(blocks).sum()) == pytest.approx(boundary.area, rel=1e-9)
    assert shapely.union_all(blocks).symmetric_difference(boundary).area < 1e-6 * boundary.area
    i, j = shapely.STRtree(blocks).query(blocks, predicate="intersects")
    inter = shapely.area(shapely.intersection(blocks[i[i < j]], blocks[j[i < j]]))
    assert float(inter.sum()) < 1e-6


def test_a_cross_cuts_the_square_into_four_equal_blocks() -> None:
    r = polygonize_blocks_metric(S, [BAR, LineString([(50, -10), (50, 110)])])
    assert areas(r) == [2500.0] * 4
    assert_tiles(r.blocks, S)
    assert r.counts["dangles"] == 0 and r.counts["dropped_slivers"] == 0
    assert r.counts["streets_in"] == 2 and r.counts["streets_used"] == 2


def test_duplicate_lines_give_the_same_blocks_as_one_line_and_are_counted() -> None:
    r = polygonize_blocks_metric(S, [BAR, BAR, BAR.reverse(), STEM])
    assert areas(r) == [2500.0, 2500.0, 5000.0]
    assert r.counts["duplicate_lines"] == 2
    assert r.counts["dropped_slivers"] == 0


def test_many_copies_of_a_street_are_noded_once(monkeypatch) -> None:
    """500 copies of the bar (either direction) reach the overlay as one line: their cost
    is a hash each, not a noding that grows faster than their number."""
    import gisgrid.blocks.polygonize as polygonize

    noded: list[int] = []
    real = polygonize.node_lines
    monkeypatch.setattr(polygonize, "node_lines", lambda lines: noded.append(len(lines)) or real(lines))
    copies = [BAR if i % 2 else BAR.reverse() for i in range(500)]
    r = polygonize_blocks_metric(S, [*copies, STEM])
    assert noded == [3]  # the bar, the stem and the boundary ring
    assert areas(r) == [2500.0, 2500.0, 5000.0]
    assert r.counts["duplicate_lines"] == 499 and r.counts["streets_in"] == 501


def test_self_overlapping_and_self_crossing_lines_are_noded_into_plain_edges() -> None:
    """The bar runs east, back west over itself, and a loop crosses itself (a figure 8)."""
    doubled = LineString([(-10, 50), (110, 50), (30, 50)])
    eight = LineString([(20, 70), (40, 90), (40, 70), (20, 90), (20, 70)])
    r = polygonize_blocks_metric(S, [doubled, eight])
    assert areas(r) == [100.0, 100.0, 4800.0, 5000.0]  # two 10x10 m triangles of the 8
    assert_tiles(r.blocks, S)


def test_a_half_metre_gap_at_a_t_junction_is_closed() -> None:
    """The stem stops 0.5 m short of the bar:

        +-----|-----+
        |     |     |
        |     :     |   <- 0.5 m gap
        |-----------|
        +-----------+
    """
    stem = LineString([(50, 50.5), (50, 110)])
    r = polygonize_blocks_metric(S, [BAR, stem])
    assert areas(r) == [2500.0, 2500.0, 5000.0]
    assert r.counts["snapped_ends"] == 1 and r.counts["dangles"] == 0
    assert_tiles(r.blocks, S)
    plain = polygonize_blocks_metric(S, [BAR, stem], tolerance_m=0)
    assert areas(plain) == [5000.0, 5000.0] and plain.counts["dangles"] == 1


def test_a_street_stopping_one_metre_short_of_the_boundary_still_cuts() -> None:
    r = polygonize_blocks_metric(S, [LineString([(50, -5), (50, 99)])])
    assert areas(r) == [5000.0, 5000.0]
    assert r.counts["snapped_ends"] == 1
    assert r.shapes["connectors"][0].equals(LineString([(50, 99), (50, 100)]))


def test_two_ends_facing_across_a_gap_are_joined_end_to_end() -> None:
    """West half ends at x = 49.4, east half starts at x = 50.6 (1.2 m apart)."""
    west, east = LineString([(-5, 50), (49.4, 50)]), LineString([(50.6, 50), (105, 50)])
    r = polygonize_blocks_metric(S, [west, east])
    assert areas(r) == [5000.0, 5000.0]
    assert r.counts["snapped_ends"] == 1  # one connector, not one per end
    assert all(shapely.get_num_coordinates(shapely.simplify(b, 1e-9)) == 5 for b in r.blocks)


def test_a_gap_wider_than_the_tolerance_stays_open_as_a_dangle() -> None:
    stem = LineString([(50, 53), (50, 110)])
    r = polygonize_blocks_metric(S, [BAR, stem], tolerance_m=2.0)
    assert areas(r) == [5000.0, 5000.0]
    assert r.counts["snapped_ends"] == 0 and r.counts["dangles"] == 1
    assert areas(polygonize_blocks_metric(S, [BAR, stem], tolerance_m=3.5)) == [2500.0, 2500.0, 5000.0]


def test_a_dead_end_street_is_a_dangle_and_cuts_nothing() -> None:
    cul_de_sac = LineString([(30, 50), (30, 80)])
    r = polygonize_blocks_metric(S, [BAR, cul_de_sac])
    assert areas(r) == [5000.0, 5000.0]
    assert r.counts["dangles"] == 1 and r.counts["snapped_ends"] == 0
    assert r.shapes["dangles"][0].equals(cul_de_sac)


def test_an_overshoot_past_a_crossing_stays_a_dangle_without_a_connector() -> None:
    stem = LineString([(50, 49.2), (50, 110)])  # runs 0.8 m past the bar
    r = polygonize_blocks_metric(S, [BAR, stem])
    assert areas(r) == [2500.0, 2500.0, 5000.0]
    assert r.counts["snapped_ends"] == 0 and r.counts["dangles"] == 1


def test_a_near_duplicate_line_leaves_a_sliver_that_is_merged_into_a_neighbour() -> None:
    """A second bar 0.3 m north of the first makes a 100 x 0.3 m strip: merged, not a block."""
    r = polygonize_blocks_metric(S, [BAR, LineString([(-10, 50.3), (110, 50.3)])])
    assert len(r.blocks) == 2
    assert r.counts["dropped_slivers"] == 1 and r.counts["sliver_area_m2"] == pytest.approx(30.0)
    assert areas(r) == [4970.0, 5030.0]  # a tie in edge length: the first neighbour takes it
    assert_tiles(r.blocks, S)


def test_a_street_just_inside_the_boundary_does_not_make_a_strip_block() -> None:
    r = polygonize_blocks_metric(S, [BAR, LineString([(-5, 0.4), (105, 0.4)])])
    assert areas(r) == [5000.0, 5000.0]
    assert r.counts["dropped_slivers"] == 1
    assert_tiles(r.blocks, S)


def test_slivers_are_kept_when_the_tolerance_is_zero() -> None:
    r = polygonize_blocks_metric(S, [BAR, LineString([(-10, 50.3), (110, 50.3)])], tolerance_m=0)
    assert areas(r) == [30.0, 4970.0, 5000.0]


def test_a_boundary_hole_is_not_a_block_and_an_island_loop_is() -> None:
    """A 20 m hole (a lake) in the square, and a ring road around a 10 m island."""
    holed = Polygon(S.exterior.coords, [box(10, 10, 30, 30).exterior.coords])
    island = box(60, 60, 70, 70).exterior
    r = polygonize_blocks_metric(holed, [BAR, LineString(island.coords)])
    assert areas(r) == [100.0, 4600.0, 4900.0]
    assert_tiles(r.blocks, holed)


def test_a_multipolygon_boundary_gives_blocks_in_each_part() -> None:
    two = MultiPolygon([S, box(200, 0, 300, 100)])
    r = polygonize_blocks_metric(two, [BAR, LineString([(190, 50), (310, 50)])])
    assert areas(r) == [5000.0] * 4
    assert_tiles(r.blocks, two)


def test_streets_all_outside_leave_the_boundary_as_one_block() -> None:
    r = polygonize_blocks_metric(S, [LineString([(200, 0), (200, 100)])])
    assert areas(r) == [10000.0] and r.counts["streets_used"] == 0


# --- lon/lat entry point ---------------------------------------------------------------

LON0, LAT0, D = 109.73, 38.28, 0.001
SQUARE = box(LON0, LAT0, LON0 + 2 * D, LAT0 + 2 * D)
CROSS = [LineString([(LON0 + D, LAT0 - D), (LON0 + D, LAT0 + 3 * D)]),
         LineString([(LON0 - D, LAT0 + D), (LON0 + 3 * D, LAT0 + D)])]


def geodesic_m2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def test_lonlat_cross_gives_four_quarters_with_geodesic_areas_and_reading_order_ids() -> None:
    result = polygonize_blocks(SQUARE, CROSS)
    assert [b.id for b in result.blocks] == [1, 2, 3, 4]
    quarters = [box(LON0 + dx * D, LAT0 + dy * D, LON0 + (dx + 1) * D, LAT0 + (dy + 1) * D)
                for dx, dy in ((0, 1), (1, 1), (0, 0), (1, 0))]  # NW, NE, SW, SE
    for block, quarter in zip(result.blocks, quarters, strict=True):
        # nodes are computed in metres on ~100 m chords of the streets: 0.1 mm at most
        assert shapely.hausdorff_distance(block.geometry, quarter) < 1e-9
        assert block.area_m2 == pytest.approx(geodesic_m2(quarter), rel=1e-6)
        assert shapely.get_num_coordinates(block.geometry) == 5  # no projection vertices left
    d = result.diagnostics
    assert d.tolerance_m == DEFAULT_TOLERANCE_M and d.blocks_area_m2 == pytest.approx(d.boundary_area_m2)


def test_lonlat_blocks_pass_the_coverage_check_of_their_boundary() -> None:
    """An irregular boundary with a slanted edge and streets that stop short: still exact."""
    boundary = Polygon([(LON0, LAT0), (LON0 + 3 * D, LAT0 + 0.3 * D), (LON0 + 2.5 * D, LAT0 + 2 * D),
                        (LON0 + 0.2 * D, LAT0 + 2.2 * D)])
    top = LAT0 + 2 * D + 0.2 * D * 1.3 / 2.3  # the top edge's latitude at LON0 + 1.2 D
    streets = [LineString([(LON0 + D, LAT0 + 0.1 * D), (LON0 + 1.2 * D, top - 1.5 / 111_000)]),
               LineString([(LON0 - D, LAT0 + D), (LON0 + 4 * D, LAT0 + 1.2 * D)])]
    result = polygonize_blocks(boundary, streets)
    assert len(result.blocks) == 4 and result.diagnostics.snapped_ends == 1
    report = check_coverage([(b.id, b.geometry) for b in result.blocks], boundary, sliver_width_m=0.01)
    assert report.ok, [(x.kind, x.area_m2) for x in report.defects]
    assert sum(b.area_m2 for b in result.blocks) == pytest.approx(geodesic_m2(boundary), rel=1e-5)


def test_the_clean_up_keeps_a_corner_next_to_a_micro_step_and_drops_the_projection_vertices() -> None:
    """A street reaching the top edge through a 1e-11° step (what 1 µm snap rounding leaves).

    Each end of the step, measured against its own two neighbours, looks collinear; both
    went, and the two blocks lost their corner on the edge (a chord cut across them).
    """
    def at(fx: float, fy: float) -> tuple[float, float]:
        return LON0 + fx * D, LAT0 + fy * D

    foot, end, corner = at(0.4, 0), at(0.5, 1 - 1e-8), at(0.5, 1)  # 1e-8 D = 1e-11°
    west = Polygon([at(0, 0), foot, end, corner, at(0.45, 1), at(0.3, 1), at(0, 1)])
    east = Polygon([foot, at(1, 0), at(1, 1), at(0.7, 1), at(0.55, 1), corner, end])
    out = _drop_densified_vertices(np.array([west, east], dtype=object))
    assert shapely.is_valid(out).all()
    assert shapely.hausdorff_distance(out, [west, east]).max() < 1e-9
    for g in out:  # the corner stays; the step's foot and the edge's vertices go
        assert corner in g.exterior.coords and end not in g.exterior.coords
        assert shapely.get_num_coordinates(g) == 5
    assert shapely.area(shapely.intersection(out[0], out[1])) < 1e-18


def test_the_clean_up_never_returns_an_invalid_block_from_a_valid_one() -> None:
    """A spike reaching within 5e-10° of a bottom edge bent 9e-10° (under the collinear
    tolerance) the other way: straightening the edge would cross the spike."""
    ring = [(0, 0), (0.5, -9e-7), (1, 0), (1, 1), (0.501, 1), (0.5, -5e-7), (0.499, 1), (0, 1)]
    block = Polygon([(LON0 + x * D, LAT0 + y * D) for x, y in ring])
    assert block.is_valid
    out = _drop_densified_vertices(np.array([block], dtype=object))
    assert shapely.is_valid(out).all() and out[0].equals_exact(block, 0)


def test_feature_collection_is_valid_rfc7946_and_converts_to_gcj02() -> None:
    result = polygonize_blocks(SQUARE, CROSS)
    doc = result.to_feature_collection()
    assert feature_collection_problems(doc) == []
    assert doc["diagnostics"]["dangles"] == 0 and "sliver_rule" in doc["diagnostics"]
    assert [f["properties"]["id"] for f in doc["features"]] == [1, 2, 3, 4]
    gcj = result.to_feature_collection("gcj02")
    first = gcj["features"][0]["geometry"]["coordinates"][0][0]
    expect = wgs84_to_gcj02(*doc["features"][0]["geometry"]["coordinates"][0][0])
    assert first == pytest.approx(list(expect), abs=1e-9)


def test_the_same_input_gives_the_same_blocks_and_ids() -> None:
    one, two = polygonize_blocks(SQUARE, CROSS), polygonize_blocks(SQUARE, list(reversed(CROSS)))
    assert [(b.id, b.geometry.wkb) for b in one.blocks] == [(b.id, b.geometry.wkb) for b in two.blocks]


@pytest.mark.parametrize(("boundary", "streets", "error", "words"), [
    (LineString([(0, 0), (1, 1)]), CROSS, InvalidGeometryError, "Polygon or MultiPolygon"),
    (Polygon(), CROSS, InvalidGeometryError, "empty"),
    (Polygon([(LON0, LAT0), (LON0 + D, LAT0 + D), (LON0 + D, LAT0), (LON0, LAT0 + D)]), CROSS,
     InvalidGeometryError, "Self-intersection"),
    (SQUARE, [Point(LON0, LAT0)], InvalidGeometryError, "streets[0]"),
    (SQUARE, [CROSS[0], SQUARE], InvalidGeometryError, "streets[1]"),
    (SQUARE, [], EmptyInputError, "no lines"),
    (box(100, 30, 110, 40), CROSS, InvalidGeometryError, "larger than a district"),
])
def test_bad_input_raises_an_invalid_input_error_saying_what(boundary, streets, error, words) -> None:
    with pytest.raises(error) as info:
        polygonize_blocks(boundary, streets)
    assert isinstance(info.value, InvalidInputError) and words in info.value.message


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(InvalidGeometryError, match="tolerance_m"):
        polygonize_blocks(SQUARE, CROSS, tolerance_m=-1)


def test_multilinestrings_are_split_into_their_lines() -> None:
    result = polygonize_blocks(SQUARE, [MultiLineString([c.coords for c in CROSS])])
    assert len(result.blocks) == 4 and result.diagnostics.streets_in == 2
