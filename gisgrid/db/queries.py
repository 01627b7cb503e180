"""Read queries behind the API and maps: all spatial SQL lives here (MapIt's model).

Functions take the session first and filters keyword-only. GeoJSON comes straight out
of PostGIS (``ST_AsGeoJSON``), exterior rings forced counter-clockwise as RFC 7946 asks.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.owners import counted_in_sql, owners_sql
from gisgrid.errors import InvalidInputError, NotFoundError
from gisgrid.rules import BASE_KINDS_SQL
from gisgrid.settings import STORAGE_SRID

#: Decimal places of lon/lat in GeoJSON output: 7 digits is ~1 cm.
GEOJSON_DIGITS = 7

_PLAN_COLUMNS = """
    p.id, p.name, p.status, p.effective_from, p.effective_to, p.parent_id, p.author,
    p.note, p.version, p.created_at, p.household_min, p.household_max,
    a.code AS scope_code, a.name AS scope_name,
    a.level AS scope_level,
    (SELECT count(*) FROM grid g WHERE g.plan_id = p.id) AS grids
"""


def _plan_dict(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": m["id"], "name": m["name"], "status": m["status"],
        "scope": {"code": m["scope_code"], "name": m["scope_name"], "level": m["scope_level"]},
        "effective_from": m["effective_from"].isoformat() if m["effective_from"] else None,
        "effective_to": m["effective_to"].isoformat() if m["effective_to"] else None,
        "parent_id": m["parent_id"], "author": m["author"], "note": m["note"],
        "version": m["version"], "created_at": m["created_at"].isoformat(), "grids": m["grids"],
        "household_bounds": {"min": m["household_min"], "max": m["household_max"]},
    }


def list_areas(session: Session, *, level: str | None = None,
               parent: str | None = None) -> list[dict[str, Any]]:
    """Administrative areas (no geometry), optionally one level or one parent's children."""
    rows = session.execute(text("""
        SELECT a.code, a.name, a.level, p.code AS parent_code,
               round(ST_Area(a.boundary::geography)) AS area_m2
        FROM admin_area a LEFT JOIN admin_area p ON p.id = a.parent_id
        WHERE (CAST(:level AS text) IS NULL OR a.level = :level)
          AND (CAST(:parent AS text) IS NULL OR p.code = :parent)
        ORDER BY a.code
    """), {"level": level, "parent": parent})
    return [dict(r._mapping) for r in rows]


def area_feature(session: Session, code: str) -> dict[str, Any]:
    """One area as a GeoJSON Feature (boundary included)."""
    row = session.execute(text(f"""
        SELECT a.code, a.name, a.level, p.code AS parent_code,
               round(ST_Area(a.boundary::geography)) AS area_m2,
               ST_AsGeoJSON(ST_ForcePolygonCCW(a.boundary), {GEOJSON_DIGITS}) AS geometry
        FROM admin_area a LEFT JOIN admin_area p ON p.id = a.parent_id
        WHERE a.code = :code
    """), {"code": code}).one_or_none()
    if row is None:
        raise NotFoundError(f"no area with code {code}")
    props = dict(row._mapping)
    geometry = json.loads(props.pop("geometry"))
    return {"type": "Feature", "id": props["code"], "properties": props, "geometry": geometry}


def list_plans(session: Session, *, status: str | None = None,
               scope: str | None = None) -> list[dict[str, Any]]:
    """Plan versions, newest first; ``status`` and ``scope`` (area code) filter."""
    rows = session.execute(text(f"""
        SELECT {_PLAN_COLUMNS} FROM plan p JOIN admin_area a ON a.id = p.scope_id
        WHERE (CAST(:status AS text) IS NULL OR p.status = :status)
          AND (CAST(:scope AS text) IS NULL OR a.code = :scope)
        ORDER BY p.id DESC
    """), {"status": status, "scope": scope})
    return [_plan_dict(r) for r in rows]


