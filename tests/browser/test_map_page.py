"""The real server's /maps/grids page in headless Chromium with no internet: it still draws."""

from __future__ import annotations

import re

import pytest
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, active_grid_count, open_offline
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offline_map(chromium, live_server):
    """The /maps/grids page loaded with the internet cut off (only the gisgrid host answers)."""
    context, load, _response = open_offline(chromium, f"{live_server}/maps/grids", live_server)
    yield load
    context.close()


def test_map_page_needs_nothing_from_the_internet_but_basemap_tiles(offline_map):
    load = offline_map
    assert not load.page_errors, load.page_errors
    assert not any("L is not defined" in t for t, _ in load.console_errors)
    assert not load.unexpected_console_errors(), load.unexpected_console_errors()
    assert not load.unexpected_failures(), load.unexpected_failures()
    outside = [(kind, url) for kind, url in load.blocked if not load.is_tile(kind, url)]
    assert not outside, f"the page tried to fetch from outside: {outside}"
    assert load.page.evaluate("typeof L") == "object"


def test_map_page_draws_every_grid_of_the_active_plan(offline_map, live_server):
    load = offline_map
    expected = active_grid_count(live_server)
    assert expected > 0
    drawn = load.page.evaluate("document.body.dataset.gridCount")
    assert drawn is not None, f"the page hook never ran: {load.page_errors} {load.console_errors}"
    assert int(drawn) == expected
    assert int(load.page.evaluate("document.body.dataset.gridTotal")) == expected
    paths = load.page.locator("svg path.gisgrid-grid").count()
    assert paths == expected
    assert "仅区界为真实数据" in load.page.inner_text(".gisgrid-note")
    ARTIFACTS.mkdir(exist_ok=True)
    load.page.screenshot(path=str(ARTIFACTS / "map.png"))


def test_grid_labels_show_once_zoomed_in(offline_map):
    page = offline_map.page
    page.evaluate(
        "gisgridMap.map.setView(gisgridMap.labelLayer.getLayers()[0].getLatLng(), 16,"
        " {animate: false})"
    )
    page.wait_for_function(
        "!gisgridMap.map.getContainer().classList.contains('gisgrid-labels-hidden')"
    )
    labels = page.locator(".gisgrid-label-box:visible").all_inner_texts()
    assert labels, "no grid label visible at zoom 16"
    assert all(re.match(r"^\d{3} \S.*\n\d+(户|家商户)$", t) for t in labels), labels
    page.evaluate("gisgridMap.map.setZoom(13, {animate: false})")
    assert page.locator(".gisgrid-label-box:visible").count() == 0


def test_the_page_runs_under_its_content_security_policy_and_refuses_injected_scripts(
        offline_map, live_server):
    """The page's own inline scripts run (their hashes are in the policy: the grids drew
    above), nothing broke the policy while it loaded, and an inline script added later is
    refused by the browser."""
    load = offline_map
    assert not [t for t, _ in load.console_errors if "Content Security Policy" in t], load.console_errors
    assert int(load.page.evaluate("document.body.dataset.gridCount")) == active_grid_count(live_server)
    with pytest.raises(Exception, match="(?i)content security policy|refused|script"):
        load.page.add_script_tag(content="window.__injected = 1;")
    assert load.page.evaluate("window.__injected === undefined")
