"""SQL behind plan versions and planners' edits (create, copy, split, merge, move, diff).

Every function runs in the caller's transaction; a failed edit rolls back whole.
Geometry arrives as shapely in lon/lat WGS84 and goes to PostGIS as WKB.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.owners import owners_sql
from gisgrid.errors import NotFoundError, PlanNotDraftError, StaleVersionError
from gisgrid.rules import BASE_KINDS_SQL
from gisgrid.settings import STORAGE_SRID


def _wkb(geom: shapely.Geometry) -> bytes:
    return shapely.to_wkb(geom)


def area_ids(session: Session, code: str) -> tuple[int, str, str]:
    """(id, level, district_code) of an area code."""
    row = session.execute(text("SELECT id, level, district_code FROM admin_area WHERE code = :c"),
                          {"c": code}).one_or_none()
    if row is None:
        raise NotFoundError(f"no area with code {code}")
    return row.id, row.level, row.district_code


def plan_header(session: Session, plan_id: int) -> Any:
    """(id, scope_id, district_code, name, status, version, household_min, household_max)
    of a plan, or NotFoundError."""
    row = session.execute(text("""
        SELECT id, scope_id, district_code, name, status, version, household_min, household_max
        FROM plan WHERE id = :p
    """), {"p": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return row


def grid_ids_by_code(session: Session, plan_id: int) -> dict[str, int]:
    """The grid ids of a plan by grid code."""
    rows = session.execute(text("SELECT code, id FROM grid WHERE plan_id = :p"), {"p": plan_id})
    return {r.code: r.id for r in rows}


def active_plan_id(session: Session, *, scope_id: int) -> int | None:
    return session.execute(text("SELECT id FROM plan WHERE scope_id = :s AND status = 'active'"),
                           {"s": scope_id}).scalar_one_or_none()


def plan_bounds(session: Session, plan_id: int) -> tuple[int, int]:
    """The household bounds (min, max) a plan stores for its grids."""
    row = plan_header(session, plan_id)
    return int(row.household_min), int(row.household_max)


def insert_plan(session: Session, *, scope_id: int, district_code: str, name: str,
                parent_id: int | None, author: str | None, note: str | None,
                effective_from: dt.date | None, household_bounds: tuple[int, int]) -> int:
    return int(session.execute(text("""
        INSERT INTO plan (scope_id, district_code, name, status, parent_id, author, note,
                          effective_from, household_min, household_max)
        VALUES (:scope, :district, :name, 'draft', :parent, :author, :note, :eff, :low, :high)
        RETURNING id
    """), {"scope": scope_id, "district": district_code, "name": name, "parent": parent_id,
           "author": author, "note": note, "eff": effective_from,
           "low": household_bounds[0], "high": household_bounds[1]}).scalar_one())


def copy_grids(session: Session, *, source: int, target: int) -> int:
    """Copy a plan's grids (keeping each grid's uid) and their teams into another plan."""
    n = session.execute(text("""
        INSERT INTO grid (uid, plan_id, community_id, district_code, code, seq, name, kind, boundary)
        SELECT uid, :target, community_id, district_code, code, seq, name, kind, boundary
        FROM grid WHERE plan_id = :source
    """), {"source": source, "target": target}).rowcount
    session.execute(text("""
        INSERT INTO grid_staff (grid_id, staff_id, role)
        SELECT new.id, gs.staff_id, gs.role
        FROM grid old JOIN grid new ON new.uid = old.uid AND new.plan_id = :target
        JOIN grid_staff gs ON gs.grid_id = old.id
        WHERE old.plan_id = :source
    """), {"source": source, "target": target})
    return int(n)


def insert_grid(session: Session, *, plan_id: int, community_id: int, district_code: str, code: str,
                seq: int, name: str, kind: str, boundary: shapely.Geometry, uid: Any = None) -> int:
    return int(session.execute(text(f"""
        INSERT INTO grid (uid, plan_id, community_id, district_code, code, seq, name, kind, boundary)
        VALUES (coalesce(CAST(:uid AS uuid), gen_random_uuid()), :plan, :community, :district,
                :code, :seq, :name, :kind,
                ST_Multi(ST_GeomFromWKB(:wkb, {STORAGE_SRID})))
        RETURNING id
    """), {"uid": uid, "plan": plan_id, "community": community_id, "district": district_code,
           "code": code, "seq": seq, "name": name, "kind": kind,
           "wkb": _wkb(boundary)}).scalar_one())


def bump_version(session: Session, plan_id: int, *, expected: int) -> int:
    """Claim the right to edit: version ``expected`` → ``expected + 1``, or refuse.

    The row lock taken by the UPDATE serialises concurrent edits: the second of two
    edits sent with the same version finds the version moved on and gets
    :class:`StaleVersionError`, so no update is lost.
    """
    new = session.execute(text("""
        UPDATE plan SET version = version + 1
        WHERE id = :id AND status = 'draft' AND version = :v RETURNING version
    """), {"id": plan_id, "v": expected}).scalar_one_or_none()
    if new is not None:
        return int(new)
    check_version(session, plan_id, expected=expected)
    raise StaleVersionError(f"plan {plan_id} changed while being edited: reload it and edit again")


def check_version(session: Session, plan_id: int, *, expected: int) -> None:
    """Refuse as :func:`bump_version` does (no plan, not a draft, stale version), moving
    nothing: for a dry run, which must answer as the real edit would but write nothing."""
    row = session.execute(text("SELECT status, version FROM plan WHERE id = :id"),
                          {"id": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    if row.status != "draft":
        raise PlanNotDraftError(f"plan {plan_id} is {row.status}; only drafts can be edited")
    if row.version != expected:
        raise StaleVersionError(
            f"plan {plan_id} is at version {row.version}, not {expected}: reload it and edit again",
            details={"current_version": row.version, "sent_version": expected})


def grid_rows(session: Session, plan_id: int, grid_ids: list[int]) -> list[Any]:
    """The named grids of a plan (404 if any is missing)."""
    rows = session.execute(text("""
        SELECT g.id, g.uid, g.code, g.seq, g.name, g.kind, g.community_id, c.code AS community_code,
               ST_AsBinary(g.boundary) AS wkb
        FROM grid g JOIN admin_area c ON c.id = g.community_id
        WHERE g.plan_id = :plan AND g.id = ANY(:ids) ORDER BY g.id
    """), {"plan": plan_id, "ids": grid_ids}).all()
    missing = sorted(set(grid_ids) - {r.id for r in rows})
    if missing:
        raise NotFoundError(f"plan {plan_id} has no grid {missing[0]}", details={"missing": missing})
    return rows


def set_boundary(session: Session, grid_id: int, boundary: shapely.Geometry) -> None:
    session.execute(text(f"""
        UPDATE grid SET boundary = ST_Multi(ST_GeomFromWKB(:wkb, {STORAGE_SRID})) WHERE id = :id
    """), {"id": grid_id, "wkb": _wkb(boundary)})


def vertices_near(session: Session, plan_ids: list[int], geom: shapely.Geometry, *,
                  within_deg: float) -> shapely.Geometry | None:
    """The stored vertices a sent shape may mean: those of the grids of the plans and of the
    communities within ``within_deg`` of it (a MultiPoint; None when there are none)."""
    wkb = session.execute(text(f"""
        WITH s AS (SELECT ST_GeomFromWKB(:wkb, {STORAGE_SRID}) AS g)
        SELECT ST_AsBinary(ST_Collect(p.geom)) FROM (
            SELECT (ST_DumpPoints(x.boundary)).geom FROM grid x, s
            WHERE x.plan_id = ANY(:p) AND ST_DWithin(x.boundary, s.g, :d)
            UNION ALL
            SELECT (ST_DumpPoints(a.boundary)).geom FROM admin_area a, s
            WHERE a.level = 'community' AND ST_DWithin(ST_Boundary(a.boundary), s.g, :d)) p
    """), {"wkb": _wkb(geom), "p": plan_ids, "d": within_deg}).scalar_one_or_none()
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def plan_vertices(session: Session, plan_ids: list[int], district_code: str) -> np.ndarray:
    """Every vertex of the plans' grids and of the district's communities, as (n, 2) lon/lat."""
    rows = session.execute(text("""
        SELECT ST_X(p.geom), ST_Y(p.geom) FROM (
            SELECT (ST_DumpPoints(boundary)).geom FROM grid WHERE plan_id = ANY(:p)
            UNION
            SELECT (ST_DumpPoints(boundary)).geom FROM admin_area
            WHERE level = 'community' AND district_code = :d) p
    """), {"p": plan_ids, "d": district_code}).all()
    return np.array([tuple(r) for r in rows], dtype=float).reshape(-1, 2)


def delete_grids(session: Session, grid_ids: list[int]) -> None:
    session.execute(text("DELETE FROM grid WHERE id = ANY(:ids)"), {"ids": grid_ids})


def relink_part_time(session: Session, *, from_ids: list[int], to_id: int) -> None:
    """Part-time workers of merged-away grids join the kept grid's team."""
    session.execute(text("""
        INSERT INTO grid_staff (grid_id, staff_id, role)
        SELECT DISTINCT :to, staff_id, 'part_time' FROM grid_staff
        WHERE grid_id = ANY(:from) AND role = 'part_time'
        ON CONFLICT DO NOTHING
    """), {"to": to_id, "from": from_ids})


