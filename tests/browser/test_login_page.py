"""Signing in with a real browser (headless Chromium, no internet): the planner page sends
an anonymous browser to the login page, a wrong password is refused without a hint, the
right one sets an HttpOnly SameSite=Lax cookie no script can read, and signing out ends it."""

from __future__ import annotations

import pytest
from offline import CHROMIUM, CHROMIUM_ARGS, get_json, open_offline, sign_in
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def planner_url(live_server):
    plan_id = get_json(f"{live_server}/v1/plans?status=active")["plans"][0]["id"]
    return f"{live_server}/maps/plans/{plan_id}/planner"


def test_a_planner_signs_in_reaches_the_planner_page_and_signs_out(browser, live_server, planner_url,
                                                                    accounts) -> None:
    planner = accounts["planner"]
    context, load, response = open_offline(browser, planner_url, live_server)
    try:
        page = load.page
        assert response.status == 200 and page.url.startswith(f"{live_server}/login?next=")
        assert "登录" in page.inner_text("h1") and "Sign in" in page.inner_text("h1")
        sign_in(page, planner.name, "not the password")
        assert page.url == f"{live_server}/login"
        assert "用户名或密码错误" in page.inner_text("#login-error")
        assert "Wrong name or password" in page.inner_text("#login-error")
        assert context.cookies() == []
        page.goto(planner_url, wait_until="load")
        sign_in(page, planner.name, planner.password)
        assert page.url == planner_url and page.locator("svg path.gisgrid-grid").count() > 0
        (cookie,) = context.cookies()
        assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (
            "gisgrid_session", True, "Lax", False)               # served over http here
        assert "gisgrid_session" not in page.evaluate("document.cookie")
        refused = f"{live_server}/login"    # the wrong password's 401, on purpose
        assert not load.page_errors, load.page_errors
        assert [e for e in load.unexpected_console_errors() if e[1] != refused] == []
        assert [f for f in load.unexpected_failures() if f[1:] != (refused, 401)] == []
        assert [u for kind, u in load.blocked if not load.is_tile(kind, u)] == []
        page.goto(f"{live_server}/login", wait_until="load")
        assert planner.name in page.inner_text("#signed-in")
        with page.expect_navigation(wait_until="load"):
            page.click("#sign-out")
        assert context.cookies() == []
        page.goto(planner_url, wait_until="load")
        assert page.url.startswith(f"{live_server}/login?next=")
    finally:
        context.close()


def test_a_consumer_signed_in_is_refused_the_planner_page(browser, live_server, planner_url,
                                                           accounts) -> None:
    consumer = accounts["consumer"]
    context, load, _ = open_offline(browser, planner_url, live_server)
    try:
        with load.page.expect_response(lambda r: r.url == planner_url) as answer:
            sign_in(load.page, consumer.name, consumer.password)
        assert answer.value.status == 403 and answer.value.json()["code"] == "forbidden"
        assert load.page.locator("svg path.gisgrid-grid").count() == 0
    finally:
        context.close()
