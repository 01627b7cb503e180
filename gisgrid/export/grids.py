"""A plan's grids as files for GIS tools: GeoPackage, Shapefile, GeoJSON, KML, CSV (WKT).

The attributes are those ``GET /v1/plans/{id}/grids`` serves (`queries.grid_features`,
so one rule counts households, residents and shops), flattened to one table: code, name,
kind, community, area, counts and the team's size by role. Staff names are not
exported here (they are personal data: see `gisgrid.export.roster`). Geometry is read at
full precision (15 decimals) and written by GDAL through pyogrio.
"""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import shape
from sqlalchemy.orm import Session

from gisgrid.crs import from_wgs84
from gisgrid.db import queries
from gisgrid.export.formats import (
    COLUMNS,
    COORDSYS_NOTES,
    DECLARED_CRS,
    ExportFormat,
    check_coordsys,
    export_format,
    file_stem,
)

#: Full precision: ST_AsGeoJSON's largest number of decimals.
_DIGITS = 15
_INT_COLUMNS = ("grid_id", "plan_id", "households", "residents", "shops", "team_lead", "team_full",
                "team_part")
LAYER = "grids"


@dataclass(frozen=True)
class ExportFile:
    """A file ready for download: its name, media type and bytes."""

    filename: str
    media_type: str
    content: bytes


def _row(feature: dict) -> dict:
    p = feature["properties"]
    team = p.get("team") or {}
    return {"grid_id": p["id"], "code": p["code"], "name": p["name"], "kind": p["kind"],
            "plan_id": p["plan_id"], "comm_code": p["community_code"], "comm_name": p["community_name"],
            "area_m2": float(p["area_m2"]), "households": p["households"],
            "residents": int(p["residents"]), "shops": p["shops"], "team_lead": team.get("leader", 0),
            "team_full": team.get("full_time", 0), "team_part": team.get("part_time", 0)}


def grid_frame(session: Session, plan_id: int, *, coordsys: str = "wgs84") -> gpd.GeoDataFrame:
    """The grids of a plan as a GeoDataFrame with the export columns (`formats.COLUMNS`).

    Parameters
    ----------
    session : Session
        Database session.
    plan_id : int
        Any plan version (drafts and retired plans too).
    coordsys : str
        ``wgs84`` (default), ``cgcs2000``, ``gcj02`` or ``bd09``: the coordinates
        written. GCJ-02 and BD-09 have no EPSG code, so the frame then has no CRS.

    Returns
    -------
    GeoDataFrame
        One row per grid in code order, 32-bit integer counts, MultiPolygon geometry.

    Raises
    ------
    NotFoundError
        For an unknown plan.

    Examples
    --------
    >>> grid_frame(session, 1).columns[:4].tolist()  # doctest: +SKIP
    ['grid_id', 'code', 'name', 'kind']
    """
    check_coordsys(coordsys)
    features = queries.grid_features(session, plan_id, digits=_DIGITS)["features"]
    table = pd.DataFrame([_row(f) for f in features], columns=list(COLUMNS))
    for column in _INT_COLUMNS:
        table[column] = table[column].astype("int32")
    table["area_m2"] = table["area_m2"].astype("float64")
    geoms = np.array([shape(f["geometry"]) for f in features], dtype=object)
    if coordsys in ("gcj02", "bd09") and len(geoms):
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], coordsys)))
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, index=table.index),
                            crs=DECLARED_CRS[coordsys])


def _note(plan_id: int, coordsys: str) -> str:
    return f"gisgrid: grids of plan {plan_id}; coordinates {COORDSYS_NOTES[coordsys]}"


def write_grids(frame: gpd.GeoDataFrame, path: Path, fmt: ExportFormat, *, note: str) -> Path:
    """Write a `grid_frame` to ``path`` in ``fmt`` (a Shapefile as a .shp set, or a .zip
    of it when ``path`` ends in .zip); ``note`` goes into the file's metadata where the
    format has room (GeoPackage and GeoJSON description, KML document description)."""
    path = Path(path)
    if fmt.key == "shp":
        return _write_shapefile(frame, path, note=note)
    options = dict(fmt.layer_options)
    if fmt.note_option:
        options[fmt.note_option] = note
    dataset_options = {"NAME": note.split(";")[0], "DESCRIPTION": note} if fmt.key == "kml" else None
    with _no_crs_on_purpose(frame):
        pyogrio.write_dataframe(frame, path, driver=fmt.driver, layer=LAYER, layer_options=options,
                                dataset_options=dataset_options, geometry_type="MultiPolygon",
                                promote_to_multi=True)
    return path


@contextmanager
def _no_crs_on_purpose(frame: gpd.GeoDataFrame) -> Iterator[None]:
    """Silence GDAL's "no CRS" warnings for GCJ-02/BD-09 frames: leaving the CRS out is
    the point there (no EPSG code describes those offsets; the note and name say so)."""
    with warnings.catch_warnings():
        if frame.crs is None:
            warnings.filterwarnings("ignore", message=".*crs' was not provided")
            warnings.filterwarnings("ignore", message="No SRS set on layer")
        yield


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, *, note: str) -> Path:
    if path.suffix.lower() != ".zip":
        # encoding="UTF-8" makes GDAL write the .cpg that tells GIS tools the names are UTF-8.
        with _no_crs_on_purpose(frame):
            pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding="UTF-8",
                                    geometry_type="MultiPolygon", promote_to_multi=True)
        return path
    with tempfile.TemporaryDirectory(prefix="gisgrid-shp-") as tmp:
        shp = Path(tmp) / f"{path.stem}.shp"
        _write_shapefile(frame, shp, note=note)
        (Path(tmp) / f"{path.stem}.txt").write_text(note + "\n", encoding="utf-8")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                zf.write(part, part.name)
    return path


def save_grids(session: Session, plan_id: int, fmt_key: str, path: Path, *,
               coordsys: str = "wgs84") -> tuple[Path, int]:
    """Export a plan's grids to a file; returns the path written and the number of grids."""
    fmt = export_format(fmt_key)
    frame = grid_frame(session, plan_id, coordsys=coordsys)
    return write_grids(frame, path, fmt, note=_note(plan_id, coordsys)), len(frame)


def export_grids(session: Session, plan_id: int, fmt_key: str, *, coordsys: str = "wgs84") -> ExportFile:
    """A plan's grids as one downloadable file (a Shapefile comes zipped).

    Examples
    --------
    >>> export_grids(session, 1, "shp", coordsys="gcj02").filename  # doctest: +SKIP
    'plan-1-grids-gcj02.zip'
    """
    fmt = export_format(fmt_key)
    check_coordsys(coordsys)
    name = f"{file_stem(plan_id, coordsys)}.{fmt.ext}"
    with tempfile.TemporaryDirectory(prefix="gisgrid-export-") as tmp:
        path, _ = save_grids(session, plan_id, fmt_key, Path(tmp) / name, coordsys=coordsys)
        return ExportFile(name, fmt.media_type, path.read_bytes())
