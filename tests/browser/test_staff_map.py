"""The staff map (/maps/) in real headless Chromium with the internet cut off: it loads
clean, every layer is in the layer control and draws, a grid's popup names its team,
?grid= opens a grid, search finds a grid by code and by address, the request layer shows
the demo's requests by stage, labels do not collide, English is selectable, and on the
Amap basemap the overlays move by the GCJ-02 offset. Screenshots go to tests/browser/artifacts."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections import Counter

import pytest
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, get_json, open_offline
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, text

from gisgrid.crs import wgs84_to_gcj02
from gisgrid.db.request_layer import map_requests_sql

pytestmark = pytest.mark.browser
CAIZHI = "610802001001037"   # 学院社区第37网格 (Caizhi lane)
LAYER_STYLE = {"grids": ["grids-fill"], "households": ["households-fill"], "shops": ["shops-dot"],
               "requests": ["requests-dot"], "heat": ["requests-heat"], "resources": ["resources-dot"],
               "defects": ["defects-fill"]}


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_for(page, expression, timeout_s=180.0):
    """Poll a JS expression with page.evaluate (the page's CSP forbids the eval that
    wait_for_function uses) until it is truthy."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def open_map(chromium, live_server, query=""):
    context, load, response = open_offline(chromium, f"{live_server}/maps/{query}", live_server)
    assert response.status == 200
    wait_for(load.page, "document.body.dataset.ready === '1'")
    return context, load


def idle(page):
    """Wait until the map has every tile of the view and stands still."""
    page.wait_for_timeout(50)
    wait_for(page, "(() => { const m = window.staffmap.map; "
                   "return m.loaded() && m.areTilesLoaded() && !m.isMoving(); })()")


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def clean(load):
    assert not load.page_errors, load.page_errors
    assert not load.unexpected_console_errors(), load.unexpected_console_errors()
    assert not load.unexpected_failures(), load.unexpected_failures()
    outside = [(kind, url) for kind, url in load.blocked if not load.is_tile(kind, url)]
    assert not outside, outside


def test_the_staff_map_loads_offline_with_no_error_and_every_layer_draws(chromium, live_server) -> None:
    context, load = open_map(chromium, live_server)
    try:
        page = load.page
        idle(page)
        clean(load)
        shot(page, "staffmap.png")
        boxes = page.locator("#sm-layers input[type=checkbox]")
        listed = {boxes.nth(i).get_attribute("data-layer") for i in range(boxes.count())}
        assert listed == {*LAYER_STYLE, "labels"}
        defects = 0
        for layer, style in LAYER_STYLE.items():
            box = page.locator(f'#sm-layers input[data-layer="{layer}"]')
            if not box.is_checked():
                box.check()
            if layer == "defects":
                wait_for(page, "document.body.dataset.defectCount !== undefined")
                defects = int(page.evaluate("document.body.dataset.defectCount"))
            if layer == "shops":
                page.evaluate("window.staffmap.map.jumpTo({zoom: 14})")
            idle(page)
            drawn = page.evaluate("window.staffmap.map.queryRenderedFeatures({layers: " + json.dumps(style)
                                  + "}).length")
            if layer == "defects":
                assert (drawn > 0) == (defects > 0), (drawn, defects)
            else:
                assert drawn > 0, f"layer {layer} drew nothing"
        shot(page, "staffmap-all-layers.png")
        clean(load)
    finally:
        context.close()


def test_the_request_layer_shows_the_demos_requests_by_stage(chromium, live_server, engine: Engine) -> None:
    with engine.connect() as conn:
        stages = dict(conn.execute(text(
            f"SELECT stage, count(*) FROM ({map_requests_sql()}) r GROUP BY stage")).all())
    context, load = open_map(chromium, live_server)
    try:
        page = load.page
        page.locator('#sm-layers input[data-layer="resources"]').uncheck()
        idle(page)
        features = page.evaluate("window.staffmap.map.queryRenderedFeatures({layers: ['requests-dot']})"
                                 ".map((f) => [f.properties.stage, f.properties.n || 1])")
        drawn = Counter()
        for stage, n in features:
            drawn[stage] += n
        assert dict(drawn) == stages
        legend = {r.get_attribute("data-stage"): int(r.get_attribute("data-count"))
                  for r in page.locator("#sm-legend [data-stage]").all()}
        assert {k: v for k, v in legend.items() if v} == stages
        heat = page.locator('#sm-layers input[data-layer="heat"]')
        heat.check()
        idle(page)
        shown = page.evaluate("window.staffmap.map.getLayoutProperty('requests-heat', 'visibility')")
        assert shown == "visible"
        shot(page, "staffmap-requests-heat.png")
        clean(load)
    finally:
        context.close()


