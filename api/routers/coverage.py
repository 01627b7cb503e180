"""Coverage: check and repair grids, stateless (``/v1/coverage/*``) or for a stored plan.

``POST /v1/coverage/check`` and ``POST /v1/coverage/repair`` store nothing.
``GET /v1/plans/{id}/coverage`` checks a stored plan (also households and shops outside
every grid, and grid sizes); ``POST /v1/plans/{id}/repair`` writes the proposed repair
as a NEW draft plan, never into the plan itself.
"""

from __future__ import annotations

from typing import Any

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from shapely.errors import GEOSException
from shapely.geometry import shape

from api.auth import PlanEditor, Reader, service_caller
from api.heavy import body_job, json_body, json_bytes, parse_body, run_heavy
from api.params import DbId
from api.schemas import Coordsys
from api.schemas.coverage import CoverageReport as CoverageReportOut
from api.schemas.coverage import PlanCoverageReport, PlanRepair, Repair
from api.schemas.errors import route_responses
from api.workers import worker_session
from gisgrid.access import Principal, coverage_view
from gisgrid.coverage import plan as plan_cov
from gisgrid.coverage.check import CoverageReport, check_coverage
from gisgrid.coverage.repair import RepairResult, repair_coverage
from gisgrid.crs import geometry_from_wgs84, geometry_to_wgs84
from gisgrid.db import queries, user_store
from gisgrid.errors import ConflictError, InvalidGeoJSONError, InvalidInputError
from gisgrid.io.geojson import geometry_problems, read_features
from gisgrid.plans.repaired import save_repair_as_draft

router = APIRouter(tags=["coverage"])

_SLIVER = Field(1.0, ge=0, le=100, description="Pieces narrower than this (m) are flagged `sliver`")
_RESIDUE = Field(0.5, ge=0, le=1000, description="Pieces smaller than this (m²) are floating-point "
                 "residue, not defects")


class _GridsRequest(BaseModel):
    parent: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon (a Feature is accepted)")
    grids: dict[str, Any] = Field(description="FeatureCollection of (Multi)Polygons, properties.id unique")
    sliver_width_m: float = _SLIVER
    min_area_m2: float = _RESIDUE
    coordsys: Coordsys = Field("wgs84", description="Coordinates of the request and of the response")


class CheckRequest(_GridsRequest):
    points: dict[str, Any] | None = Field(None, description="Optional FeatureCollection of Points "
                                          "(households, shops) with properties.id")


class RepairRequest(_GridsRequest):
    max_gap_m2: float | None = Field(None, ge=0, description="Leave larger gaps unfilled")


class PlanRepairRequest(BaseModel):
    name: str | None = Field(None, max_length=200, description="Name of the new draft")
    author: str | None = Field(None, max_length=100)
    dry_run: bool = Field(False, description="Only propose: write nothing")
    sliver_width_m: float = _SLIVER


def _parent(doc: dict[str, Any], coordsys: str) -> shapely.Geometry:
    geom = doc.get("geometry") if doc.get("type") == "Feature" else doc
    problems = geometry_problems(geom, "parent", orientation=False)
    if not problems and geom["type"] not in ("Polygon", "MultiPolygon"):
        problems = [f"parent: a {geom['type']}; expected a Polygon or MultiPolygon"]
    if problems:
        raise InvalidGeoJSONError(problems[0], details={"problems": problems[:50]})
    return geometry_to_wgs84(shape(geom), coordsys)


def _read(doc: dict[str, Any], what: str, types: tuple[str, ...], coordsys: str) -> list[Any]:
    """``read_features``, with coordinates shapely cannot build (e.g. 2D and 3D positions
    mixed in one ring) answered as bad GeoJSON rather than a server error."""
    try:
        return read_features(doc, what=what, geometry_types=types, coordsys=coordsys)
    except (ValueError, TypeError) as exc:
        raise InvalidGeoJSONError(f"{what}: coordinates cannot be read ({exc})") from exc


def _inputs(body: _GridsRequest) -> dict[str, Any]:
    try:
        parent = _parent(body.parent, body.coordsys)
    except (ValueError, TypeError) as exc:
        raise InvalidGeoJSONError(f"parent: coordinates cannot be read ({exc})") from exc
    return {
        "grids": _read(body.grids, "grids", ("Polygon", "MultiPolygon"), body.coordsys),
        "parent": parent,
        "sliver_width_m": body.sliver_width_m,
        "min_area_m2": body.min_area_m2,
    }


def _report_out(report: CoverageReport, coordsys: str) -> dict[str, Any]:
    for d in report.defects:
        d.geometry = geometry_from_wgs84(d.geometry, coordsys)
    return report.to_dict()


def _geos_guard(func: Any, **kwargs: Any) -> Any:
    """GEOS refusing an input (it should not happen) is the input's fault: a 400, not a 500."""
    try:
        return func(**kwargs)
    except GEOSException as exc:
        if "bad_alloc" in str(exc):  # out of memory (the worker's cap): not the input's shape
            raise MemoryError(str(exc)) from exc
        raise InvalidInputError(f"the geometry could not be processed: {exc}") from exc


def check_job(raw: bytes) -> bytes:
    """``POST /v1/coverage/check`` in a worker: the body's bytes to the report's."""
    body = parse_body(CheckRequest, raw)
    kwargs = _inputs(body)
    if body.points is not None:
        kwargs["points"] = _read(body.points, "points", ("Point",), body.coordsys)
    return json_bytes(_report_out(_geos_guard(check_coverage, **kwargs), body.coordsys))


