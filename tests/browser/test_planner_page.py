"""The planner page of the active plan in headless Chromium with no internet: it draws."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright
from test_map_page import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, OfflineLoad, _get_json

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def planner_load(live_server):
    """The active plan's planner page, loaded with every non-local request blocked."""
    plans = _get_json(f"{live_server}/v1/plans?status=active")["plans"]
    assert plans, "the demo has no active plan"
    plan_id = plans[0]["id"]
    expected = len(_get_json(f"{live_server}/v1/plans/{plan_id}/grids")["features"])
    hosts = LOCAL_HOSTS | {urlparse(live_server).hostname}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = context.new_page()
        load = OfflineLoad(page, hosts)

        def route(route):
            if urlparse(route.request.url).hostname in hosts:
                route.continue_()
            else:
                load.blocked.append((route.request.resource_type, route.request.url))
                route.abort("internetdisconnected")

        def on_response(response):
            if response.status >= 400:
                load.failed.append((response.request.resource_type, response.url, response.status))

        def on_console(message):
            if message.type == "error":
                load.console_errors.append((message.text, message.location.get("url", "")))

        context.route("**/*", route)
        page.on("requestfailed", lambda r: load.failed.append((r.resource_type, r.url, r.failure)))
        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda e: load.page_errors.append(str(e)))
        response = page.goto(f"{live_server}/maps/plans/{plan_id}/planner", wait_until="load")
        assert response is not None and response.status == 200
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
