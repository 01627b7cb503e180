"""Stored assignments, storage side: reading a plan's points and grids, writing the rows.

:func:`gisgrid.assign.plan.assign_plan` recomputes one plan's assignments database to
database, in the caller's transaction, in three steps (timed on a million households
in ``bench/assign_bench.py``, which also asserts that the answers equal the plain
``INSERT … SELECT … ST_Contains`` join's and :func:`gisgrid.assign.points.assign_points`'s):

- read: one aggregate returns all the points as one ``bytea``, 25 bytes a point
  (``int4send(id) || ST_AsBinary(location, 'NDR')``), which numpy reads in one step;
  for a large table, in two halves on two connections sharing one snapshot
  (:func:`_second_reader`). One
  aggregate over both keeps ids and coordinates in the same order with no ``ORDER BY``;
  a row-by-row ``COPY TO`` costs far more in the client (bench/README.md). While
  PostgreSQL packs the points (worker threads wait on the queries), the grids are read
  and rasterised;
- assign: :class:`gisgrid.assign.points.GridRaster` answers most points from its cells and
  tests only those near a boundary (the same answers as ``assign_points``); each half
  of the households as soon as it arrives, while the other may still be packing;
- write: one binary ``COPY`` into a fresh table, rows ordered by (grid_id,
  household_id), plain rows with ``candidates`` NULL, plan_id filled in by a column
  default; then the unique index on ``household_id`` and a BRIN index on ``grid_id`` (exact
  and tiny on rows clustered by grid, where a btree on (plan_id, grid_id) cost nearly
  as much as the COPY), and the table is swapped in for the plan's partition of
  ``household_assignment``. The table is created with its ``CHECK (plan_id = N)``, so
  ``ATTACH PARTITION`` needs no validating scan. Index builds use PostgreSQL's
  parallel maintenance workers when the server allows them (the default, 2).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.errors import NotFoundError
from gisgrid.rules import BASE_KINDS_SQL, owner_order_sql

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
# The COPY sends these; plan_id, the same on every row, comes from a column default set
# on the new table for the load (cheaper than sending it on every row).
_HOUSEHOLD_COLUMNS = "(household_id, grid_id, on_boundary, candidates)"
# One plain household row in binary COPY: (household_id, grid_id, on_boundary, candidates
# NULL), each field its length then its value, all fixed width, so numpy writes a
# million rows at once. The last field is the candidates' length, -1 for NULL: rows on
# an edge carry an int4[] there instead, and rows outside every grid have a NULL
# grid_id, so both kinds are written one by one (_special_row) and spliced in.
_ROW = np.dtype([("nf", ">i2"), ("l_id", ">i4"), ("id", ">i4"), ("l_grid", ">i4"), ("grid", ">i4"),
                 ("l_b", ">i4"), ("b", "u1"), ("l_arr", ">i4")])
# A point as the read query packs it: int4send(id), then 2D point WKB in little endian.
_POINT = np.dtype([("id", ">i4"), ("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
_CHUNK = 1 << 17          # rows per COPY message batch
#: pages_per_range of the BRIN index on grid_id (migration 0005 gives the parent's the
#: same): ~2,500 rows, so the rows of one grid sit in one to a few ranges.
BRIN_PAGES_PER_RANGE = 16



def raw_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def plan_row(session: Session, plan_id: int) -> Any:
    row = session.execute(text("""
        SELECT p.id, p.district_code, a.level, a.id AS scope_id
        FROM plan p JOIN admin_area a ON a.id = p.scope_id WHERE p.id = :p
    """), {"p": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return row


def read_grids(session: Session, plan_id: int, *, business: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ids, polygons) of a plan's base or business grids, in owner order
    (:func:`gisgrid.rules.owner_order_sql`): the raster gives a shared edge to the first."""
    rows = session.execute(text(f"""
        SELECT g.id, ST_AsBinary(g.boundary) FROM grid g
        WHERE g.plan_id = :p AND g.kind {'NOT IN' if business else 'IN'} {BASE_KINDS_SQL}
        ORDER BY {owner_order_sql("g")}
    """), {"p": plan_id}).all()
    return (np.array([r[0] for r in rows], dtype=np.int64),
            np.asarray(shapely.from_wkb([bytes(r[1]) for r in rows]), dtype=object))


