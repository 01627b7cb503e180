"""The grid map page works offline: every asset is served by gisgrid; tiles are optional."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import folium
import httpx
import pytest

from gisgrid.errors import InvalidInputError
from maps import assets
from maps.pages import DEFAULT_NOTE, render_grid_map
from maps.static import map_static_app
from maps.tiles import TileSpecError, resolve_tiles

REPO = Path(__file__).resolve().parents[2]


def _grid(gid, code, name, kind, ring, households, shops=0):
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
        "properties": {
            "id": gid,
            "code": code,
            "name": name,
            "kind": kind,
            "community_code": "610802001002",
            "community_name": "学院社区",
            "households": households,
            "shops": shops,
            "plan_id": 1,
        },
    }


@pytest.fixture
def grids():
    """Two residential grids side by side and a business grid across their shared edge.

    +-----+-----+
    |  a  |  b  |     a: 031 (312 households)   b: 037 (205 households)
    |  +--c--+  |     c: 101 business grid, 480 shops (dashed overlay)
    +--+-----+--+
    """
    x, y, d = 109.735, 38.285, 0.003
    a = [[x, y], [x + d, y], [x + d, y + d], [x, y + d]]
    b = [[x + d, y], [x + 2 * d, y], [x + 2 * d, y + d], [x + d, y + d]]
    c = [[x + 0.5 * d, y], [x + 1.5 * d, y], [x + 1.5 * d, y + 0.5 * d], [x + 0.5 * d, y + 0.5 * d]]
    return {
        "type": "FeatureCollection",
        "features": [
            _grid(1, "610802001002031", "学院社区第31网格", "residential", a, 312),
            _grid(2, "610802001002037", "学院社区第37网格", "residential", b, 205, 4),
            _grid(3, "610802001002101", "夫子庙商圈网格", "business", c, 0, 480),
        ],
    }


@pytest.fixture(scope="module")
def node_modules():
    nm = assets.default_node_modules()
    problems = assets.missing_assets(nm)
    assert not problems, f"map assets missing under {nm}: {problems}; {assets.SETUP_HINT}"
    return nm


class _Links(HTMLParser):
    """Every URL the page makes the browser fetch by itself (scripts, styles, images...)."""

    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.other = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.styles.append(a["href"])
        elif tag in ("img", "iframe", "embed", "source", "audio", "video") and a.get("src"):
            self.other.append(a["src"])


def _links(page):
    parser = _Links()
    parser.feed(page)
    return parser


def _in_page(text, page):
    """True if text is in the page raw or as folium embeds it (HTML-safe JSON escapes)."""
    embedded = json.dumps(text)[1:-1]
    for char in "&<>'":
        embedded = embedded.replace(char, f"\\u{ord(char):04x}")
    return text in page or embedded in page


def _styles(page, kind):
    """The style objects folium's styler functions return for one kind of grid."""
    found = [json.loads(s) for s in re.findall(r"return (\{\"className\"[^}]*\});", page)]
    return [s for s in found if f"gisgrid-grid-{kind}" in s["className"]]


# --- assets -------------------------------------------------------------------------------


def test_page_links_no_script_or_stylesheet_outside_gisgrid(grids, node_modules):
    page = render_grid_map(grids, tiles=resolve_tiles("osm"))
    links = _links(page)
    urls = links.scripts + links.styles + links.other
    assert urls, "the page links no asset at all"
    assert not [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page.split("<body>")[0])
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", page)
    for cdn in ("jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg"):
        assert cdn not in page


def test_every_linked_asset_is_known_and_installed(grids, node_modules):
    page = render_grid_map(grids, tiles=None)
    links = _links(page)
    assert len(links.scripts) == len(assets.default_js())
    assert len(links.styles) == len(assets.default_css())
    for url in links.scripts + links.styles:
        assert url.startswith("/maps/static/")
        asset = assets.asset_for_url(url)
        assert asset is not None, f"{url} is not listed in maps.assets"
        assert asset.path(node_modules).is_file(), f"{url}: {asset.path(node_modules)} missing"


def test_static_prefix_is_used_for_every_asset(grids):
    page = render_grid_map(grids, tiles=None, static_prefix="/gisgrid/assets/")
    links = _links(page)
    assert all(u.startswith("/gisgrid/assets/") for u in links.scripts + links.styles)
    assert "/gisgrid/assets/leaflet/leaflet.js" in links.scripts


def test_other_folium_maps_in_the_process_keep_their_cdn_defaults(grids):
    render_grid_map(grids, tiles=None)
    assert folium.Map.default_js == folium.folium._default_js
    assert "cdn.jsdelivr.net/npm/leaflet" in folium.Map().get_root().render()


def test_page_script_needs_no_jquery_so_none_is_shipped(grids):
    # folium's plain Popup and keep_in_front call jQuery's $; the grid page must not.
    page = render_grid_map(grids, tiles=resolve_tiles("osm"))
    assert "$(" not in page and "$.ajax" not in page