def get_plan(session: Session, plan_id: int) -> dict[str, Any]:
    """One plan version."""
    row = session.execute(text(f"""
        SELECT {_PLAN_COLUMNS} FROM plan p JOIN admin_area a ON a.id = p.scope_id
        WHERE p.id = :id
    """), {"id": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return _plan_dict(row)


def grid_counts_join(g: str) -> str:
    """SQL joining to each grid row aliased ``g`` its counts ``n.households``,
    ``n.residents`` and ``n.shops``, for a few grids at a time (a page of an OGC
    collection): the counting rule of :func:`grid_features` (the owner rule of
    :mod:`gisgrid.rules`, written per grid in :func:`gisgrid.db.owners.counted_in_sql`).
    """
    # Households and residents from one scan of the grid's households.
    return f"""CROSS JOIN LATERAL (
            SELECT hh.households, hh.residents,
                   (SELECT count(*) FROM shop s WHERE {counted_in_sql(g, "s.location", "shop")}) AS shops
            FROM (SELECT count(*) AS households, coalesce(sum(h.size), 0) AS residents
                  FROM household h WHERE {counted_in_sql(g, "h.location", "household")}) hh
        ) n"""


def grid_features(session: Session, plan_id: int, *, kind: str | None = None,
                  community: str | None = None, digits: int = GEOJSON_DIGITS) -> dict[str, Any]:
    """The grids of a plan as an RFC 7946 FeatureCollection, with household/shop counts.

    Counts are by location, so they are right for any plan version, drafts included,
    without stored assignments; each household and shop counts once, in its owner grid
    (:mod:`gisgrid.rules`: on a shared edge the base grid first by code, then id), as
    the stored assignment has it; shops count again in every business grid holding them.
    ``digits``: decimal places of the coordinates (15 keeps every stored double to better
    than 1e-12 degrees, for exports).
    """
    get_plan(session, plan_id)  # 404 for an unknown plan rather than an empty collection
    if kind is not None and kind not in ("residential", "business", "special"):
        raise InvalidInputError(f"unknown grid kind {kind!r}")
    # Owners of the points of the grids asked for (all the plan's when no filter).
    among = None if kind is None and community is None else (
        "s.plan_id = :plan AND (CAST(:kind AS text) IS NULL OR s.kind = :kind) AND "
        "(CAST(:community AS text) IS NULL OR s.community_id IN "
        "(SELECT id FROM admin_area WHERE code = :community))")
    rows = session.execute(text(f"""
        WITH owned_h AS ({owners_sql("household", plan=":plan", among=among)}),
             owned_s AS ({owners_sql("shop", plan=":plan", among=among)}),
             hh AS (SELECT o.grid_id, count(*) AS n, sum(h.size) AS residents
                    FROM owned_h o JOIN household h ON h.id = o.id GROUP BY o.grid_id),
             sh AS (SELECT grid_id, count(*) AS n FROM owned_s GROUP BY grid_id)
        SELECT g.id, g.code, g.seq, g.name, g.kind, g.plan_id,
               c.code AS community_code, c.name AS community_name,
               round(ST_Area(g.boundary::geography)) AS area_m2,
               coalesce(hh.n, 0) AS households, coalesce(hh.residents, 0) AS residents,
               CASE WHEN g.kind IN {BASE_KINDS_SQL} THEN coalesce(sh.n, 0)
                    ELSE (SELECT count(*) FROM shop s WHERE ST_Covers(g.boundary, s.location))
               END AS shops,
               (SELECT json_object_agg(t.role, t.n) FROM (
                   SELECT role, count(*) AS n FROM grid_staff gs WHERE gs.grid_id = g.id
                   GROUP BY role) t) AS team,
               ST_AsGeoJSON(ST_ForcePolygonCCW(g.boundary), {int(digits)}) AS geometry
        FROM grid g JOIN admin_area c ON c.id = g.community_id
        LEFT JOIN hh ON hh.grid_id = g.id LEFT JOIN sh ON sh.grid_id = g.id
        WHERE g.plan_id = :plan
          AND (CAST(:kind AS text) IS NULL OR g.kind = :kind)
          AND (CAST(:community AS text) IS NULL OR c.code = :community)
        ORDER BY g.code
    """), {"plan": plan_id, "kind": kind, "community": community})
    features = []
    for r in rows:
        props = dict(r._mapping)
        geometry = json.loads(props.pop("geometry"))
        props["residents"] = int(props["residents"])
        props["team"] = props["team"] or {}
        features.append({"type": "Feature", "id": props["id"], "properties": props,
                         "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def plan_street_features(session: Session, plan_id: int) -> dict[str, Any]:
    """Streets of the plan's district crossing the extent of its grids, as a FeatureCollection.

    Properties: id, name, kind (``road`` or ``lane``). Empty for a plan without grids.
    """
    get_plan(session, plan_id)
    rows = session.execute(text(f"""
        WITH extent AS (
            SELECT p.district_code, ST_SetSRID(ST_Extent(g.boundary)::geometry, {STORAGE_SRID}) AS box
            FROM plan p JOIN grid g ON g.plan_id = p.id WHERE p.id = :plan
            GROUP BY p.district_code)
        SELECT s.id, s.name, s.kind, ST_AsGeoJSON(s.geom, {GEOJSON_DIGITS}) AS geometry
        FROM street s JOIN extent e
          ON s.district_code = e.district_code AND s.geom && e.box
        ORDER BY s.id
    """), {"plan": plan_id})
    features = [
        {"type": "Feature", "id": r.id, "properties": {"id": r.id, "name": r.name, "kind": r.kind},
         "geometry": json.loads(r.geometry)}
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}