# The routes below are documented, not re-validated (sent as built): their bodies hold
# geometries (validating every coordinate would cost, not check) and grid ids echoed
# exactly as the caller sent them. The work runs in worker processes (api.heavy).
@router.post("/v1/coverage/check", summary="Do the grids tile the parent area?",
             dependencies=[Depends(service_caller)],
             description="Every gap, overlap, invalid, outside, multipart, duplicate or empty grid "
                         "and every point in no grid, each with its grids, area (m²) and geometry.",
             openapi_extra=json_body(CheckRequest),
             responses=route_responses(400, 413, 422, 503, ok=CoverageReportOut))
async def check(request: Request) -> Response:
    return await body_job(request, check_job)


def _repair_out(result: RepairResult, coordsys: str) -> dict[str, Any]:
    result.grids = [(gid, geometry_from_wgs84(g, coordsys)) for gid, g in result.grids]
    for step in result.steps:
        step.geometry = geometry_from_wgs84(step.geometry, coordsys)
    for report in (result.before, result.after):
        for d in report.defects:
            d.geometry = geometry_from_wgs84(d.geometry, coordsys)
    return result.to_dict()


def repair_job(raw: bytes) -> bytes:
    """``POST /v1/coverage/repair`` in a worker."""
    body = parse_body(RepairRequest, raw)
    kwargs = _inputs(body)
    result = _geos_guard(repair_coverage, max_gap_m2=body.max_gap_m2, **kwargs)
    return json_bytes(_repair_out(result, body.coordsys))


@router.post("/v1/coverage/repair", summary="Propose grids without gaps or overlaps",
             dependencies=[Depends(service_caller)],
             description="Each gap and overlap piece goes to the grid sharing the longest edge with "
                         "it; every step is explained. Nothing is stored.",
             openapi_extra=json_body(RepairRequest),
             responses=route_responses(400, 413, 422, 503, ok=Repair))
async def repair(request: Request) -> Response:
    return await body_job(request, repair_job)


@router.get("/v1/plans/{plan_id}/coverage", summary="Coverage check of a stored plan",
            description="Residential grids must tile the plan's gridded communities; overlays "
                        "(business, special) must be valid and inside. Also lists households and "
                        "shops in no grid (by id and position only to staff and planners of the "
                        "plan's area; counts to others), and grids whose household count breaks "
                        "the bounds.",
            responses=route_responses(400, 404, 422, 503, ok=PlanCoverageReport))
async def plan_coverage(
    plan_id: DbId,
    request: Request,
    who: Reader,
    sliver_width_m: float = Query(1.0, ge=0, le=100),
    min_households: int | None = Query(None, ge=0, le=2**31 - 1,
                                       description="Size check's minimum (default: the plan's)"),
    max_households: int | None = Query(None, ge=0, le=2**31 - 1,
                                       description="Size check's maximum (default: the plan's)"),
) -> Response:
    return Response(await run_heavy(request, plan_coverage_job, plan_id, sliver_width_m,
                                    (min_households, max_households), who), media_type="application/json")


def plan_coverage_job(plan_id: int, sliver_width_m: float, bounds: tuple[int | None, int | None],
                      who: Principal) -> bytes:
    """``GET /v1/plans/{id}/coverage`` in a worker (reads the database), as ``who`` may see it."""
    with worker_session() as session:
        result = plan_cov.plan_coverage(session, plan_id, sliver_width_m=sliver_width_m,
                                        household_bounds=bounds)
        return json_bytes(coverage_view(result.to_dict(), who, user_store.plan_scope(session, plan_id) or ""))


@router.post("/v1/plans/{plan_id}/repair", status_code=201,
             summary="Repair a stored plan into a new draft plan",
             description="The plan itself is never changed. 201 with the new draft; with "
                         "`dry_run` 200 and only the proposal; 409 when there is nothing to repair.",
             responses=route_responses(400, 404, 409, 422, 503, ok=PlanRepair, status=201, more={
                 200: {"model": PlanRepair, "description": "dry_run: the proposal only (plan null), "
                                                           "nothing written"}}))
async def plan_repair(plan_id: DbId, body: PlanRepairRequest, request: Request, who: PlanEditor) -> Response:
    answer = await run_heavy(request, plan_repair_job, plan_id, body, who.user)
    return Response(answer, media_type="application/json", status_code=200 if body.dry_run else 201)


def plan_repair_job(plan_id: int, body: PlanRepairRequest, actor: str | None) -> bytes:
    """``POST /v1/plans/{id}/repair`` in a worker (writes the new draft and commits)."""
    with worker_session() as session:
        result = plan_cov.repair_plan(session, plan_id, sliver_width_m=body.sliver_width_m)
        if not result.steps:
            raise ConflictError(f"plan {plan_id} passes its coverage check; nothing to repair")
        if body.dry_run:
            return json_bytes({"plan": None, "repair": result.to_dict()})
        new_id = save_repair_as_draft(session, plan_id, result, name=body.name,
                                      author=body.author or actor, actor=actor)
        session.commit()
        return json_bytes({"plan": queries.get_plan(session, new_id), "repair": result.to_dict()})
