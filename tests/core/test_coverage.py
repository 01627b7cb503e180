"""Tests for gisgrid.coverage.check on tiny hand-drawn grids near Yulin.

Unless a test draws otherwise, the parent is the 2 x 2 square and the grids its quarters;
each quarter is D = 0.001° a side (about 87 m east-west, 111 m north-south):

    Y2 +-------+-------+
       |   c   |   d   |
    Y1 +-------+-------+
       |   a   |   b   |
    Y0 +-------+-------+
       X0      X1      X2

Expected areas come from pyproj.Geod (geodesic area on the ellipsoid), independent of the
projection the module uses.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
import shapely
from quarters import LAT0, LON0, PARENT, D, X, Y, bow_tie_c, geodesic_m2, quarters
from shapely import MultiPolygon, Point, Polygon, box

from gisgrid.coverage.check import DEFECT_KINDS, CoverageReport, check_coverage
from gisgrid.errors import InvalidInputError


def kinds(report):
    return [d.kind for d in report.defects]


def only(report, kind):
    found = [d for d in report.defects if d.kind == kind]
    assert len(found) == 1, [(d.kind, d.grids, d.area_m2) for d in report.defects]
    return found[0]


def test_clean_two_by_two_partition_is_ok_and_measured():
    """The four quarters, exactly: no defect, covered area = parent area."""
    report = check_coverage(quarters(), PARENT)
    assert report.ok and report.defects == []
    s = report.summary
    assert s.grids == 4
    assert s.parent_area_m2 == pytest.approx(geodesic_m2(PARENT), rel=1e-6)
    assert s.covered_area_m2 == pytest.approx(s.parent_area_m2, rel=1e-9)
    assert s.gap_area_m2 == 0 and s.overlap_area_m2 == 0


def test_gap_between_two_grids_is_reported_with_its_area_and_both_grids():
    """Parent 2 x 1; a and b leave a strip 0.2 D wide between them.

    +------+--+------+
    |  a   |  |  b   |
    +------+--+------+
    """
    parent = box(X[0], Y[0], X[2], Y[1])
    grids = [("a", box(X[0], Y[0], X[1], Y[1])), ("b", box(X[1] + 0.2 * D, Y[0], X[2], Y[1]))]
    report = check_coverage(grids, parent)
    gap = only(report, "gap")
    expected = geodesic_m2(box(X[1], Y[0], X[1] + 0.2 * D, Y[1]))
    assert gap.grids == ["a", "b"]
    assert gap.area_m2 == pytest.approx(expected, rel=1e-4)
    assert gap.sliver is False
    strip = box(X[1], Y[0], X[1] + 0.2 * D, Y[1])
    assert shapely.symmetric_difference(gap.geometry, strip).area < 1e-14  # in lon/lat
    assert report.summary.gap_area_m2 == pytest.approx(expected, rel=1e-4)
    assert not report.ok


def test_overlap_is_reported_with_both_grids_and_its_area():
    """b grown north by 0.1 D into d: one overlap shared by b and d.

    +---+---+
    | c | d |
    |   |///|  <- b reaches up to here
    +---+---+
    | a | b |
    +---+---+
    """
    report = check_coverage(quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D)), PARENT)
    overlap = only(report, "overlap")
    expected = geodesic_m2(box(X[1], Y[1], X[2], Y[1] + 0.1 * D))
    assert overlap.grids == ["b", "d"]
    assert overlap.area_m2 == pytest.approx(expected, rel=1e-4)
    assert report.summary.overlap_area_m2 == pytest.approx(expected, rel=1e-4)
    assert kinds(report) == ["overlap"]


def test_three_grids_sharing_one_overlap_piece_are_all_listed():
    """e is a small square over the point where a, b and d meet... and c.

    +---+---+
    | c | d |
    +--[e]--+
    | a | b |
    +---+---+
    """
    e = box(X[1] - 0.1 * D, Y[1] - 0.1 * D, X[1] + 0.1 * D, Y[1] + 0.1 * D)
    overlap = only(check_coverage(quarters(e=e), PARENT), "overlap")
    assert overlap.grids == ["a", "b", "c", "d", "e"]
    assert overlap.area_m2 == pytest.approx(geodesic_m2(e), rel=1e-4)


def test_each_connected_piece_of_a_gap_is_its_own_defect():
    """Two separate notches cut from a (south-west) and d (north-east) corners.

    +---+--+.+
    | c | d  |
    +---+----+
    | a |  b |
    +.+-+----+
    """
    a = Polygon(
        [(X[0] + 0.2 * D, Y[0]), (X[1], Y[0]), (X[1], Y[1]), (X[0], Y[1]), (X[0], Y[0] + 0.2 * D)]
    )
    d = Polygon(
        [(X[1], Y[1]), (X[2], Y[1]), (X[2], Y[2] - 0.3 * D), (X[2] - 0.3 * D, Y[2]), (X[1], Y[2])]
    )
    report = check_coverage(quarters(a=a, d=d), PARENT)
    gaps = [x for x in report.defects if x.kind == "gap"]
    assert [g.grids for g in gaps] == [["d"], ["a"]]  # biggest first
    assert gaps[0].area_m2 > gaps[1].area_m2
    assert gaps[1].area_m2 == pytest.approx(
        geodesic_m2(Polygon([(X[0], Y[0]), (X[0] + 0.2 * D, Y[0]), (X[0], Y[0] + 0.2 * D)])),
        rel=1e-4,
    )


def test_a_thin_gap_is_flagged_as_a_sliver():
    """a shrunk by 1e-7° (under 1 cm) on its east side: a sliver between a and b."""
    report = check_coverage(quarters(a=box(X[0], Y[0], X[1] - 1e-7, Y[1])), PARENT)
    gap = only(report, "gap")
    assert gap.sliver is True
    assert {"a", "b"} <= set(gap.grids)
    assert gap.area_m2 == pytest.approx(geodesic_m2(box(X[1] - 1e-7, Y[0], X[1], Y[1])), rel=1e-3)
    assert "sliver" in gap.message


def test_a_thin_overlap_is_a_sliver_only_below_the_width():
    """b reaches 1e-6° (about 9 cm) into a: a sliver at 1 m, not at 5 cm."""
    grids = quarters(b=box(X[1] - 1e-6, Y[0], X[2], Y[1]))
    assert only(check_coverage(grids, PARENT), "overlap").sliver is True
    assert only(check_coverage(grids, PARENT, sliver_width_m=0.05), "overlap").sliver is False


def test_floating_point_residue_is_not_a_defect():
    """b's west edge 1e-12° off a's east edge: a nanometre gap, far below min_area_m2."""
    grids = quarters(b=box(X[1] + 1e-12, Y[0], X[2], Y[1]), d=box(X[1] - 1e-12, Y[1], X[2], Y[2]))
    assert check_coverage(grids, PARENT).ok


def test_bow_tie_grid_is_reported_invalid_and_the_check_goes_on():
    """c drawn as a bow-tie: its repair (two triangles) leaves gaps above and below.
    Drawn in ``quarters.bow_tie_c``.
    """
    bow_tie = bow_tie_c()
    report = check_coverage(quarters(c=bow_tie), PARENT)
    invalid = only(report, "invalid")
    assert invalid.grids == ["c"]
    assert "Self-intersection" in invalid.message
    assert invalid.geometry.equals(bow_tie)
    assert invalid.area_m2 == pytest.approx(geodesic_m2(box(X[0], Y[1], X[1], Y[2])) / 2, rel=1e-3)
    gaps = [x for x in report.defects if x.kind == "gap"]
    assert len(gaps) == 2 and all("c" in g.grids for g in gaps)
    assert sum(g.area_m2 for g in gaps) == pytest.approx(invalid.area_m2, rel=1e-3)
    assert sorted(set(kinds(report))) == ["gap", "invalid"]  # no multipart, no overlap


def test_a_hole_filled_exactly_by_another_grid_is_fine():
    """ring has a hole; core fills it.

    +-----------+
    |   ring    |
    |   +---+   |
    |   |core   |
    |   +---+   |
    +-----------+
    """
    parent = box(X[0], Y[0], X[3], Y[3])
    core = box(X[1], Y[1], X[2], Y[2])
    ring = Polygon(parent.exterior.coords, [core.exterior.coords])
    assert check_coverage([("ring", ring), ("core", core)], parent).ok
    report = check_coverage([("ring", ring)], parent)
    gap = only(report, "gap")
    assert gap.grids == ["ring"]
    assert gap.area_m2 == pytest.approx(geodesic_m2(core), rel=1e-4)


def test_gap_along_the_parent_edge_is_found():
    """d shrunk by a strip 0.1 D wide on its east side, along the parent's edge."""
    report = check_coverage(quarters(d=box(X[1], Y[1], X[2] - 0.1 * D, Y[2])), PARENT)
    gap = only(report, "gap")
    assert "d" in gap.grids
    assert gap.sliver is False
    assert gap.area_m2 == pytest.approx(
        geodesic_m2(box(X[2] - 0.1 * D, Y[1], X[2], Y[2])), rel=1e-4
    )


