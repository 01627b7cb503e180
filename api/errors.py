"""One table from core errors to HTTP statuses, and the JSON error body for all of them.

Every 4xx/5xx body is ``{"code": ..., "message": ..., "details"?: ...}``. Only 5xx are
logged as errors; the user sees a safe message, the log gets the traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gisgrid import errors as core

log = logging.getLogger("gisgrid.api")

STATUS_BY_ERROR: dict[type[core.GisGridError], int] = {
    core.InvalidInputError: 400,
    core.NotAuthenticatedError: 401,   # answered by api.auth, with its WWW-Authenticate challenge
    core.PermissionDeniedError: 403,
    core.TooLargeError: 413,
    core.NotFoundError: 404,
    core.ConflictError: 409,
    core.DatabaseUnavailableError: 503,
    core.LocalClusterError: 503,
    core.WorkTimeoutError: 503,
    core.BusyError: 503,
    core.WorkerLostError: 503,
}

VALUE_REFUSED = "a value in the request cannot be stored or compared (out of range or not valid text)"

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               406: "not_acceptable", 408: "request_timeout", 413: "payload_too_large",
               414: "uri_too_long", 415: "unsupported_media_type"}


def error_body(code: str, message: str, details: object | None = None) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def status_for(exc: core.GisGridError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]  # type: ignore[index]
    return 500


async def _gisgrid_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, core.GisGridError)
    status = status_for(exc)
    if status >= 500:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.message)
    headers = {"retry-after": "5"} if isinstance(exc, core.BusyError) else None
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status,
                        headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        return JSONResponse(error_body("invalid_json", "The request body is not valid JSON."),
                            status_code=400)
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
               for e in errs]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return JSONResponse(
        error_body("invalid_request", f"{where}: {first['msg']}" if where else str(first["msg"]),
                   details),
        status_code=422,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such path: {request.url.path}"
    return JSONResponse(error_body(code, message), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value PostgreSQL refused (SQLSTATE class 22: out of range, NUL, bad syntax) came
    from the request; the edge checks the known ones, this catches the rest as a 400."""
    assert isinstance(exc, DataError)
    log.warning("value refused by the database on %s %s: %s", request.method, request.url.path,
                getattr(exc, "orig", exc))
    return JSONResponse(error_body(core.InvalidValueError.code, VALUE_REFUSED), status_code=400)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal_error", "An internal error occurred; it was logged."),
                        status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(core.GisGridError, _gisgrid_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
