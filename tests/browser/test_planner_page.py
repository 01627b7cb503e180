"""The planner page of the active plan in headless Chromium with no internet: it draws."""

from __future__ import annotations

import pytest
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, get_json, open_offline, sign_in
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def planner_load(live_server, accounts):
    """The active plan's planner page, loaded with every non-local request blocked, after
    signing in as a planner on the page the browser is sent to."""
    plans = get_json(f"{live_server}/v1/plans?status=active")["plans"]
    assert plans, "the demo has no active plan"
    plan_id = plans[0]["id"]
    expected = len(get_json(f"{live_server}/v1/plans/{plan_id}/grids")["features"])
    url = f"{live_server}/maps/plans/{plan_id}/planner"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, load, response = open_offline(browser, url, live_server)
        assert response is not None and response.status == 200
        assert "/login?next=" in load.page.url
        sign_in(load.page, accounts["planner"].name, accounts["planner"].password)
        assert load.page.url == url
        yield load, expected, f"{live_server}/maps/plans/{plan_id}/planner"
        context.close()
        browser.close()


def test_planner_page_draws_every_grid_offline_without_errors(planner_load):
    load, expected, _url = planner_load
    assert not load.page_errors, load.page_errors
    assert not load.unexpected_console_errors(), load.unexpected_console_errors()
    assert not load.unexpected_failures(), load.unexpected_failures()
    outside = [(kind, url) for kind, url in load.blocked if not load.is_tile(kind, url)]
    assert not outside, f"the page tried to fetch from outside: {outside}"
    assert expected > 0
    assert int(load.page.evaluate("document.body.dataset.gridCount")) == expected
    assert load.page.locator("svg path.gisgrid-grid").count() == expected
    panel = load.page.inner_text("#gisgrid-panel")
    assert "户" in panel and "覆盖检查" in panel
    ARTIFACTS.mkdir(exist_ok=True)
    load.page.screenshot(path=str(ARTIFACTS / "planner.png"))


def test_tighter_bounds_colour_and_outline_the_breaching_grids(planner_load):
    load, expected, url = planner_load
    load.page.goto(f"{url}?min_households=250&max_households=400", wait_until="load")
    assert int(load.page.evaluate("document.body.dataset.gridCount")) == expected
    below = load.page.locator("svg path.gisgrid-band-below").count()
    above = load.page.locator("svg path.gisgrid-band-above").count()
    within = load.page.locator("svg path.gisgrid-band-within").count()
    assert below > 0 and above > 0 and within > 0
    assert not load.page_errors and not load.unexpected_failures()
    ARTIFACTS.mkdir(exist_ok=True)
    load.page.screenshot(path=str(ARTIFACTS / "planner-bounds.png"))