def test_a_grid_reaching_outside_the_parent_is_reported_with_the_outside_area():
    """d sticks out 0.2 D east of the parent."""
    report = check_coverage(quarters(d=box(X[1], Y[1], X[2] + 0.2 * D, Y[2])), PARENT)
    outside = only(report, "outside_parent")
    assert outside.grids == ["d"]
    assert outside.area_m2 == pytest.approx(
        geodesic_m2(box(X[2], Y[1], X[2] + 0.2 * D, Y[2])), rel=1e-4
    )
    assert kinds(report) == ["outside_parent"]


def test_a_grid_in_two_parts_is_reported_multipart():
    """a owns both diagonal quarters (they meet at one point); b and c as usual.

    +---+---+
    | c | a |
    +---+---+
    | a | b |
    +---+---+
    """
    two = MultiPolygon([box(X[0], Y[0], X[1], Y[1]), box(X[1], Y[1], X[2], Y[2])])
    report = check_coverage(quarters(a=two, d=None), PARENT)
    multipart = only(report, "multipart")
    assert multipart.grids == ["a"] and "2 separate parts" in multipart.message
    assert kinds(report) == ["multipart"]


def test_identical_grids_are_one_duplicate_defect_and_no_overlap():
    """d2 is d drawn again (starting at another corner)."""
    d2 = Polygon([(X[2], Y[2]), (X[1], Y[2]), (X[1], Y[1]), (X[2], Y[1])])
    report = check_coverage(quarters(d2=d2), PARENT)
    duplicate = only(report, "duplicate")
    assert duplicate.grids == ["d", "d2"]
    assert duplicate.area_m2 == pytest.approx(geodesic_m2(d2), rel=1e-4)
    assert kinds(report) == ["duplicate"]


