"""The planner page: grids coloured against the household bounds, defects layer, diff panel."""

from __future__ import annotations

import json
import re

import pytest

from maps.planner import (
    ABOVE_COLOUR,
    BELOW_COLOUR,
    WITHIN_COLOURS,
    render_planner_map,
)
from maps.tiles import resolve_tiles

X, Y, D = 109.735, 38.285, 0.003


def _ring(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def _grid(gid, seq, households, ring):
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": ring},
        "properties": {"id": gid, "code": f"610802001002{seq:03d}", "name": f"学院社区第{seq}网格",
                       "kind": "residential", "community_name": "学院社区",
                       "households": households, "shops": 0},
    }


@pytest.fixture
def grids():
    """Three grids in a row, a gap between b and c.

    +---+---+ +---+
    | a | b | | c |    a: 40 households (below 100)  b: 350 (within)  c: 900 (above 600)
    +---+---+ +---+
    """
    return {"type": "FeatureCollection", "features": [
        _grid(1, 1, 40, _ring(X, Y, X + D, Y + D)),
        _grid(2, 2, 350, _ring(X + D, Y, X + 2 * D, Y + D)),
        _grid(3, 3, 900, _ring(X + 2.1 * D, Y, X + 3 * D, Y + D)),
    ]}


@pytest.fixture
def coverage():
    gap = {"type": "Polygon", "coordinates": _ring(X + 2 * D, Y, X + 2.1 * D, Y + D)}
    sliver = {"type": "Polygon", "coordinates": _ring(X, Y, X + D, Y + 0.000005)}
    return {
        "ok": False,
        "defects": [
            {"kind": "gap", "grids": ["610802001002002", "610802001002003"], "area_m2": 7851.2,
             "sliver": False, "geometry": gap, "message": "gap"},
            {"kind": "overlap", "grids": ["610802001002001", "610802001002002"], "area_m2": 0.8,
             "sliver": True, "geometry": sliver, "message": "overlap"},
            {"kind": "unassigned_point", "grids": [], "area_m2": 0, "sliver": False,
             "geometry": {"type": "Point", "coordinates": [X, Y]}, "message": "household:7",
             "point": "household:7"},
        ],
        "unassigned": {"households": 1, "shops": 0},
    }


@pytest.fixture
def diff():
    return {"before": 1, "after": 2,
            "households": {"moved": 120, "moves": [
                {"from_code": "610802001002001", "from_name": "学院社区第1网格",
                 "to_code": "610802001002002", "to_name": "学院社区第2网格", "n": 120}]},
            "shops": {"moved": 3, "moves": []}}


def _in_page(text, page):
    """True if text is in the page raw or as folium embeds it (JSON with \\u escapes)."""
    return text in page or json.dumps(text)[1:-1] in page


def _features(page, name):
    """The GeoJSON data folium embedded for a layer, found by a property every feature has."""
    out = []
    for m in re.finditer(r"_add\((\{\"features\".*?\})\);\n", page, re.S):
        data = json.loads(m.group(1))
        if data["features"] and name in data["features"][0]["properties"]:
            out += data["features"]
    return out


def test_grids_are_coloured_by_households_against_the_bounds(grids):
    page = render_planner_map(grids, tiles=None, household_bounds=(100, 600))
    props = {f["properties"]["households"]: f["properties"] for f in _features(page, "band")}
    assert props[40]["band"] == "below" and props[40]["fill"] == BELOW_COLOUR
    assert props[350]["band"] == "within" and props[350]["fill"] in WITHIN_COLOURS
    assert props[900]["band"] == "above" and props[900]["fill"] == ABOVE_COLOUR
    assert "&lt;100户 1" in page and "100–600户 1" in page and "&gt;600户 1" in page


def test_bounds_change_the_colours(grids):
    page = render_planner_map(grids, tiles=None, household_bounds=(30, 1000))
    assert {f["properties"]["band"] for f in _features(page, "band")} == {"within"}


