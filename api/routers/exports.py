"""Downloads of a plan's grids for GIS tools, and the staff-only household rosters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from api.deps import SessionDep
from api.ogc_schemas import GridFile
from api.responses import GeoJSONResponse
from api.schemas import Coordsys
from api.schemas.errors import GEOJSON, route_responses
from gisgrid.export import FORMATS, export_grids, export_roster
from gisgrid.export.roster import XLSX

router = APIRouter(prefix="/v1/plans", tags=["exports"])

ExportFormatName = Literal["gpkg", "shp", "geojson", "kml", "csv"]
_COORDSYS_HELP = ("Coordinates written; gcj02/bd09 files declare no CRS and say so in their "
                  "name and metadata")
_BINARY = {"schema": {"type": "string", "format": "binary"}}
#: The other formats' files (the GeoJSON one is documented by its model).
_FILE_TYPES = {f.media_type.split(";")[0]: _BINARY for f in FORMATS.values()
               if f.media_type.split(";")[0] != GEOJSON}


def _download(filename: str, media_type: str, content: bytes) -> Response:
    # File names are ASCII (plan id, grid code, format), so no RFC 5987 encoding is needed.
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def require_staff_credentials(request: Request) -> None:
    """Refuse every client this server cannot identify as staff (401).

    Personal data needs a staff credential; this server has no credential store yet, so
    no client can present one it can check, and every request is refused, anonymous or
    not. Once users and roles exist, their staff check takes the place of this one.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        message = "household rosters hold personal data: staff credentials are required"
    else:
        message = "this bearer token cannot be verified: no staff credential is accepted yet"
    raise HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


@router.get("/{plan_id}/export", response_class=GeoJSONResponse,
            summary="Download a plan's grids: GeoPackage, Shapefile (zip), GeoJSON, KML, CSV (WKT)",
            description="The file (Content-Disposition: attachment); lon/lat WGS84 unless coordsys "
                        "says otherwise. Every format carries the attribute table of the GeoJSON one.",
            responses=route_responses(404, 422, 503, ok=GridFile, media_type=GEOJSON,
                                      more={200: {"content": _FILE_TYPES}}))
def export_plan_grids(
    plan_id: int,
    session: SessionDep,
    format: Annotated[ExportFormatName, Query(description="File format")] = "gpkg",  # noqa: A002 - the API's name
    coordsys: Annotated[Coordsys, Query(description=_COORDSYS_HELP)] = "wgs84",
) -> Any:
    exported = export_grids(session, plan_id, format, coordsys=coordsys)
    return _download(exported.filename, exported.media_type, exported.content)


@router.get("/{plan_id}/grids/{code}/roster", response_class=Response,
            dependencies=[Depends(require_staff_credentials)],
            summary="A grid's household roster and team as Excel (personal data: staff only)",
            responses={200: {"content": {XLSX: _BINARY}, "description": "the workbook"},
                       **route_responses(401, 404, 422, 503)})
def grid_roster(plan_id: int, code: str, session: SessionDep) -> Any:
    exported = export_roster(session, plan_id, code)
    return _download(exported.filename, exported.media_type, exported.content)
