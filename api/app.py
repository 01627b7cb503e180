"""``create_app(settings)``: the FastAPI application, built without import-time state."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import install_error_handlers
from api.guard import RequestGuard
from api.heavy import BULK_BODY
from api.lookup_lane import LookupFastLane
from api.routers import areas, assign, blocks, coverage, health, lookup, plan_versions, plans
from api.routers.maps import install_maps
from api.workers import WorkPool
from gisgrid.db.engine import make_engine, make_sessionmaker, resolve_database_url
from gisgrid.lookup.cache import LookupCache
from gisgrid.settings import Settings
from maps.policy import content_security_policy

#: Where FastAPI's /docs and /redoc pages load Swagger UI and ReDoc from (only there).
_DOCS_CDN = {"scripts": ["https://cdn.jsdelivr.net"], "styles": ["https://cdn.jsdelivr.net",
             "https://fonts.googleapis.com"], "images": ["https://fastapi.tiangolo.com",
             "https://cdn.redoc.ly"], "fonts": ["https://fonts.gstatic.com"]}

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class InvalidateLookupsAfterWrites:
    """ASGI middleware: after any request that may write (not GET/HEAD/OPTIONS), the
    lookup cache checks the database before its next answer, so this server's own
    changes (an activated plan, a new team) are answered at once. Plain ASGI, not
    ``BaseHTTPMiddleware``: it adds nothing measurable to a lookup."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] not in _READS:
                cache = getattr(scope["app"].state, "lookups", None)
                if cache is not None:
                    cache.invalidate()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine is made when it starts (lifespan)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = resolve_database_url(settings.db)
        engine = make_engine(url, pool_size=settings.db.pool_size)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.lookups = LookupCache(engine, refresh_s=settings.server.lookup_refresh_s)
        # Heavy work (coverage, blocks, assign, generate) runs in worker processes.
        app.state.work = WorkPool(settings.limits, database_url=url)
        await app.state.work.start()
        # Batch lookups run here (the index is here): as many at a time as work processes.
        app.state.batch_slots = asyncio.Semaphore(settings.limits.work_processes)
        # Everything made so far lives as long as the app: keep it out of the cyclic
        # collector's full passes (a 100,000-point batch triggers some; measured ~60 ms
        # of a 0.3 s batch without this).
        gc.freeze()
        try:
            yield
        finally:
            await app.state.work.aclose()
            engine.dispose()

    app = FastAPI(
        title="gisgrid",
        summary="Community service grids (网格): planning, coverage checks, lookups.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, areas, plans, assign, blocks, lookup, coverage, plan_versions):
        app.include_router(module.router)
    install_maps(app, settings.server)
    app.add_middleware(InvalidateLookupsAfterWrites)
    app.add_middleware(LookupFastLane)
    app.add_middleware(RequestGuard, limits=settings.limits,  # added last: runs first
                       page_policy=lambda scope, page: _page_policy(app, scope, page),
                       bulk_body=_bulk_body_routes(app))
    return app


def _bulk_body_routes(app: FastAPI) -> Callable[[Scope], bool]:
    """Which requests may carry a bulk body: the operations marked ``x-gisgrid-bulk-body``
    in the OpenAPI document (routes that read their body raw, see ``api.heavy.json_body``)."""
    patterns: list[tuple[re.Pattern[str], str]] | None = None

    def bulk(scope: Scope) -> bool:
        nonlocal patterns
        if patterns is None:  # the document is complete once the app serves
            patterns = [(re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$"), method.upper())
                        for path, operations in app.openapi()["paths"].items()
                        for method, operation in operations.items()
                        if isinstance(operation, dict) and operation.get(BULK_BODY)]
        path, root = scope["path"], scope.get("root_path", "")
        path = path[len(root):] if root and path.startswith(root) else path
        return any(scope["method"] == method and regex.match(path) for regex, method in patterns)

    return bulk


def _page_policy(app: FastAPI, scope: Scope, page: bytes) -> str:
    """The Content-Security-Policy of an HTML page (``maps.policy``; the docs' CDN on /docs)."""
    docs = scope["path"] in (app.docs_url, app.redoc_url)
    return content_security_policy(page, getattr(app.state, "tiles", None), **(_DOCS_CDN if docs else {}))
