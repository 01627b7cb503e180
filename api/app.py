"""``create_app(settings)``: the FastAPI application, built without import-time state."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.auth import install_auth
from api.errors import install_error_handlers
from api.lookup_lane import LookupFastLane
from api.routers import (
    areas,
    assign,
    audit,
    blocks,
    coverage,
    docs,
    exports,
    health,
    lookup,
    lookup_address,
    ogc,
    people,
    plan_versions,
    plans,
    signin,
)
from api.routers.maps import install_maps
from gisgrid.address.cache import AddressCache
from gisgrid.db.engine import make_engine, make_sessionmaker, on_lookup_change, resolve_database_url
from gisgrid.lookup.cache import LookupCache
from gisgrid.settings import Settings


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
        # A request whose committed unit of work changed what lookups answer (a plan
        # activated: gisgrid.db.engine.note_lookup_change) makes the next lookup check
        # the database first, so this server answers its own change at once; stateless
        # requests and draft edits leave the cache alone.
        # The address cache answers with the point lookups' grids, so it follows them.
        on_lookup_change(app.state.sessionmaker, lambda: (app.state.lookups.invalidate(),
                                                          app.state.addresses.invalidate()))
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
    install_auth(app)
    for module in (health, docs, areas, plans, assign, blocks, lookup, lookup_address, coverage,
                   plan_versions, ogc, exports, people, audit, signin):
        app.include_router(module.router)
    install_maps(app, settings.server)
    app.add_middleware(LookupFastLane)     # added last: runs first
    return app
