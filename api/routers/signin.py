"""Browser sign-in: the login page, the session cookie, sign-out; and ``GET /v1/me``.

The cookie holds a random session id (the database keeps its SHA-256 only) and is
``HttpOnly`` (no script reads it), ``SameSite=Lax`` (not sent on cross-site POSTs) and
``Secure`` when the page came over https (or as ``GISGRID_COOKIE_SECURE`` says). A
wrong name, a wrong password and a revoked user get the same 401 and the same message.

``POST /login`` takes the page's urlencoded form (answering with pages and redirects)
or a JSON body ``{"name", "password"}`` (answering JSON), read by hand: a form parser
would be a dependency (python-multipart) for two fields.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from api.auth import SESSION_COOKIE, PrincipalDep, SignedIn, access_settings, check_origin
from api.schemas.access import Me
from api.schemas.errors import route_responses
from gisgrid.access import authenticate_password, close_session, open_session
from gisgrid.errors import InvalidCredentialsError, InvalidInputError
from maps.login import LOGIN_CSS, render_login_page

router = APIRouter(tags=["access"])

#: A sign-in body is two short fields: anything larger is refused unread.
MAX_BODY = 16 * 1024
DEFAULT_NEXT = "/maps/"
_WRONG = "用户名或密码错误 · Wrong name or password"


def safe_next(value: Any) -> str:
    """Where to go after signing in: a path on this server, never another site.

    Examples
    --------
    >>> safe_next("/maps/plans/1/planner"), safe_next("//evil.example/"), safe_next("https://x")
    ('/maps/plans/1/planner', '/maps/', '/maps/')
    """
    if (isinstance(value, str) and value.startswith("/") and not value.startswith("//")
            and "\\" not in value and len(value) <= 2000
            and not any(unicodedata.category(c).startswith("C") for c in value)):
        return value
    return DEFAULT_NEXT


async def _small_body(request: Request) -> bytes:
    size, chunks = 0, []
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise StarletteHTTPException(413, f"a sign-in body is at most {MAX_BODY} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:   # abandoned half-way: nobody to answer, nothing to log
        raise StarletteHTTPException(400, "the sign-in body was not sent completely") from exc
    return b"".join(chunks)


def _fields(raw: bytes, is_json: bool) -> dict[str, Any]:
    if not is_json:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError("the body is not valid JSON") from exc
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k, ""), str) for k in ("name", "password")):
        raise InvalidInputError('the body must be {"name": "...", "password": "..."}')
    return doc


def _sign_in(request: Request, name: str, password: str) -> tuple[Any, str, Any]:
    with request.app.state.sessionmaker() as session:
        principal = authenticate_password(session, name, password)
        secret, expires = open_session(session, principal, hours=access_settings(request).session_hours)
        session.commit()
    return principal, secret, expires


def _cookie_secure(request: Request) -> bool:
    setting = access_settings(request).cookie_secure
    return request.url.scheme == "https" if setting is None else setting


@router.get("/login", include_in_schema=False)
def login_page(who: PrincipalDep, next: str = Query(DEFAULT_NEXT)) -> HTMLResponse:  # noqa: A002
    return HTMLResponse(render_login_page(next_url=safe_next(next), user=who.user, role=who.role))


@router.get("/login.css", include_in_schema=False)
def login_css() -> Response:
    return Response(LOGIN_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    """Sign in with a name and password: a session cookie, then back to ``next``."""
    check_origin(request, required=False)
    is_json = request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
    fields = _fields(await _small_body(request), is_json)
    nxt = safe_next(fields.get("next", DEFAULT_NEXT))
    try:
        principal, secret, expires = await run_in_threadpool(
            _sign_in, request, str(fields.get("name", "")), str(fields.get("password", "")))
    except InvalidCredentialsError:
        if is_json:
            raise
        return HTMLResponse(render_login_page(next_url=nxt, error=_WRONG), status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="gisgrid"'})
    response: Response = (JSONResponse({"user": principal.user, "role": principal.role,
                                        "scope": principal.scope, "expires_at": expires.isoformat()})
                          if is_json else RedirectResponse(nxt, status_code=303))
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", path="/",
                        secure=_cookie_secure(request),
                        max_age=int(access_settings(request).session_hours * 3600))
    return response


def _sign_out(request: Request, secret: str, actor: str | None) -> None:
    with request.app.state.sessionmaker() as session:
        close_session(session, secret, actor=actor)
        session.commit()


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, who: PrincipalDep) -> Response:
    """Sign out: the session ends on the server and the cookie is cleared."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await run_in_threadpool(_sign_out, request, secret, who.user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_cookie_secure(request))
    return response


@router.get("/v1/me", summary="Who the credentials sent belong to (401 without any)",
            response_model=Me, responses=route_responses(503))
def me(who: SignedIn) -> dict[str, Any]:
    return {"user": who.user, "role": who.role, "scope": who.scope, "via": who.via}
