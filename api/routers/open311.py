"""``/open311/v2``: Open311 GeoReport v2 for hotline and city systems (JSON and XML).

Reads are public (``GISGRID_ANONYMOUS_READS``); posting a request needs credentials:
a bearer token or Open311's ``api_key`` (query or form field). A posted request is taken
in like ``POST /v1/requests`` (source ``open311``), routed at once. Errors keep this
API's body (``{"code", "message"}``), in JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import ApiKeyCaller, Reader
from api.deps import SessionDep
from api.routers.requests import intake_for
from api.schemas.errors import route_responses
from api.schemas.open311 import (
    PostedRequestList,
    ServiceDefinition,
    ServiceList,
    ServiceRequestList,
)
from gisgrid.access import Principal
from gisgrid.db import request_store
from gisgrid.errors import InvalidInputError, NotFoundError, RequestNotFoundError
from gisgrid.requests.open311 import service_definition, service_item, service_request, to_xml
from gisgrid.rules import OPEN_STAGES, REQUEST_STAGES, utc_now

router = APIRouter(prefix="/open311/v2", tags=["open311"])

Format = Annotated[Literal["json", "xml"], Path(description="json or xml")]
#: GeoReport's defaults: the last 90 days, at most 1,000 requests.
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
_XML = "text/xml; charset=utf-8"
_XML_DOC = {"content": {"text/xml": {"schema": {"type": "string"}}}}


def _both(model: type, *errors: int, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The responses of an operation answering JSON (``model``) or XML, by its path."""
    return route_responses(*errors, ok=model, status=status, more={status: _XML_DOC})


def _send(fmt: str, root: str, item: str, items: list[dict[str, Any]], status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, items), status_code=status, media_type=_XML)
    return Response(orjson.dumps(items), status_code=status, media_type="application/json")


def _jurisdiction(session: Any, jurisdiction_id: str | None) -> None:
    if jurisdiction_id is None:
        return
    known = request_store.districts(session)
    if jurisdiction_id not in known:
        raise NotFoundError(f"jurisdiction_id {jurisdiction_id!r} is not served here; "
                            f"jurisdictions: {', '.join(known)}", details={"jurisdictions": known})


def _categories(session: Any) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in request_store.categories(session)}


@router.get("/services.{fmt}", summary="GeoReport v2: the services (request categories)",
            responses=_both(ServiceList, 404, 422, 503))
def services(fmt: Format, session: SessionDep, who: Reader,
             jurisdiction_id: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    _jurisdiction(session, jurisdiction_id)
    return _send(fmt, "services", "service", [service_item(c) for c in _categories(session).values()])


@router.get("/services/{service_code}.{fmt}", summary="GeoReport v2: a service's definition",
            responses=_both(ServiceDefinition, 404, 422, 503))
def service(service_code: Annotated[str, Path(max_length=30)], fmt: Format, session: SessionDep, who: Reader,
            jurisdiction_id: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    _jurisdiction(session, jurisdiction_id)
    cat = _categories(session).get(service_code)
    if cat is None:
        raise NotFoundError(f"no service {service_code!r}")
    definition = service_definition(cat)
    if fmt == "xml":
        return Response(_definition_xml(definition), media_type=_XML)
    return Response(orjson.dumps(definition), media_type="application/json")


def _definition_xml(definition: dict[str, Any]) -> bytes:
    body = to_xml("root", "service_definition", [{"service_code": definition["service_code"],
                                                   "attributes": []}])
    return body.replace(b"<root>", b"").replace(b"</root>", b"")


def _rows(session: Any, who: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {c["code"]: c["name"] for c in request_store.categories(session)}
    return [service_request({**r, "service_name": names.get(r["category"])},
                            precise=who.may_see_personal(r["community_code"])) for r in rows]


@router.get("/requests.{fmt}", summary="GeoReport v2: service requests (default: the last 90 days, "
            "at most 1,000; page/page_size)", responses=_both(ServiceRequestList, 400, 404, 422, 503))
def list_service_requests(
    fmt: Format, session: SessionDep, who: Reader,
    service_request_id: Annotated[str | None, Query(
        pattern=r"^[0-9]{1,10}(,[0-9]{1,10}){0,999}$",
        description="Comma-separated ids (other filters ignored)")] = None,
    service_code: Annotated[str | None, Query(max_length=30)] = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    status: Annotated[str | None, Query(pattern=r"^(open|closed)(,(open|closed))?$")] = None,
    jurisdiction_id: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_REQUESTS)] = MAX_REQUESTS,
) -> Response:
    _jurisdiction(session, jurisdiction_id)
    if service_request_id is not None:
        ids = [int(x) for x in service_request_id.split(",") if int(x) < 2**31]
        _, rows = request_store.list_requests(session, ids=ids, limit=MAX_REQUESTS)
        return _send(fmt, "service_requests", "request", _rows(session, who, rows))
    end = _aware(end_date) or utc_now()
    start = _aware(start_date) or end - dt.timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InvalidInputError("start_date is after end_date")
    stages = None
    if status is not None and set(status.split(",")) != {"open", "closed"}:
        wanted = status.split(",")[0]
        stages = ",".join(s for s in REQUEST_STAGES if (s in OPEN_STAGES) == (wanted == "open"))
    _, rows = request_store.list_requests(session, category=service_code, stage=stages, start=start,
                                          end=end, limit=page_size, offset=(page - 1) * page_size)
    return _send(fmt, "service_requests", "request", _rows(session, who, rows))


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else (t if t.tzinfo else t.replace(tzinfo=dt.UTC))


@router.get("/requests/{request_id}.{fmt}", summary="GeoReport v2: one service request (a list of one)",
            responses=_both(ServiceRequestList, 404, 422, 503))
def get_service_request(request_id: Annotated[int, Path(ge=1, le=2**31 - 1)], fmt: Format,
                        session: SessionDep, who: Reader,
                        jurisdiction_id: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    _jurisdiction(session, jurisdiction_id)
    rows = request_store.get_requests(session, [request_id])
    if not rows:
        raise RequestNotFoundError(f"service request {request_id} does not exist")
    return _send(fmt, "service_requests", "request", _rows(session, who, rows))


_POST_FIELDS = {"api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
                "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
                "media_url"}
_POST_BODY = {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["service_code"],
    "properties": {k: {"type": "number" if k in ("lat", "long") else "string"}
                   for k in sorted(_POST_FIELDS)}}}},
    "required": True}


