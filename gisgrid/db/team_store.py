"""Grid teams (``grid_staff``) of a plan: read, replace, find the grids short of their 1+1 core,
and the staff of a district (storage only; the rules are in :mod:`gisgrid.plans.teams`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def plan_teams(session: Session, plan_id: int) -> list[Any]:
    """(grid_id, staff_id, name, role) of every team member of a plan's grids."""
    return session.execute(text("""
        SELECT gs.grid_id, s.id AS staff_id, s.name, gs.role
        FROM grid_staff gs JOIN grid g ON g.id = gs.grid_id JOIN staff s ON s.id = gs.staff_id
        WHERE g.plan_id = :p ORDER BY gs.grid_id, gs.role, s.id
    """), {"p": plan_id}).all()


def district_staff(session: Session, district_code: str) -> list[Any]:
    """(id, name) of the staff of a district, by name (no phone: the editor needs none)."""
    return session.execute(text("""
        SELECT id, name FROM staff WHERE district_code = :d ORDER BY name, id
    """), {"d": district_code}).all()


def known_staff(session: Session, district_code: str, staff_ids: list[int]) -> set[int]:
    """Which of ``staff_ids`` are staff of the district."""
    rows = session.execute(text("""
        SELECT id FROM staff WHERE district_code = :d AND id = ANY(:ids)
    """), {"d": district_code, "ids": staff_ids}).scalars()
    return set(rows)


def replace_team(session: Session, grid_id: int, members: list[tuple[int, str]]) -> None:
    """Make ``members`` ((staff_id, role) pairs) the grid's whole team."""
    session.execute(text("DELETE FROM grid_staff WHERE grid_id = :g"), {"g": grid_id})
    if members:
        session.execute(text("""
            INSERT INTO grid_staff (grid_id, staff_id, role) VALUES (:g, :s, :r)
        """), [{"g": grid_id, "s": s, "r": r} for s, r in members])


def grids_short_of_core(session: Session, plan_id: int) -> list[Any]:
    """Grids of a plan without a leader or without a full-time worker: id, code, name,
    kind and which of the two they have."""
    return session.execute(text("""
        SELECT g.id, g.code, g.name, g.kind,
               bool_or(gs.role = 'leader') IS TRUE AS has_leader,
               bool_or(gs.role = 'full_time') IS TRUE AS has_full_time
        FROM grid g LEFT JOIN grid_staff gs ON gs.grid_id = g.id
        WHERE g.plan_id = :p
        GROUP BY g.id
        HAVING NOT (bool_or(gs.role = 'leader') IS TRUE AND bool_or(gs.role = 'full_time') IS TRUE)
        ORDER BY g.code
    """), {"p": plan_id}).all()


def staff_moves(session: Session, *, before: int, after: int) -> list[dict[str, Any]]:
    """Team places that change between two plans, counted by (from grid, to grid, role).

    A grid is the same grid in both plans when its ``uid`` is; a member whose grid and
    role are the same in both plans did not move. A member's places that changed are
    paired in code order (role by role); a place left over goes to no grid (null), or
    comes from none.
    """
    rows = session.execute(text("""
        WITH a AS (SELECT gs.staff_id, gs.role, g.uid, g.code, g.name FROM grid_staff gs
                   JOIN grid g ON g.id = gs.grid_id WHERE g.plan_id = :a),
             b AS (SELECT gs.staff_id, gs.role, g.uid, g.code, g.name FROM grid_staff gs
                   JOIN grid g ON g.id = gs.grid_id WHERE g.plan_id = :b),
             gone AS (SELECT x.*, row_number() OVER (PARTITION BY staff_id, role ORDER BY code) AS k
                      FROM (SELECT * FROM a EXCEPT SELECT a.* FROM a JOIN b USING (staff_id, role, uid)) x),
             came AS (SELECT x.*, row_number() OVER (PARTITION BY staff_id, role ORDER BY code) AS k
                      FROM (SELECT * FROM b EXCEPT SELECT b.* FROM b JOIN a USING (staff_id, role, uid)) x),
             paired AS (
                SELECT coalesce(g.role, c.role) AS role,
                       g.code AS from_code, g.name AS from_name, c.code AS to_code, c.name AS to_name
                FROM gone g FULL JOIN came c ON c.staff_id = g.staff_id AND c.role = g.role AND c.k = g.k)
        SELECT from_code, from_name, to_code, to_name, role, count(*) AS n FROM paired
        GROUP BY 1, 2, 3, 4, 5 ORDER BY n DESC, 1, 3, 5
    """), {"a": before, "b": after})
    return [dict(r._mapping) for r in rows]
