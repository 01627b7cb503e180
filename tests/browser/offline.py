"""Loading a gisgrid page in headless Chromium with the internet cut off (shared by the
browser tests): every request to another host is aborted and recorded, as are failed
requests, HTTP errors, console errors and page errors."""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

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


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def active_grid_count(base):
    """Grids in the active plan(s), as the API reports them."""
    plans = get_json(f"{base}/v1/plans?status=active")["plans"]
    assert plans, "the demo has no active plan"
    return sum(len(get_json(f"{base}/v1/plans/{p['id']}/grids")["features"]) for p in plans)


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
        whose URL is a {z}/{x}/{y} or WMTS tile address (an intranet tile server); or a
        fetch from outside (MapLibre loads raster tiles with fetch)."""
        if resource_type in ("fetch", "xhr"):   # MapLibre fetches raster tiles
            return urlparse(url).hostname not in self.hosts
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


def open_offline(browser, url, live_server):
    """Open ``url`` in a new context of ``browser`` with only the gisgrid host reachable.

    Returns ``(context, load, response)``; the caller closes the context.
    """
    hosts = LOCAL_HOSTS | {urlparse(live_server).hostname}
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
    response = page.goto(url, wait_until="load")
    return context, load, response


def sign_in(page, name, password):
    """Fill the sign-in form the browser is on and submit it, as a person would; wait
    for the page it leads to."""
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation(wait_until="load"):
        page.click("#login-form button[type=submit]")