def test_many_copies_of_one_grid_cost_pairs_of_distinct_shapes_only(monkeypatch):
    """400 copies of d, plus a near-copy of d and a grid c2 overlapping c by half.

    Exact copies are grouped in one pass: the pairwise overlap test sees d once, so the
    work grows with n, not n² (before: 80,000 pairs, gigabytes). The report is as before:
    one duplicate group (copies and the near-copy) and c/c2's overlap.
    """
    import gisgrid.coverage.check as check_module

    seen = []
    real = check_module._interior_pairs

    def counting(shapes):
        left, right = real(shapes)
        seen.append(len(left))
        return left, right

    monkeypatch.setattr(check_module, "_interior_pairs", counting)
    d = box(X[1], Y[1], X[2], Y[2])
    near = box(X[1], Y[1], X[2], Y[2] + 1e-9)  # symmetric difference far below 0.5 m²
    c2 = box(X[0], Y[1], X[0] + D / 2, Y[2])
    copies = [(f"d{i}", d) for i in range(400)]
    report = check_coverage(quarters() + copies + [("near", near), ("c2", c2)], PARENT)
    assert seen == [2]  # d-near and c-c2: no pair of copies
    duplicate = only(report, "duplicate")
    assert duplicate.grids == ["d"] + [f"d{i}" for i in range(400)] + ["near"]
    assert duplicate.area_m2 == pytest.approx(geodesic_m2(d), rel=1e-4)
    overlap = only(report, "overlap")
    assert overlap.grids == ["c", "c2"]
    assert overlap.area_m2 == pytest.approx(geodesic_m2(c2), rel=1e-4)
    assert kinds(report) == ["duplicate", "overlap"]


def test_copies_of_an_invalid_grid_are_duplicates_of_its_repaired_form():
    """Three copies of the bow-tie c: each is reported invalid, then one duplicate group."""
    copies = [(f"c{i}", bow_tie_c()) for i in range(3)]
    report = check_coverage(quarters(c=bow_tie_c()) + copies, PARENT)
    assert [d.grids for d in report.defects if d.kind == "invalid"] == [["c"], ["c0"], ["c1"], ["c2"]]
    assert only(report, "duplicate").grids == ["c", "c0", "c1", "c2"]


def test_empty_grids_are_reported_and_ignored_otherwise():
    report = check_coverage(quarters(e=None) + [("e", None), ("f", Polygon())], PARENT)
    assert [(d.kind, d.grids) for d in report.defects] == [("empty", ["e"]), ("empty", ["f"])]
    assert report.defects[0].geometry is None
    assert report.summary.grids == 6


def test_no_grids_at_all_leave_the_whole_parent_as_one_gap():
    report = check_coverage([], PARENT)
    gap = only(report, "gap")
    assert gap.grids == [] and "touching no grid" in gap.message
    assert gap.area_m2 == pytest.approx(geodesic_m2(PARENT), rel=1e-6)
    assert report.summary.covered_area_m2 == 0


