"""A fast lane for ``GET /v1/lookup``: the plain case answered before the FastAPI stack.

A lookup is answered from memory in tens of microseconds, but a request through FastAPI's
middleware, routing and endpoint machinery costs several times that (bench/README.md,
lookup); under load (wrk, 16 connections, one worker) the stack, not the lookup, set the
pace. This plain-ASGI
middleware answers a ``GET /v1/lookup`` itself when everything is plain: the query
parses, the lookup cache can answer without the database, and the point lies in a grid.
Anything else (a bad parameter, a cache that must look at the database first, a point
outside coverage, a HEAD) goes on to the route in ``api.routers.lookup``, which parses
again and gives the documented answer or error. Both read the query with the same
:func:`~api.lookup_query.point_query` and answer with the same ``LookupIndex.answer``
bytes, so the lane changes speed only (``tests/api/test_lookup_lane.py`` compares them).

The lane answers anonymous callers only (no ``Authorization`` header, no session
cookie): a credential must be checked against the database, which is the route's job.
Its answer is the anonymous view (``gisgrid.access.lookup_view``: the team's names
dropped when ``GISGRID_PUBLIC_TEAM_NAMES`` is off), the one the route gives anonymous
callers; when anonymous reads are closed it answers nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import has_credentials
from api.lookup_query import point_query
from gisgrid.access import ANONYMOUS, lookup_view
from gisgrid.settings import AccessSettings

PATH = "/v1/lookup"
#: For an app not made by ``create_app`` (no settings): the defaults, without reading the environment.
_DEFAULT_ACCESS = AccessSettings.model_construct()


def _route_path(scope: Scope) -> str:
    """The path the router sees: without the root path a proxy may mount the API under."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class LookupFastLane:
    """ASGI middleware: answer plain point lookups, pass everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and _route_path(scope) == PATH:
            body = self._answer(scope)
            if body is not None:
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _answer(scope: Scope) -> bytes | None:
        """The answer's bytes, or None when the route must answer (see the module doc)."""
        cache = getattr(scope["app"].state, "lookups", None)
        settings = getattr(scope["app"].state, "settings", None)
        access = settings.access if settings is not None else _DEFAULT_ACCESS
        if cache is None or not access.anonymous_reads or has_credentials(scope):
            return None
        # Parsed as Starlette parses it (latin-1, blanks kept; the last of repeats wins).
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        try:
            q = point_query(query)
        except Exception:   # noqa: BLE001 - every error is the route's to report
            return None
        index = cache.ready(q.on)
        body = None if index is None else index.answer(q.wlon, q.wlat, q.near_m)
        return None if body is None else lookup_view(body, ANONYMOUS, public_names=access.public_team_names)
