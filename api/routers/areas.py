"""Administrative areas: district, subdistricts, communities."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from api.auth import public_reader
from api.deps import SessionDep
from api.responses import GeoJSONResponse
from api.schemas.areas import AreaFeature, AreaList
from api.schemas.errors import GEOJSON, route_responses
from gisgrid.db import queries

router = APIRouter(prefix="/v1/areas", tags=["areas"], dependencies=[Depends(public_reader)])


@router.get("", summary="List administrative areas", response_model=AreaList,
            responses=route_responses(422, 503))
def list_areas(
    session: SessionDep,
    level: Literal["district", "subdistrict", "community"] | None = None,
    parent: str | None = Query(None, description="Only the children of this area code"),
) -> dict[str, Any]:
    return {"areas": queries.list_areas(session, level=level, parent=parent)}


@router.get("/{code}", summary="One area with its boundary (GeoJSON Feature)",
            response_class=GeoJSONResponse,
            # Documented, not re-validated: the Feature goes out as PostGIS wrote it.
            responses=route_responses(404, 503, ok=AreaFeature, media_type=GEOJSON))
def get_area(code: str, session: SessionDep) -> Any:
    return GeoJSONResponse(queries.area_feature(session, code))