def test_defects_are_a_layer_with_a_popup_each(grids, coverage):
    page = render_planner_map(grids, tiles=None, coverage=coverage)
    shown = _features(page, "sliver")
    assert [f["properties"]["kind"] for f in shown] == ["gap", "overlap"]  # no point defects
    gap, sliver = (f["properties"] for f in shown)
    assert gap["kind_label"] == "缝隙 gap"
    assert gap["grids"] == "610802001002002、610802001002003"
    assert gap["area"] == "7,851.2 m²"
    assert sliver["sliver"] and sliver["kind_label"] == "重叠（细长条） overlap"
    assert _in_page("覆盖缺陷", page)
    popup = page[page.index("bindPopup"):] if "bindPopup" in page else ""
    assert popup, "no popup bound"
    assert all(_in_page(alias, page) for alias in ("缺陷", "涉及网格", "面积"))
    assert "覆盖检查：未通过" in page and "未入格：住户 1 户" in page


def test_diff_panel_lists_moves(grids, diff):
    page = render_planner_map(grids, tiles=None, diff=diff, diff_label="上一版方案 #1")
    assert "与上一版方案 #1相比" in page
    assert "迁移住户 120 户，商户 3 家" in page
    assert "001 学院社区第1网格 → 002 学院社区第2网格：120 户" in page


def test_no_diff_says_there_is_nothing_to_compare(grids):
    assert "无上一版方案可比" in render_planner_map(grids, tiles=None)


def test_streets_are_an_optional_layer(grids):
    streets = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": 1, "name": "新建南路", "kind": "road"},
         "geometry": {"type": "LineString", "coordinates": [[X, Y], [X + 3 * D, Y]]}}]}
    assert not _in_page("街巷", render_planner_map(grids, tiles=None))
    page = render_planner_map(grids, tiles=None, streets=streets)
    assert _in_page("街巷", page)
    assert [f["properties"]["name"] for f in _features(page, "name") if "band" not in f["properties"]] == [
        "新建南路"]


def test_page_links_nothing_outside_gisgrid(grids, coverage, diff):
    page = render_planner_map(grids, tiles=resolve_tiles("osm"), coverage=coverage, diff=diff)
    urls = re.findall(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?([^\"' >]+)", page)
    assert urls and all(u.startswith("/maps/static/") for u in urls), urls
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", page)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page


def test_grid_names_are_escaped(grids, diff):
    grids["features"][0]["properties"]["name"] = "<script>alert(1)</script>"
    diff["households"]["moves"][0]["from_name"] = "<b>x</b>"
    page = render_planner_map(grids, tiles=None, diff=diff)
    assert "<script>alert(1)</script>" not in page
    assert "<b>x</b>" not in page


def test_grids_breaking_the_bounds_get_a_thick_outline_and_slivers_a_thicker_one(grids, coverage):
    page = render_planner_map(grids, tiles=None, coverage=coverage, household_bounds=(100, 600))
    styles = [json.loads(s) for s in re.findall(r"return (\{\"className\"[^}]*\});", page)]
    by_class = {s["className"].split()[-1]: s for s in styles}
    assert by_class["gisgrid-band-below"]["weight"] > by_class["gisgrid-band-within"]["weight"]
    assert by_class["gisgrid-band-above"]["weight"] > by_class["gisgrid-band-within"]["weight"]
    assert by_class["gisgrid-defect-sliver"]["weight"] >= 5
    assert by_class["gisgrid-defect-gap"]["fillColor"] == "#ef4444"


def test_planner_route_answers_html_and_rejects_bad_bounds(client, accounts):
    planner = accounts["planner"].headers
    plan_id = client.get("/v1/plans?status=active").json()["plans"][0]["id"]
    ok = client.get(f"/maps/plans/{plan_id}/planner?min_households=50&max_households=700", headers=planner)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")
    assert "50–700户" in ok.text
    bad = client.get(f"/maps/plans/{plan_id}/planner?min_households=700&max_households=50", headers=planner)
    assert 400 <= bad.status_code < 500 and bad.json()["code"]
    assert client.get("/maps/plans/999999/planner", headers=planner).status_code == 404
