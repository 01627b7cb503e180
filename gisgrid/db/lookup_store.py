"""Lookup SQL: the grids in force on a date, at a point or all at once (for batches).

Every function returns the same per-grid *context* (the grid's JSON object, its
community/subdistrict/district and its team, names only, as compact JSON made by
:meth:`GridContext.from_row`) so that the single SQL lookup, the batch and the in-memory
index (``gisgrid.lookup.index``) assemble byte-identical answers. Phone numbers never leave
this module: the team is built from ``staff.name`` and ``grid_staff.role`` alone.

Plans in force on a date D ("generations", as in MapIt): active or retired plans with
``effective_from <= D < effective_to`` (open ends allowed). Drafts are never in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

#: The plans in force on :on (one per scope; several scopes may be in force at once).
PLANS_IN_FORCE = """
    SELECT p.id FROM plan p
    WHERE p.status IN ('active', 'retired')
      AND (p.effective_from IS NULL OR p.effective_from <= :on)
      AND (p.effective_to IS NULL OR :on < p.effective_to)
"""

# Per grid: its fields, its community/subdistrict/district (code, name) and its team
# (roles and names, ordered leader, full-time, part-time, then by name); the JSON text is
# made in Python (``GridContext.from_row``) so every path writes the same compact bytes.
_CONTEXT_COLUMNS = """
    g.id, g.kind, g.code, g.name,
    c.code AS c_code, c.name AS c_name,
    (SELECT ARRAY[a.code, a.name] FROM admin_area a
     WHERE a.level = 'subdistrict' AND a.id IN (c.parent_id, p1.parent_id) LIMIT 1) AS s_area,
    (SELECT ARRAY[a.code, a.name] FROM admin_area a
     WHERE a.level = 'district' AND a.id IN (c.parent_id, p1.parent_id) LIMIT 1) AS d_area,
    (SELECT ARRAY[array_agg(t.role::text ORDER BY t.rank, t.name, t.id),
                  array_agg(t.name ORDER BY t.rank, t.name, t.id)]
     FROM (SELECT gs.role, s.name, s.id,
                  array_position(ARRAY['leader', 'full_time', 'part_time'], gs.role::text) AS rank
           FROM grid_staff gs
           -- OFFSET 0 keeps this a per-row primary-key lookup (no hash of all staff)
           CROSS JOIN LATERAL (SELECT s.name, s.id FROM staff s WHERE s.id = gs.staff_id
                               OFFSET 0) s
           WHERE gs.grid_id = g.id) t) AS team
"""
# The community row of a grid and its parent, for the columns above.
_CONTEXT_JOINS = """
    LEFT JOIN admin_area c ON c.id = g.community_id
    LEFT JOIN admin_area p1 ON p1.id = c.parent_id
"""

_PT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
# No CTE for the point: written inline, it lets the planner use the GiST indexes. Near
# rows carry only the grid's own fields (their areas and team are never reported).
_POINT_SQL = text(f"""
    SELECT 'hit' AS tag, NULL::float8 AS distance, {_CONTEXT_COLUMNS}
    FROM grid g {_CONTEXT_JOINS}
    WHERE ST_Intersects(g.boundary, {_PT}) AND g.plan_id IN ({PLANS_IN_FORCE})
    UNION ALL
    SELECT 'near', ST_Distance(ST_Transform(g.boundary, :srid), ST_Transform({_PT}, :srid)),
           g.id, g.kind, g.code, g.name, NULL, NULL, NULL, NULL, NULL
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

_GRIDS_OF_PLANS_SQL = f"""
    SELECT {_CONTEXT_COLUMNS}, ST_AsBinary(g.boundary) AS wkb
    FROM grid g {_CONTEXT_JOINS}
    WHERE g.plan_id = ANY(:plans)
    ORDER BY g.id
"""

_PLANS_SQL = text("SELECT id, status, effective_from, effective_to FROM plan "
                  "WHERE status IN ('active', 'retired') ORDER BY id")


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def _area(code: str | None, name: str | None) -> bytes:
    return b"null" if code is None else _dumps({"code": code, "name": name})


