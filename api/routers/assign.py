"""``POST /v1/assign``: which grid holds each point (stateless, nothing stored)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import service_caller
from api.heavy import body_job, json_body, json_bytes, parse_body
from api.schemas import Coordsys
from api.schemas.errors import route_responses
from api.schemas.geometry import Assignments
from gisgrid.assign.points import assign_points
from gisgrid.io.geojson import read_features

router = APIRouter(prefix="/v1", tags=["geometry services"], dependencies=[Depends(service_caller)])


class AssignRequest(BaseModel):
    grids: dict[str, Any] = Field(description="FeatureCollection of (Multi)Polygons, properties.id unique")
    points: dict[str, Any] = Field(description="FeatureCollection of Points, properties.id unique")
    coordsys: Coordsys = "wgs84"


# Documented, not re-validated: ids are echoed exactly as the caller sent them, and a
# batch can hold many points. The work runs in a worker process (api.heavy).
@router.post("/assign", summary="Assign each point to the grid that holds it",
             openapi_extra=json_body(AssignRequest),
             responses=route_responses(400, 413, 422, 503, ok=Assignments))
async def assign(request: Request) -> Response:
    return await body_job(request, assign_job)


def assign_job(raw: bytes) -> bytes:
    """``POST /v1/assign`` in a worker."""
    body = parse_body(AssignRequest, raw)
    grids = read_features(body.grids, what="grids", geometry_types=("Polygon", "MultiPolygon"),
                          coordsys=body.coordsys)
    points = read_features(body.points, what="points", geometry_types=("Point",),
                           coordsys=body.coordsys)
    return json_bytes({"assignments": [a.to_dict() for a in assign_points(grids, points)]})
