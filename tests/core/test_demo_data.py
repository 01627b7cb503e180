"""Checks on the Yuyang demo file (data/demo/yuyang.gpkg), made by data/generate_demo.py.

The expected figures come from the 2020 report (Jinlin, Sanguanhui, Xueyuan, Jinyang);
everything else is measured on the file itself: spatial joins for membership, areas in
UTM 49N (EPSG:32649) for tiling.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.strtree import STRtree

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo" / "yuyang.gpkg"
GENERATOR = ROOT / "data" / "generate_demo.py"
METRIC = "EPSG:32649"

COLUMNS = {
    "admin_area": ["code", "name", "level", "parent_code", "geometry"],
    "street": ["id", "name", "kind", "geometry"],
    "block": ["id", "community_code", "households", "geometry"],
    "grid": ["code", "seq", "name", "kind", "community_code", "geometry"],
    "building": ["id", "name", "estate", "community_code", "address", "floors", "geometry"],
    "unit": ["id", "building_id", "number", "geometry"],
    "household": ["id", "unit_id", "building_id", "room", "address", "size", "geometry"],
    "shop": ["id", "name", "category", "address", "community_code", "geometry"],
    "staff": ["id", "grid_code", "role", "name", "phone"],
    "request": ["id", "title", "category", "description", "status", "reported_at",
                "community_code", "geometry"],
    "resource": ["id", "name", "kind", "details", "community_code", "geometry"],
    "meta": ["key", "value"],
}


def read_layers(path: Path) -> dict[str, pd.DataFrame]:
    return {name: pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)}


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return read_layers(DEMO)


def community(demo, name: str) -> pd.Series:
    areas = demo["admin_area"]
    rows = areas[(areas["level"] == "community") & (areas["name"] == name)]
    assert len(rows) == 1, f"expected one community named {name}"
    return rows.iloc[0]


def residential(demo) -> gpd.GeoDataFrame:
    grids = demo["grid"]
    return grids[grids["kind"] == "residential"].reset_index(drop=True)


def metric(geoms) -> np.ndarray:
    return gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs(METRIC).to_numpy()


def assert_tiling(parts, whole, what: str) -> None:
    """parts cover whole: equal areas (1e-6 relative) and no pair shares any area."""
    parts, (whole,) = metric(parts), metric([whole])
    union = shapely.union_all(parts)
    total = float(shapely.area(parts).sum())
    assert total == pytest.approx(union.area, rel=1e-6), f"{what}: parts overlap"
    assert union.area == pytest.approx(whole.area, rel=1e-6), f"{what}: parts leave gaps"
    assert shapely.symmetric_difference(union, whole).area <= 1e-6 * whole.area, what
    left, right = STRtree(parts).query(parts, predicate="intersects")
    keep = left < right
    shared = shapely.area(shapely.intersection(parts[left[keep]], parts[right[keep]]))
    assert shared.max(initial=0.0) <= 1e-3, f"{what}: two parts overlap"


def within_count(points, polygons) -> tuple[np.ndarray, np.ndarray]:
    """For each point, how many polygons hold it; for each polygon, how many points."""
    pts, polys = STRtree(np.asarray(polygons)).query(np.asarray(points), predicate="within")
    return np.bincount(pts, minlength=len(points)), np.bincount(polys, minlength=len(polygons))


def test_layers_have_exactly_the_documented_columns_in_lon_lat(demo):
    assert set(demo) == set(COLUMNS)
    for name, cols in COLUMNS.items():
        assert list(demo[name].columns) == cols, name
        if "geometry" in cols:
            assert demo[name].crs.to_epsg() == 4326, name
            assert not demo[name].geometry.has_z.any(), name


def test_jinlin_estate_has_30_buildings_77_units_5144_households_14720_residents(demo):
    buildings = demo["building"]
    ids = buildings.loc[buildings["estate"] == "金林小区", "id"]
    homes = demo["household"][demo["household"]["building_id"].isin(ids)]
    assert len(ids) == 30
    assert demo["unit"]["building_id"].isin(ids).sum() == 77
    assert len(homes) == 5144
    assert homes["size"].sum() == 14720
    assert (homes["size"] >= 1).all()


def test_jinlin_estate_spans_several_blocks_of_at_most_600_households(demo):
    footprints = demo["building"][demo["building"]["estate"] == "金林小区"].geometry
    blocks = demo["block"]
    hits = STRtree(blocks.geometry.to_numpy()).query(footprints.to_numpy(), predicate="within")[1]
    assert len(hits) == len(footprints), "every Jinlin building lies inside one block"
    counts = within_count(demo["household"].geometry.to_numpy(), blocks.geometry.to_numpy())[1]
    jinlin_blocks = np.unique(hits)
    assert len(jinlin_blocks) >= 9
    assert counts[jinlin_blocks].max() <= 600


def test_block_household_counts_match_the_points_and_stay_within_600(demo):
    blocks = demo["block"]
    counts = within_count(demo["household"].geometry.to_numpy(), blocks.geometry.to_numpy())[1]
    assert (counts == blocks["households"].to_numpy()).all()
    assert counts.max() <= 600
    assert 40_000 <= len(demo["household"]) <= 70_000


def test_every_household_and_shop_lies_in_exactly_one_residential_grid(demo):
    grids = residential(demo).geometry.to_numpy()
    for layer in ("household", "shop"):
        per_point, _ = within_count(demo[layer].geometry.to_numpy(), grids)
        assert (per_point == 1).all(), f"{int((per_point != 1).sum())} {layer} rows misplaced"


def test_every_residential_grid_holds_100_to_600_households(demo):
    grids = residential(demo)
    _, per_grid = within_count(demo["household"].geometry.to_numpy(), grids.geometry.to_numpy())
    assert per_grid.min() >= 100 and per_grid.max() <= 600


def test_residential_grids_tile_each_community_without_gaps_or_overlaps(demo):
    grids = residential(demo)
    areas = demo["admin_area"]
    for row in areas[areas["level"] == "community"].itertuples():
        parts = grids.loc[grids["community_code"] == row.code].geometry
        assert len(parts) > 0, row.name
        assert_tiling(parts, row.geometry, f"grids of {row.name}")


def test_communities_tile_their_subdistricts_inside_the_real_district(demo):
    areas = demo["admin_area"]
    district = areas[areas["level"] == "district"]
    assert list(district["code"]) == ["610802"]
    subdistricts = areas[areas["level"] == "subdistrict"]
    assert len(subdistricts) >= 3 and (areas["level"] == "community").sum() >= 8
    for row in subdistricts.itertuples():
        kids = areas[areas["parent_code"] == row.code]
        assert kids["code"].str.startswith(row.code).all() and (kids["code"].str.len() == 12).all()
        assert_tiling(kids.geometry, row.geometry, f"communities of {row.name}")
    assert shapely.union_all(subdistricts.geometry.to_numpy()).within(district.geometry.iloc[0])


def test_sanguanhui_is_about_0_6_km2_with_about_500_shops(demo):
    sgh = community(demo, "三官会社区")
    assert 0.5e6 <= metric([sgh.geometry])[0].area <= 0.7e6
    shops = demo["shop"]
    inside, _ = within_count(shops.geometry.to_numpy(), [sgh.geometry])
    assert 480 <= inside.sum() <= 520
    assert (shops.loc[inside == 1, "community_code"] == sgh.code).all()


def test_fuzimiao_business_grid_is_the_shop_only_core_of_sanguanhui(demo):
    sgh = community(demo, "三官会社区")
    business = demo["grid"][demo["grid"]["kind"] == "business"]
    fzm = business[business["name"] == "夫子庙商圈网格"]
    assert len(fzm) == 1 and fzm["community_code"].iloc[0] == sgh.code
    area = fzm.geometry.iloc[0]
    blocks = demo["block"]
    core = blocks[blocks.representative_point().within(area)]
    assert len(core) >= 2 and (core["households"] == 0).all()
    assert_tiling(core.geometry, area, "Fuzimiao core blocks")
    shops = demo["shop"][demo["shop"]["community_code"] == sgh.code]
    in_core_blocks, _ = within_count(shops.geometry.to_numpy(), core.geometry.to_numpy())
    assert shops.geometry[in_core_blocks == 1].within(area).all()
    assert (in_core_blocks == 1).mean() >= 0.8, "most of Sanguanhui's shops are in the core"
    assert area.within(sgh.geometry.buffer(1e-9))


def test_xueyuan_grid_37_contains_caizhi_lane(demo):
    xy = community(demo, "学院社区")
    grids = residential(demo)
    grids = grids[grids["community_code"] == xy.code]
    assert len(grids) >= 37
    lane = demo["street"][demo["street"]["name"] == "才智巷"]
    assert len(lane) == 1 and lane["kind"].iloc[0] == "lane"
    grid37 = grids[grids["seq"] == 37]
    assert list(grid37["name"]) == ["学院社区第37网格"]
    assert lane.geometry.iloc[0].within(grid37.geometry.iloc[0])


def test_jinyang_has_several_open_parking_and_leaking_roof_requests(demo):
    jy = community(demo, "金阳社区")
    req = demo["request"]
    inside, _ = within_count(req.geometry.to_numpy(), [jy.geometry])
    open_jy = req[(inside == 1) & (req["status"] == "open")]
    assert (open_jy["category"] == "parking").sum() >= 3
    assert (open_jy["category"] == "leaking_roof").sum() >= 3
    assert 150 <= len(req) <= 300
    assert pd.to_datetime(req["reported_at"]).dt.year.eq(2020).all()


def test_every_grid_has_one_leader_one_full_time_worker_and_part_timers(demo):
    staff = demo["staff"]
    roles = staff.groupby(["grid_code", "role"]).size().unstack(fill_value=0)
    assert set(roles.index) == set(demo["grid"]["code"])
    assert (roles["leader"] == 1).all() and (roles["full_time"] == 1).all()
    assert (roles["part_time"] >= 1).all()


def test_grid_codes_are_the_community_code_and_a_sequence_number(demo):
    grids = demo["grid"]
    assert grids["code"].str.fullmatch(r"610802\d{9}").all() and grids["code"].is_unique
    assert (grids["code"] == grids["community_code"] + grids["seq"].map("{:03d}".format)).all()
    for code, group in grids.groupby("community_code"):
        res = group[group["kind"] == "residential"]
        assert sorted(res["seq"]) == list(range(1, len(res) + 1)), code
        assert (group.loc[group["kind"] == "business", "seq"] == len(res) + 1).all(), code


def test_meta_names_the_plan_and_flags_the_synthetic_part(demo):
    meta = dict(zip(demo["meta"]["key"], demo["meta"]["value"], strict=True))
    assert meta["plan_name"] == "榆阳区城市社区网格 2020版"
    assert meta["effective_from"] == "2020-01-01"
    assert "synthetic" in meta["note"]


def test_generator_gives_identical_layers_for_the_same_seed(tmp_path):
    runs = []
    for name in ("a.gpkg", "b.gpkg"):
        out = tmp_path / name
        subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--seed", "7",
                        "--no-check"], check=True, cwd=ROOT, timeout=120)
        runs.append(read_layers(out))
    first, second = runs
    assert set(first) == set(second)
    for name in first:
        a, b = first[name], second[name]
        if isinstance(a, gpd.GeoDataFrame):
            assert (shapely.to_wkb(a.geometry.to_numpy()) == shapely.to_wkb(b.geometry.to_numpy())).all()
            a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        pd.testing.assert_frame_equal(a, b, obj=name)