def _team_names(live_server, grid_id):
    return [m.get("name") for m in get_json(f"{live_server}/v1/grids/{grid_id}/team")["team"]]


def test_a_click_on_a_grid_opens_its_popup_with_the_team(chromium, live_server) -> None:
    context, load = open_map(chromium, live_server, f"?grid={CAIZHI}")
    try:
        page = load.page
        for layer in ("requests", "resources", "households"):
            page.locator(f'#sm-layers input[data-layer="{layer}"]').uncheck()
        page.evaluate("window.staffmap.popup.remove()")
        idle(page)
        grid = page.evaluate(f"window.staffmap.gridsByCode.get('{CAIZHI}')")
        point = page.evaluate("(() => { const m = window.staffmap.map; const p = m.project("
                              + json.dumps(grid["label"]) + "); const r = m.getContainer()"
                              ".getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()")
        page.mouse.click(*point)
        popup = page.locator(f'.sm-pop-grid[data-code="{CAIZHI}"]')
        popup.wait_for()
        page.wait_for_selector(".sm-pop-grid .sm-team li")
        names = page.locator(".sm-pop-grid .sm-team li").all_inner_texts()
        expected = _team_names(live_server, grid["id"])
        assert len(names) == len(expected) and all(n in " ".join(names) for n in expected if n)
        assert any("网格长" in n for n in names)
        shot(page, "staffmap-grid-popup.png")
        clean(load)
    finally:
        context.close()


def test_the_grid_parameter_opens_that_grid(chromium, live_server) -> None:
    context, load = open_map(chromium, live_server, f"?grid={CAIZHI}")
    try:
        page = load.page
        assert page.evaluate("document.body.dataset.selectedGrid") == CAIZHI
        assert page.locator(f'.sm-pop-grid[data-code="{CAIZHI}"]').count() == 1
        view = page.evaluate("window.staffmap.map.getBounds().toArray().flat()")
        w, s, e, n = page.evaluate(f"window.staffmap.gridsByCode.get('{CAIZHI}').bbox")
        assert view[0] <= w and view[1] <= s and view[2] >= e and view[3] >= n
        assert page.evaluate("window.staffmap.map.getZoom()") > 14
        clean(load)
    finally:
        context.close()


def test_search_finds_a_grid_by_code_and_by_address(chromium, live_server, engine: Engine) -> None:
    with engine.connect() as conn:
        address = conn.execute(text("SELECT address FROM building ORDER BY id LIMIT 1")).scalar_one()
    expected = get_json(f"{live_server}/v1/lookup/address?q={urllib.parse.quote(address)}")["grid"]["code"]
    context, load = open_map(chromium, live_server)
    try:
        page = load.page
        page.fill("#sm-q", CAIZHI)
        page.click("#sm-search button")
        wait_for(page, f"document.getElementById('sm-found').dataset.gridCode === '{CAIZHI}'")
        assert page.evaluate("document.body.dataset.selectedGrid") == CAIZHI
        page.fill("#sm-q", address)
        page.click("#sm-search button")
        wait_for(page, f"document.getElementById('sm-found').dataset.gridCode === '{expected}'")
        assert address in page.inner_text("#sm-found")
        shot(page, "staffmap-search.png")
        clean(load)
    finally:
        context.close()


def test_labels_never_overlap_and_more_show_when_zoomed_in(chromium, live_server) -> None:
    context, load = open_map(chromium, live_server)
    try:
        page = load.page
        idle(page)
        boxes = page.evaluate("[...document.querySelectorAll('.sm-label:not(.sm-label-hidden)')]"
                              ".map((e) => { const r = e.getBoundingClientRect(); "
                              "return [r.left, r.top, r.right, r.bottom]; })")
        assert boxes
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                overlap = a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5
                assert not overlap, (a, b)
        first = int(page.evaluate("document.body.dataset.labelsShown"))
        total = int(page.evaluate("document.body.dataset.gridTotal"))
        page.evaluate("window.staffmap.map.jumpTo({center: window.staffmap.gridsByCode.get('"
                      + CAIZHI + "').label, zoom: 17})")
        idle(page)
        near = page.evaluate(f"document.querySelector('.sm-label[data-code=\"{CAIZHI}\"]')"
                             ".classList.contains('sm-label-hidden')")
        assert not near
        assert 0 < first <= total
        clean(load)
    finally:
        context.close()


