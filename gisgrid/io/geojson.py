"""GeoJSON (RFC 7946) checks: what is wrong with a document, as a list of problems.

Used on input (to answer 4xx with every problem at once) and in tests (to prove output
is valid). Positions are lon/lat WGS84; exterior rings counter-clockwise, holes
clockwise (RFC 7946 section 3.1.6); no ``crs`` member (section 4).
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape

from gisgrid.crs import geometry_to_wgs84
from gisgrid.errors import DuplicateIdError, InvalidGeoJSONError
from gisgrid.io.positions import swapped_hint

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection")


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:], strict=False)) / 2


def _position_problems(pos: Any, where: str) -> list[str]:
    if not isinstance(pos, list) or len(pos) < 2 or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in pos
    ):
        return [f"{where}: a position must be [lon, lat] numbers"]
    lon, lat = pos[0], pos[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return [f"{where}: [{lon}, {lat}] is outside lon -180..180 / lat -90..90{swapped_hint(lon, lat)}"]
    return []


def _ring_problems(ring: Any, where: str, *, exterior: bool, orientation: bool) -> list[str]:
    if not isinstance(ring, list) or len(ring) < 4:
        return [f"{where}: a linear ring needs at least 4 positions"]
    problems = [p for i, pos in enumerate(ring) for p in _position_problems(pos, f"{where}[{i}]")]
    if problems:
        return problems
    if ring[0][:2] != ring[-1][:2]:
        problems.append(f"{where}: ring is not closed")
    if orientation:
        area = _signed_area(ring)
        if exterior and area < 0:
            problems.append(f"{where}: exterior ring is clockwise (RFC 7946 wants counter-clockwise)")
        if not exterior and area > 0:
            problems.append(f"{where}: hole is counter-clockwise (RFC 7946 wants clockwise)")
    return problems


def _polygon_problems(rings: Any, where: str, orientation: bool) -> list[str]:
    if not isinstance(rings, list) or not rings:
        return [f"{where}: a polygon needs at least one ring"]
    return [p for i, ring in enumerate(rings)
            for p in _ring_problems(ring, f"{where}[{i}]", exterior=i == 0, orientation=orientation)]


def geometry_problems(geom: Any, where: str = "geometry", *, orientation: bool = True) -> list[str]:
    """Problems of one GeoJSON geometry (empty list: valid)."""
    if not isinstance(geom, dict) or geom.get("type") not in GEOMETRY_TYPES:
        return [f"{where}: not a GeoJSON geometry (type must be one of {', '.join(GEOMETRY_TYPES)})"]
    kind, coords = geom["type"], geom.get("coordinates")
    if kind == "GeometryCollection":
        members = geom.get("geometries")
        if not isinstance(members, list):
            return [f"{where}: GeometryCollection needs 'geometries'"]
        return [p for i, g in enumerate(members) for p in geometry_problems(g, f"{where}.geometries[{i}]")]
    if not isinstance(coords, list):
        return [f"{where}: 'coordinates' must be an array"]
    if kind == "Point":
        return _position_problems(coords, f"{where}.coordinates")
    if kind in ("MultiPoint", "LineString"):
        minimum = 2 if kind == "LineString" else 0
        out = [] if len(coords) >= minimum else [f"{where}: a LineString needs 2 positions"]
        return out + [p for i, c in enumerate(coords)
                      for p in _position_problems(c, f"{where}.coordinates[{i}]")]
    if kind == "MultiLineString":
        return [p for i, line in enumerate(coords)
                for p in geometry_problems({"type": "LineString", "coordinates": line},
                                           f"{where}.coordinates[{i}]")]
    if kind == "Polygon":
        return _polygon_problems(coords, f"{where}.coordinates", orientation)
    return [p for i, poly in enumerate(coords)
            for p in _polygon_problems(poly, f"{where}.coordinates[{i}]", orientation)]


def feature_collection_problems(doc: Any, *, orientation: bool = True,
                                allow_null_geometry: bool = False) -> list[str]:
    """Problems of a FeatureCollection (empty list: valid RFC 7946)."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return ["not a GeoJSON FeatureCollection (type must be 'FeatureCollection')"]
    if "crs" in doc:
        return ["'crs' is not part of RFC 7946: coordinates are always lon/lat WGS84"]
    feats = doc.get("features")
    if not isinstance(feats, list):
        return ["'features' must be an array"]
    problems: list[str] = []
    for i, f in enumerate(feats):
        where = f"features[{i}]"
        if not isinstance(f, dict) or f.get("type") != "Feature":
            problems.append(f"{where}: not a Feature")
            continue
        if "properties" not in f or not (f["properties"] is None or isinstance(f["properties"], dict)):
            problems.append(f"{where}: 'properties' must be an object or null")
        if "id" in f and not isinstance(f["id"], str | int | float):
            problems.append(f"{where}: 'id' must be a string or number")
        if f.get("geometry") is None:
            if not allow_null_geometry:
                problems.append(f"{where}: geometry is missing")
            continue
        problems += geometry_problems(f["geometry"], f"{where}.geometry", orientation=orientation)
    return problems


