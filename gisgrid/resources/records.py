"""Resource records: read and check a file of resources, store them in their grids, and
show one as a principal may see it.

Kinds and what each carries (the 2020 report's resources):

- ``venue``: a room or square for activities, with ``floor_area_m2``;
- ``merchant``: a member of a merchants' alliance (爱心商户);
- ``volunteer_team``: with ``members``;
- ``party_unit``: a party organisation reporting to the community (双报到), with the
  ``members`` who reported and the self-governance ``projects`` it adopted;
- ``service_center``: a comprehensive service centre.

Every resource may have an ``address``, free-text ``details`` and a contact person
(``contact_name``, ``contact_phone``): personal data, shown in full to the staff of the
resource's community, masked to other staff and planners, never to anyone else.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy.orm import Session

from gisgrid.access.redact import person_view
from gisgrid.access.roles import Principal
from gisgrid.crs import to_wgs84
from gisgrid.db import resource_store
from gisgrid.errors import InvalidInputError

__all__ = ["RESOURCE_KINDS", "ImportSummary", "import_resources", "particulars_from_details",
           "read_resource_file", "resource_feature"]

RESOURCE_KINDS = ("venue", "merchant", "volunteer_team", "party_unit", "service_center")
_TEXT_LIMITS = {"name": 200, "address": 200, "details": 2000, "contact_name": 50, "contact_phone": 20}
_MAX_ROWS = 100_000


@dataclass
class ImportSummary:
    """What an import wrote (or, in a dry run, would write)."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    in_grid: int = 0
    outside_grids: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    out = str(value).strip()
    return out or None


def _number(value: Any, column: str, where: str, *, integer: bool) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{where}: {column} must be a number, not {value!r}",
                                details={"row": where, "column": column}) from exc
    if not math.isfinite(number) or number <= 0 or number > 1e7 or (integer and number != int(number)):
        raise InvalidInputError(f"{where}: {column} must be a positive {'whole ' if integer else ''}number",
                                details={"row": where, "column": column})
    return int(number) if integer else number


def _projects(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    items = value if isinstance(value, list | tuple) else str(value).replace("；", ";").split(";")
    return [str(p).strip()[:200] for p in items if str(p).strip()]


_AREA = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?) *m²")
_MEMBERS = re.compile(r"(?:队员|报到党员)([0-9]+)")


def particulars_from_details(details: str | None) -> tuple[float | None, int | None]:
    """Floor area (m²) and members where free-text details state them (the demo's form).

    >>> particulars_from_details("面积约210 m²"), particulars_from_details("报到党员48名；认领自治项目2个")
    ((210.0, None), (None, 48))
    >>> particulars_from_details("约3,000 m²场地")
    (3000.0, None)
    """
    area = _AREA.search(details or "")
    members = _MEMBERS.search(details or "")
    return (float(area.group(1).replace(",", "")) if area else None,
            int(members.group(1)) if members else None)


def check_row(props: dict[str, Any], geom: Any, where: str) -> dict[str, Any]:
    """One resource as stored, from a feature's properties and its WGS84 point geometry.

    Raises InvalidInputError naming the row and the problem.
    """
    row: dict[str, Any] = {k: _text(props.get(k)) for k in _TEXT_LIMITS}
    if not row["name"]:
        raise InvalidInputError(f"{where}: a resource needs a name", details={"row": where, "column": "name"})
    for key, limit in _TEXT_LIMITS.items():
        if row[key] is not None and len(row[key]) > limit:
            raise InvalidInputError(f"{where}: {key} is longer than {limit} characters",
                                    details={"row": where, "column": key})
    kind = _text(props.get("kind"))
    if kind not in RESOURCE_KINDS:
        raise InvalidInputError(f"{where}: kind {kind!r} is not one of {', '.join(RESOURCE_KINDS)}",
                                details={"row": where, "column": "kind", "accepted": list(RESOURCE_KINDS)})
    row["kind"] = kind
    if geom is None or shapely.is_empty(geom) or geom.geom_type != "Point":
        raise InvalidInputError(f"{where}: a resource is located by a point", details={"row": where})
    lon, lat = geom.x, geom.y
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInputError(f"{where}: coordinates out of range", details={"row": where})
    row["location"] = geom
    row["floor_area_m2"] = _number(props.get("floor_area_m2"), "floor_area_m2", where, integer=False)
    row["members"] = _number(props.get("members"), "members", where, integer=True)
    row["projects"] = _projects(props.get("projects"))
    return row


