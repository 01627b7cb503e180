"""Read street centre lines and boundaries from files: GeoJSON, GeoPackage, Shapefile, OSM PBF/XML.

Everything comes back in lon/lat WGS84 (EPSG:4326) as a GeoDataFrame of LineStrings with a
``highway`` column (None where the source has none).

- GeoJSON, GeoPackage, Shapefile and anything else GDAL reads go through pyogrio and are
  reprojected from the CRS the file declares; a file without a CRS must already hold
  lon/lat (checked on its extent).
- OSM PBF (``*.pbf``) goes through pyrosm's network reader, keeping the named ``highway``
  classes (:data:`DEFAULT_HIGHWAYS` unless told otherwise).
- OSM XML (``*.osm``, ``*.xml``) goes through GDAL's OSM driver, which pyogrio already
  ships: reading XML needs no parser of our own and no new dependency (pyrosm reads PBF
  only; pyosmium would be another compiled dependency for the same job).

Tunnels (``tunnel`` other than ``no``, including ``building_passage``) are left out of
every source that has the tag: a street under the ground or through a building does not
cut the surface into blocks. So are ``area=yes`` outlines (a pedestrian square's edge is
not a street).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from gisgrid.errors import EmptyInputError, InvalidGeometryError, InvalidInputError

if TYPE_CHECKING:
    import geopandas as gpd

# geopandas, pandas and pyogrio are imported where used: together they are slow to
# import (bench/README.md), which every ``gisgrid`` command would pay otherwise (the CLI
# imports this module).

__all__ = ["DEFAULT_HIGHWAYS", "read_boundary", "read_streets"]

#: OSM highway classes that bound blocks by default: the public street network down to
#: residential streets and pedestrian streets. Left out unless asked for: ``*_link``
#: ramps, ``service`` (driveways, parking aisles), footways, paths, cycleways and steps,
#: which would cut blocks into courtyards.
DEFAULT_HIGHWAYS = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
                    "residential", "living_street", "pedestrian")

_PBF_SUFFIXES = (".pbf",)
_XML_SUFFIXES = (".osm", ".xml")
_TUNNEL_TAG = re.compile(r'"tunnel"=>"([^"]*)"')
_LINES = ("LineString", "MultiLineString")


def read_streets(path: str | Path, *, highways: Sequence[str] | None = None,
                 layer: str | None = None) -> gpd.GeoDataFrame:
    """Street lines from a file, in lon/lat WGS84, tunnels left out.

    Parameters
    ----------
    path : str or Path
        A GeoJSON, GeoPackage, Shapefile (or other GDAL vector file), an OSM PBF
        (``*.pbf``) or an OSM XML file (``*.osm``, ``*.xml``).
    highways : sequence of str, optional
        ``highway`` classes to keep. OSM files default to :data:`DEFAULT_HIGHWAYS`; other
        files are filtered only when this is given (and then need a ``highway`` column).
    layer : str, optional
        Layer of a multi-layer file (GeoPackage); the first layer by default.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``highway`` and ``geometry`` (LineString or MultiLineString), EPSG:4326.

    Raises
    ------
    InvalidInputError
        Unreadable file, no CRS and not lon/lat, or no ``highway`` column to filter on.
    EmptyInputError
        No street line left after filtering.

    Examples
    --------
    >>> import os, pyrosm
    >>> pbf = os.path.join(os.path.dirname(pyrosm.__file__), "data", "test.osm.pbf")
    >>> streets = read_streets(pbf, highways=["residential"])
    >>> sorted(set(streets.highway)), str(streets.crs)
    (['residential'], 'EPSG:4326')
    """
    import geopandas as gpd
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file")
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        frame = _read_pbf(path, tuple(highways or DEFAULT_HIGHWAYS))
    elif name.endswith(_XML_SUFFIXES):
        frame = _read_osm_xml(path, tuple(highways or DEFAULT_HIGHWAYS))
    else:
        frame = _read_vector(path, layer)
        if highways:
            if "highway" not in frame:
                raise InvalidInputError(f"{path}: no 'highway' column to filter on")
            frame = frame[frame["highway"].isin(list(highways))]
    frame = _drop_tunnels(frame)
    frame = frame[frame.geometry.notna() & frame.geom_type.isin(_LINES)]
    if frame.empty:
        raise EmptyInputError(f"{path}: no street lines"
                              + (f" of class {', '.join(highways)}" if highways else ""))
    highway = frame["highway"] if "highway" in frame else pd.Series(None, index=frame.index)
    return gpd.GeoDataFrame({"highway": highway.to_numpy()}, geometry=frame.geometry.to_numpy(),
                            crs="EPSG:4326")


def read_boundary(path: str | Path, *, layer: str | None = None) -> shapely.Geometry:
    """The union of a file's polygons, in lon/lat WGS84.

    Parameters
    ----------
    path : str or Path
        Any vector file pyogrio reads (GeoJSON, GeoPackage, Shapefile...).
    layer : str, optional
        Layer of a multi-layer file.

    Returns
    -------
    Polygon or MultiPolygon

    Raises
    ------
    InvalidGeometryError
        The file holds no polygon.

    Examples
    --------
    >>> import json, tempfile
    >>> doc = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
    ...        "coordinates": [[[109.7, 38.2], [109.8, 38.2], [109.8, 38.3], [109.7, 38.2]]]}}
    >>> with tempfile.NamedTemporaryFile("w", suffix=".geojson", delete=False) as f:
    ...     json.dump(doc, f)
    >>> read_boundary(f.name).geom_type
    'Polygon'
    """
    frame = _read_vector(Path(path), layer)
    polys = frame.geometry[frame.geom_type.isin(("Polygon", "MultiPolygon"))]
    if polys.empty:
        raise InvalidGeometryError(f"{path}: no Polygon or MultiPolygon to use as the boundary")
    return shapely.union_all(polys.to_numpy())


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidInputError(f"{path}: cannot read it as a vector file ({exc})") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidInputError(f"{path}: the layer has no geometry")
    if frame.crs is None:
        x0, y0, x1, y1 = frame.total_bounds if len(frame) else (0, 0, 0, 0)
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise InvalidInputError(f"{path}: no CRS declared and the coordinates are not lon/lat")
        return frame.set_crs("EPSG:4326")
    return frame.to_crs("EPSG:4326")


def _read_pbf(path: Path, highways: tuple[str, ...]) -> gpd.GeoDataFrame:
    # pyrosm is imported here: only PBF input needs it.
    import geopandas as gpd

    try:
        import pyrosm
    except ImportError as exc:
        raise InvalidInputError(
            "reading OSM PBF needs pyrosm: `pip install 'gisgrid[osm]'` (make setup installs it)"
        ) from exc
    osm = pyrosm.OSM(str(path))
    with warnings.catch_warnings():
        # "Could not find any edges": an empty result is reported as EmptyInputError
        warnings.simplefilter("ignore", UserWarning)
        frame = osm.get_network(network_type="all", custom_filter={"highway": list(highways)},
                                filter_type="keep", extra_attributes=["tunnel", "area"])
    if frame is None:
        return gpd.GeoDataFrame({"highway": []}, geometry=[], crs="EPSG:4326")
    return frame.to_crs("EPSG:4326")


def _read_osm_xml(path: Path, highways: tuple[str, ...]) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, layer="lines", columns=["osm_id", "highway", "other_tags"])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidInputError(f"{path}: cannot read it as OSM XML ({exc})") from exc
    tags = frame["other_tags"].fillna("").to_numpy()
    frame["tunnel"] = [m.group(1) if (m := _TUNNEL_TAG.search(t)) else None for t in tags]
    frame = frame.set_crs("EPSG:4326", allow_override=True)
    return frame[frame["highway"].isin(list(highways))].drop(columns=["other_tags"])


def _tag_is(frame: gpd.GeoDataFrame, key: str, values: tuple[str, ...], *, negate: bool) -> np.ndarray:
    """Rows whose tag ``key`` is one of ``values`` (``negate``: is set and none of them)."""
    if key not in frame:
        return np.zeros(len(frame), dtype=bool)
    raw = frame[key].astype(object).where(frame[key].notna(), None).to_numpy()
    text = [None if t is None or str(t).strip() == "" else str(t).strip().lower() for t in raw]
    if negate:
        return np.array([t is not None and t not in values for t in text], dtype=bool)
    return np.array([t in values for t in text], dtype=bool)


def _drop_tunnels(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Leave out tunnels (any ``tunnel`` but ``no``) and ``area=yes`` outlines (squares)."""
    tunnel = _tag_is(frame, "tunnel", ("no",), negate=True)
    area = _tag_is(frame, "area", ("yes",), negate=False)
    return frame[~(tunnel | area)]