def read_points(raw: Any, table: str, plan: Any, pages: tuple[int, int] | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, x, y) of the plan's households or shops, packed in one ``bytea`` (see above);
    ``pages``: only the rows on heap pages [first, last) (a TID range scan).

    Takes the psycopg connection, not the session: it runs on a worker thread.
    """
    scope = "" if plan.level == "district" else (
        f" AND ST_Covers((SELECT boundary FROM admin_area WHERE id = {int(plan.scope_id)}), t.location)")
    if pages is not None:
        scope += f" AND t.ctid >= '({int(pages[0])},0)' AND t.ctid < '({int(pages[1])},0)'"
    sql = (f"SELECT string_agg(int4send(t.id) || ST_AsBinary(t.location, 'NDR'), ''::bytea) "
           f"FROM {table} t WHERE t.district_code = %s{scope}")
    with raw.cursor(binary=True) as cur:
        packed = cur.execute(sql, (plan.district_code,)).fetchone()[0]
    if packed is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    rows = np.frombuffer(packed, dtype=_POINT)
    if not ((rows["order"] == 1) & (rows["type"] == 1)).all():   # pragma: no cover - typmod is POINT
        raise ValueError(f"{table}.location holds something other than 2D points")
    return rows["id"].astype(np.int64), rows["x"].astype(float), rows["y"].astype(float)


#: From this many heap pages of households (~100,000 rows) they are read in two halves.
SPLIT_READ_PAGES = 1_000

_HOUSEHOLD_PAGES = text("SELECT pg_relation_size('household') / current_setting('block_size')::int")
# This transaction's own writes to the tables the read depends on (the second reader
# could not see them), and its snapshot for the second reader.
_WRITTEN = text("""
    SELECT coalesce(sum(pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid)
                        + pg_stat_get_xact_tuples_deleted(c.oid)), 0)
    FROM pg_class c WHERE c.oid IN ('household'::regclass, 'admin_area'::regclass)
""")


def second_reader(session: Session) -> tuple[str, int] | None:
    """(snapshot, heap pages) for reading the households' second half on a second
    connection, or None where this connection must read them all.

    Reading is a third of ``assign_plan`` and PostgreSQL packs the rows on one core. A
    second connection that imports this transaction's snapshot (as ``pg_dump -j`` does)
    sees exactly the rows this one sees, provided this transaction has not written
    households or areas itself and is not inside a savepoint (PostgreSQL exports no
    snapshot from there). The gain is measured in bench/README.md (stored assignment).
    """
    if session.connection().in_nested_transaction():
        return None
    pages = int(session.execute(_HOUSEHOLD_PAGES).scalar_one())
    if pages < SPLIT_READ_PAGES or session.execute(_WRITTEN).scalar_one() != 0:
        return None
    return str(session.execute(text("SELECT pg_export_snapshot()")).scalar_one()), pages


def read_second_half(engine: Any, snapshot: str, plan: Any, pages: tuple[int, int]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        return read_points(conn.connection.driver_connection, "household", plan, pages)


def _row_order(ids: np.ndarray, grid_ids: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Row order by (grid_id, household_id), rows outside every grid last."""
    rank = np.empty(len(grid_ids) + 1, dtype=np.int64)
    rank[np.argsort(grid_ids)] = np.arange(len(grid_ids))
    rank[-1] = len(grid_ids)
    key = rank[owner]            # owner -1 (outside every grid) takes the last: after all
    if len(grid_ids) >= np.iinfo(np.int16).max:
        return np.lexsort((ids, key))
    # The points usually arrive in id order (the heap's); then a stable sort by grid is
    # enough, and on 16-bit keys numpy's stable sort is a radix sort (far faster than
    # lexsort; see bench/README.md).
    by_id = None if (ids[1:] > ids[:-1]).all() else np.argsort(ids, kind="stable")
    if by_id is None:
        return np.argsort(key.astype(np.int16), kind="stable")
    return by_id[np.argsort(key[by_id].astype(np.int16), kind="stable")]


def _special_row(hid: int, grid: int | None, edge: bool, candidates: list[int]) -> bytes:
    """One binary COPY row with a NULL grid or a candidates array (field by field)."""
    out = [struct.pack(">hii", 4, 4, hid),
           struct.pack(">i", -1) if grid is None else struct.pack(">ii", 4, grid),
           struct.pack(">iB", 1, edge)]
    if candidates:   # int4[]: ndim 1, no nulls, oid 23, (length, lower bound 1), elements
        k = len(candidates)
        out.append(struct.pack(f">iiiiii{2 * k}i", 20 + 8 * k, 1, 0, 23, k, 1,
                               *[v for c in candidates for v in (4, c)]))
    else:
        out.append(struct.pack(">i", -1))
    return b"".join(out)


def _household_copy(ids: np.ndarray, grid_ids: np.ndarray, result: Any) -> Iterator[bytes]:
    """Binary COPY data for the households, in chunks, rows in (grid_id, household_id) order."""
    order = _row_order(ids, grid_ids, result.owner)
    owner = result.owner[order]
    special = (owner < 0) | result.on_boundary[order]
    grid_of = np.append(grid_ids, 0)       # owner -1 picks the 0: those rows are rewritten
    size = _ROW.itemsize
    yield _COPY_HEADER
    buffer = np.zeros(min(_CHUNK, len(order)), dtype=_ROW)   # constants set once, reused
    for name, value in (("nf", 4), ("l_id", 4), ("l_grid", 4), ("l_b", 1), ("l_arr", -1)):
        buffer[name] = value
    for lo in range(0, len(order), _CHUNK):
        hi = min(lo + _CHUNK, len(order))
        rows = buffer[:hi - lo]
        rows["id"] = ids[order[lo:hi]]
        rows["grid"] = grid_of[owner[lo:hi]]
        data = memoryview(rows.tobytes())
        pieces, at = [], 0
        for k in np.flatnonzero(special[lo:hi]).tolist():
            i, g = int(order[lo + k]), int(owner[lo + k])
            pieces += [data[at * size:k * size],
                       _special_row(int(ids[i]), int(grid_ids[g]) if g >= 0 else None,
                                    bool(result.on_boundary[i]),
                                    [int(grid_ids[c]) for c in result.candidates.get(i, [])])]
            at = k + 1
        pieces.append(data[at * size:])
        yield b"".join(pieces)
    yield _COPY_TRAILER