def feature_id(feature: dict[str, Any]) -> Any:
    """A feature's id: ``properties.id`` first (the contract's field), else ``id``."""
    props = feature.get("properties") or {}
    return props.get("id", feature.get("id"))


def read_features(doc: Any, *, what: str = "features",
                  geometry_types: tuple[str, ...] | None = None,
                  coordsys: str = "wgs84", require_id: bool = True) -> list[tuple[Any, Any]]:
    """Parse a FeatureCollection into ``(id, shapely geometry)`` pairs in WGS84 lon/lat.

    Every problem is collected before raising, so a caller gets them all at once.
    Ring orientation is not enforced on input (RFC 7946 asks parsers to be lenient).

    Raises
    ------
    InvalidGeoJSONError
        Not a FeatureCollection, bad coordinates, a geometry type not allowed.
    DuplicateIdError
        Two features with the same id.

    Examples
    --------
    >>> read_features({"type": "FeatureCollection", "features": [{"type": "Feature",
    ...   "properties": {"id": "p"}, "geometry": {"type": "Point", "coordinates": [109.7, 38.2]}}]})
    [('p', <POINT (109.7 38.2)>)]
    """
    problems = [f"{what}: {p}" for p in feature_collection_problems(doc, orientation=False)]
    if problems:
        raise InvalidGeoJSONError(problems[0], details={"problems": problems[:50]})
    out: list[tuple[Any, Any]] = []
    seen: dict[Any, int] = {}
    for i, f in enumerate(doc["features"]):
        fid = feature_id(f)
        if fid is None and require_id:
            problems.append(f"{what}.features[{i}]: needs properties.id")
        elif not isinstance(fid, str | int | float | type(None)):
            problems.append(f"{what}.features[{i}]: id must be a string or a number")
        if geometry_types and f["geometry"]["type"] not in geometry_types:
            problems.append(f"{what}.features[{i}]: geometry is {f['geometry']['type']}, "
                            f"expected {' or '.join(geometry_types)}")
        if fid is not None and isinstance(fid, str | int | float) and fid in seen:
            raise DuplicateIdError(f"{what}: id {fid!r} is used by features {seen[fid]} and {i}",
                                   details={"id": fid, "features": [seen[fid], i]})
        if isinstance(fid, str | int | float):
            seen[fid] = i
        out.append((fid, f["geometry"]))
    if problems:
        raise InvalidGeoJSONError(problems[0], details={"problems": problems[:50]})
    geoms = []
    for i, (_, g) in enumerate(out):
        try:
            geoms.append(shape(g))
        except (ValueError, TypeError) as exc:  # e.g. 2D and 3D positions mixed in one ring
            raise InvalidGeoJSONError(f"{what}.features[{i}]: unreadable coordinates ({exc})",
                                      details={"feature": i}) from exc
    geoms = [geometry_to_wgs84(g, coordsys) for g in geoms]
    return [(fid, g) for (fid, _), g in zip(out, geoms, strict=True)]
