"""Plan versions and their grids."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends

from api.auth import public_reader
from api.deps import SessionDep
from api.params import DbId
from api.responses import GeoJSONResponse
from api.schemas.errors import GEOJSON, route_responses
from api.schemas.plans import GridCollection, Plan, PlanList
from gisgrid.db import queries

router = APIRouter(prefix="/v1/plans", tags=["plans"], dependencies=[Depends(public_reader)])


@router.get("", summary="List plan versions (filter by status or scope area code)",
            response_model=PlanList, responses=route_responses(422, 503))
def list_plans(
    session: SessionDep,
    status: Literal["draft", "active", "retired"] | None = None,
    scope: str | None = None,
) -> dict[str, Any]:
    return {"plans": queries.list_plans(session, status=status, scope=scope)}


@router.get("/{plan_id}", summary="One plan version", response_model=Plan,
            responses=route_responses(404, 422, 503))
def get_plan(plan_id: DbId, session: SessionDep) -> dict[str, Any]:
    return queries.get_plan(session, plan_id)


@router.get("/{plan_id}/grids", response_class=GeoJSONResponse,
            summary="The grids of a plan as a GeoJSON FeatureCollection (lon/lat WGS84)",
            # Documented, not re-validated: a district's grids are a large body, written
            # as PostGIS gave them (validating every coordinate would cost, not check).
            responses=route_responses(404, 422, 503, ok=GridCollection, media_type=GEOJSON))
def plan_grids(
    plan_id: DbId,
    session: SessionDep,
    kind: Literal["residential", "business", "special"] | None = None,
    community: str | None = None,
) -> Any:
    return GeoJSONResponse(queries.grid_features(session, plan_id, kind=kind, community=community))