def test_package_json_and_lock_pin_exactly_the_packages_maps_assets_serves():
    manifest = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    pinned = {p.name: p.version for p in assets.PACKAGES.values()}
    assert manifest["private"] is True
    assert manifest["dependencies"] == pinned
    assert not manifest.get("devDependencies")
    locked = {
        key.removeprefix("node_modules/"): entry["version"]
        for key, entry in lock["packages"].items()
        if key.startswith("node_modules/")
    }
    # Every served package is locked at its pin (ReDoc brings dependencies of its own).
    assert {name: locked.get(name) for name in pinned} == pinned


def test_missing_assets_names_what_to_install(tmp_path):
    problems = assets.missing_assets(tmp_path / "node_modules")
    assert any("leaflet" in p and "not installed" in p for p in problems)
    assert assets.static_root(tmp_path) == tmp_path / "node_modules"
    assert assets.static_root(tmp_path / "node_modules") == tmp_path / "node_modules"


def test_missing_assets_reports_a_wrong_installed_version(tmp_path):
    package = tmp_path / "node_modules" / "leaflet"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text('{"version": "0.7.7"}', encoding="utf-8")
    problems = assets.missing_assets(tmp_path / "node_modules")
    assert any("installed 0.7.7" in p for p in problems)
    assert "leaflet/dist/leaflet.js" in problems


# --- static files -------------------------------------------------------------------------


class _Client:
    """GET against an ASGI app in-process (starlette's TestClient warns about httpx)."""

    def __init__(self, app):
        self.app = app

    def get(self, path):
        async def fetch():
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get(path)

        return asyncio.run(fetch())


