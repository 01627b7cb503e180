"""``/v1/resources``: what can help, located in grids; contacts for staff only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from api.auth import Reader
from api.deps import SessionDep
from api.schemas.errors import route_responses
from api.schemas.resources import ResourceCollection, ResourceFeature, ResourceKind
from gisgrid.db import resource_store
from gisgrid.errors import InvalidParameterError
from gisgrid.ogc.params import parse_bbox
from gisgrid.resources import resource_feature

router = APIRouter(tags=["resources"])

_PARAMS = ("kind", "grid", "community", "bbox", "limit", "offset")


def _once(request: Request) -> None:
    """A filter given twice is a mistake, not a choice of the last (400 invalid_parameter)."""
    for name in _PARAMS:
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidParameterError(f"{name} is given more than once; give it once",
                                        details={"parameter": name})


@router.get("/v1/resources", summary="Resources (venues, merchants, teams, party units, centres) "
                                     "with their grid; contacts for staff and planners only",
            response_model=ResourceCollection, response_model_exclude_unset=True,
            responses=route_responses(400, 422, 503))
def resources(
    request: Request,
    who: Reader,
    session: SessionDep,
    kind: ResourceKind | None = None,
    grid: int | None = Query(None, ge=1, le=2**31 - 1, description="Grid id"),
    community: str | None = Query(None, pattern=r"^[0-9]{12}$", description="Community code"),
    bbox: str | None = Query(None, max_length=200, description="west,south,east,north (lon/lat WGS84)"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    _once(request)
    box = parse_bbox(bbox) if bbox is not None else None
    total, rows = resource_store.list_resources(session, kind=kind, grid_id=grid, community=community,
                                                bbox=box, limit=limit, offset=offset)
    return {"type": "FeatureCollection", "total": total, "limit": limit, "offset": offset,
            "features": [resource_feature(r, who) for r in rows]}


@router.get("/v1/resources/{resource_id}", summary="One resource with its grid",
            response_model=ResourceFeature, response_model_exclude_unset=True,
            responses=route_responses(404, 422, 503))
def resource(
    resource_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    who: Reader,
    session: SessionDep,
) -> dict[str, Any]:
    return resource_feature(resource_store.get_resource(session, resource_id), who)
