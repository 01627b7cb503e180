"""The assessment page (诉求考核) in real headless Chromium, offline: it draws the API's figures."""

from __future__ import annotations

import datetime as dt

import pytest
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, get_json, open_offline
from playwright.sync_api import sync_playwright

from gisgrid.rules import today

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _jinyang(base: str) -> str:
    return next(a["code"] for a in get_json(f"{base}/v1/areas")["areas"] if a["name"] == "金阳社区")


@pytest.fixture
def stats_page(chromium, live_server):
    code = _jinyang(live_server)
    first = (today() - dt.timedelta(days=181)).isoformat()
    context, load, response = open_offline(
        chromium, f"{live_server}/maps/requests/stats?area={code}&from={first}", live_server)
    assert response.status == 200
    load.page.wait_for_selector("body[data-state]", state="attached", timeout=30_000)
    yield code, first, load
    context.close()


def test_the_page_draws_the_figures_of_the_api_with_nothing_from_outside(stats_page, live_server):
    code, first, load = stats_page
    assert load.page.evaluate("document.body.dataset.state") == "ready", load.console_errors
    assert not load.page_errors and not load.unexpected_failures() and not load.blocked
    assert not [t for t, _ in load.console_errors if "Content Security Policy" in t]
    api = get_json(f"{live_server}/v1/requests/stats?area={code}&from={first}&parts=true")
    assert int(load.page.evaluate("document.body.dataset.received")) == api["received"] > 0
    bars = load.page.locator("#chart-counts rect.bar")
    assert bars.count() == 2 * len(api["parts"]) > 0
    drawn = {(b.get_attribute("data-area"), b.get_attribute("data-key")): float(b.get_attribute("data-value"))
             for b in bars.all()}
    for part in api["parts"]:
        assert drawn[(part["area"]["code"], "received")] == part["received"]
        assert drawn[(part["area"]["code"], "closed")] == part["closed"]
    assert load.page.locator("#table tr").count() == 2 + len(api["parts"])
    assert load.page.locator("#cards [data-figure=received] .value").inner_text() == str(api["received"])
    assert f"area={code}" in load.page.locator("#xlsx").get_attribute("href")
    ARTIFACTS.mkdir(exist_ok=True)
    load.page.screenshot(path=str(ARTIFACTS / "request_stats.png"), full_page=True)


def test_choosing_another_period_redraws_the_figures(stats_page, live_server):
    code, _first, load = stats_page
    page = load.page
    recent = (today() - dt.timedelta(days=6)).isoformat()
    page.fill("#from", recent)
    page.click("#period button[type=submit]")
    api = get_json(f"{live_server}/v1/requests/stats?area={code}&from={recent}")
    page.wait_for_selector(f"body[data-received='{api['received']}']", state="attached", timeout=15_000)
    assert page.locator("#cards [data-figure=received] .value").inner_text() == str(api["received"])
