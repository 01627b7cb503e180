"""``POST /v1/blocks``: streets to blocks (stateless, nothing stored)."""

from __future__ import annotations

from typing import Any

import shapely
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from shapely.geometry import shape

from api.auth import service_caller
from api.heavy import body_job, json_body, json_bytes, parse_body
from api.responses import GeoJSONResponse
from api.schemas import Coordsys
from api.schemas.errors import GEOJSON, route_responses
from api.schemas.geometry import BlockCollection
from gisgrid.blocks.polygonize import DEFAULT_TOLERANCE_M, SLIVER_RULE, TOLERANCE_RULE, polygonize_blocks
from gisgrid.crs import geometry_to_wgs84
from gisgrid.errors import InvalidGeoJSONError
from gisgrid.io.geojson import geometry_problems, read_features

router = APIRouter(prefix="/v1", tags=["geometry services"], dependencies=[Depends(service_caller)])


class BlocksRequest(BaseModel):
    boundary: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon "
                                     "(a Feature is accepted too)")
    streets: dict[str, Any] = Field(description="FeatureCollection of LineStrings / MultiLineStrings; "
                                    "ids optional and not used")
    coordsys: Coordsys = Field("wgs84", description="Coordinates of the request and of the response")
    tolerance_m: float = Field(DEFAULT_TOLERANCE_M, ge=0, le=50,
                               description=f"Snapping tolerance in metres: {TOLERANCE_RULE}; "
                                           f"also the sliver width: {SLIVER_RULE}")


def _boundary(doc: dict[str, Any], coordsys: str) -> shapely.Geometry:
    geom = doc.get("geometry") if doc.get("type") == "Feature" else doc
    problems = geometry_problems(geom, "boundary", orientation=False)
    if problems:
        raise InvalidGeoJSONError(problems[0], details={"problems": problems[:50]})
    return geometry_to_wgs84(shape(geom), coordsys)


def _without_ids(doc: dict[str, Any]) -> dict[str, Any]:
    """Street ids play no part and may repeat (a street split in pieces): drop them."""
    feats = doc.get("features")
    if doc.get("type") != "FeatureCollection" or not isinstance(feats, list):
        return doc
    def strip(f: Any) -> Any:
        return {**{k: v for k, v in f.items() if k != "id"}, "properties": None} if isinstance(f, dict) else f

    return {**doc, "features": [strip(f) for f in feats]}


@router.post("/blocks", response_class=GeoJSONResponse,
             summary="Cut a boundary into blocks along streets",
             description="Streets are clipped to the boundary, noded and polygonized; the boundary "
                         "closes the outer faces so the blocks tile it. The response is a "
                         "FeatureCollection (properties.id, properties.area_m2) plus `diagnostics` "
                         "(dangles, cut_edges, dropped_slivers, snapped_ends, ... and the rules).",
             openapi_extra=json_body(BlocksRequest),
             # Documented, not re-validated: the blocks go out as the core wrote them.
             responses=route_responses(400, 413, 422, 503, ok=BlockCollection, media_type=GEOJSON))
async def blocks(request: Request) -> Response:
    return await body_job(request, blocks_job, media_type=GeoJSONResponse.media_type)


def blocks_job(raw: bytes) -> bytes:
    """``POST /v1/blocks`` in a worker."""
    body = parse_body(BlocksRequest, raw)
    boundary = _boundary(body.boundary, body.coordsys)
    streets = read_features(_without_ids(body.streets), what="streets",
                            geometry_types=("LineString", "MultiLineString"),
                            coordsys=body.coordsys, require_id=False)
    result = polygonize_blocks(boundary, [g for _, g in streets], tolerance_m=body.tolerance_m)
    return json_bytes(result.to_feature_collection(body.coordsys))
