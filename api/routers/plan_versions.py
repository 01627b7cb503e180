"""Plan versions: make drafts, edit them, activate them, and diff two plans."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from shapely.geometry import shape

from api.deps import SessionDep
from api.heavy import body_job, json_body, json_bytes, parse_body, run_heavy
from api.params import DbId, DbInt
from api.workers import worker_session
from gisgrid.db import plan_store, queries
from gisgrid.errors import InvalidInputError
from gisgrid.io.geojson import geometry_problems, read_features
from gisgrid.plans.activation import activate_plan
from gisgrid.plans.versions import apply_edit, create_draft, diff_plans, generate_community

router = APIRouter(prefix="/v1/plans", tags=["plan versions"])


class DraftRequest(BaseModel):
    scope: str = Field(max_length=12, description="Code of the area the plan covers, e.g. 610802")
    name: str = Field(max_length=200)
    source: Literal["copy_active", "upload"] = "copy_active"
    grids: dict[str, Any] | None = Field(
        None, description="upload: FeatureCollection; properties community (code), name, kind, code")
    author: str | None = Field(None, max_length=100)
    note: str | None = None
    effective_from: dt.date | None = None


class GenerateRequest(BaseModel):
    version: DbInt
    community: str
    min_households: DbInt = Field(100, ge=1)
    max_households: DbInt = Field(600, ge=1)


class EditRequest(BaseModel):
    version: DbInt = Field(description="The plan version the edit was made on (optimistic lock)")
    op: Literal["split", "merge", "move", "replace", "renumber"]
    grid: DbId | None = None
    grids: list[DbId] | None = None
    line: dict[str, Any] | None = Field(None, description="split: a drawn GeoJSON LineString")
    street: str | None = Field(None, description="split: along the named street")
    from_grid: DbId | None = None
    to_grid: DbId | None = None
    area: dict[str, Any] | None = Field(None, description="move: GeoJSON polygon (e.g. a block)")
    boundary: dict[str, Any] | None = Field(None, description="replace: GeoJSON polygon")
    community: str | None = Field(None, description="renumber: community code")


class ActivateRequest(BaseModel):
    version: DbInt | None = None
    effective_from: dt.date | None = None


def _geom(doc: dict[str, Any] | None, what: str) -> Any:
    if doc is None:
        return None
    problems = geometry_problems(doc, what, orientation=False)
    if problems:
        raise InvalidInputError(problems[0], details={"problems": problems})
    return shape(doc)


@router.post("", status_code=201, summary="Create a draft plan (copy of the active one, or uploaded)",
             openapi_extra=json_body(DraftRequest))
async def create(request: Request) -> Response:
    answer = await body_job(request, create_job)
    answer.status_code = 201
    return answer


def create_job(raw: bytes) -> bytes:
    """``POST /v1/plans`` in a worker: an upload is parsed, checked and written there."""
    body = parse_body(DraftRequest, raw)
    grids = None
    if body.source == "upload":
        feats = read_features(body.grids, what="grids", geometry_types=("Polygon", "MultiPolygon"),
                              require_id=False)
        props = [f.get("properties") or {} for f in (body.grids or {}).get("features", [])]
        grids = [{**p, "geometry": g} for p, (_, g) in zip(props, feats, strict=True)]
    with worker_session() as session:
        plan_id = create_draft(session, scope=body.scope, name=body.name, source=body.source,
                               grids=grids, author=body.author, note=body.note,
                               effective_from=body.effective_from)
        session.commit()
        return json_bytes(queries.get_plan(session, plan_id))


@router.post("/{plan_id}/generate", summary="Regenerate one community's grids of a draft from its streets")
async def generate(plan_id: DbId, body: GenerateRequest, request: Request) -> Response:
    return Response(await run_heavy(request, generate_job, plan_id, body), media_type="application/json")


def generate_job(plan_id: int, body: GenerateRequest) -> bytes:
    """``POST /v1/plans/{id}/generate`` in a worker (writes the grids and commits)."""
    with worker_session() as session:
        result = generate_community(session, plan_id, community=body.community,
                                    expected_version=body.version,
                                    bounds=(body.min_households, body.max_households))
        session.commit()
        return json_bytes(result)


@router.post("/{plan_id}/edits", summary="Edit a draft: split, merge, move, replace, renumber",
             openapi_extra=json_body(EditRequest))
async def edit(plan_id: DbId, request: Request) -> Response:
    return await body_job(request, edit_job, plan_id)


def _edit_args(body: EditRequest) -> dict[str, Any]:
    args: dict[str, Any] = {
        "split": lambda: {"grid": body.grid, "line": _geom(body.line, "line"), "street": body.street},
        "merge": lambda: {"grids": body.grids or []},
        "move": lambda: {"from_grid": body.from_grid, "to_grid": body.to_grid,
                         "area": _geom(body.area, "area")},
        "replace": lambda: {"grid": body.grid, "boundary": _geom(body.boundary, "boundary")},
        "renumber": lambda: {"community": body.community},
    }[body.op]()
    missing = [k for k, v in args.items() if v is None and k not in ("line", "street")]
    if missing:
        raise InvalidInputError(f"{body.op} needs {', '.join(missing)}")
    return args


def edit_job(raw: bytes, plan_id: int) -> bytes:
    """``POST /v1/plans/{id}/edits`` in a worker: the drawn geometry is parsed there."""
    body = parse_body(EditRequest, raw)
    args = _edit_args(body)
    with worker_session() as session:
        result = apply_edit(session, plan_id, body.op, expected_version=body.version, **args)
        session.commit()
        return json_bytes(result.to_dict())


@router.post("/{plan_id}/activate", summary="Activate a draft (refused with 409 unless its coverage passes)")
def activate(plan_id: DbId, body: ActivateRequest, session: SessionDep) -> dict[str, Any]:
    if body.version is not None:
        plan_store.bump_version(session, plan_id, expected=body.version)
    activate_plan(session, plan_id, effective_from=body.effective_from)
    session.commit()
    return queries.get_plan(session, plan_id)


@router.get("/{plan_id}/diff", summary="Households and shops that move between two plans")
def diff(plan_id: DbId, session: SessionDep,
         before: Annotated[DbId | None, Query(description="The other plan (default: the plan it "
                                              "was made from)")] = None) -> dict[str, Any]:
    plan = queries.get_plan(session, plan_id)
    other = before if before is not None else plan["parent_id"]
    if other is None:
        raise InvalidInputError(f"plan {plan_id} has no parent plan: name one with ?before=")
    queries.get_plan(session, other)
    return diff_plans(session, other, plan_id)
