"""/docs (Swagger UI) and /redoc render in headless Chromium with no internet."""

from __future__ import annotations

import pytest
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, get_json, open_offline
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _operations(base: str) -> int:
    paths = get_json(f"{base}/openapi.json")["paths"]
    return sum(1 for ops in paths.values() for method in ops if method in ("get", "post", "put", "delete"))


#: ReDoc's sidebar links to Redocly with a logo it always asks its CDN for; the page's CSP
#: (img-src 'self') blocks it, ReDoc hides it (onError), and nothing else depends on it.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _check_offline(load, allowed: tuple[str, ...] = ()) -> None:
    assert not load.page_errors, load.page_errors
    outside = [(kind, url) for kind, url in load.blocked if url not in allowed]
    assert not outside, f"the page tried to fetch from outside: {outside}"
    assert not [f for f in load.unexpected_failures() if f[1] not in allowed], load.failed
    assert not [e for e in load.unexpected_console_errors()
                if e[1] not in allowed and not any(a in e[0] for a in allowed)], load.console_errors


def test_swagger_ui_lists_every_operation_offline(chromium, live_server):
    context, load, response = open_offline(chromium, f"{live_server}/docs", live_server)
    try:
        assert response.status == 200
        load.page.wait_for_selector(".opblock", timeout=20_000)
        _check_offline(load)
        assert load.page.locator(".opblock").count() == _operations(live_server)
        ARTIFACTS.mkdir(exist_ok=True)
        load.page.screenshot(path=str(ARTIFACTS / "docs.png"))
    finally:
        context.close()


def test_redoc_lists_every_operation_offline(chromium, live_server):
    context, load, response = open_offline(chromium, f"{live_server}/redoc", live_server)
    try:
        assert response.status == 200
        load.page.wait_for_selector("[data-section-id^='operation/']", state="attached", timeout=30_000)
        _check_offline(load, allowed=(REDOC_LOGO,))
        sections = load.page.locator("[data-section-id^='operation/']").count()
        assert sections == _operations(live_server)
        ARTIFACTS.mkdir(exist_ok=True)
        load.page.screenshot(path=str(ARTIFACTS / "redoc.png"))
    finally:
        context.close()
