"""The error body, and :func:`route_responses`: the OpenAPI ``responses`` of a route.

Every 4xx/5xx the API sends is ``{"code", "message", "details"?}`` (``api.errors``). A
route names the statuses it can answer; the machine codes listed under each status are
read from the one table that maps core errors to statuses (``api.errors.STATUS_BY_ERROR``),
so the document cannot drift from what the handlers send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

# Imported for their error classes: every code under a status below is found by walking
# the subclasses of GisGridError, so the modules that define some must be loaded.
import gisgrid.coverage.report  # noqa: F401  (CoverageFailedError: 409 coverage_failed)
from api.errors import status_for
from api.schemas.common import left_out_unless
from gisgrid import errors as core

__all__ = ["GEOJSON", "JSON", "ErrorBody", "codes_for", "document_guard_responses", "error_response",
           "route_responses"]

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str = Field(description="Machine-readable code, e.g. outside_coverage, stale_version")
    message: str = Field(description="Human-readable text, safe to show to a user")
    details: Any = left_out_unless("Structured context, where useful: e.g. {\"distance_m\": 812.4} "
                                   "for outside_coverage, the problems of invalid GeoJSON")


#: Codes the HTTP layer itself sends, besides the core's (api.errors handlers).
_HTTP_CODES: dict[int, tuple[str, ...]] = {
    400: ("invalid_json", "nul_character"),
    401: ("unauthorized",),
    404: ("not_found",),
    408: ("request_timeout",),
    413: ("payload_too_large",),
    414: ("uri_too_long",),
    422: ("invalid_request",),
}
_MEANING = {
    400: "Bad input",
    401: "No credentials where they are needed, or credentials that are not valid (unknown, "
         "revoked or malformed token); WWW-Authenticate: Bearer",
    403: "The caller's role or scope may not do this, or a cookie-signed write from another site",
    404: "Not found",
    409: "Conflicts with the current state",
    408: "The request body stopped arriving (GISGRID_READ_TIMEOUT_S, GISGRID_BODY_TIMEOUT_S)",
    413: "The body, or what it holds (features, vertices, points), is over a limit; the "
         "message names the limit",
    414: "The path or the query string is too long (GISGRID_MAX_URL_BYTES)",
    422: "A parameter or body member fails its declared type or range (details: loc, msg, "
         "type of each problem)",
    503: "The database is unreachable, or heavy work ran out of its time budget or found "
         "every worker busy (Retry-After); try again later",
}


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def codes_for(status: int) -> list[str]:
    """Every machine code the API can send with ``status``, sorted: the HTTP layer's and
    those of the core's errors (not those of maps' start-up checks)."""
    found = set(_HTTP_CODES.get(status, ()))
    for cls in _subclasses(core.GisGridError):
        if cls.__module__.startswith("gisgrid.") and status_for(cls("")) == status:
            found.add(cls.code)
    return sorted(found)


def _description(status: int) -> str:
    codes = ", ".join(f"`{c}`" for c in codes_for(status))
    meaning = _MEANING.get(status, "Error")
    return f"{meaning} (codes the API sends with {status}: {codes})" if codes else meaning


def error_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of an error status, as the document writes it (for code
    that edits the document itself: api.auth adds 401/403 to operations with security)."""
    return _error(_description(status), HTML)


def _error(description: str, media_type: str) -> dict[str, Any]:
    if media_type == JSON:
        return {"model": ErrorBody, "description": description}
    # FastAPI writes a "model" under the route's own media type (GeoJSON, HTML), but
    # errors are always sent as application/json: name the content explicitly.
    return {"description": description,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


def route_responses(*errors: int, ok: type[BaseModel] | None = None, status: int = 200,
                    media_type: str = JSON,
                    more: Mapping[int, dict[str, Any]] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can answer the error statuses ``errors``.

    ``ok`` documents the success body (status ``status``) for routes that return it
    without ``response_model`` (pre-serialised bytes, or a body not re-validated: see the
    route). ``media_type`` is the route's own (``response_class``). ``more`` adds other
    documented answers as they are. Every route also gets ``default``: any other error
    (405, 500 ``internal_error``) has the same body. Declaring our own 422 also keeps
    FastAPI from documenting its ``{"detail": [...]}`` shape, which this API never sends.
    """
    unknown = [s for s in errors if s not in _MEANING]
    if unknown or list(errors) != sorted(set(errors)):
        raise ValueError(f"error statuses must be distinct, ascending and known: {errors}")
    out: dict[int | str, dict[str, Any]] = {}
    if ok is not None:
        out[status] = {"model": ok}
    for code, extra in (more or {}).items():     # e.g. more content types of the success
        out[code] = {**out.get(code, {}), **extra}
    for s in errors:
        out[s] = _error(_description(s), media_type)
    out["default"] = _error("Any other error (e.g. 405, 500 `internal_error`), "
                            "with the same body", media_type)
    return out



def document_guard_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add to an OpenAPI document what the request guard (``api.guard``) answers for every
    route before the route runs: 414 on any operation, 408 and 413 on those with a body."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = (408, 413, 414) if "requestBody" in operation else (414,)
            for status in statuses:
                operation["responses"].setdefault(str(status), error_response(status))
    return schema
