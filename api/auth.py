"""Who is asking, and may they: the principal of a request and each route's requirement.

Credentials, in order: an ``Authorization: Bearer <token>`` header; the browser session
cookie (``gisgrid_session``, set by ``POST /login``); on routes that allow it, Open311's
``api_key`` (query parameter or urlencoded form field). No credentials: the anonymous
principal. Credentials that do not check out are a 401, never silently anonymous,
except a stale session cookie (a browser signed in yesterday), which is anonymous so
that public pages keep working and protected ones send the browser to ``/login``.

CSRF: a cookie is sent by the browser whoever made the page, so a write authenticated
by the session cookie must come from one of the server's own pages. The cookie is
``SameSite=Lax`` (browsers do not send it on cross-site POSTs) and, behind that, every
cookie-signed request other than GET/HEAD/OPTIONS must carry an ``Origin`` (or, failing
that, a ``Referer``) naming this server (its ``Host``) or a trusted origin
(``GISGRID_TRUSTED_ORIGINS``), or it is refused with 403 ``csrf_failed``. Token-signed
requests carry no ambient credential and need no such check.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Depends, FastAPI, Request, Security
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import APIKeyCookie, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from api.deps import SessionDep
from api.errors import error_body
from api.params import DbId
from api.schemas.errors import error_response
from gisgrid.access import ANONYMOUS, Principal, authenticate_token, session_principal
from gisgrid.db import user_store
from gisgrid.errors import (
    CsrfError,
    DatabaseUnavailableError,
    InvalidCredentialsError,
    LoginRequiredError,
    NotAuthenticatedError,
    NotFoundError,
)
from gisgrid.settings import AccessSettings

SESSION_COOKIE = "gisgrid_session"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_ID = 2**31 - 1   # ids are PostgreSQL integers: a larger one names nothing

_bearer = HTTPBearer(auto_error=False, scheme_name="token",
                     description="An API token (`gisgrid users add NAME --role ...` prints one).")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                       description="A browser session: sign in at /login.")
_api_key = APIKeyQuery(name="api_key", auto_error=False, scheme_name="api_key",
                       description="Open311's api_key: an API token, on routes that take it.")


def access_settings(request: Request) -> AccessSettings:
    return request.app.state.settings.access


def has_credentials(scope: Scope) -> bool:
    """Whether a request brings a token header or a session cookie (the fast lookup lane
    answers only requests without: anonymous callers)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE.encode() in value):
            return True
    return False


def _resolve(request: Request, token: str | None, via: str, cookie: str | None) -> Principal:
    """The principal behind a token or a session id (run in a worker thread: it queries)."""
    try:
        with request.app.state.sessionmaker() as session:
            if token is not None:
                return authenticate_token(session, token, via=via)
            return (session_principal(session, cookie) if cookie else None) or ANONYMOUS
    except OperationalError as exc:
        raise DatabaseUnavailableError("the database is unreachable; try again later") from exc


def _origin_of(request: Request) -> str | None:
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        parts = urlsplit(request.headers["referer"])
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
    return origin


def check_origin(request: Request, *, required: bool = True) -> None:
    """CsrfError unless the request's Origin (or Referer) is this server or a trusted origin.

    ``required=False`` lets a request without either header through (the sign-in form
    posted by a script); one naming another site is refused all the same."""
    origin = _origin_of(request)
    if origin is None:
        if required:
            raise CsrfError("a cookie-signed write must come from this server's pages (no Origin "
                            "or Referer header); API clients send 'Authorization: Bearer' instead")
        return
    host = request.headers.get("host", "").lower()
    if origin in access_settings(request).trusted_origins or (
            origin != "null" and urlsplit(origin).netloc.lower() == host):
        return
    raise CsrfError(f"a cookie-signed write from another site ({origin}) is refused")


async def _principal(request: Request, token: str | None, via: str) -> Principal:
    header = request.headers.get("authorization")
    if header is not None and token is None:
        raise InvalidCredentialsError("the Authorization header must be 'Bearer <token>'")
    cookie = request.cookies.get(SESSION_COOKIE)
    if token is None and not cookie:
        return ANONYMOUS
    principal = await run_in_threadpool(_resolve, request, token, via, cookie)
    if principal.via == "session" and request.method not in _SAFE:
        check_origin(request)
    return principal


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
CookieDep = Annotated[str | None, Security(_cookie)]
ApiKeyDep = Annotated[str | None, Security(_api_key)]


async def current_principal(request: Request, bearer: BearerDep, _session: CookieDep) -> Principal:
    """The principal of a request: a token's user, a browser session's user, or anonymous."""
    return await _principal(request, bearer.credentials if bearer else None, "token")


async def _form_api_key(request: Request) -> str | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return form.get("api_key")


