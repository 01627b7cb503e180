"""Downloads of a plan's grids for GIS tools, and the staff-only household rosters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.auth import Reader, SignedIn
from api.deps import SessionDep
from api.ogc_schemas import GridFile
from api.responses import GeoJSONResponse
from api.schemas import Coordsys
from api.schemas.errors import GEOJSON, route_responses
from gisgrid.export import FORMATS, export_grids, export_roster
from gisgrid.export.roster import XLSX, roster_community

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



@router.get("/{plan_id}/export", response_class=GeoJSONResponse,
            summary="Download a plan's grids: GeoPackage, Shapefile (zip), GeoJSON, KML, CSV (WKT)",
            description="The file (Content-Disposition: attachment); lon/lat WGS84 unless coordsys "
                        "says otherwise. Every format carries the attribute table of the GeoJSON one.",
            responses=route_responses(404, 422, 503, ok=GridFile, media_type=GEOJSON,
                                      more={200: {"content": _FILE_TYPES}}))
def export_plan_grids(
    plan_id: int,
    session: SessionDep,
    who: Reader,
    format: Annotated[ExportFormatName, Query(description="File format")] = "gpkg",  # noqa: A002 - the API's name
    coordsys: Annotated[Coordsys, Query(description=_COORDSYS_HELP)] = "wgs84",
) -> Any:
    exported = export_grids(session, plan_id, format, coordsys=coordsys)
    return _download(exported.filename, exported.media_type, exported.content)


@router.get("/{plan_id}/grids/{code}/roster", response_class=Response,
            summary="A grid's household roster and team as Excel (personal data: staff only)",
            responses={200: {"content": {XLSX: _BINARY}, "description": "the workbook"},
                       **route_responses(404, 422, 503)})
def grid_roster(plan_id: int, code: str, session: SessionDep, who: SignedIn) -> Any:
    # Personal data: staff and planners of the grid's community, and admins (403 otherwise).
    who.require_personal(roster_community(session, plan_id, code))
    exported = export_roster(session, plan_id, code)
    return _download(exported.filename, exported.media_type, exported.content)
