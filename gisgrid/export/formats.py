"""The file formats a plan's grids are exported in, and what each needs from GDAL.

One attribute table for every format, with names of at most 10 characters so the
Shapefile (dBASE) keeps them whole; integers are 32-bit so KML declares them ``int``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gisgrid.crs import COORDSYS
from gisgrid.errors import InvalidInputError, UnknownCoordsysError


@dataclass(frozen=True)
class ExportFormat:
    """One output format: file extension, GDAL driver and options, download media type."""

    key: str
    ext: str
    driver: str
    media_type: str
    label: str
    layer_options: dict[str, str] = field(default_factory=dict)
    #: Whether the format can carry a free-text note on its layer or document.
    note_option: str | None = None


FORMATS: dict[str, ExportFormat] = {f.key: f for f in (
    ExportFormat("gpkg", "gpkg", "GPKG", "application/geopackage+sqlite3", "GeoPackage",
                 {"IDENTIFIER": "grids"}, note_option="DESCRIPTION"),
    # Zipped for download (.shp, .shx, .dbf, .prj and a .cpg saying UTF-8 so the Chinese
    # names survive in ArcGIS and QGIS); a plain .shp set when written to a folder.
    ExportFormat("shp", "zip", "ESRI Shapefile", "application/zip", "Shapefile (zip)"),
    # RFC 7946 mode writes counter-clockwise exterior rings; 15 decimals keep the stored
    # coordinates (the default in that mode is 7, about 1 cm).
    ExportFormat("geojson", "geojson", "GeoJSON", "application/geo+json", "GeoJSON",
                 {"RFC7946": "YES", "COORDINATE_PRECISION": "15"}, note_option="DESCRIPTION"),
    ExportFormat("kml", "kml", "LIBKML", "application/vnd.google-earth.kml+xml", "KML"),
    # WKT geometry column first; a byte-order mark so Excel opens the Chinese as UTF-8.
    ExportFormat("csv", "csv", "CSV", "text/csv; charset=utf-8", "CSV (WKT)",
                 {"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES"}),
)}

#: The attribute columns of an export, in order (geometry comes last).
COLUMNS = ("grid_id", "code", "name", "kind", "plan_id", "comm_code", "comm_name", "area_m2",
           "households", "residents", "shops", "team_lead", "team_full", "team_part")

#: What each coordinate system is called in file names and notes.
COORDSYS_NOTES = {
    "wgs84": "lon/lat WGS84 (EPSG:4326)",
    "cgcs2000": "lon/lat CGCS2000 (EPSG:4490; the same numbers as WGS84 to centimetres)",
    "gcj02": "lon/lat GCJ-02 (高德/腾讯 Amap/Tencent offsets), NOT WGS84: no CRS is declared",
    "bd09": "lon/lat BD-09 (百度 Baidu offsets), NOT WGS84: no CRS is declared",
}
#: The CRS declared in the file: GCJ-02 and BD-09 have no EPSG code.
DECLARED_CRS = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": None, "bd09": None}


def export_format(key: str) -> ExportFormat:
    """The format called ``key`` (gpkg, shp, geojson, kml, csv).

    Raises
    ------
    InvalidInputError
        For any other name.
    """
    if key not in FORMATS:
        raise InvalidInputError(f"unknown export format {key[:20]!r}; expected one of: {', '.join(FORMATS)}",
                                details={"accepted": list(FORMATS)})
    return FORMATS[key]


def check_coordsys(coordsys: str) -> str:
    """The coordinate system name, checked against `gisgrid.crs.COORDSYS`."""
    if coordsys not in COORDSYS:
        raise UnknownCoordsysError(
            f"unknown coordsys {coordsys[:20]!r}; expected one of: {', '.join(COORDSYS)}",
            details={"coordsys": coordsys[:20], "accepted": list(COORDSYS)})
    return coordsys


def file_stem(plan_id: int, coordsys: str) -> str:
    """``plan-7-grids``, with ``-gcj02`` etc. when the coordinates are not WGS84."""
    return f"plan-{plan_id}-grids" + ("" if coordsys == "wgs84" else f"-{coordsys}")
