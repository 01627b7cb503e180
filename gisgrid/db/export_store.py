"""Reads behind the household rosters of a grid (personal data: for staff only).

A roster lists the households the grid owns (:func:`gisgrid.db.owners.owns_sql`, the
rule that counts them in ``GET /v1/plans/{id}/grids``), so a roster's length is the
grid's count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.owners import owns_sql
from gisgrid.errors import NotFoundError


def grid_by_code(session: Session, plan_id: int, code: str) -> dict[str, Any]:
    """One grid of a plan by its code: id, code, name, kind, community, plan name.

    Raises
    ------
    NotFoundError
        When the plan has no grid with this code.
    """
    row = session.execute(text("""
        SELECT g.id, g.code, g.name, g.kind, c.code AS community_code,
               c.name AS community_name, p.id AS plan_id, p.name AS plan_name, p.status AS plan_status
        FROM grid g JOIN admin_area c ON c.id = g.community_id JOIN plan p ON p.id = g.plan_id
        WHERE g.plan_id = :plan AND g.code = :code
    """), {"plan": plan_id, "code": code}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} has no grid with code {code[:40]!r}",
                            details={"plan": plan_id, "code": code[:40]})
    return dict(row._mapping)


def grid_households(session: Session, grid_id: int) -> list[dict[str, Any]]:
    """The households in a grid with building, unit and room, in address order."""
    rows = session.execute(text(f"""
        SELECT h.id, b.estate, b.name AS building, u.number AS unit, h.room, h.address, h.size,
               ST_X(h.location) AS lon, ST_Y(h.location) AS lat
        FROM grid g JOIN household h ON {owns_sql("g", "h.location")}
        LEFT JOIN building b ON b.id = h.building_id
        LEFT JOIN unit u ON u.id = h.unit_id
        WHERE g.id = :grid
        ORDER BY b.estate NULLS LAST, b.name NULLS LAST, u.number NULLS LAST, h.room, h.id
    """), {"grid": grid_id})
    return [dict(r._mapping) for r in rows]


def grid_team(session: Session, grid_id: int) -> list[dict[str, Any]]:
    """The grid's team with names and phones (role order: leader, full-time, part-time)."""
    rows = session.execute(text("""
        SELECT gs.role, s.name, s.phone
        FROM grid_staff gs JOIN staff s ON s.id = gs.staff_id
        WHERE gs.grid_id = :grid
        ORDER BY array_position(ARRAY['leader', 'full_time', 'part_time'], gs.role::text), s.name, s.id
    """), {"grid": grid_id})
    return [dict(r._mapping) for r in rows]