def next_seq(session: Session, plan_id: int, community_id: int) -> int:
    return int(session.execute(text("""
        SELECT coalesce(max(seq), 0) + 1 FROM grid WHERE plan_id = :p AND community_id = :c
    """), {"p": plan_id, "c": community_id}).scalar_one())


def grid_counts(session: Session, grid_ids: list[int]) -> list[dict[str, Any]]:
    """Households and shops now in each grid (by location), each counted in its owner grid.

    The owner is chosen among all the base grids of the grid's plan (:mod:`gisgrid.rules`,
    :func:`gisgrid.db.owners.owners_sql`), so counts agree with the stored assignment and
    the plan's grid features; a business grid counts the shops it holds and no household.
    """
    rows: list[Any] = []
    plans = session.execute(text("SELECT DISTINCT plan_id FROM grid WHERE id = ANY(:ids)"),
                            {"ids": grid_ids}).scalars().all()
    among = "s.id = ANY(:ids)"
    for plan_id in plans:
        # Owners counted once per grid, then joined (a correlated count would run the
        # owner query again for every grid).
        rows += session.execute(text(f"""
            WITH hh AS (SELECT grid_id, count(*) AS n
                        FROM ({owners_sql("household", plan=":plan", among=among)}) o GROUP BY grid_id),
                 sh AS (SELECT grid_id, count(*) AS n
                        FROM ({owners_sql("shop", plan=":plan", among=among)}) o GROUP BY grid_id)
            SELECT g.id, g.code, g.name, g.kind, g.uid::text AS uid, coalesce(hh.n, 0) AS households,
                   CASE WHEN g.kind IN {BASE_KINDS_SQL} THEN coalesce(sh.n, 0)
                        ELSE (SELECT count(*) FROM shop s WHERE ST_Covers(g.boundary, s.location))
                   END AS shops
            FROM grid g LEFT JOIN hh ON hh.grid_id = g.id LEFT JOIN sh ON sh.grid_id = g.id
            WHERE g.id = ANY(:ids) AND g.plan_id = :plan
        """), {"ids": grid_ids, "plan": plan_id}).all()
    return [dict(r._mapping) for r in sorted(rows, key=lambda r: r.code)]


