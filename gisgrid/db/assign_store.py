"""Stored assignments: which grid of a plan holds each household and shop, and totals.

``assign_plan`` recomputes one plan's assignments in one set-based step, database to
database: the points leave PostGIS packed in one row, are assigned by
:func:`gisgrid.assign.assign_arrays` (prepared polygons against an STRtree of the
points), and come back in one binary COPY into a fresh partition of
``household_assignment`` that is indexed and swapped in at the end. Measured in
``bench/assign_bench.py`` against the plain ``INSERT … SELECT … ST_Contains`` join; the
answers are asserted equal there.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.assign import ArrayAssignment, assign_arrays
from gisgrid.errors import NotFoundError

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
# One household row in binary COPY: (plan_id, household_id, district_code[6], grid_id,
# on_boundary, candidates = empty int4 array), all fixed width, so numpy writes them.
_ROW = np.dtype([
    ("nf", ">i2"), ("l_plan", ">i4"), ("plan", ">i4"), ("l_id", ">i4"), ("id", ">i4"),
    ("l_dc", ">i4"), ("dc", "S6"), ("l_grid", ">i4"), ("grid", ">i4"), ("l_b", ">i4"),
    ("b", "u1"), ("l_arr", ">i4"), ("ndim", ">i4"), ("flags", ">i4"), ("oid", ">i4"),
])


@dataclass
class AssignSummary:
    """What ``assign_plan`` wrote."""

    plan_id: int
    households: int = 0
    shops: int = 0
    on_boundary: int = 0
    unassigned_households: list[int] = field(default_factory=list)
    unassigned_shops: list[int] = field(default_factory=list)


def _raw(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _plan(session: Session, plan_id: int) -> Any:
    row = session.execute(text("""
        SELECT p.id, p.district_code, a.level, a.id AS scope_id
        FROM plan p JOIN admin_area a ON a.id = p.scope_id WHERE p.id = :p
    """), {"p": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return row


def _grids(session: Session, plan_id: int, *, business: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ids, polygons) of a plan's base or business grids, ordered by code then id."""
    rows = session.execute(text(f"""
        SELECT id, ST_AsBinary(boundary) FROM grid
        WHERE plan_id = :p AND (kind = 'business') = {'true' if business else 'false'}
        ORDER BY code, id
    """), {"p": plan_id}).all()
    return (np.array([r[0] for r in rows], dtype=np.int64),
            np.asarray(shapely.from_wkb([bytes(r[1]) for r in rows]), dtype=object))


def _points(session: Session, table: str, plan: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, x, y) of the plan's households or shops: three packed arrays in one row.

    Packing server-side (``string_agg`` of ``int4send``/``float8send``) moves a million
    points in one message; a row-by-row COPY costs ~5 µs a row in the client.
    """
    scope = "" if plan.level == "district" else (
        f" AND ST_Covers((SELECT boundary FROM admin_area WHERE id = {int(plan.scope_id)}), t.location)")
    sql = (f"SELECT string_agg(int4send(t.id), ''::bytea ORDER BY t.id), "
           f"string_agg(float8send(ST_X(t.location)), ''::bytea ORDER BY t.id), "
           f"string_agg(float8send(ST_Y(t.location)), ''::bytea ORDER BY t.id) "
           f"FROM {table} t WHERE t.district_code = %s{scope}")
    with _raw(session).cursor(binary=True) as cur:
        ids, x, y = cur.execute(sql, (plan.district_code,)).fetchone()
    if ids is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    return (np.frombuffer(ids, dtype=">i4").astype(np.int64), np.frombuffer(x, dtype=">f8").astype(float),
            np.frombuffer(y, dtype=">f8").astype(float))


def _fixed_rows(plan_id: int, district: str, ids: np.ndarray, grid: np.ndarray) -> bytes:
    rows = np.zeros(len(ids), dtype=_ROW)
    for name, value in (("nf", 6), ("l_plan", 4), ("plan", plan_id), ("l_id", 4), ("l_dc", 6),
                        ("dc", district.encode()), ("l_grid", 4), ("l_b", 1), ("l_arr", 12),
                        ("oid", 23)):
        rows[name] = value
    rows["id"] = ids
    rows["grid"] = grid
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _write_households(session: Session, plan_id: int, district: str, ids: np.ndarray,
                      grid_ids: np.ndarray, result: ArrayAssignment) -> None:
    """Build a new partition (COPY, then indexes) and swap it in for the plan's old one."""
    part, new = f"household_assignment_p{plan_id}", f"household_assignment_p{plan_id}_new"
    session.execute(text(f"DROP TABLE IF EXISTS {new}"))
    session.execute(text(f"CREATE TABLE {new} (LIKE household_assignment INCLUDING DEFAULTS)"))
    plain = (result.owner >= 0) & ~result.on_boundary
    owner_ids = np.where(result.owner >= 0, grid_ids[np.maximum(result.owner, 0)], 0)
    raw = _raw(session)
    cols = "(plan_id, household_id, district_code, grid_id, on_boundary, candidates)"
    with raw.cursor() as cur:
        if len(district) == 6:
            with cur.copy(f"COPY {new} {cols} FROM STDIN (FORMAT binary)") as copy:
                copy.write(_fixed_rows(plan_id, district, ids[plain], owner_ids[plain]))
        else:   # pragma: no cover - district codes are 6 digits (GB/T 2260)
            plain[:] = False
        lines = []
        for i in np.flatnonzero(~plain).tolist():
            grid = str(owner_ids[i]) if result.owner[i] >= 0 else r"\N"
            cands = ",".join(str(grid_ids[g]) for g in result.candidates.get(i, []))
            lines.append(f"{plan_id}\t{ids[i]}\t{district}\t{grid}\t"
                         f"{'t' if result.on_boundary[i] else 'f'}\t{{{cands}}}\n")
        with cur.copy(f"COPY {new} {cols} FROM STDIN") as copy:
            copy.write("".join(lines))
    # Index builds sort in memory: give them room for a million rows (this transaction only).
    for ddl in ("SET LOCAL maintenance_work_mem = '256MB'",
                f"ALTER TABLE {new} ADD PRIMARY KEY (plan_id, household_id)",
                f"CREATE INDEX ON {new} (plan_id, grid_id)",
                f"ALTER TABLE {new} ADD CONSTRAINT {new}_plan CHECK (plan_id = {plan_id})",
                f"DROP TABLE IF EXISTS {part}",
                f"ALTER TABLE {new} RENAME TO {part}",
                f"ALTER TABLE household_assignment ATTACH PARTITION {part} FOR VALUES IN ({plan_id})"):
        session.execute(text(ddl))


