"""The real server's /maps/ page in headless Chromium with no internet: it still draws."""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
ARTIFACTS = Path(__file__).parent / "artifacts"  # git-ignored
LOCAL_HOSTS = {"127.0.0.1"}
TILE_URL = re.compile(r"/\d+/\d+/\d+(@2x)?\.(png|jpe?g|webp)\b|[?&]TILEMATRIX=", re.IGNORECASE)


def _get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _active_grid_count(base):
    """Grids in the active plan(s), as the API reports them."""
    plans = _get_json(f"{base}/v1/plans?status=active")["plans"]
    assert plans, "the demo has no active plan"
    return sum(len(_get_json(f"{base}/v1/plans/{p['id']}/grids")["features"]) for p in plans)


@dataclass
class OfflineLoad:
    """What happened while loading a page with every non-local request blocked."""

    page: object
    hosts: set
    blocked: list = field(default_factory=list)  # (resource type, url)
    failed: list = field(default_factory=list)  # (resource type, url, reason or HTTP status)
    console_errors: list = field(default_factory=list)  # (text, url)
    page_errors: list = field(default_factory=list)

    def is_tile(self, resource_type, url):
        """A basemap tile, the only thing allowed to fail: an image from outside, or one
        whose URL is a {z}/{x}/{y} or WMTS tile address (an intranet tile server)."""
        if resource_type != "image":
            return False
        return urlparse(url).hostname not in self.hosts or bool(TILE_URL.search(url))

    def unexpected_failures(self):
        return [f for f in self.failed if not self.is_tile(f[0], f[1])]

    def unexpected_console_errors(self):
        tile_urls = {url for kind, url, _ in self.failed if self.is_tile(kind, url)}
        return [
            (text, url)
            for text, url in self.console_errors
            if not (text.startswith("Failed to load resource") and url in tile_urls)
        ]


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offline_map(chromium, live_server):
    """The /maps/ page loaded with the internet cut off (only the gisgrid host answers)."""
    hosts = LOCAL_HOSTS | {urlparse(live_server).hostname}
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    load = OfflineLoad(page, hosts)

    def route(route):
        request = route.request
        if urlparse(request.url).hostname in hosts:
            route.continue_()
        else:
            load.blocked.append((request.resource_type, request.url))
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
    page.goto(f"{live_server}/maps/", wait_until="load")
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
    expected = _active_grid_count(live_server)
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
