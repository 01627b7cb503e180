"""Reads of personal data: the households of an area, the team of a grid with phones.

Storage only: whoever calls these decides first who may see the result
(``gisgrid.access``); nothing here is public as it stands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.errors import NotFoundError

_ROLE_ORDER = "CASE gs.role WHEN 'leader' THEN 0 WHEN 'full_time' THEN 1 ELSE 2 END"


def households_in_area(session: Session, code: str, *, limit: int,
                       offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Households located in area ``code`` (by position), by id: (how many, one page).

    Raises NotFoundError for an unknown area code.
    """
    area = session.execute(text("SELECT id FROM admin_area WHERE code = :c"), {"c": code}).scalar()
    if area is None:
        raise NotFoundError(f"no area with code {code}")
    inside = """FROM household h JOIN admin_area a ON a.id = :a
                WHERE ST_Covers(a.boundary, h.location)"""
    total = session.execute(text("SELECT count(*) " + inside), {"a": area}).scalar_one()
    rows = session.execute(text(f"""
        SELECT h.id, h.address, h.room, h.size, h.unit_id, h.building_id,
               round(ST_X(h.location)::numeric, 7)::float AS lon,
               round(ST_Y(h.location)::numeric, 7)::float AS lat
        {inside} ORDER BY h.id LIMIT :limit OFFSET :offset
    """), {"a": area, "limit": limit, "offset": offset})
    return int(total), [dict(r._mapping) for r in rows]


def grid_team(session: Session, grid_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A grid (id, code, name, kind, plan_id, community code) and its team with phones.

    The team comes leader first, then the full-time worker, then part-time workers by name.
    Raises NotFoundError for an unknown grid.
    """
    grid = session.execute(text("""
        SELECT g.id, g.code, g.name, g.kind, g.plan_id, c.code AS community
        FROM grid g JOIN admin_area c ON c.id = g.community_id WHERE g.id = :g
    """), {"g": grid_id}).one_or_none()
    if grid is None:
        raise NotFoundError(f"grid {grid_id} does not exist")
    team = session.execute(text(f"""
        SELECT gs.role, s.name, s.phone FROM grid_staff gs JOIN staff s ON s.id = gs.staff_id
        WHERE gs.grid_id = :g ORDER BY {_ROLE_ORDER}, s.name, s.id
    """), {"g": grid_id})
    return dict(grid._mapping), [dict(r._mapping) for r in team]