def test_static_app_serves_package_files_and_the_images_their_css_refers_to(node_modules):
    client = _Client(map_static_app(node_modules))
    js = client.get("/leaflet/leaflet.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    css = client.get("/leaflet/leaflet.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    refs = {r.strip("'\" ") for r in re.findall(r"url\(([^)]+)\)", css.text)}
    files = sorted(r for r in refs if not r.startswith(("data:", "#")))  # #default#VML: old IE
    assert "images/layers.png" in files
    for ref in files:
        assert client.get(f"/leaflet/{ref}").status_code == 200, ref


def test_static_app_exposes_nothing_else_from_node_modules(node_modules):
    client = _Client(map_static_app(node_modules))
    assert client.get("/leaflet/package.json").status_code == 404  # outside dist
    assert client.get("/leaflet/../leaflet/package.json").status_code == 404
    assert client.get("/leaflet/%2e%2e/package.json").status_code == 404
    assert client.get("/.package-lock.json").status_code == 404
    assert client.get("/jquery/dist/jquery.js").status_code == 404


def test_static_app_says_how_to_install_when_node_modules_is_empty(tmp_path):
    client = _Client(map_static_app(tmp_path / "node_modules"))
    response = client.get("/leaflet/leaflet.js")
    assert response.status_code == 503
    assert "npm ci" in response.text


# --- what the page shows ------------------------------------------------------------------


def test_labels_give_code_tail_name_and_households_in_chinese(grids):
    page = render_grid_map(grids, tiles=None)
    assert _in_page("031 学院社区第31网格 · 312户", page)
    assert _in_page("037 学院社区第37网格 · 205户", page)
    assert _in_page("101 夫子庙商圈网格 · 480家商户", page)
    assert "网格标注" in page or _in_page("网格标注", page)


def test_tooltip_and_popup_show_grid_details_in_chinese(grids):
    page = render_grid_map(grids, tiles=None)
    for alias in ("编码", "名称", "类型", "社区", "户数", "商户数"):
        assert _in_page(alias, page)
    assert "bindTooltip" in page and "bindPopup" in page
    assert _in_page("居民网格", page) and _in_page("商圈网格", page)


def test_business_grid_is_a_dashed_overlay_and_residential_grids_are_filled(grids):
    page = render_grid_map(grids, tiles=None)
    (business,) = _styles(page, "business")
    assert business["dashArray"] and business["fillOpacity"] < 0.2
    residential = _styles(page, "residential")
    assert residential
    for style in residential:
        assert "dashArray" not in style
        assert style["fillOpacity"] >= 0.3 and style["weight"] <= 1.5


def test_neighbouring_residential_grids_get_different_colours(grids):
    residential = _styles(render_grid_map(grids, tiles=None), "residential")
    assert len({s["fillColor"] for s in residential}) == 2  # a and b touch


def test_labels_are_hidden_below_zoom_15(grids):
    page = render_grid_map(grids, tiles=None)
    assert "map.getZoom() < 15" in page
    assert ".gisgrid-labels-hidden .gisgrid-label { display: none; }" in page


def test_synthetic_data_note_is_shown_and_can_be_changed_or_dropped(grids):
    assert DEFAULT_NOTE in render_grid_map(grids, tiles=None)
    assert "仅区界为真实数据" in DEFAULT_NOTE
    custom = render_grid_map(grids, tiles=None, note="测试 <b>说明</b>")
    assert "测试 &lt;b&gt;说明&lt;/b&gt;" in custom and DEFAULT_NOTE not in custom
    assert 'class="gisgrid-note"' not in render_grid_map(grids, tiles=None, note=None)


def test_page_has_title_and_browser_test_hook(grids):
    page = render_grid_map(grids, tiles=None, title="学院社区网格")
    assert "<title>学院社区网格</title>" in page
    assert '<html lang="zh-CN">' in page
    assert "window.gisgridMap" in page and "dataset.gridCount" in page
    assert "dataset.gridTotal = '3'" in page


def test_grid_names_cannot_inject_html_into_tooltips(grids):
    grids["features"][0]["properties"]["name"] = "<img src=x onerror=alert(1)>"
    page = render_grid_map(grids, tiles=None)
    assert "<img" not in page
    assert _in_page("&lt;img src=x onerror=alert(1)&gt;", page)


def test_a_plan_without_grids_still_renders(grids):
    page = render_grid_map({"type": "FeatureCollection", "features": []}, tiles=None)
    assert "dataset.gridTotal = '0'" in page and ".fitBounds(" not in page


# --- tiles --------------------------------------------------------------------------------


def test_osm_is_the_default_basemap_with_its_attribution():
    spec = resolve_tiles(None)
    assert spec == resolve_tiles("osm")
    (layer,) = spec.layers
    assert layer.url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in layer.attribution


def test_tianditu_without_a_key_is_a_clear_error():
    with pytest.raises(TileSpecError, match="key"):
        resolve_tiles("tianditu")
    with pytest.raises(TileSpecError, match="key"):
        resolve_tiles("tianditu", tianditu_key="  ")


def test_tianditu_is_vector_tiles_plus_annotation_in_web_mercator():
    spec = resolve_tiles("tianditu", tianditu_key="abc123")
    base, notes = spec.layers
    assert "/vec_w/wmts" in base.url and "LAYER=vec" in base.url and not base.overlay
    assert "/cva_w/wmts" in notes.url and "LAYER=cva" in notes.url and notes.overlay
    for layer in spec.layers:
        assert "tk=abc123" in layer.url and "TILEMATRIXSET=w" in layer.url
        assert all(p in layer.url for p in ("{z}", "{x}", "{y}", "{s}"))


def test_none_means_no_basemap_and_the_grids_still_draw(grids):
    assert resolve_tiles("none") is None
    page = render_grid_map(grids, tiles=None)
    assert "L.tileLayer" not in page and "L.geoJson" in page


def test_custom_tile_templates_absolute_or_site_relative():
    spec = resolve_tiles("https://tiles.example.gov.cn/{z}/{x}/{y}.png")
    assert spec.layers[0].url == "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    assert resolve_tiles("/tiles/{z}/{x}/{y}.png").layers[0].subdomains == ()
    with pytest.raises(TileSpecError, match=r"\{y\}"):
        resolve_tiles("https://tiles.example.gov.cn/{z}/{x}.png")
    with pytest.raises(TileSpecError, match="must start with"):
        resolve_tiles("ftp://tiles/{z}/{x}/{y}.png")
    with pytest.raises(TileSpecError, match="unknown basemap"):
        resolve_tiles("google")


def test_tile_templates_end_up_in_the_page_but_no_asset_leaves_gisgrid(grids):
    page = render_grid_map(grids, tiles=resolve_tiles("tianditu", tianditu_key="abc123"))
    assert "vec_w" in page and "cva_w" in page
    links = _links(page)
    assert all(u.startswith("/maps/static/") for u in links.scripts + links.styles)


def test_a_grid_of_unknown_kind_is_refused(grids):
    grids["features"][0]["properties"]["kind"] = "party"
    with pytest.raises(InvalidInputError, match="party"):
        render_grid_map(grids, tiles=None)


def test_maps_imports_neither_fastapi_nor_api():
    code = (
        "import sys, maps.assets, maps.pages, maps.static, maps.tiles; "
        "bad = [m for m in sys.modules if m == 'fastapi' or m == 'api' or m.startswith('api.')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_static_app_serves_files_installed_after_it_started(tmp_path, node_modules):
    client = _Client(map_static_app(tmp_path / "node_modules"))
    assert client.get("/leaflet/leaflet.js").status_code == 503
    dist = tmp_path / "node_modules" / "leaflet" / "dist"
    dist.mkdir(parents=True)
    (dist / "leaflet.js").write_bytes((node_modules / "leaflet/dist/leaflet.js").read_bytes())
    assert client.get("/leaflet/leaflet.js").status_code == 200
