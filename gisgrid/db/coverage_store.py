"""What the coverage check of a stored plan reads from PostGIS (storage only).

The rules (which area a plan must tile, which points count, the activation gate) are in
:mod:`gisgrid.coverage.plan`; these functions only read rows.
"""

from __future__ import annotations

from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.owners import owners_sql
from gisgrid.errors import NotFoundError


def plan_row(session: Session, plan_id: int) -> Any:
    row = session.execute(text("""
        SELECT p.id, p.name, p.status, p.scope_id, p.district_code, a.level AS scope_level,
               p.household_min, p.household_max
        FROM plan p JOIN admin_area a ON a.id = p.scope_id WHERE p.id = :p
    """), {"p": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return row


def grids(session: Session, plan_id: int) -> list[Any]:
    return list(session.execute(text("""
        SELECT g.code, g.kind, ST_AsBinary(g.boundary) AS wkb
        FROM grid g WHERE g.plan_id = :p ORDER BY g.code
    """), {"p": plan_id}))


def parent(session: Session, plan: Any) -> shapely.Geometry:
    """The area the plan's residential grids must tile (see the module docstring)."""
    wkb = session.execute(text("""
        SELECT ST_AsBinary(CASE
            WHEN :level = 'community' OR NOT EXISTS (SELECT 1 FROM grid WHERE plan_id = :p)
            THEN (SELECT boundary FROM admin_area WHERE id = :scope)
            ELSE (SELECT ST_Union(c.boundary) FROM admin_area c
                  WHERE c.id IN (SELECT community_id FROM grid WHERE plan_id = :p)) END)
    """), {"p": plan.id, "scope": plan.scope_id, "level": plan.scope_level}).scalar_one()
    return shapely.from_wkb(bytes(wkb))


def points_outside(session: Session, plan: Any) -> list[tuple[str, shapely.Point]]:
    """Households and shops of the scope that no residential grid of the plan covers.

    Set difference (EXCEPT) of "in the scope" and "in some grid", the latter driven from
    the grids (one GiST probe of the points per grid). EXCEPT hashes or sorts, so the
    plan stays fast even right after a bulk load, before ANALYZE has run: the demo
    loader activates its plan in the loading transaction, where a NOT EXISTS anti-join
    was planned as a nested loop and took minutes instead of a fraction of a second.
    """
    outside = {}
    for table, prefix in (("household", "household:"), ("shop", "shop:")):
        rows = session.execute(text(f"""
            WITH outside AS (
                SELECT t.id FROM {table} t JOIN admin_area s ON s.id = :scope
                WHERE t.district_code = :d AND ST_Covers(s.boundary, t.location)
                EXCEPT
                SELECT t.id FROM grid g JOIN {table} t ON ST_Covers(g.boundary, t.location)
                WHERE g.plan_id = :p AND g.kind = 'residential')
            SELECT t.id, ST_X(t.location), ST_Y(t.location)
            FROM {table} t JOIN outside o ON o.id = t.id ORDER BY t.id
        """), {"p": plan.id, "scope": plan.scope_id, "d": plan.district_code})
        outside.update({f"{prefix}{pid}": shapely.Point(x, y) for pid, x, y in rows})
    return list(outside.items())


def size_breaches(session: Session, plan_id: int, bounds: tuple[int, int]) -> list[dict[str, Any]]:
    """Residential grids whose households (each counted in its owner grid only, as the
    stored assignment counts them: :mod:`gisgrid.rules`) fall outside ``bounds``."""
    low, high = bounds
    rows = session.execute(text(f"""
        WITH owned AS ({owners_sql("household", plan=":p")})
        SELECT g.code, g.name, count(o.id) AS households
        FROM grid g LEFT JOIN owned o ON o.grid_id = g.id
        WHERE g.plan_id = :p AND g.kind = 'residential'
        GROUP BY g.code, g.name
        HAVING count(o.id) < :low OR count(o.id) > :high
        ORDER BY g.code
    """), {"p": plan_id, "low": low, "high": high})
    return [{"grid": r.code, "name": r.name, "households": r.households,
             "bound": "min" if r.households < low else "max"} for r in rows]


