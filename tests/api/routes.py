"""Every route of the app, for tests that must cover routes nobody listed for them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from starlette.routing import BaseRoute, Route


def all_routes(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    """Every route of an app, also inside included routers (FastAPI keeps an included
    router as one entry holding the original router; its routes carry full paths when,
    as in ``api.app``, routers are included without a further prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from all_routes(inner.routes)
        elif isinstance(route, Route):
            yield route
