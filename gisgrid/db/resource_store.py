"""Reads and writes of resources (venues, merchants, teams, party units, centres).

Storage only: the contact person (``contact_name``, ``contact_phone``) is read here with
everything else; callers cut it to what the principal may see (``gisgrid.access``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.bulk import ewkb_hex
from gisgrid.errors import NotFoundError
from gisgrid.rules import BASE_KINDS_SQL, owner_order_sql

__all__ = ["assign_resource_grids", "get_resource", "list_resources", "map_epoch", "upsert_resources"]

_SELECT = """
    SELECT r.id, r.name, r.kind, r.address, r.details, r.floor_area_m2, r.members, r.projects,
           r.contact_name, r.contact_phone,
           round(ST_X(r.location)::numeric, 7)::float AS lon,
           round(ST_Y(r.location)::numeric, 7)::float AS lat,
           g.id AS grid_id, g.code AS grid_code, g.name AS grid_name, g.kind AS grid_kind,
           c.code AS community_code, c.name AS community_name
    FROM resource r
    LEFT JOIN grid g ON g.id = r.grid_id
    LEFT JOIN admin_area c ON c.id = r.community_id
"""


def map_epoch(session: Session) -> int:
    """The counter that every change to what the staff map draws moves (migration 0011)."""
    return int(session.execute(text("SELECT value FROM map_epoch WHERE id = 1")).scalar_one())


def assign_resource_grids(session: Session, *, ids: Sequence[int] | None = None) -> int:
    """Store each resource's owning grid among the base grids of the active plans.

    The owner rule of :mod:`gisgrid.rules` (base grids own; the first by code, then id,
    on a shared edge), the one households follow; a resource in no base grid gets NULL.
    ``ids`` limits the work to those resources (an import); default all of them (an
    activation). Returns the number of resources that have a grid afterwards.
    """
    only = "AND t.id = ANY(:ids)" if ids is not None else ""
    params: dict[str, Any] = {"ids": list(ids)} if ids is not None else {}
    session.execute(text(f"""
        UPDATE resource r SET grid_id = o.grid_id FROM (
          SELECT t.id, (SELECT g.id FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
                        WHERE ST_Covers(g.boundary, t.location) AND g.kind IN {BASE_KINDS_SQL}
                        ORDER BY {owner_order_sql('g')} LIMIT 1) AS grid_id
          FROM resource t WHERE true {only}) o
        WHERE o.id = r.id AND r.grid_id IS DISTINCT FROM o.grid_id"""), params)
    return int(session.execute(text(
        f"SELECT count(*) FROM resource t WHERE grid_id IS NOT NULL {only}"), params).scalar_one())


def upsert_resources(session: Session, rows: Sequence[dict[str, Any]], *,
                     district_code: str) -> dict[str, Any]:
    """Insert resources, or update those of the district with the same kind and name.

    Each row: name, kind, location (a shapely point, WGS84), and optionally address,
    details, floor_area_m2, members, projects, contact_name, contact_phone. The
    community is the one whose boundary covers the point. Returns ``{"inserted",
    "updated", "ids"}``.
    """
    inserted = updated = 0
    ids: list[int] = []
    for row in rows:
        values = {
            "district": district_code, "name": row["name"], "kind": row["kind"],
            "address": row.get("address"), "details": row.get("details"),
            "floor": row.get("floor_area_m2"), "members": row.get("members"),
            "projects": list(row.get("projects") or []),
            "cname": row.get("contact_name"), "cphone": row.get("contact_phone"),
            "geom": ewkb_hex(row["location"]),
        }
        found = session.execute(text(
            "SELECT id FROM resource WHERE district_code = :district AND kind = :kind AND name = :name "
            "ORDER BY id LIMIT 1"), values).scalar()
        community = ("(SELECT a.id FROM admin_area a WHERE a.level = 'community' "
                     "AND ST_Covers(a.boundary, CAST(:geom AS geometry)) ORDER BY a.code LIMIT 1)")
        if found is None:
            rid = session.execute(text(f"""
                INSERT INTO resource (district_code, community_id, name, kind, details, location, address,
                                      floor_area_m2, members, projects, contact_name, contact_phone)
                VALUES (:district, {community}, :name, :kind, :details, CAST(:geom AS geometry), :address,
                        :floor, :members, :projects, :cname, :cphone) RETURNING id"""), values).scalar_one()
            inserted += 1
        else:
            rid = found
            session.execute(text(f"""
                UPDATE resource SET community_id = {community}, details = :details,
                       location = CAST(:geom AS geometry), address = :address, floor_area_m2 = :floor,
                       members = :members, projects = :projects, contact_name = :cname,
                       contact_phone = :cphone WHERE id = :id"""), {**values, "id": rid})
            updated += 1
        ids.append(int(rid))
    return {"inserted": inserted, "updated": updated, "ids": ids}


def list_resources(session: Session, *, kind: str | None = None, grid_id: int | None = None,
                   community: str | None = None, bbox: tuple[float, float, float, float] | None = None,
                   ids: Sequence[int] | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Resources matching the filters, by id: (how many match, one page)."""
    where, params = ["true"], {"limit": limit, "offset": offset}
    if kind is not None:
        where.append("r.kind = :kind")
        params["kind"] = kind
    if grid_id is not None:
        where.append("r.grid_id = :grid")
        params["grid"] = grid_id
    if community is not None:
        where.append("c.code = :community")
        params["community"] = community
    if ids is not None:
        where.append("r.id = ANY(:ids)")
        params["ids"] = list(ids)
    if bbox is not None:
        where.append("r.location && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(zip(("w", "s", "e", "n"), bbox, strict=True))
    cond = " AND ".join(where)
    total = session.execute(text(
        f"SELECT count(*) FROM resource r LEFT JOIN admin_area c ON c.id = r.community_id WHERE {cond}"),
        params).scalar_one()
    rows = session.execute(text(f"{_SELECT} WHERE {cond} ORDER BY r.id LIMIT :limit OFFSET :offset"), params)
    return int(total), [dict(r._mapping) for r in rows]


def get_resource(session: Session, resource_id: int) -> dict[str, Any]:
    """One resource with its grid and community; NotFoundError when there is none."""
    row = session.execute(text(f"{_SELECT} WHERE r.id = :id"), {"id": resource_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"resource {resource_id} does not exist")
    return dict(row._mapping)
