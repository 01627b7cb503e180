"""Load the Yuyang demo (``data/demo/yuyang.gpkg``, made by ``data/generate_demo.py``).

The file holds the real district boundary and a synthetic urban core (streets,
buildings, households, shops, grids with their teams, requests, resources). Loading
runs in the caller's transaction: a bad file leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gisgrid.address.registry import rebuild_address_registry
from gisgrid.db.audit_store import record_event
from gisgrid.db.bulk import copy_rows, ewkb_hex, next_id_offset, sync_sequence
from gisgrid.db.models import AdminArea, Grid, Plan
from gisgrid.demo.cases import make_demo_cases
from gisgrid.errors import ConflictError, InvalidInputError
from gisgrid.plans.activation import activate_plan
from gisgrid.resources import particulars_from_details
from gisgrid.settings import STORAGE_SRID

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo" / "yuyang.gpkg"
LAYERS = ("admin_area", "street", "grid", "building", "unit", "household", "shop",
          "staff", "request", "resource", "meta")
#: Tables holding one district's data, children first (the order rows are deleted in).
DISTRICT_TABLES = ("household", "building", "shop", "request", "resource", "street",
                   "staff", "plan", "admin_area")


@dataclass
class LoadSummary:
    """What a load wrote (or, in a dry run, would write): rows per table."""

    district_code: str
    plan_id: int | None = None
    rows: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def read_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    """Read every layer of the demo file, checking layers and CRS."""
    if not path.exists():
        raise InvalidInputError(
            f"demo file {path} not found; make it with `python data/generate_demo.py`"
        )
    present = {name for name, _ in pyogrio.list_layers(path)}
    missing = [name for name in LAYERS if name not in present]
    if missing:
        raise InvalidInputError(f"{path} lacks layers {missing}", details={"missing": missing})
    frames: dict[str, Any] = {}
    for name in LAYERS:
        df = pyogrio.read_dataframe(path, layer=name)
        if isinstance(df, gpd.GeoDataFrame) and df.crs is not None and df.crs.to_epsg() != 4326:
            raise InvalidInputError(f"layer {name} is in {df.crs}, expected EPSG:4326 lon/lat")
        frames[name] = df
    return frames


def _meta(frames: dict[str, Any]) -> dict[str, str]:
    meta = frames["meta"]
    return {str(k): str(v) for k, v in zip(meta["key"], meta["value"], strict=True)}


def _multi(geom: Any) -> Any:
    """Polygon → MultiPolygon, LineString → MultiLineString (the column types)."""
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "LineString":
        return shapely.MultiLineString([geom])
    return geom


def delete_district(session: Session, district_code: str) -> None:
    """Remove everything of one district (grids, units, teams go with their parents)."""
    for table in DISTRICT_TABLES:
        session.execute(text(f"DELETE FROM {table} WHERE district_code = :d"), {"d": district_code})


def _load_areas(session: Session, areas: Any) -> dict[str, int]:
    ids: dict[str, int] = {}
    for level in ("district", "subdistrict", "community"):
        for row in areas[areas["level"] == level].itertuples():
            area = AdminArea(
                code=row.code, name=row.name, level=level,
                parent_id=ids.get(row.parent_code) if row.parent_code else None,
                district_code=row.code[:6],
                boundary=from_shape(_multi(row.geometry), srid=STORAGE_SRID),
            )
            session.add(area)
            session.flush()
            ids[row.code] = area.id
    return ids


def _load_plan(session: Session, frames: dict[str, Any], area_ids: dict[str, int],
               district: str) -> tuple[Plan, dict[str, int]]:
    meta = _meta(frames)
    plan = Plan(
        scope_id=area_ids[district], district_code=district, name=meta.get("plan_name", "demo"),
        status="draft", effective_from=dt.date.fromisoformat(meta.get("effective_from", "2020-01-01")),
        author="gisgrid demo", note=meta.get("note"),
    )
    session.add(plan)
    session.flush()
    grid_ids: dict[str, int] = {}
    for row in frames["grid"].itertuples():
        grid = Grid(
            plan_id=plan.id, community_id=area_ids[row.community_code], district_code=district,
            code=row.code, seq=int(row.seq), name=row.name, kind=row.kind,
            boundary=from_shape(_multi(row.geometry), srid=STORAGE_SRID),
        )
        session.add(grid)
        session.flush()
        grid_ids[row.code] = grid.id
    return plan, grid_ids


def _load_staff(session: Session, staff: Any, grid_ids: dict[str, int], district: str) -> int:
    offset = next_id_offset(session, "staff")
    people = [(offset + int(r.id), district, r.name, r.phone) for r in staff.itertuples()]
    copy_rows(session, "staff", ("id", "district_code", "name", "phone"), people)
    links = [(grid_ids[r.grid_code], offset + int(r.id), r.role) for r in staff.itertuples()]
    copy_rows(session, "grid_staff", ("grid_id", "staff_id", "role"), links)
    sync_sequence(session, "staff")
    return len(people)


def _load_points_and_things(session: Session, frames: dict[str, Any], area_ids: dict[str, int],
                            district: str) -> dict[str, int]:
    rows: dict[str, int] = {}
    off = {t: next_id_offset(session, t) for t in
           ("street", "building", "unit", "household", "shop", "request", "resource")}

    def cid(code: Any) -> int | None:
        return area_ids.get(code) if isinstance(code, str) else None

    rows["street"] = copy_rows(session, "street", ("id", "district_code", "name", "kind", "geom"), (
        (off["street"] + int(r.id), district, r.name, r.kind, ewkb_hex(_multi(r.geometry)))
        for r in frames["street"].itertuples()))
    rows["building"] = copy_rows(session, "building", (
        "id", "district_code", "community_id", "name", "estate", "address", "floors", "footprint"), (
        (off["building"] + int(r.id), district, cid(r.community_code), r.name,
         r.estate if isinstance(r.estate, str) else None, r.address, int(r.floors),
         ewkb_hex(r.geometry)) for r in frames["building"].itertuples()))
    rows["unit"] = copy_rows(session, "unit", ("id", "building_id", "number", "entrance"), (
        (off["unit"] + int(r.id), off["building"] + int(r.building_id), int(r.number),
         ewkb_hex(r.geometry)) for r in frames["unit"].itertuples()))
    rows["household"] = copy_rows(session, "household", (
        "id", "district_code", "unit_id", "building_id", "room", "address", "size", "location"), (
        (off["household"] + int(r.id), district, off["unit"] + int(r.unit_id),
         off["building"] + int(r.building_id), r.room, r.address, int(r.size), ewkb_hex(r.geometry))
        for r in frames["household"].itertuples()))
    rows["shop"] = copy_rows(session, "shop", (
        "id", "district_code", "community_id", "name", "category", "address", "location"), (
        (off["shop"] + int(r.id), district, cid(r.community_code), r.name, r.category, r.address,
         ewkb_hex(r.geometry)) for r in frames["shop"].itertuples()))
    rows["request"] = copy_rows(session, "request", (
        "id", "district_code", "community_id", "title", "category", "description", "stage",
        "reported_at", "location"), (
        (off["request"] + int(r.id), district, cid(r.community_code), r.title, r.category,
         r.description, _STAGE_OF_STATUS[r.status], f"{r.reported_at} 12:00+08", ewkb_hex(r.geometry))
        for r in frames["request"].itertuples()))
    rows["resource"] = copy_rows(session, "resource", (
        "id", "district_code", "community_id", "name", "kind", "details", "location", "floor_area_m2",
        "members"), (
        (off["resource"] + int(r.id), district, cid(r.community_code), r.name, r.kind, r.details,
         ewkb_hex(r.geometry), *particulars_from_details(r.details))
        for r in frames["resource"].itertuples()))
    for table in off:
        sync_sequence(session, table)
    return rows


#: The demo file's request statuses as stages (gisgrid.demo.cases then makes them cases).
_STAGE_OF_STATUS = {"open": "registered", "in_progress": "in_progress", "resolved": "closed"}


def load_demo(session: Session, path: Path = DEMO_FILE, *, replace: bool = False,
              dry_run: bool = False) -> LoadSummary:
    """Load the demo file into the database and activate its plan.

    Parameters
    ----------
    replace
        Delete the district's existing data first; without it an already loaded
        district is refused (:class:`ConflictError`).
    dry_run
        Read and check the file, report what would be written, write nothing.

    Examples
    --------
    >>> with session_scope(engine) as s:          # doctest: +SKIP
    ...     load_demo(s).rows["household"]
    """
    frames = read_demo(path)
    areas = frames["admin_area"]
    district = str(areas.loc[areas["level"] == "district", "code"].iloc[0])
    summary = LoadSummary(district_code=district, dry_run=dry_run)
    if dry_run:
        summary.rows = {name: len(frames[name]) for name in LAYERS if name != "meta"}
        return summary
    exists = session.scalar(select(AdminArea.id).where(AdminArea.code == district))
    if exists and not replace:
        raise ConflictError(f"district {district} is already loaded; use --replace to reload it")
    if exists:
        delete_district(session, district)
    area_ids = _load_areas(session, areas)
    plan, grid_ids = _load_plan(session, frames, area_ids, district)
    summary.rows = {"admin_area": len(area_ids), "grid": len(grid_ids)}
    summary.rows["staff"] = _load_staff(session, frames["staff"], grid_ids, district)
    summary.rows.update(_load_points_and_things(session, frames, area_ids, district))
    # Activation also notes the lookup change (areas, grids and teams all replaced) for a
    # server's lookup cache: gisgrid.db.engine.note_lookup_change.
    activate_plan(session, plan.id, effective_from=plan.effective_from, actor="gisgrid demo")
    summary.rows.update(rebuild_address_registry(session, district_code=district))
    # The requests become cases over the last six months (stages, deadlines, duplicates).
    make_demo_cases(session, district, plan.id)
    summary.plan_id = plan.id
    record_event(session, "load_demo", "admin_area", area_ids[district], actor="gisgrid demo",
          details={"file": path.name, "rows": summary.rows})
    return summary


__all__ = ["DEMO_FILE", "LoadSummary", "delete_district", "load_demo", "read_demo"]