def street_geometry(session: Session, name: str) -> shapely.Geometry:
    wkb = session.execute(text("SELECT ST_AsBinary(ST_Union(geom)) FROM street WHERE name = :n"),
                          {"n": name}).scalar_one_or_none()
    if wkb is None:
        raise NotFoundError(f"no street named {name}")
    return shapely.from_wkb(bytes(wkb))


def community_inputs(session: Session, community_id: int) -> dict[str, Any]:
    """What planning needs for one community: boundary, streets inside, household points."""
    boundary = session.execute(text("SELECT ST_AsBinary(boundary) FROM admin_area WHERE id = :c"),
                               {"c": community_id}).scalar_one()
    streets = session.execute(text("""
        SELECT ST_AsBinary(s.geom) FROM street s, admin_area c
        WHERE c.id = :c AND ST_Intersects(s.geom, c.boundary)
    """), {"c": community_id}).scalars().all()
    homes = session.execute(text("""
        SELECT ST_X(h.location), ST_Y(h.location) FROM household h, admin_area c
        WHERE c.id = :c AND ST_Covers(c.boundary, h.location) ORDER BY h.id
    """), {"c": community_id}).all()
    return {"boundary": shapely.from_wkb(bytes(boundary)),
            "streets": [shapely.from_wkb(bytes(w)) for w in streets],
            "households": [(x, y) for x, y in homes]}


