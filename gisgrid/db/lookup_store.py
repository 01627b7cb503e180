"""Lookup SQL: the grids in force on a date, at a point or all at once (for batches).

Both functions return the same per-grid *context* (the grid's JSON object, its
community/subdistrict/district and its team, names only) so that a single lookup and a
batch assemble byte-identical answers in ``gisgrid.lookup``. Phone numbers never leave
this module: the team is built from ``staff.name`` and ``grid_staff.role`` alone.

Plans in force on a date D ("generations", as in MapIt): active or retired plans with
``effective_from <= D < effective_to`` (open ends allowed). Drafts are never in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

#: The plans in force on :on (one per scope; several scopes may be in force at once).
PLANS_IN_FORCE = """
    SELECT p.id FROM plan p
    WHERE p.status IN ('active', 'retired')
      AND (p.effective_from IS NULL OR p.effective_from <= :on)
      AND (p.effective_to IS NULL OR :on < p.effective_to)
"""

# Per grid: its JSON object, its areas (the body of a JSON object: "community": ...,
# "subdistrict": ..., "district": ...) and its team ordered leader, full-time, part-time.
_CONTEXT_COLUMNS = """
    g.id, g.kind, g.code,
    json_build_object('id', g.id, 'code', g.code, 'name', g.name, 'kind', g.kind)::text AS grid_json,
    (SELECT '"community": ' || coalesce(json_build_object('code', c.code, 'name', c.name)::text, 'null')
         || ', "subdistrict": ' || coalesce((
             SELECT json_build_object('code', a.code, 'name', a.name)::text
             FROM admin_area a WHERE a.level = 'subdistrict' AND a.id IN (c.parent_id, p1.parent_id)
             LIMIT 1), 'null')
         || ', "district": ' || coalesce((
             SELECT json_build_object('code', a.code, 'name', a.name)::text
             FROM admin_area a WHERE a.level = 'district' AND a.id IN (c.parent_id, p1.parent_id)
             LIMIT 1), 'null')
     FROM admin_area c LEFT JOIN admin_area p1 ON p1.id = c.parent_id
     WHERE c.id = g.community_id) AS areas_json,
    coalesce((SELECT json_agg(json_build_object('role', t.role, 'name', t.name)
                              ORDER BY t.rank, t.name, t.id)::text
              FROM (SELECT gs.role, s.name, s.id,
                           array_position(ARRAY['leader', 'full_time', 'part_time'], gs.role::text) AS rank
                    FROM grid_staff gs
                    -- OFFSET 0 keeps this a per-row primary-key lookup (no hash of all staff)
                    CROSS JOIN LATERAL (SELECT s.name, s.id FROM staff s WHERE s.id = gs.staff_id
                                        OFFSET 0) s
                    WHERE gs.grid_id = g.id) t), '[]') AS staff_json
"""

_PT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
# No CTE for the point: written inline, it lets the planner use the GiST indexes.
_POINT_SQL = text(f"""
    SELECT 'hit' AS tag, NULL::float8 AS distance, {_CONTEXT_COLUMNS}
    FROM grid g
    WHERE ST_Intersects(g.boundary, {_PT}) AND g.plan_id IN ({PLANS_IN_FORCE})
    UNION ALL
    SELECT 'near', ST_Distance(ST_Transform(g.boundary, :srid), ST_Transform({_PT}, :srid)),
           g.id, g.kind, g.code, json_build_object('id', g.id, 'code', g.code, 'name', g.name,
                                                   'kind', g.kind)::text, NULL, NULL
    FROM grid g
    WHERE g.boundary && ST_Expand({_PT}, :dlon, :dlat) AND g.kind <> 'business'
      AND g.plan_id IN ({PLANS_IN_FORCE})
""")

_NEAREST_SQL = text(f"""
    WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
    SELECT min(ST_Distance(n.boundary::geography, pt.g::geography))
    FROM pt, LATERAL (
        SELECT g.boundary FROM grid g WHERE g.plan_id IN ({PLANS_IN_FORCE})
        ORDER BY g.boundary <-> pt.g LIMIT 8) n
""")

_ALL_GRIDS_SQL = text(f"""
    SELECT {_CONTEXT_COLUMNS}, ST_AsBinary(g.boundary) AS wkb
    FROM grid g WHERE g.plan_id IN ({PLANS_IN_FORCE})
    ORDER BY g.id
""")


@dataclass(frozen=True)
class GridContext:
    """One grid as lookups report it (JSON fragments, ready to splice)."""

    id: int
    kind: str
    code: str
    grid_json: str
    areas_json: str | None = None
    staff_json: str | None = None


@dataclass(frozen=True)
class PointRows:
    """What the database says about one point: grids holding it, base grids near it."""

    hits: list[GridContext]
    near: list[tuple[GridContext, float]]


def grids_at_point(session: Session, lon: float, lat: float, *, on: dt.date, metric_srid: int,
                   search_deg: tuple[float, float]) -> PointRows:
    """Grids in force on ``on`` that hold the point, and base grids within a search box.

    One round trip. ``near`` pairs each base grid whose bounding box meets the box of
    half-size ``search_deg`` (lon, lat degrees) around the point with its distance in
    metres, measured in ``metric_srid`` (the point's UTM zone); the caller keeps those
    within its threshold.
    """
    rows = session.execute(_POINT_SQL, {
        "lon": lon, "lat": lat, "on": on, "srid": metric_srid,
        "dlon": search_deg[0], "dlat": search_deg[1],
    }).all()
    hits, near = [], []
    for r in rows:
        ctx = GridContext(r.id, r.kind, r.code, r.grid_json, r.areas_json, r.staff_json)
        if r.tag == "hit":
            hits.append(ctx)
        else:
            near.append((ctx, float(r.distance)))
    return PointRows(hits, near)


def distance_to_nearest_grid(session: Session, lon: float, lat: float, *, on: dt.date) -> float | None:
    """Geodesic distance (m) from a point to the nearest grid in force; None if no grids."""
    d = session.execute(_NEAREST_SQL, {"lon": lon, "lat": lat, "on": on}).scalar_one()
    return None if d is None else float(d)


def grids_in_force(session: Session, *, on: dt.date) -> list[tuple[GridContext, bytes]]:
    """Every grid in force on ``on`` with its context and its boundary as WKB (one query)."""
    rows = session.execute(_ALL_GRIDS_SQL, {"on": on}).all()
    return [(GridContext(r.id, r.kind, r.code, r.grid_json, r.areas_json, r.staff_json),
             bytes(r.wkb)) for r in rows]


def plans_in_force(session: Session, *, on: dt.date) -> list[int]:
    """Ids of the plans in force on ``on``."""
    return [int(i) for i in session.execute(text(PLANS_IN_FORCE + " ORDER BY p.id"),
                                            {"on": on}).scalars()]


__all__: list[Any] = ["GridContext", "PointRows", "distance_to_nearest_grid", "grids_at_point",
                      "grids_in_force", "plans_in_force"]
