"""``/v1/requests``: take residents' requests in, route them, move them through their stages,
and measure how areas handle them.

Intake routes with the server's in-memory lookup index (``app.state.lookups``, the one
``GET /v1/lookup`` answers from) and, for addresses, the address cache; both are the
core's (:mod:`gisgrid.requests`). Reporters (names, phones) are shown only to callers
who may see the personal data of the request's community.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from api.auth import Reader, SignedIn, access_settings
from api.deps import SessionDep
from api.heavy import BULK_BODY
from api.intake_group import IntakeGroups
from api.schemas.errors import route_responses
from api.schemas.requests import (
    Categories,
    RequestBatchIn,
    RequestBatchTaken,
    RequestIn,
    RequestOut,
    RequestPage,
    RequestStats,
    RequestTaken,
    TransitionIn,
)
from gisgrid.access import Principal
from gisgrid.address.lookup import lookup_address
from gisgrid.db import request_store
from gisgrid.errors import DatabaseUnavailableError, InvalidJSONError, RequestNotFoundError
from gisgrid.export.requests import STATS_XLSX, stats_workbook
from gisgrid.requests import (
    REQUEST_STAGES,
    TRANSITIONS,
    Intake,
    RulesCache,
    move_request,
    request_answer,
    request_stats,
    take_in,
)
from gisgrid.requests.batch import MAX_BATCH, check_batch_size, take_in_batch, take_in_group
from gisgrid.requests.intake import DUPLICATE_M
from gisgrid.rules import CHINA_TZ, today

router = APIRouter(prefix="/v1/requests", tags=["requests"])

RequestId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The request's id")]
AreaCode = Annotated[str, Query(pattern=r"^[0-9]{6,15}$",
                                description="A grid (15 digits), community, subdistrict or district code")]


def rules_of(request: Request) -> RulesCache:
    """The app's cache of request rules (categories, calendar), made on first use."""
    cache = getattr(request.app.state, "request_rules", None)
    if cache is None:
        cache = request.app.state.request_rules = RulesCache()
    return cache


def intake_for(request: Request, session: Any, doc: dict[str, Any], who: Principal) -> dict[str, Any]:
    """Take one request in with the server's lookup and address caches (also Open311's POST)."""
    on = today()
    lookups = request.app.state.lookups
    index = lookups.ready(on) or lookups.get(on)

    def resolve(q: str) -> dict[str, Any]:
        gaz, view = request.app.state.addresses.get(on)
        return lookup_address(None, q, gazetteer=gaz, view=view, rooms=False)

    taken = take_in(session, Intake.from_dict(doc), index=index, rules=rules_of(request).get(session),
                    resolve_address=resolve, actor=who.user)
    session.commit()
    if not who.sees_team_names(access_settings(request).public_team_names):
        taken["team"] = [{"role": m["role"], "name": None} for m in taken["team"]]
    return taken


def _intake_unit(request: Request, doc: dict[str, Any], who: Principal) -> dict[str, Any]:
    """One intake as one unit of work, in one worker thread (session opened, used, closed)."""
    with request.app.state.sessionmaker() as session:
        try:
            return intake_for(request, session, doc, who)
        except OperationalError as exc:
            session.rollback()
            raise DatabaseUnavailableError("the database is unreachable; try again later") from exc


def _group_unit(app: Any, items: list[tuple[dict[str, Any], Principal]]) -> list[Any]:
    """Intakes that arrived together, written as one group (``api.intake_group``): the
    answer or the error of each, as :func:`intake_for` would give it alone."""
    on = today()
    index = app.state.lookups.ready(on) or app.state.lookups.get(on)

    def resolve(q: str) -> dict[str, Any]:
        gaz, view = app.state.addresses.get(on)
        return lookup_address(None, q, gazetteer=gaz, view=view, rooms=False)

    cache = getattr(app.state, "request_rules", None) or RulesCache()
    app.state.request_rules = cache
    with app.state.sessionmaker() as session:
        try:
            out = take_in_group(session, [(doc, who.user) for doc, who in items], index=index,
                                rules=cache.get(session), resolve_address=resolve)
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise DatabaseUnavailableError("the database is unreachable; try again later") from exc
    public = app.state.settings.access.public_team_names
    for taken, (_, who) in zip(out, items, strict=True):
        if isinstance(taken, dict) and not who.sees_team_names(public):
            taken["team"] = [{"role": m["role"], "name": None} for m in taken["team"]]
    return out


