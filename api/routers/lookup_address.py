"""``/v1/lookup/address``: which grid, and which people, a written address belongs to.

Answered from the gazetteer kept in memory (``gisgrid.address.cache``), built once per
registry version; a batch (``POST``) is for register imports: many addresses, one
answer (or null) each, in input order.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import Reader, ServiceCaller, access_settings
from api.heavy import BULK_BODY
from api.lookup_query import DATE_DOC
from api.schemas.errors import route_responses
from api.schemas.lookup import AddressLookup, BatchAddressLookup
from gisgrid.access import Principal, address_answer_for, address_answers_for, outsider_view
from gisgrid.address.cache import AddressCache
from gisgrid.address.lookup import (
    MAX_BATCH,
    MAX_QUERY,
    lookup_address,
    lookup_addresses,
    lookup_addresses_json,
)
from gisgrid.errors import InvalidInputError, InvalidJSONError, TooLongError
from gisgrid.rules import today

router = APIRouter(prefix="/v1/lookup", tags=["lookup"])

#: Largest batch body (bytes): MAX_BATCH addresses of a few dozen characters each.
MAX_BODY = 32 * 1024 * 1024


def _json(value: Any) -> Response:
    return Response(content=orjson.dumps(value), media_type="application/json")


def _day(date: Any) -> dt.date | None:
    if date is None:
        return None
    try:
        return dt.date.fromisoformat(str(date))
    except ValueError as exc:
        raise InvalidInputError(f"date must be YYYY-MM-DD, got {date!r}") from exc


def _check_length(q: str, request: Request) -> None:
    """Refuse an address longer than GISGRID_MAX_ADDRESS_CHARS before any parsing: the cost
    of matching grows with the text's length."""
    limit = min(request.app.state.settings.limits.max_address_chars, MAX_QUERY)
    if len(q) > limit:
        raise TooLongError(f"an address may be at most {limit} characters "
                           f"(GISGRID_MAX_ADDRESS_CHARS), got {len(q):,}",
                           details={"limit": limit, "limit_name": "max_address_chars"})


def _one(cache: AddressCache, who: Principal, public_names: bool, q: str, coordsys: str,
         on: dt.date | None) -> dict[str, Any]:
    gaz, view = cache.get(on or today())
    return address_answer_for(who, lambda rooms: lookup_address(
        None, q, coordsys=coordsys, gazetteer=gaz, view=view, rooms=rooms), public_names=public_names)


# Documented, not re-validated: the answer is built by gisgrid.address and sent as it is.
@router.get("/address", summary="Resolve a written address to its place, grid, areas and team "
            "(404 address_not_found)", responses=route_responses(400, 404, 422, 503, ok=AddressLookup))
async def lookup_by_address(
    request: Request,
    who: Reader,
    q: Annotated[str, Query(min_length=1,
                            description="The address as written: formal, hotline text, a shop, a landmark")],
    coordsys: Annotated[str, Query(description="Coordinate system of returned locations.")] = "wgs84",
    date: Annotated[dt.date | None, Query(description=DATE_DOC)] = None,
) -> Response:
    _check_length(q, request)
    return _json(await run_in_threadpool(_one, request.app.state.addresses, who,
                                         access_settings(request).public_team_names, q, coordsys, date))


def _batch(cache: AddressCache, who: Principal, public_names: bool, limit: int, raw: bytes) -> bytes:
    if len(raw) > MAX_BODY:
        raise InvalidInputError(f"the body is over {MAX_BODY // 2**20} MiB; send at most {MAX_BATCH:,} "
                                "addresses a request")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSONError("The request body is not valid JSON.") from exc
    queries = doc.get("queries") if isinstance(doc, dict) else None
    if not isinstance(queries, list):
        raise InvalidInputError('the body must be {"queries": ["address", ...], "coordsys": ..., '
                                '"date": ...}')
    for i, q in enumerate(queries):
        if not isinstance(q, str):
            raise InvalidInputError(f"queries[{i}] must be a string", details={"index": i})
        if len(q) > limit:
            raise TooLongError(f"queries[{i}]: an address may be at most {limit} characters "
                               f"(GISGRID_MAX_ADDRESS_CHARS), got {len(q):,}",
                               details={"limit": limit, "limit_name": "max_address_chars", "index": i})
    coordsys = doc.get("coordsys", "wgs84")
    if not isinstance(coordsys, str):
        raise InvalidInputError("coordsys must be a string")
    on = _day(doc.get("date"))
    gaz, view = cache.get(on or today())
    if who.is_admin or who.role in ("planner", "staff"):
        # Rooms for the communities this caller may see, units elsewhere: answer by answer.
        return orjson.dumps({"results": address_answers_for(who, queries, lambda qs, rooms: lookup_addresses(
            None, qs, coordsys=coordsys, gazetteer=gaz, view=view, rooms=rooms), public_names=public_names)})
    # The bulk case (consumers, anonymous callers): down to the unit, each answer written as
    # it is made (no tree of dicts to hold), as the caller may see it.
    return lookup_addresses_json(
        None, queries, coordsys=coordsys, gazetteer=gaz, view=view, rooms=False,
        redact=lambda a: outsider_view(a, who, rooms=False, public_names=public_names))


_BATCH_BODY = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["queries"],
    "properties": {
        "queries": {"type": "array", "items": {"type": "string", "maxLength": MAX_QUERY},
                    "maxItems": MAX_BATCH},
        "coordsys": {"type": "string", "enum": ["wgs84", "cgcs2000", "gcj02", "bd09"]},
        "date": {"type": "string", "format": "date"},
    }}}}, "required": True}


@router.post("/address", summary="Batch address lookup: one answer (or null) per address, in input order",
             openapi_extra={"requestBody": _BATCH_BODY, BULK_BODY: True},
             responses=route_responses(400, 503, ok=BatchAddressLookup))
async def lookup_by_addresses(request: Request, who: ServiceCaller) -> Response:
    raw = await request.body()
    limit = min(request.app.state.settings.limits.max_address_chars, MAX_QUERY)
    body = await run_in_threadpool(_batch, request.app.state.addresses, who,
                                   access_settings(request).public_team_names, limit, raw)
    return Response(content=body, media_type="application/json")
