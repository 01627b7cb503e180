"""Browser sign-in over HTTP: the cookie's flags, one answer for every wrong credential,
CSRF checks on cookie-signed writes, sign-out ending the session on the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api import create_app
from api.auth import SESSION_COOKIE
from api.routers.signin import safe_next

WRONG = "用户名或密码错误 · Wrong name or password"


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A client of its own (its cookies go nowhere else)."""
    with TestClient(app) as client:
        yield client


def _sign_in(client: TestClient, account, **kwargs) -> object:
    return client.post("/login", json={"name": account.name, "password": account.password}, **kwargs)


def test_signing_in_sets_an_httponly_samesite_cookie_and_the_session_works(browser, accounts) -> None:
    r = _sign_in(browser, accounts["planner"])
    assert r.status_code == 200 and r.json()["user"] == accounts["planner"].name
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    me = browser.get("/v1/me").json()
    assert (me["user"], me["role"], me["via"]) == (accounts["planner"].name, "planner", "session")


def test_over_https_the_cookie_is_secure(app, accounts) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        assert "Secure" in _sign_in(client, accounts["staff"]).headers["set-cookie"]


def test_every_wrong_credential_gets_the_same_401(browser, accounts) -> None:
    planner = accounts["planner"]
    answers = set()
    for name, password in [(planner.name, "wrong"), ("no-such-user", planner.password),
                           (planner.name.upper(), planner.password), ("", "")]:
        r = browser.post("/login", json={"name": name, "password": password})
        answers.add((r.status_code, r.text))
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
        form = browser.post("/login", data={"name": name, "password": password, "next": "/maps/"})
        assert form.status_code == 401 and WRONG in form.text and "text/html" in form.headers["content-type"]
    assert len(answers) == 1
    # A NUL in a name is refused at the edge, for every body alike: it tells nothing.
    r = browser.post("/login", json={"name": "a\x00b", "password": "x"})
    assert (r.status_code, r.json()["code"]) == (400, "nul_character")
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    status, body = answers.pop()
    assert status == 401 and '"code":"invalid_credentials"' in body and "password" in body
    assert browser.get("/v1/me").status_code == 401


def test_the_form_sends_the_browser_back_where_it_came_from_never_to_another_site(browser, accounts) -> None:
    staff = accounts["staff"]
    form = {"name": staff.name, "password": staff.password}
    r = browser.post("/login", data={**form, "next": "/maps/plans/1"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/maps/plans/1")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        r = browser.post("/login", data={**form, "next": evil}, follow_redirects=False)
        assert r.headers["location"] == "/maps/", evil
    assert safe_next(None) == "/maps/" and safe_next("/maps/?a=1") == "/maps/?a=1"


def test_a_cookie_signed_write_must_come_from_this_servers_pages(browser, accounts, engine: Engine) -> None:
    _sign_in(browser, accounts["planner"])
    path, body = "/v1/plans/2147483000/activate", {}
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/page"}):
        r = browser.post(path, json=body, headers=headers)
        assert (r.status_code, r.json()["code"]) == (403, "csrf_failed"), headers
    for headers in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/maps/plans/1/planner"}):
        r = browser.post(path, json=body, headers=headers)       # past the check: the route answers
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), headers
    # A token carries no ambient authority: no Origin needed.
    r = browser.post(path, json=body, headers=accounts["planner"].headers)
    assert r.status_code == 404
    # Reads need no Origin either.
    assert browser.get("/v1/me").status_code == 200


def test_signing_in_from_another_sites_form_is_refused(browser, accounts) -> None:
    r = _sign_in(browser, accounts["staff"], headers={"Origin": "https://evil.example"})
    assert (r.status_code, r.json()["code"]) == (403, "csrf_failed")
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_signing_out_ends_the_session_on_the_server(browser, accounts, engine: Engine) -> None:
    _sign_in(browser, accounts["admin"])
    secret = browser.cookies[SESSION_COOKIE]
    r = browser.post("/logout", headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert 'gisgrid_session=""' in r.headers["set-cookie"]
    browser.cookies.clear()
    browser.cookies.set(SESSION_COOKIE, secret)          # the stolen or kept cookie is dead
    assert browser.get("/v1/me").status_code == 401
    with engine.connect() as conn:
        actions = conn.execute(text(
            "SELECT action FROM audit_event e JOIN app_user u ON u.id = e.entity_id "
            "WHERE e.entity = 'user' AND u.name = :n AND e.action IN ('login', 'logout') ORDER BY e.id"),
            {"n": accounts["admin"].name}).scalars().all()
    assert actions[-2:] == ["login", "logout"]


def test_a_huge_or_malformed_sign_in_body_is_a_4xx(browser) -> None:
    r = browser.post("/login", content=b"name=" + b"x" * 20000, headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    r = browser.post("/login", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_input"
    r = browser.post("/login", json={"name": ["x"], "password": 1})
    assert r.status_code == 400


def test_the_login_page_is_bilingual_and_loads_nothing_from_outside(browser, accounts) -> None:
    page = browser.get("/login", params={"next": '/maps/"><script>'})
    assert page.status_code == 200 and "登录" in page.text and "Sign in" in page.text
    assert "<script" not in page.text and "https://" not in page.text and "http://" not in page.text
    assert browser.get("/login.css").headers["content-type"].startswith("text/css")
    _sign_in(browser, accounts["staff"])
    assert accounts["staff"].name in browser.get("/login").text
