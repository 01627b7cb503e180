"""``create_app(settings)``: the FastAPI application, built without import-time state."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

from api.auth import install_auth
from api.errors import install_error_handlers
from api.guard import RequestGuard
from api.heavy import BULK_BODY
from api.lookup_lane import LookupFastLane
from api.routers import (
    areas,
    assign,
    audit,
    blocks,
    coverage,
    docs,
    editor,
    exports,
    health,
    imports,
    lookup,
    lookup_address,
    ogc,
    open311,
    people,
    plan_versions,
    plans,
    requests,
    resources,
    signin,
    tiles,
)
from api.routers.maps import install_maps
from api.schemas.errors import document_guard_responses
from api.workers import WorkPool
from gisgrid.address.cache import AddressCache
from gisgrid.db.engine import make_engine, make_sessionmaker, on_lookup_change, resolve_database_url
from gisgrid.lookup.cache import LookupCache
from gisgrid.settings import Settings
from maps.policy import content_security_policy
from maps.staffmap_page import basemap_sources, basemaps

#: ReDoc (/redoc, served from our own assets) searches in a web worker made from a blob.
_REDOC = {"workers": ["blob:"]}


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
        # Heavy work (coverage, blocks, assign, generate) runs in worker processes.
        app.state.work = WorkPool(settings.limits, database_url=url)
        await app.state.work.start()
        # Batch lookups run here (the index is here): as many at a time as work processes.
        app.state.batch_slots = asyncio.Semaphore(settings.limits.work_processes)
        # Everything made so far lives as long as the app: keep it out of the cyclic
        # collector's full passes (a 100,000-point batch triggers some, a noticeable part
        # of its time: see bench/README.md, lookup).
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
        docs_url=None,     # served offline by api.routers.docs
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_auth(app)
    for module in (health, docs, areas, plans, assign, blocks, lookup, lookup_address, coverage,
                   plan_versions, ogc, exports, people, audit, signin, editor, imports, requests,
                   open311, resources, tiles):
        app.include_router(module.router)
    install_maps(app, settings.server)
    app.add_middleware(LookupFastLane)
    _document_guard(app)
    app.add_middleware(RequestGuard, limits=settings.limits,  # added last: runs first
                       page_policy=lambda scope, page: _page_policy(app, scope, page),
                       bulk_body=_bulk_body_routes(app))
    # Outside the guard: the guard hashes a page's inline scripts from the plain bytes.
    # Text answers (pages, JSON, GeoJSON, scripts, tiles) of 1 KB or more go out gzipped.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    return app


def _document_guard(app: FastAPI) -> None:
    """The statuses the request guard answers, in every operation of the document."""
    previous = app.openapi

    def openapi() -> dict[str, Any]:
        return document_guard_responses(previous())

    app.openapi = openapi  # type: ignore[method-assign]


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
    """The Content-Security-Policy of an HTML page (``maps.policy``). The staff map fetches
    its basemaps' tiles (MapLibre loads raster tiles with fetch) from every basemap it offers."""
    extra: dict[str, Any] = _REDOC if scope["path"].endswith("/redoc") else {}
    if scope["path"] == "/maps/":
        hosts = basemap_sources(basemaps(getattr(app.state, "tiles", None)))
        extra = {"images": hosts, "connects": hosts}
    return content_security_policy(page, getattr(app.state, "tiles", None), **extra)
