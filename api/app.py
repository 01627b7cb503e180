"""``create_app(settings)``: the FastAPI application, built without import-time state."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import install_error_handlers
from api.lookup_lane import LookupFastLane
from api.routers import (
    areas,
    assign,
    blocks,
    coverage,
    docs,
    editor,
    health,
    lookup,
    lookup_address,
    plan_versions,
    plans,
)
from api.routers.maps import install_maps
from gisgrid.address.cache import AddressCache
from gisgrid.db.engine import make_engine, make_sessionmaker, resolve_database_url
from gisgrid.lookup.cache import LookupCache
from gisgrid.settings import Settings

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
                for name in ("lookups", "addresses"):
                    cache = getattr(scope["app"].state, name, None)
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
        app.state.addresses = AddressCache(engine, app.state.lookups,
                                           refresh_s=settings.server.lookup_refresh_s)
        # Everything made so far lives as long as the app: keep it out of the cyclic
        # collector's full passes (a 100,000-point batch triggers some, a noticeable part
        # of its time: see bench/README.md, lookup).
        gc.freeze()
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="gisgrid",
        summary="Community service grids (网格): planning, coverage checks, lookups.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,     # served offline by api.routers.docs
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, docs, areas, plans, assign, blocks, lookup, lookup_address, coverage,
                   plan_versions, editor):
        app.include_router(module.router)
    install_maps(app, settings.server)
    app.add_middleware(InvalidateLookupsAfterWrites)
    app.add_middleware(LookupFastLane)     # added last: runs first
    return app