def read_resource_file(path: Path | str, *, coordsys: str = "wgs84") -> list[dict[str, Any]]:
    """The resources of a GeoJSON, GeoPackage or other OGR file of points, checked.

    Columns: ``name``, ``kind`` (see :data:`RESOURCE_KINDS`), optional ``address``,
    ``details``, ``floor_area_m2``, ``members``, ``projects`` (a list, or text separated
    by ``;``), ``contact_name``, ``contact_phone``. Coordinates in ``coordsys`` are
    converted to WGS84. Two rows with the same kind and name are refused (an import
    updates a resource found by kind and name).

    Examples
    --------
    >>> rows = read_resource_file("resources.geojson", coordsys="gcj02")   # doctest: +SKIP
    >>> rows[0]["kind"], rows[0]["location"].geom_type                     # doctest: +SKIP
    ('venue', 'Point')
    """
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file to the caller
        raise InvalidInputError(f"cannot read {Path(path).name}: {exc}", details={"file": str(path)}) from exc
    if len(frame) > _MAX_ROWS:
        raise InvalidInputError(f"{len(frame):,} rows: at most {_MAX_ROWS:,} resources per import")
    if len(frame) == 0:
        raise InvalidInputError(f"{Path(path).name} holds no resources")
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, 4490):
        frame = frame.to_crs(4326)
    geoms = list(frame.geometry)
    lon = [g.x if g is not None and g.geom_type == "Point" and not g.is_empty else 0.0 for g in geoms]
    lat = [g.y if g is not None and g.geom_type == "Point" and not g.is_empty else 0.0 for g in geoms]
    wlon, wlat = to_wgs84(lon, lat, coordsys)
    rows, seen = [], set()
    records = frame.drop(columns="geometry").to_dict("records")
    for i, (props, geom) in enumerate(zip(records, geoms, strict=True)):
        where = f"row {i + 1}"
        point = shapely.Point(float(wlon[i]), float(wlat[i])) if (
            geom is not None and geom.geom_type == "Point" and not geom.is_empty) else geom
        row = check_row(props, point, where)
        key = (row["kind"], row["name"])
        if key in seen:
            raise InvalidInputError(f"{where}: {row['kind']} {row['name']!r} appears twice in the file",
                                    details={"row": where, "column": "name"})
        seen.add(key)
        rows.append(row)
    return rows


def import_resources(session: Session, rows: list[dict[str, Any]], *, district_code: str) -> ImportSummary:
    """Store checked resources (new ones inserted, known ones by kind and name updated)
    and give each its grid among the active plans' base grids, in the caller's transaction."""
    written = resource_store.upsert_resources(session, rows, district_code=district_code)
    summary = ImportSummary(rows=len(rows), inserted=written["inserted"], updated=written["updated"])
    summary.in_grid = resource_store.assign_resource_grids(session, ids=written["ids"])
    if summary.in_grid < len(rows):
        _, listed = resource_store.list_resources(session, ids=written["ids"], limit=len(rows))
        summary.outside_grids = [r["name"] for r in listed if r["grid_id"] is None]
    return summary


def resource_feature(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A stored resource as a GeoJSON Feature for ``principal``: the contact person only
    to staff and planners (full to the resource's community, masked to others)."""
    props: dict[str, Any] = {
        "id": row["id"], "name": row["name"], "kind": row["kind"], "address": row["address"],
        "details": row["details"], "floor_area_m2": row["floor_area_m2"], "members": row["members"],
        "projects": list(row["projects"] or []),
        "grid": None if row["grid_id"] is None else {
            "id": row["grid_id"], "code": row["grid_code"], "name": row["grid_name"],
            "kind": row["grid_kind"]},
        "community": None if row["community_code"] is None else {
            "code": row["community_code"], "name": row["community_name"]},
    }
    if row["contact_name"] or row["contact_phone"]:
        contact = person_view({"name": row["contact_name"], "phone": row["contact_phone"]}, principal,
                              row["community_code"], name_public=False)
        if contact:
            props["contact"] = contact
    return {"type": "Feature", "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}, "properties": props}