def write_households(session: Session, summary: Any, ids: np.ndarray,
                      grid_ids: np.ndarray, result: Any) -> None:
    """Build a new partition (COPY, then indexes) and swap it in for the plan's old one."""
    plan_id = summary.plan_id
    part, new = f"household_assignment_p{plan_id}", f"household_assignment_p{plan_id}_new"
    t = time.perf_counter()
    session.execute(text(f"DROP TABLE IF EXISTS {new}"))
    # The partition constraint, declared before the rows arrive: each COPY row is checked
    # as it comes, and ATTACH PARTITION sees it implied and skips its validating scan.
    session.execute(text(f"CREATE TABLE {new} (LIKE household_assignment INCLUDING DEFAULTS, "
                         f"CONSTRAINT {new}_plan CHECK (plan_id = {plan_id}))"))
    raw = raw_connection(session)
    raw.execute(sql.SQL("ALTER TABLE {} ALTER plan_id SET DEFAULT {}").format(
        sql.Identifier(new), sql.Literal(plan_id)))
    with raw.cursor() as cur, cur.copy(f"COPY {new} {_HOUSEHOLD_COLUMNS} FROM STDIN (FORMAT binary)") as copy:
        for chunk in _household_copy(ids, grid_ids, result):
            copy.write(chunk)
    # Only the parent's defaults from now on (a partition may keep its own; this one won't).
    session.execute(text(f"ALTER TABLE {new} ALTER plan_id DROP DEFAULT"))
    t = summary.lap("copy", t)
    # Index builds sort in memory: give them room for a million rows (this transaction
    # only; parallel build workers share it). The unique index's sort is the one real
    # sort (one int4 key: PostgreSQL's fast path, half the time of (plan_id,
    # household_id)); the BRIN index on grid_id is one pass over rows in grid order.
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    session.execute(text(f"CREATE UNIQUE INDEX {new}_household ON {new} (household_id)"))
    t = summary.lap("unique index", t)
    session.execute(text(f"CREATE INDEX {new}_grid ON {new} USING brin (grid_id) "
                         f"WITH (pages_per_range = {BRIN_PAGES_PER_RANGE})"))
    t = summary.lap("brin index", t)
    for ddl in (f"DROP TABLE IF EXISTS {part}",
                f"ALTER TABLE {new} RENAME TO {part}",
                f"ALTER INDEX {new}_household RENAME TO {part}_household",
                f"ALTER INDEX {new}_grid RENAME TO {part}_grid",
                f"ALTER TABLE household_assignment ATTACH PARTITION {part} FOR VALUES IN ({plan_id})"):
        session.execute(text(ddl))
    summary.lap("swap", t)


def write_shops(session: Session, plan_id: int, ids: np.ndarray, x: np.ndarray,
                 y: np.ndarray, base: tuple[np.ndarray, Any],
                 business: tuple[np.ndarray, np.ndarray]) -> None:
    """Replace the plan's shop rows: base owner, edge candidates, business overlays."""
    grid_ids, result = base
    biz_ids, biz_geoms = business
    p_idx, g_idx = (shapely.STRtree(biz_geoms).query(shapely.points(x, y), predicate="intersects")
                    if len(biz_geoms) and len(ids) else (np.zeros(0, int), np.zeros(0, int)))
    overlays: dict[int, list[int]] = {}
    for p, g in sorted(zip(p_idx.tolist(), g_idx.tolist(), strict=True)):
        overlays.setdefault(p, []).append(int(biz_ids[g]))
    session.execute(text("DELETE FROM shop_assignment WHERE plan_id = :p"), {"p": plan_id})
    rows = [(plan_id, int(sid),
             int(grid_ids[result.owner[i]]) if result.owner[i] >= 0 else None,
             bool(result.on_boundary[i]), [int(grid_ids[g]) for g in result.candidates.get(i, [])],
             overlays.get(i, [])) for i, sid in enumerate(ids.tolist())]
    with raw_connection(session).cursor() as cur, cur.copy(
        "COPY shop_assignment (plan_id, shop_id, grid_id, on_boundary, candidates, overlays) "
        "FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)



def assignment_totals(session: Session, plan_id: int) -> list[dict[str, Any]]:
    """Per grid of a plan: households, residents and shops from the stored assignments.

    A shop counts for its base grid and for every business grid that holds it.
    """
    plan_row(session, plan_id)
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
        f"SELECT {key} AS id, grid_id, on_boundary, coalesce(candidates, '{{}}') AS candidates{extra} "
        f"FROM {table} WHERE plan_id = :p"
    ), {"p": plan_id})
    return {r.id: dict(r._mapping) for r in rows}