def intake_groups(request: Request) -> IntakeGroups:
    """The app's queue of single intakes written by group commit, made on first use."""
    groups = getattr(request.app.state, "intake_groups", None)
    if groups is None:
        app = request.app
        groups = app.state.intake_groups = IntakeGroups(lambda items: _group_unit(app, items))
    return groups


@router.post("", status_code=201, summary="Take a request in: routed at once to the grid owning its place",
             response_model=RequestTaken, responses=route_responses(400, 401, 404, 409, 422, 503))
async def create_request(body: RequestIn, request: Request, who: SignedIn) -> dict[str, Any]:
    doc = body.model_dump(exclude_none=True, mode="json")
    if request.app.state.settings.server.group_intake:
        # Intakes arriving together are written together: one thread hop, one commit.
        return await intake_groups(request).submit(doc, who)
    # One intake, one unit of work in one hop to a worker thread.
    return await run_in_threadpool(_intake_unit, request, doc, who)


_BATCH_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["requests"], "additionalProperties": False,
    "properties": {"requests": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH,
                                "items": {"$ref": "#/components/schemas/RequestIn"},
                                "description": "Each as POST /v1/requests takes it"}}}}}}


def _batch_docs(raw: bytes) -> list[dict[str, Any]]:
    """The batch's requests checked as ``POST /v1/requests`` checks one (422 naming the item)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSONError("The request body is not valid JSON (NaN and Infinity are not JSON).") from exc
    if isinstance(doc, dict) and isinstance(doc.get("requests"), list):
        check_batch_size(len(doc["requests"]))
    try:
        body = RequestBatchIn.model_validate(doc)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    return [r.model_dump(exclude_none=True, mode="json") for r in body.requests]


def _batch_unit(request: Request, raw: bytes, who: Principal) -> bytes:
    """A batch as one unit of work in one worker thread: parsed, routed, written, committed."""
    docs = _batch_docs(raw)
    on = today()
    lookups = request.app.state.lookups
    index = lookups.ready(on) or lookups.get(on)

    def resolve(q: str) -> dict[str, Any]:
        gaz, view = request.app.state.addresses.get(on)
        return lookup_address(None, q, gazetteer=gaz, view=view, rooms=False)

    with request.app.state.sessionmaker() as session:
        try:
            taken = take_in_batch(session, docs, index=index, rules=rules_of(request).get(session),
                                  resolve_address=resolve, actor=who.user)
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise DatabaseUnavailableError("the database is unreachable; try again later") from exc
    if not who.sees_team_names(access_settings(request).public_team_names):
        for t in taken:
            t["team"] = [{"role": m["role"], "name": None} for m in t["team"]]
    return orjson.dumps({"requests": taken})


@router.post("/batch", status_code=201,
             summary=f"Take many requests in at once (at most {MAX_BATCH:,}): all or none, each routed "
                     "and answered as it would be alone",
             description="For systems that forward many requests (the 12345 hotline, patrol apps "
                         "syncing after being offline). One transaction: a request that fails stops "
                         "the batch with its error, naming its index (`details.index`), and nothing "
                         "is written. Likely duplicates of each request are the open requests "
                         "already stored and the earlier requests of its batch.",
             openapi_extra={"requestBody": _BATCH_BODY, BULK_BODY: True},
             responses=route_responses(400, 401, 404, 409, 413, 422, 503, ok=RequestBatchTaken, status=201))
async def create_requests(request: Request, who: SignedIn) -> Response:
    raw = await request.body()
    async with request.app.state.batch_slots:
        body = await run_in_threadpool(_batch_unit, request, raw, who)
    return Response(body, status_code=201, media_type="application/json")


def _view(request: Request, session: Any, row: dict[str, Any], who: Principal, *,
          detail: bool) -> dict[str, Any]:
    names = who.sees_team_names(access_settings(request).public_team_names)
    personal = who.may_see_personal(row["community_code"])
    extra: dict[str, Any] = {}
    if detail:
        if who.signed_in:
            extra["events"] = request_store.events(session, row["id"])
        if personal:
            extra["reporters"] = request_store.reporters(session, row["id"])
        if row["stage"] not in ("closed", "duplicate"):
            extra["duplicates"] = request_store.nearby_open(
                session, row["lon"], row["lat"], row["category"], within_m=DUPLICATE_M, exclude=row["id"])
    return request_answer(row, team_names=names, precise=personal, **extra)


@router.get("/categories", summary="The categories with their time limits, the stages and transitions",
            response_model=Categories, responses=route_responses(503))
def categories(session: SessionDep, who: Reader) -> dict[str, Any]:
    return {"categories": request_store.categories(session), "stages": list(REQUEST_STAGES),
            "transitions": {k: list(v) for k, v in TRANSITIONS.items()}}


@router.get("/stats", summary="Assessment figures (考核) of an area for the requests received in a period",
            response_model=RequestStats, response_model_by_alias=True, response_model_exclude_unset=True,
            responses=route_responses(400, 404, 422, 503))
def stats(session: SessionDep, who: Reader, area: AreaCode,
          from_: Annotated[dt.date | None, Query(alias="from",
                                                 description="First day (China), default to - 29")] = None,
          to: Annotated[dt.date | None, Query(description="Last day (China), default today")] = None,
          parts: Annotated[bool, Query(description="Also the figures of each part: a district's "
                                       "subdistricts, "
                                       "a subdistrict's communities, a community's grids")] = False,
          ) -> dict[str, Any]:
    return request_stats(session, area, start=from_, end=to, parts=parts)


@router.get("/stats.xlsx", summary="The assessment figures as an Excel workbook, with one row per grid",
            response_class=Response,
            responses={200: {"content": {STATS_XLSX: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the workbook"}, **route_responses(400, 404, 422, 503)})
def stats_xlsx(session: SessionDep, who: Reader, area: AreaCode,
               from_: Annotated[dt.date | None, Query(alias="from")] = None,
               to: Annotated[dt.date | None, Query()] = None) -> Response:
    name, data = stats_workbook(session, area, start=from_, end=to)
    return Response(content=data, media_type=STATS_XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("", summary="Requests by grid, community, stage, category, overdue and period (paged)",
            response_model=RequestPage, response_model_exclude_unset=True, response_model_by_alias=True,
            responses=route_responses(400, 422, 503))
def list_requests(
    request: Request, session: SessionDep, who: Reader,
    grid: Annotated[str | None, Query(pattern=r"^[0-9]{15}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    stage: Annotated[str | None, Query(pattern=r"^[a-z_]+(,[a-z_]+){0,9}$",
                                       description="A stage, or several separated by commas")] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    overdue: bool | None = None,
    from_: Annotated[dt.date | None, Query(alias="from",
                                           description="Received on or after (China day)")] = None,
    to: Annotated[dt.date | None, Query(description="Received on or before (China day)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    start = None if from_ is None else dt.datetime.combine(from_, dt.time(), CHINA_TZ)
    end = None if to is None else dt.datetime.combine(to + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    total, rows = request_store.list_requests(session, grid=grid, community=community, stage=stage,
                                              category=category, overdue=overdue, start=start, end=end,
                                              limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset,
            "requests": [_view(request, session, r, who, detail=False) for r in rows]}


def _one(session: Any, request_id: int) -> dict[str, Any]:
    rows = request_store.get_requests(session, [request_id])
    if not rows:
        raise RequestNotFoundError(f"request {request_id} does not exist")
    return rows[0]


@router.get("/{request_id}", summary="One request: routing, stage, clock, history (reporters for its staff)",
            response_model=RequestOut, response_model_exclude_unset=True, response_model_by_alias=True,
            responses=route_responses(404, 422, 503))
def get_request(request_id: RequestId, request: Request, session: SessionDep, who: Reader) -> dict[str, Any]:
    return _view(request, session, _one(session, request_id), who, detail=True)


@router.post("/{request_id}/transitions",
             summary="Move a request to another stage (409 transition_not_allowed with the allowed ones)",
             response_model=RequestOut, response_model_exclude_unset=True, response_model_by_alias=True,
             responses=route_responses(400, 401, 403, 404, 409, 422, 503))
def transition(request_id: RequestId, body: TransitionIn, request: Request, session: SessionDep,
               who: SignedIn) -> dict[str, Any]:
    row = _one(session, request_id)
    who.require_personal(row["community_code"] or "")
    move_request(session, request_id, body.to, rules=rules_of(request).get(session), note=body.note,
                 actor=who.user, master=body.master, department=body.department)
    session.commit()
    return _view(request, session, _one(session, request_id), who, detail=True)