def test_english_is_selectable(chromium, live_server) -> None:
    context, load = open_map(chromium, live_server, "?lang=en")
    try:
        page = load.page
        assert page.inner_text("#sm-panel h1") == "Grid staff map"
        page.select_option("#sm-lang", "zh")
        assert page.inner_text("#sm-panel h1") == "网格工作地图"
        assert "诉求" in page.inner_text("#sm-layers")
        clean(load)
    finally:
        context.close()


def test_on_amap_the_overlays_sit_at_their_gcj02_places(chromium, live_server) -> None:
    """A grid corner drawn on the Amap basemap sits where GCJ-02 puts it: the label of a grid
    and the grid tiles move together by the offset gisgrid.crs computes."""
    context, load = open_map(chromium, live_server, f"?grid={CAIZHI}")
    try:
        page = load.page
        grid = page.evaluate(f"window.staffmap.gridsByCode.get('{CAIZHI}')")
        lon, lat = grid["label"]
        js = page.evaluate(f"window.staffmap.wgs84ToGcj02([{lon}, {lat}])")
        py = wgs84_to_gcj02(lon, lat)
        assert abs(js[0] - py[0]) < 1e-9 and abs(js[1] - py[1]) < 1e-9
        page.select_option("#sm-basemap", "amap")
        wait_for(page, "document.body.dataset.crs === 'gcj02'")
        idle(page)
        label = page.evaluate(f"window.staffmap.labels.entries.find((e) => e.grid.code === '{CAIZHI}')"
                              ".marker.getLngLat().toArray()")
        assert abs(label[0] - py[0]) < 1e-9 and abs(label[1] - py[1]) < 1e-9
        # The grid's tile features under the shifted label: the same grid.
        hit = page.evaluate("(() => { const m = window.staffmap.map; const p = m.project("
                            + json.dumps(list(py)) + "); return m.queryRenderedFeatures(p, "
                            "{layers: ['grids-fill']}).map((f) => f.properties.code); })()")
        assert CAIZHI in hit
        assert "/gcj02/grids/" in page.evaluate("window.staffmap.map.getSource('grids').tiles[0]")
        shot(page, "staffmap-amap.png")
        clean(load)
    finally:
        context.close()


def test_the_community_parameter_fits_that_community(chromium, live_server) -> None:
    community = "610802002001"   # 三官会社区
    context, load = open_map(chromium, live_server, f"?community={community}")
    try:
        page = load.page
        assert page.evaluate("document.body.dataset.selectedCommunity") == community
        w, s, e, n = page.evaluate("window.staffmap.index.communities.find((c) => c.code === '"
                                   + community + "').bbox")
        view = page.evaluate("window.staffmap.map.getBounds().toArray().flat()")
        assert view[0] <= w and view[1] <= s and view[2] >= e and view[3] >= n
        clean(load)
    finally:
        context.close()


def test_a_hidden_label_shows_while_the_pointer_is_over_its_grid(chromium, live_server) -> None:
    context, load = open_map(chromium, live_server)
    try:
        page = load.page
        for layer in ("requests", "resources", "households"):
            page.locator(f'#sm-layers input[data-layer="{layer}"]').uncheck()
        idle(page)
        hidden = page.evaluate("window.staffmap.labels.entries.filter((e) => e.el.classList.contains("
                               "'sm-label-hidden')).map((e) => [e.grid.code, e.grid.label])")
        assert hidden, "every label fits at the first zoom: nothing to show on hover"
        code, label = hidden[0]
        point = page.evaluate("(() => { const m = window.staffmap.map; const p = m.project("
                              + json.dumps(label) + "); const r = m.getContainer()"
                              ".getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()")
        page.mouse.move(*point)
        wait_for(page, f"document.querySelector('.sm-label[data-code=\"{code}\"]')"
                       ".classList.contains('sm-label-hover')")
        assert page.evaluate(f"getComputedStyle(document.querySelector('.sm-label[data-code=\"{code}\"]'))"
                             ".visibility") == "visible"
        clean(load)
    finally:
        context.close()
