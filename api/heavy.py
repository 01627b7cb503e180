"""Heavy routes: their work runs in the worker pool (``api.workers``), bodies parsed there.

A heavy route hands the raw body to a job; the job (in a worker) parses and validates
it, checks its size against the limits, works and returns the response's bytes. So the
process that answers lookups never parses a large JSON body on its event loop, never
holds the objects it becomes, and never runs the geometry. Errors come back as the same
exceptions they would be in the route, and become the same JSON errors.

Route side::

    @router.post("/v1/coverage/check", openapi_extra=json_body(CheckRequest))
    async def check(request: Request) -> Response:
        return await body_job(request, check_job)

Job side (a module-level function, run in a worker)::

    def check_job(raw: bytes) -> bytes:
        body = parse_body(CheckRequest, raw)
        return json_bytes(...)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from api.workers import WorkPool, worker_limits
from gisgrid.errors import InvalidJSONError
from gisgrid.io.limits import check_geojson_size

M = TypeVar("M", bound=BaseModel)

__all__ = ["BULK_BODY", "body_job", "json_body", "json_bytes", "parse_body", "run_heavy"]

#: OpenAPI extension marking an operation whose body may be bulk data (up to
#: ``GISGRID_MAX_BODY_BYTES``, read raw); other bodies are small forms (``api.guard``).
BULK_BODY = "x-gisgrid-bulk-body"


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone away (the body was read before this starts)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def run_heavy(request: Request, func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` in the app's worker pool, stopped when the client goes away."""
    pool: WorkPool = request.app.state.work
    return await pool.run(func, *args, disconnected=_disconnected(request))


async def body_job(request: Request, func: Callable[..., bytes], *args: Any,
                   media_type: str = "application/json") -> Response:
    """Read the body (limited by ``api.guard``) and answer with ``func(raw, *args)``'s bytes."""
    raw = await request.body()
    return Response(await run_heavy(request, func, raw, *args), media_type=media_type)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON body of a route that reads it raw."""
    schema = model.model_json_schema()
    if "$defs" in schema:  # would need components of their own; keep these bodies flat
        raise TypeError(f"{model.__name__}: nested models are not supported in json_body")
    return {BULK_BODY: True,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def parse_body(model: type[M], raw: bytes) -> M:
    """The body as ``model``, refused as FastAPI would refuse it (400 JSON, 422 fields),
    or with 413 when it holds more GeoJSON features or positions than the limits allow."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSONError("The request body is not valid JSON.") from exc
    limits = worker_limits()
    check_geojson_size(doc, max_features=limits.max_features, max_vertices=limits.max_vertices,
                       what="the request body")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None


def json_bytes(value: Any) -> bytes:
    """JSON of a response (numpy numbers accepted; a NaN becomes null)."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
