"""``/ogc``: OGC API Features (Part 1 Core, GeoJSON) over the public collections.

Thin: the catalogue, parameter checks and paging live in ``gisgrid.ogc``. Query
parameters are read from the raw query string (so a duplicated or malformed one gets
the core's 400 ``invalid_parameter``) and declared for OpenAPI in ``openapi_extra``.
Public: no personal data is in any collection.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import SessionDep
from api.ogc_schemas import (
    CollectionInfo,
    Collections,
    Conformance,
    Feature,
    FeatureCollection,
    LandingPage,
)
from api.responses import GeoJSONResponse
from api.schemas.errors import GEOJSON, route_responses
from gisgrid import ogc
from gisgrid.ogc.params import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/ogc", tags=["ogc"])

_F = {"name": "f", "in": "query", "required": False,
      "schema": {"type": "string", "enum": ["json", "geojson"]}, "description": "Encoding (JSON only)"}
_ITEMS_PARAMS = {"parameters": [
    {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
     "description": "Features per page"},
    {"name": "offset", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 0, "default": 0},
     "description": "Features to skip (id order); the `next` link carries it"},
    {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
     "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
     "description": "west,south,east,north in lon/lat (CRS84): features intersecting the box"},
    _F,
]}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _params(request: Request) -> list[tuple[str, str]]:
    return request.query_params.multi_items()


@router.get("", response_model=LandingPage, response_model_exclude_none=True,
            summary="Landing page of the OGC API Features service", openapi_extra={"parameters": [_F]},
            responses=route_responses(400))
def landing(request: Request) -> dict[str, Any]:
    ogc.check_format(_params(request))
    app = request.app
    root = str(request.base_url).rstrip("/")
    return ogc.landing_page(_base(request), openapi_url=root + (app.openapi_url or "/openapi.json"),
                            docs_url=root + (app.docs_url or "/docs"))


@router.get("/conformance", response_model=Conformance, summary="Conformance classes",
            openapi_extra={"parameters": [_F]}, responses=route_responses(400))
def conformance(request: Request) -> dict[str, Any]:
    ogc.check_format(_params(request))
    return ogc.conformance()


@router.get("/collections", response_model=Collections, response_model_exclude_none=True,
            summary="The collections: areas, grids, plan-{id}, streets, shops, resources, requests",
            openapi_extra={"parameters": [_F]}, responses=route_responses(400, 503))
def collections(request: Request, session: SessionDep) -> dict[str, Any]:
    ogc.check_format(_params(request))
    return ogc.collections_document(session, _base(request))


@router.get("/collections/{collection_id}", response_model=CollectionInfo,
            response_model_exclude_none=True, summary="One collection's metadata",
            responses=route_responses(400, 404, 503), openapi_extra={"parameters": [_F]})
def collection(collection_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    ogc.check_format(_params(request))
    found = ogc.resolve_collection(session, collection_id)
    return ogc.one_collection_document(session, found, _base(request))


# Documented, not re-validated: pages are written by PostGIS as text (gisgrid.db.ogc_store).
@router.get("/collections/{collection_id}/items", response_class=GeoJSONResponse,
            summary="A page of a collection's features (GeoJSON FeatureCollection)",
            responses=route_responses(400, 404, 503, ok=FeatureCollection, media_type=GEOJSON),
            openapi_extra=_ITEMS_PARAMS)
def items(collection_id: str, request: Request, session: SessionDep) -> Response:
    query = ogc.parse_items_query(_params(request))
    found = ogc.resolve_collection(session, collection_id)
    body = ogc.items_page(session, found, query, base=_base(request), params=_params(request))
    return Response(body, media_type=GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}", response_class=GeoJSONResponse,
            summary="One feature (GeoJSON Feature)",
            responses=route_responses(400, 404, 503, ok=Feature, media_type=GEOJSON),
            openapi_extra={"parameters": [_F]})
def feature(collection_id: str, feature_id: str, request: Request, session: SessionDep) -> Response:
    ogc.check_format(_params(request))
    found = ogc.resolve_collection(session, collection_id)
    return Response(ogc.item(session, found, feature_id, base=_base(request)), media_type=GEOJSON)