def test_non_polygon_grid_is_invalid():
    report = check_coverage(quarters(e=shapely.LineString([(X[0], Y[0]), (X[1], Y[1])])), PARENT)
    assert "LineString" in only(report, "invalid").message
    assert kinds(report) == ["invalid"]


def test_points_outside_every_grid_are_unassigned_and_edge_points_are_not():
    """b is missing; p_in is in a, p_edge on the a|c edge, p_gap where b was, p_out east."""
    points = [
        ("p_in", Point(X[0] + 0.5 * D, Y[0] + 0.5 * D)),
        ("p_edge", Point(X[0] + 0.5 * D, Y[1])),
        ("p_gap", Point(X[1] + 0.5 * D, Y[0] + 0.5 * D)),
        ("p_out", Point(X[3], Y[0])),
        ("p_none", None),
    ]
    report = check_coverage(quarters(b=None), PARENT, points=points)
    unassigned = [d for d in report.defects if d.kind == "unassigned_point"]
    assert [d.point for d in unassigned] == ["p_gap", "p_out", "p_none"]
    assert all(d.grids == [] and d.area_m2 == 0 for d in unassigned)
    assert unassigned[0].geometry.equals(points[2][1])
    assert "p_gap" in unassigned[0].message


def test_report_serialises_to_the_documented_json_shape():
    report = check_coverage(quarters(b=box(X[1], Y[0], X[2], Y[1] + 0.1 * D)), PARENT)
    body = json.loads(json.dumps(report.to_dict()))
    assert set(body) == {"ok", "summary", "defects"}
    assert set(body["summary"]) == {
        "grids",
        "parent_area_m2",
        "covered_area_m2",
        "gap_area_m2",
        "overlap_area_m2",
    }
    (defect,) = body["defects"]
    assert set(defect) == {"kind", "grids", "area_m2", "sliver", "geometry", "message"}
    assert defect["kind"] in DEFECT_KINDS and defect["geometry"]["type"] == "Polygon"
    assert isinstance(report, CoverageReport) and body["ok"] is False


def test_geodataframe_input_with_an_id_column_and_another_crs_works():
    geopandas = pytest.importorskip("geopandas")
    ids, geoms = zip(*quarters(), strict=True)
    gdf = geopandas.GeoDataFrame({"id": ids}, geometry=list(geoms), crs="EPSG:4326")
    assert check_coverage(gdf, PARENT).ok
    report = check_coverage(gdf.to_crs(32649), PARENT)  # reprojected back to lon/lat
    assert not [d for d in report.defects if d.area_m2 > 1.0]


@pytest.mark.parametrize(
    ("grids", "parent"),
    [
        ([("a", box(X[0], Y[0], X[1], Y[1])), ("a", box(X[1], Y[0], X[2], Y[1]))], PARENT),
        ([("a", box(500000, 4200000, 500100, 4200100))], PARENT),
        (quarters(), shapely.LineString([(X[0], Y[0]), (X[1], Y[1])])),
        (quarters(), None),
        ([("a",)], PARENT),
    ],
    ids=["repeated id", "projected metres", "parent a line", "no parent", "not a pair"],
)
def test_bad_input_raises_invalid_input_error(grids, parent):
    with pytest.raises(InvalidInputError):
        check_coverage(grids, parent)


def test_a_lattice_of_ten_thousand_grids_reports_its_one_gap_and_one_overlap():
    """A 100 x 100 lattice of ~9 m cells with one cell missing and one cell doubled."""
    n, step = 100, D / 10
    xs, ys = np.meshgrid(np.arange(n) * step + LON0, np.arange(n) * step + LAT0)
    cells = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + step, ys.ravel() + step)
    grids = [(f"g{k}", g) for k, g in enumerate(cells) if k != 5050]
    grids.append(("big", shapely.box(LON0, LAT0, LON0 + 2 * step, LAT0 + 2 * step)))
    parent = box(LON0, LAT0, LON0 + n * step, LAT0 + n * step)
    # Speed is measured in bench/, never asserted here.
    report = check_coverage(grids, parent)
    assert sorted(set(kinds(report))) == ["gap", "overlap"]
    # the hole's 4 side neighbours and 4 corner neighbours touch it
    assert only(report, "gap").grids == [
        "g4949",
        "g4950",
        "g4951",
        "g5049",
        "g5051",
        "g5149",
        "g5150",
        "g5151",
    ]
    assert only(report, "overlap").grids == ["g0", "g1", "g100", "g101", "big"]


def test_the_core_imports_neither_fastapi_nor_folium():
    code = (
        "import sys, gisgrid.coverage.check, gisgrid.crs;"
        "print(sorted({'fastapi', 'folium'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