def residential_grids(session: Session, plan_id: int, *,
                      community_ids: list[int] | None = None) -> list[Any]:
    """A plan's residential grids (all, or of some communities) with uid, community,
    boundary (WKB) and the households inside each now (by location, as the diff counts)."""
    return session.execute(text("""
        SELECT g.id, g.uid, g.code, g.seq, g.name, g.community_id, c.code AS community_code,
               ST_AsBinary(g.boundary) AS wkb,
               (SELECT count(*) FROM household h WHERE ST_Covers(g.boundary, h.location)) AS households
        FROM grid g JOIN admin_area c ON c.id = g.community_id
        WHERE g.plan_id = :p AND g.kind = 'residential'
          AND (CAST(:c AS int[]) IS NULL OR g.community_id = ANY(CAST(:c AS int[])))
        ORDER BY g.code
    """), {"p": plan_id, "c": community_ids}).all()


def points_in(session: Session, area: shapely.Geometry) -> tuple[int, int]:
    """(households, shops) located in an area (lon/lat), counted as the diff counts them."""
    row = session.execute(text(f"""
        WITH a AS (SELECT ST_GeomFromWKB(:wkb, {STORAGE_SRID}) AS g)
        SELECT (SELECT count(*) FROM household h, a WHERE ST_Covers(a.g, h.location)) AS households,
               (SELECT count(*) FROM shop s, a WHERE ST_Covers(a.g, s.location)) AS shops
    """), {"wkb": _wkb(area)}).one()
    return int(row.households), int(row.shops)


def plan_grid_shapes(session: Session, plan_id: int, *, community_id: int | None = None) -> list[Any]:
    return session.execute(text("""
        SELECT g.id, g.uid, g.code, g.seq, g.kind, g.community_id, ST_AsBinary(g.boundary) AS wkb
        FROM grid g WHERE g.plan_id = :p AND (CAST(:c AS int) IS NULL OR g.community_id = :c)
        ORDER BY g.id
    """), {"p": plan_id, "c": community_id}).all()


def area_name(session: Session, area_id: int) -> str:
    return str(session.execute(text("SELECT name FROM admin_area WHERE id = :a"),
                               {"a": area_id}).scalar_one())


def community_codes(session: Session, community_id: int) -> tuple[str, str, str]:
    """(county, subdistrict, community) digit groups of a community's 12-digit code."""
    code = session.execute(text("SELECT code FROM admin_area WHERE id = :c"),
                           {"c": community_id}).scalar_one()
    return code[:6], code[6:9], code[9:12]


def update_code(session: Session, grid_id: int, *, code: str, seq: int, name: str | None) -> None:
    session.execute(text("""
        UPDATE grid SET code = :code, seq = :seq, name = coalesce(:name, name) WHERE id = :id
    """), {"id": grid_id, "code": code, "seq": seq, "name": name})


def household_moves(session: Session, *, before: int, after: int, table: str) -> list[dict[str, Any]]:
    """Households (or shops, or open requests) whose base grid differs between two plans,
    grouped by move.

    Each point's owner in each plan follows the one rule (:mod:`gisgrid.rules`), as the
    stored assignment and the counts do. A grid is the same grid in both plans when its
    ``uid`` is the same, so renumbered codes alone do not count as moves.
    """
    rows = session.execute(text(f"""
        WITH a AS ({owners_sql(table, plan=":a")}), b AS ({owners_sql(table, plan=":b")}),
        owner AS (
            SELECT coalesce(a.id, b.id) AS id, ga.uid AS a, gb.uid AS b, ga.code AS from_code,
                   ga.name AS from_name, gb.code AS to_code, gb.name AS to_name
            FROM a FULL JOIN b ON b.id = a.id
            LEFT JOIN grid ga ON ga.id = a.grid_id
            LEFT JOIN grid gb ON gb.id = b.grid_id)
        SELECT from_code, from_name, to_code, to_name, count(*) AS n,
               array_agg(id ORDER BY id) AS ids
        FROM owner WHERE a IS DISTINCT FROM b
        GROUP BY 1, 2, 3, 4 ORDER BY n DESC, 1, 3
    """), {"a": before, "b": after})
    # Requests are listed one by one (a handful, each a case someone follows); households
    # and shops by count only.
    return [{k: v for k, v in r._mapping.items() if k != "ids" or table == "request"} for r in rows]
