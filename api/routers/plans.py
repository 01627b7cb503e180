"""Plan versions and their grids."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from api.deps import SessionDep
from api.params import DbId
from api.responses import GeoJSONResponse
from gisgrid.db import queries

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get("", summary="List plan versions (filter by status or scope area code)")
def list_plans(
    session: SessionDep,
    status: Literal["draft", "active", "retired"] | None = None,
    scope: str | None = None,
) -> dict[str, Any]:
    return {"plans": queries.list_plans(session, status=status, scope=scope)}


@router.get("/{plan_id}", summary="One plan version")
def get_plan(plan_id: DbId, session: SessionDep) -> dict[str, Any]:
    return queries.get_plan(session, plan_id)


@router.get("/{plan_id}/grids", response_class=GeoJSONResponse,
            summary="The grids of a plan as a GeoJSON FeatureCollection (lon/lat WGS84)")
def plan_grids(
    plan_id: DbId,
    session: SessionDep,
    kind: Literal["residential", "business", "special"] | None = None,
    community: str | None = None,
) -> Any:
    return GeoJSONResponse(queries.grid_features(session, plan_id, kind=kind, community=community))
