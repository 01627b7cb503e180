"""``create_app(settings)``: the FastAPI application, built without import-time state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routers import areas, assign, blocks, coverage, health, lookup, plan_versions, plans
from api.routers.maps import install_maps
from gisgrid.db.engine import make_engine, make_sessionmaker, resolve_database_url
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
        try:
            yield
        finally:
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
    return app