def _write_shops(session: Session, plan_id: int, district: str, ids: np.ndarray, pts: np.ndarray,
                 base: tuple[np.ndarray, ArrayAssignment],
                 business: tuple[np.ndarray, np.ndarray]) -> None:
    """Replace the plan's shop rows: base owner, edge candidates, business overlays."""
    grid_ids, result = base
    biz_ids, biz_geoms = business
    p_idx, g_idx = (shapely.STRtree(biz_geoms).query(pts, predicate="intersects")
                    if len(biz_geoms) and len(ids) else (np.zeros(0, int), np.zeros(0, int)))
    overlays: dict[int, list[int]] = {}
    for p, g in sorted(zip(p_idx.tolist(), g_idx.tolist(), strict=True)):
        overlays.setdefault(p, []).append(int(biz_ids[g]))
    session.execute(text("DELETE FROM shop_assignment WHERE plan_id = :p"), {"p": plan_id})
    rows = [(plan_id, int(sid), district,
             int(grid_ids[result.owner[i]]) if result.owner[i] >= 0 else None,
             bool(result.on_boundary[i]), [int(grid_ids[g]) for g in result.candidates.get(i, [])],
             overlays.get(i, [])) for i, sid in enumerate(ids.tolist())]
    with _raw(session).cursor() as cur, cur.copy(
        "COPY shop_assignment (plan_id, shop_id, district_code, grid_id, on_boundary, candidates, "
        "overlays) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def assign_plan(session: Session, plan_id: int) -> AssignSummary:
    """Recompute the stored assignments of one plan (households and shops), set-based.

    Every household and shop of the plan's district inside its scope area gets one base
    grid (or NULL, listed in the summary); shops also get their business overlays.
    Runs in the caller's transaction: on error nothing changes.

    Raises
    ------
    NotFoundError
        No such plan.

    Examples
    --------
    >>> summary = assign_plan(session, plan_id)           # doctest: +SKIP
    >>> summary.households, summary.unassigned_households  # doctest: +SKIP
    (59206, [])
    """
    plan = _plan(session, plan_id)
    district = str(plan.district_code)
    grid_ids, geoms = _grids(session, plan_id, business=False)
    summary = AssignSummary(plan_id=plan_id)
    ids, x, y = _points(session, "household", plan)
    result = assign_arrays(geoms, x, y)
    _write_households(session, plan_id, district, ids, grid_ids, result)
    summary.households = len(ids)
    summary.on_boundary = int(result.on_boundary.sum())
    summary.unassigned_households = ids[result.owner < 0].tolist()
    s_ids, sx, sy = _points(session, "shop", plan)
    s_result = assign_arrays(geoms, sx, sy)
    _write_shops(session, plan_id, district, s_ids, shapely.points(sx, sy), (grid_ids, s_result),
                 _grids(session, plan_id, business=True))
    summary.shops = len(s_ids)
    summary.unassigned_shops = s_ids[s_result.owner < 0].tolist()
    return summary


def assignment_totals(session: Session, plan_id: int) -> list[dict[str, Any]]:
    """Per grid of a plan: households, residents and shops from the stored assignments.

    A shop counts for its base grid and for every business grid that holds it.
    """
    _plan(session, plan_id)
    rows = session.execute(text("""
        SELECT g.id, g.code, g.name, g.kind,
               coalesce(h.households, 0) AS households, coalesce(h.residents, 0) AS residents,
               coalesce(s.shops, 0) AS shops
        FROM grid g
        LEFT JOIN (SELECT a.grid_id, count(*) AS households, sum(hh.size) AS residents
                   FROM household_assignment a JOIN household hh ON hh.id = a.household_id
                   WHERE a.plan_id = :p GROUP BY a.grid_id) h ON h.grid_id = g.id
        LEFT JOIN (SELECT gid, count(*) AS shops FROM (
                       SELECT grid_id AS gid FROM shop_assignment WHERE plan_id = :p
                       UNION ALL
                       SELECT unnest(overlays) FROM shop_assignment WHERE plan_id = :p) t
                   GROUP BY gid) s ON s.gid = g.id
        WHERE g.plan_id = :p
        ORDER BY g.code
    """), {"p": plan_id})
    return [{**dict(r._mapping), "residents": int(r.residents)} for r in rows]


def stored_assignments(session: Session, plan_id: int, *,
                       subject: str = "household") -> dict[int, dict[str, Any]]:
    """The stored rows of a plan by household (or shop) id (for checks and exports)."""
    table, key = (("household_assignment", "household_id") if subject == "household"
                  else ("shop_assignment", "shop_id"))
    extra = ", overlays" if subject == "shop" else ""
    rows = session.execute(text(
        f"SELECT {key} AS id, grid_id, on_boundary, candidates{extra} FROM {table} WHERE plan_id = :p"
    ), {"p": plan_id})
    return {r.id: dict(r._mapping) for r in rows}
