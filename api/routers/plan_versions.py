"""Plan versions: make drafts, edit them, activate them, and diff two plans.

Heavy writes (an upload, an edit with drawn geometry, generate, redraw) run in the worker
pool (``api.heavy``): the route checks who asks and hands the work over with the actor;
the job opens its own session, commits, and answers bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from shapely.geometry import shape

from api.auth import PlanEditor, Planner, public_reader
from api.deps import SessionDep
from api.heavy import body_job, json_body, json_bytes, parse_body, run_heavy
from api.params import DbId, DbInt
from api.schemas.errors import route_responses
from api.schemas.plans import Plan, PlanDiff, PlanEdit, PlanGenerated, PlanRedraw
from api.workers import worker_session
from gisgrid.access import Principal
from gisgrid.db import plan_store, queries
from gisgrid.errors import InvalidInputError
from gisgrid.io.geojson import geometry_problems, read_features
from gisgrid.plans.activation import activate_plan
from gisgrid.plans.redraw import redraw_draft
from gisgrid.plans.versions import apply_edit, create_draft, diff_plans, generate_community

router = APIRouter(prefix="/v1/plans", tags=["plan versions"])


_MIN_DOC = "Fewest households a grid may hold"
_MAX_DOC = "Most households a grid may hold"


class DraftRequest(BaseModel):
    scope: str = Field(max_length=12, description="Code of the area the plan covers, e.g. 610802")
    name: str = Field(max_length=200)
    source: Literal["copy_active", "upload"] = "copy_active"
    grids: dict[str, Any] | None = Field(
        None, description="upload: FeatureCollection; properties community (code), name, kind, code")
    author: str | None = Field(None, max_length=100)
    note: str | None = None
    effective_from: dt.date | None = None
    min_households: DbInt | None = Field(None, description=_MIN_DOC + " (default: the copied plan's)")
    max_households: DbInt | None = Field(None, description=_MAX_DOC + " (default: the copied plan's)")


class GenerateRequest(BaseModel):
    version: DbInt
    community: str
    min_households: DbInt | None = Field(None, description=_MIN_DOC + " (default: the plan's)")
    max_households: DbInt | None = Field(None, description=_MAX_DOC + " (default: the plan's)")


class EditRequest(BaseModel):
    version: DbInt = Field(description="The plan version the edit was made on (optimistic lock)")
    op: Literal["split", "merge", "move", "replace", "renumber", "reassign", "team"]
    grid: DbId | None = None
    grids: list[DbId] | None = None
    line: dict[str, Any] | None = Field(None, description="split: a drawn GeoJSON LineString")
    street: str | None = Field(None, description="split: along the named street")
    from_grid: DbId | None = None
    to_grid: DbId | None = None
    area: dict[str, Any] | None = Field(None, description="move: GeoJSON polygon (e.g. a block)")
    boundary: dict[str, Any] | None = Field(None, description="replace: GeoJSON polygon")
    community: str | None = Field(None, description="renumber: community code")
    assignment: list[dict[str, Any]] | None = Field(
        None, max_length=1000, description="reassign: per touched grid {grid: id or new-N, "
                                           "units: [unit ids], name?}; every unit of a named grid must be "
                                           "listed (see GET /v1/plans/{id}/units)")
    digests: dict[str, str] | None = Field(None, description="reassign: community code -> units digest, "
                                                             "as GET /v1/plans/{id}/units gave them")
    teams: list[dict[str, Any]] | None = Field(
        None, max_length=1000, description="reassign: teams to set, {grid: id or new-N, leader, full_time, "
                                           "part_time} (staff ids)")
    team: dict[str, Any] | None = Field(None, description="team: {leader: id|null, full_time: id|null, "
                                                          "part_time: [ids]}, the grid's whole team")


AreaCode = Annotated[str, StringConstraints(min_length=1, max_length=12)]


class RedrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: DbInt = Field(description="The plan version the redraw is made on (optimistic lock)")
    community: AreaCode | Annotated[list[AreaCode], Field(max_length=500)] | None = Field(
        None, description="Community code(s) to redraw (default: every community "
                                          "with a residential grid outside the bounds)")
    min_households: int | None = Field(None, ge=0, le=1_000_000, description="default: the plan's")
    max_households: int | None = Field(None, ge=1, le=1_000_000, description="default: the plan's")
    dry_run: bool = Field(False, description="Propose only: nothing is written")


class ActivateRequest(BaseModel):
    version: DbInt | None = None
    effective_from: dt.date | None = None
    team_override: str | None = Field(None, max_length=500,
                                      description="Why grids without leader or full-time worker may be "
                                                  "activated (else 409 team_incomplete)")


def _geom(doc: dict[str, Any] | None, what: str) -> Any:
    if doc is None:
        return None
    problems = geometry_problems(doc, what, orientation=False)
    if problems:
        raise InvalidInputError(problems[0], details={"problems": problems})
    return shape(doc)


@router.post("", status_code=201, summary="Create a draft plan (copy of the active one, or uploaded)",
             openapi_extra=json_body(DraftRequest),
             responses=route_responses(400, 404, 413, 422, 503, ok=Plan, status=201))
async def create(request: Request, who: Planner) -> Response:
    answer = await body_job(request, create_job, who)
    answer.status_code = 201
    return answer


def create_job(raw: bytes, who: Principal) -> bytes:
    """``POST /v1/plans`` in a worker: an upload is parsed, checked and written there."""
    body = parse_body(DraftRequest, raw)
    who.require_plan_editor(body.scope)
    grids = None
    if body.source == "upload":
        feats = read_features(body.grids, what="grids", geometry_types=("Polygon", "MultiPolygon"),
                              require_id=False)
        props = [f.get("properties") or {} for f in (body.grids or {}).get("features", [])]
        grids = [{**p, "geometry": g} for p, (_, g) in zip(props, feats, strict=True)]
    with worker_session() as session:
        plan_id = create_draft(session, scope=body.scope, name=body.name, source=body.source,
                               grids=grids, author=body.author or who.user, note=body.note,
                               effective_from=body.effective_from,
                               household_bounds=(body.min_households, body.max_households),
                               actor=who.user)
        session.commit()
        return json_bytes(queries.get_plan(session, plan_id))


# Documented, not re-validated (sent as built): the planner's figures and block ids go out
# exactly as the core computed them.
@router.post("/{plan_id}/generate", summary="Regenerate one community's grids of a draft from its streets",
             responses=route_responses(400, 404, 409, 422, 503, ok=PlanGenerated))
async def generate(plan_id: DbId, body: GenerateRequest, request: Request, who: PlanEditor) -> Response:
    return Response(await run_heavy(request, generate_job, plan_id, body, who.user),
                    media_type="application/json")


def generate_job(plan_id: int, body: GenerateRequest, actor: str | None) -> bytes:
    """``POST /v1/plans/{id}/generate`` in a worker (writes the grids and commits)."""
    with worker_session() as session:
        result = generate_community(session, plan_id, community=body.community,
                                    expected_version=body.version,
                                    bounds=(body.min_households, body.max_households), actor=actor)
        session.commit()
        return json_bytes(result)


@router.post("/{plan_id}/edits", summary="Edit a draft: split, merge, move, replace, renumber, reassign "
                                         "(the editor's save), team",
             openapi_extra=json_body(EditRequest),
             responses=route_responses(400, 404, 409, 413, 422, 503, ok=PlanEdit))
async def edit(plan_id: DbId, request: Request, who: PlanEditor) -> Response:
    return await body_job(request, edit_job, plan_id, who.user)


def _edit_args(body: EditRequest) -> dict[str, Any]:
    args: dict[str, Any] = {
        "split": lambda: {"grid": body.grid, "line": _geom(body.line, "line"), "street": body.street},
        "merge": lambda: {"grids": body.grids or []},
        "move": lambda: {"from_grid": body.from_grid, "to_grid": body.to_grid,
                         "area": _geom(body.area, "area")},
        "replace": lambda: {"grid": body.grid, "boundary": _geom(body.boundary, "boundary")},
        "renumber": lambda: {"community": body.community},
        "reassign": lambda: {"assignment": body.assignment, "digests": body.digests or {},
                             "teams": body.teams},
        "team": lambda: {"grid": body.grid, "team": body.team},
    }[body.op]()
    missing = [k for k, v in args.items() if v is None and k not in ("line", "street", "teams")]
    if missing:
        raise InvalidInputError(f"{body.op} needs {', '.join(missing)}")
    return args


def edit_job(raw: bytes, plan_id: int, actor: str | None) -> bytes:
    """``POST /v1/plans/{id}/edits`` in a worker: the drawn geometry is parsed there."""
    body = parse_body(EditRequest, raw)
    args = _edit_args(body)
    with worker_session() as session:
        result = apply_edit(session, plan_id, body.op, expected_version=body.version, actor=actor, **args)
        session.commit()
        return json_bytes(result.to_dict())


# Documented, not re-validated: the answer carries GeoJSON geometries, sent as built.
@router.post("/{plan_id}/redraw", summary="Redraw a draft's grids that broke their household bounds, "
                                          "moving the fewest households",
             responses=route_responses(400, 404, 409, 422, 503, ok=PlanRedraw))
async def redraw(plan_id: DbId, body: RedrawRequest, request: Request, who: PlanEditor) -> Response:
    return Response(await run_heavy(request, redraw_job, plan_id, body, who.user),
                    media_type="application/json")


def redraw_job(plan_id: int, body: RedrawRequest, actor: str | None) -> bytes:
    """``POST /v1/plans/{id}/redraw`` in a worker (writes the redraw unless a dry run)."""
    communities = [body.community] if isinstance(body.community, str) else body.community
    with worker_session() as session:
        result = redraw_draft(session, plan_id, expected_version=body.version, communities=communities,
                              min_households=body.min_households, max_households=body.max_households,
                              dry_run=body.dry_run, actor=actor)
        if result.written:
            session.commit()
        return json_bytes(result.to_dict())


@router.post("/{plan_id}/activate", summary="Activate a draft (refused with 409 unless its coverage passes "
                                            "and every grid has its leader and full-time worker)",
             response_model=Plan, responses=route_responses(400, 404, 409, 422, 503))
def activate(plan_id: DbId, body: ActivateRequest, session: SessionDep, who: PlanEditor) -> dict[str, Any]:
    if body.version is not None:
        plan_store.bump_version(session, plan_id, expected=body.version)
    activate_plan(session, plan_id, effective_from=body.effective_from, actor=who.user,
                  team_override=body.team_override)
    session.commit()
    return queries.get_plan(session, plan_id)


@router.get("/{plan_id}/diff", summary="Households, shops, open requests and team places that move "
                                      "between two plans",
            response_model=PlanDiff, responses=route_responses(400, 404, 422, 503),
            dependencies=[Depends(public_reader)])
def diff(plan_id: DbId, session: SessionDep,
         before: Annotated[DbId | None, Query(description="The other plan (default: the plan it "
                                              "was made from)")] = None) -> dict[str, Any]:
    plan = queries.get_plan(session, plan_id)
    other = before if before is not None else plan["parent_id"]
    if other is None:
        raise InvalidInputError(f"plan {plan_id} has no parent plan: name one with ?before=")
    queries.get_plan(session, other)
    return diff_plans(session, other, plan_id)