def _post_doc(form: dict[str, str]) -> dict[str, Any]:
    unknown = set(form) - _POST_FIELDS - {k for k in form if k.startswith("attribute[")}
    if unknown:
        raise InvalidInputError(f"unknown fields: {', '.join(sorted(unknown))}")
    if not form.get("service_code"):
        raise InvalidInputError("service_code is required (GET /open311/v2/services.json)")
    doc: dict[str, Any] = {"category": form["service_code"], "source": "open311",
                           "description": form.get("description") or None}
    if form.get("lat") or form.get("long"):
        try:
            doc["lat"], doc["lon"] = float(form["lat"]), float(form["long"])
        except (KeyError, ValueError) as exc:
            raise InvalidInputError("lat and long must both be numbers") from exc
    elif form.get("address_string"):
        doc["address"] = form["address_string"][:200]
    else:
        raise InvalidInputError("give lat and long, or address_string")
    name = " ".join(x for x in (form.get("last_name"), form.get("first_name")) if x) or None
    if name or form.get("phone"):
        doc["reporter"] = {"name": name and name[:50], "phone": form.get("phone") or None}
    if form.get("media_url"):
        doc["photos"] = [form["media_url"]]
    return doc


@router.post("/requests.{fmt}", status_code=201,
             summary="GeoReport v2: post a service request (form fields; api_key or a bearer token)",
             openapi_extra={"requestBody": _POST_BODY},
             responses=_both(PostedRequestList, 400, 401, 404, 422, 503, status=201))
async def post_service_request(fmt: Annotated[str, Path(description="json or xml")], request: Request,
                               who: ApiKeyCaller) -> Response:
    who.require_signed_in()          # before anything else: anonymous callers learn nothing
    if fmt not in ("json", "xml"):
        raise NotFoundError(f"requests.{fmt[:10]}: the formats are json and xml")
    raw = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        try:
            form = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidInputError("the body is not valid JSON") from exc
        if not isinstance(form, dict):
            raise InvalidInputError("the body must be an object of GeoReport fields")
        form = {k: str(v) for k, v in form.items() if v is not None}
    else:
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    doc = _post_doc(form)
    maker = request.app.state.sessionmaker

    def run() -> dict[str, Any]:
        with maker() as session:
            _jurisdiction(session, form.get("jurisdiction_id"))
            return intake_for(request, session, doc, who)

    taken = await run_in_threadpool(run)
    community = taken["community"]["name"] if taken["community"] else ""
    notice = f"已受理，由{taken['grid']['name']}（{community}）处理"
    return _send(fmt, "service_requests", "request",
                 [{"service_request_id": str(taken["id"]), "service_notice": notice, "account_id": None}],
                 status=201)