@dataclass(frozen=True)
class GridContext:
    """One grid as lookups report it: compact JSON fragments (UTF-8), ready to splice.

    ``grid_json`` is the grid's object ``{"id","code","name","kind"}``; ``areas_json``
    the members ``"community":…,"subdistrict":…,"district":…`` and ``staff_json`` the
    team array (both None for grids seen only as near neighbours).
    """

    id: int
    kind: str
    code: str
    grid_json: bytes
    areas_json: bytes | None = None
    staff_json: bytes | None = None

    @classmethod
    def from_row(cls, r: Any, *, full: bool = True) -> GridContext:
        """From a row of ``_CONTEXT_COLUMNS``; ``full=False``: the grid's own fields only."""
        grid = _dumps({"id": r.id, "code": r.code, "name": r.name, "kind": r.kind})
        if not full:
            return cls(r.id, r.kind, r.code, grid)
        s_area, d_area = r.s_area or (None, None), r.d_area or (None, None)
        areas = (b'"community":' + _area(r.c_code, r.c_name) + b',"subdistrict":' + _area(*s_area)
                 + b',"district":' + _area(*d_area))
        roles, names = r.team if r.team and r.team[0] is not None else ([], [])
        staff = _dumps([{"role": role, "name": name} for role, name in zip(roles, names, strict=True)])
        return cls(r.id, r.kind, r.code, grid, areas, staff)


@dataclass(frozen=True)
class PointRows:
    """What the database says about one point: grids holding it, base grids near it."""

    hits: list[GridContext]
    near: list[tuple[GridContext, float]]


@dataclass(frozen=True)
class PlanDates:
    """When a plan that is (or was) active is in force: ``effective_from <= day < effective_to``."""

    id: int
    effective_from: dt.date | None
    effective_to: dt.date | None

    def in_force(self, on: dt.date) -> bool:
        return ((self.effective_from is None or self.effective_from <= on)
                and (self.effective_to is None or on < self.effective_to))


def grids_at_point(session: Session | Connection, lon: float, lat: float, *, on: dt.date,
                   metric_srid: int, search_deg: tuple[float, float]) -> PointRows:
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
        ctx = GridContext.from_row(r, full=r.tag == "hit")
        if r.tag == "hit":
            hits.append(ctx)
        else:
            near.append((ctx, float(r.distance)))
    return PointRows(hits, near)


def distance_to_nearest_grid(session: Session | Connection, lon: float, lat: float, *,
                             on: dt.date) -> float | None:
    """Geodesic distance (m) from a point to the nearest grid in force; None if no grids."""
    d = session.execute(_NEAREST_SQL, {"lon": lon, "lat": lat, "on": on}).scalar_one()
    return None if d is None else float(d)


def grids_of_plans(session: Session | Connection, plan_ids: list[int]) -> list[tuple[GridContext, bytes]]:
    """Every grid of the given plans with its context and its boundary as WKB (one query)."""
    rows = session.execute(text(_GRIDS_OF_PLANS_SQL), {"plans": list(plan_ids)}).all()
    return [(GridContext.from_row(r), bytes(r.wkb)) for r in rows]


def grids_in_force(session: Session | Connection, *, on: dt.date) -> list[tuple[GridContext, bytes]]:
    """Every grid in force on ``on`` with its context and its boundary as WKB."""
    return grids_of_plans(session, plans_in_force(session, on=on))


def plans_in_force(session: Session | Connection, *, on: dt.date) -> list[int]:
    """Ids of the plans in force on ``on``."""
    return [int(i) for i in session.execute(text(PLANS_IN_FORCE + " ORDER BY p.id"),
                                            {"on": on}).scalars()]


def lookup_state(conn: Connection) -> tuple[int, list[PlanDates]]:
    """The lookup epoch (see migration 0004) and the dates of every plan ever in force.

    Read in one transaction by the caller, so the epoch names exactly this state.
    """
    epoch = lookup_epoch(conn)
    plans = [PlanDates(int(r.id), r.effective_from, r.effective_to) for r in conn.execute(_PLANS_SQL)]
    return epoch, plans


def lookup_epoch(conn: Connection) -> int:
    """The lookup epoch alone: it moves on every committed change a lookup could see."""
    return int(conn.execute(text("SELECT value FROM lookup_epoch WHERE id = 1")).scalar_one())


__all__: list[Any] = ["GridContext", "PlanDates", "PointRows", "distance_to_nearest_grid",
                      "grids_at_point", "grids_in_force", "grids_of_plans", "lookup_epoch",
                      "lookup_state", "plans_in_force"]