async def principal_with_api_key(request: Request, bearer: BearerDep, _session: CookieDep,
                                 api_key: ApiKeyDep) -> Principal:
    """As :func:`current_principal`, also taking Open311's ``api_key`` (query or urlencoded
    form field; the Authorization header wins when both are sent)."""
    if bearer is not None:
        return await _principal(request, bearer.credentials, "token")
    key = api_key or await _form_api_key(request)
    return await _principal(request, key, "api_key") if key else await _principal(request, None, "token")


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def public_reader(request: Request, who: PrincipalDep) -> Principal:
    """Public data: anyone, unless ``GISGRID_ANONYMOUS_READS=false`` (then signed in)."""
    return who if who.signed_in or access_settings(request).anonymous_reads else who.require_signed_in()


async def service_caller(request: Request, who: PrincipalDep) -> Principal:
    """The stateless geometry services: anyone, unless ``GISGRID_ANONYMOUS_SERVICES=false``."""
    return who if who.signed_in or access_settings(request).anonymous_services else who.require_signed_in()


async def signed_in(who: PrincipalDep) -> Principal:
    return who.require_signed_in()


async def admin(who: PrincipalDep) -> Principal:
    return who.require_role()


async def planner(who: PrincipalDep) -> Principal:
    """A planner (any scope) or an admin; the route checks the scope of what it changes."""
    return who.require_role("planner")


def plan_editor(plan_id: DbId, who: PrincipalDep, session: SessionDep) -> Principal:
    """May edit, generate, repair or activate plan ``plan_id``: 401 / 403 before 404."""
    who.require_role("planner")
    scope = user_store.plan_scope(session, plan_id) if 0 < plan_id <= _MAX_ID else None
    if scope is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return who.require_plan_editor(scope)


def _page(check: Callable[[Principal], Principal], *,
          public: bool) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A page's requirement: an anonymous browser that may not see it goes to /login."""
    async def dependency(request: Request, who: PrincipalDep) -> Principal:
        if not who.signed_in and not (public and access_settings(request).anonymous_reads):
            query = f"?{request.url.query}" if request.url.query else ""
            raise LoginRequiredError("sign in to open this page",
                                     details={"next": request.url.path + query})
        return check(who)
    return dependency


Reader = Annotated[Principal, Depends(public_reader)]
ServiceCaller = Annotated[Principal, Depends(service_caller)]
SignedIn = Annotated[Principal, Depends(signed_in)]
Admin = Annotated[Principal, Depends(admin)]
Planner = Annotated[Principal, Depends(planner)]
PlanEditor = Annotated[Principal, Depends(plan_editor)]
#: Open311 routes: a token by header, session or ``api_key``; public reads as :data:`Reader`.
ApiKeyCaller = Annotated[Principal, Depends(principal_with_api_key)]
#: Map pages: public ones (anonymous unless closed by settings: then sign in first) and
#: the planner's (a planner or an admin; anonymous browsers are sent to /login).
PublicPage = Annotated[Principal, Depends(_page(lambda who: who, public=True))]
PlannerPage = Annotated[Principal, Depends(_page(lambda who: who.require_role("planner"), public=False))]


def login_url(next_url: str) -> str:
    """The sign-in page, coming back to ``next_url`` (a path on this server) after."""
    return "/login?next=" + quote(next_url, safe="/")


async def _login_required(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(login_url((exc.details or {}).get("next", "/")), status_code=303)


async def _not_authenticated(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotAuthenticatedError)
    challenge = 'Bearer realm="gisgrid"'
    if isinstance(exc, InvalidCredentialsError):
        challenge += ', error="invalid_token"'
    return JSONResponse(error_body(exc.code, exc.message), status_code=401,
                        headers={"WWW-Authenticate": challenge})


def _auth_responses() -> dict[str, dict[str, Any]]:
    # Built when the document is: the codes under each status come from the error table.
    return {str(status): error_response(status) for status in (401, 403)}


def _document_auth_responses(app: FastAPI) -> None:
    """List 401 and 403 in the OpenAPI document of every operation that reads credentials
    (FastAPI marks them with ``security``): any of them answers 401 to a bad token."""
    previous = app.openapi

    def openapi() -> dict[str, Any]:
        schema = previous()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("security"):
                    responses = operation.setdefault("responses", {})
                    for status, response in _auth_responses().items():
                        responses.setdefault(status, response)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_auth(app: FastAPI) -> None:
    """Answer 401s with a ``WWW-Authenticate: Bearer`` challenge, send browsers that open
    a protected page without signing in to /login, and document 401/403 in OpenAPI."""
    app.add_exception_handler(NotAuthenticatedError, _not_authenticated)
    app.add_exception_handler(LoginRequiredError, _login_required)
    _document_auth_responses(app)
