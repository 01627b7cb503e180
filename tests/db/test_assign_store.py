"""Stored assignments on the Yuyang demo, checked against PostGIS's own ST_Covers."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gisgrid.assign.plan import assign_plan
from gisgrid.db import assign_store
from gisgrid.db.assign_store import assignment_totals, stored_assignments
from gisgrid.errors import NotFoundError


def active_plan(session: Session) -> int:
    return session.execute(text("SELECT id FROM plan WHERE status = 'active' AND district_code = '610802'")
                           ).scalar_one()


def covering_by_postgis(session: Session, plan_id: int, table: str, kinds: str) -> dict[int, list[int]]:
    """Every point's covering grids of some kinds, by code, computed by PostGIS alone."""
    rows = session.execute(text(f"""
        SELECT t.id, coalesce(array_agg(g.id ORDER BY g.code) FILTER (WHERE g.id IS NOT NULL), '{{}}')
        FROM {table} t LEFT JOIN grid g ON g.plan_id = :p AND g.kind IN ({kinds})
             AND ST_Covers(g.boundary, t.location)
        WHERE t.district_code = '610802' GROUP BY t.id
    """), {"p": plan_id})
    return {r[0]: list(r[1]) for r in rows}


def test_the_demo_load_stores_every_household_in_its_covering_grid(session: Session) -> None:
    plan = active_plan(session)
    stored = stored_assignments(session, plan)
    expected = covering_by_postgis(session, plan, "household", "'residential', 'special'")
    assert stored.keys() == expected.keys() and len(stored) > 50_000
    for hid, cands in expected.items():
        row = stored[hid]
        assert row["grid_id"] == (cands[0] if cands else None), hid
        assert row["on_boundary"] == (len(cands) > 1)
        assert row["candidates"] == (cands if len(cands) > 1 else [])


def test_shops_get_their_base_grid_and_every_business_overlay(session: Session) -> None:
    plan = active_plan(session)
    stored = stored_assignments(session, plan, subject="shop")
    base = covering_by_postgis(session, plan, "shop", "'residential', 'special'")
    business = covering_by_postgis(session, plan, "shop", "'business'")
    assert stored.keys() == base.keys()
    assert all(stored[s]["grid_id"] == base[s][0] for s in base)
    assert {s: stored[s]["overlays"] for s in base} == business
    assert sum(1 for v in business.values() if v) > 300    # the Fuzimiao merchants


def test_totals_add_up_to_the_households_residents_and_shops(session: Session) -> None:
    plan = active_plan(session)
    totals = assignment_totals(session, plan)
    households, residents = session.execute(text(
        "SELECT count(*), sum(size) FROM household WHERE district_code = '610802'")).one()
    assert sum(t["households"] for t in totals) == households
    assert sum(t["residents"] for t in totals) == residents
    fzm = next(t for t in totals if t["kind"] == "business")
    in_fzm = session.execute(text("""
        SELECT count(*) FROM shop s JOIN grid g ON ST_Covers(g.boundary, s.location)
        WHERE g.id = :g"""), {"g": fzm["id"]}).scalar_one()
    assert fzm["shops"] == in_fzm and fzm["households"] == 0


def test_a_household_on_a_shared_corner_is_flagged_with_every_candidate(session: Session) -> None:
    plan = active_plan(session)
    hid = session.execute(text("SELECT min(id) FROM household WHERE district_code = '610802'")).scalar_one()
    corner, grids = session.execute(text("""
        SELECT ST_AsEWKT(ST_PointN(ST_ExteriorRing(ST_GeometryN(a.boundary, 1)), 1)),
               array_agg(b.id ORDER BY b.code)
        FROM grid a JOIN grid b ON b.plan_id = a.plan_id AND b.kind = 'residential'
             AND ST_Covers(b.boundary, ST_PointN(ST_ExteriorRing(ST_GeometryN(a.boundary, 1)), 1))
        WHERE a.plan_id = :p AND a.kind = 'residential'
        GROUP BY a.id HAVING count(*) >= 2 ORDER BY a.code LIMIT 1
    """), {"p": plan}).one()
    session.execute(text("UPDATE household SET location = ST_GeomFromEWKT(:c) WHERE id = :h"),
                    {"c": corner, "h": hid})
    outside = session.execute(text("""
        UPDATE household SET location = ST_SetSRID(ST_MakePoint(109.0, 38.0), 4326)
        WHERE id = (SELECT max(id) FROM household WHERE district_code = '610802') RETURNING id
    """)).scalar_one()
    summary = assign_plan(session, plan)
    row = stored_assignments(session, plan)[hid]
    assert row["on_boundary"] is True and row["candidates"] == list(grids) and row["grid_id"] == grids[0]
    assert summary.unassigned_households == [outside]
    assert stored_assignments(session, plan)[outside]["grid_id"] is None


def test_recomputing_replaces_the_rows_and_deleting_the_plan_drops_them(session: Session) -> None:
    plan = active_plan(session)
    before = stored_assignments(session, plan)
    assign_plan(session, plan)
    assert stored_assignments(session, plan) == before
    assert session.execute(text(f"SELECT to_regclass('household_assignment_p{plan}')")).scalar() is not None
    session.execute(text("DELETE FROM plan WHERE id = :p"), {"p": plan})
    assert session.execute(text(f"SELECT to_regclass('household_assignment_p{plan}')")).scalar() is None
    assert session.execute(text("SELECT count(*) FROM shop_assignment WHERE plan_id = :p"),
                           {"p": plan}).scalar_one() == 0


def test_an_unknown_plan_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        assign_plan(session, 987654)
    with pytest.raises(NotFoundError):
        assignment_totals(session, 987654)


def test_a_household_on_an_outer_edge_has_its_one_grid_as_candidate(session: Session) -> None:
    plan = active_plan(session)
    vertex, grid = session.execute(text("""
        SELECT ST_AsEWKT(v.geom), min(b.id)
        FROM grid a, ST_DumpPoints(a.boundary) v
             JOIN grid b ON b.plan_id = :p AND b.kind IN ('residential', 'special')
                        AND ST_Covers(b.boundary, v.geom)
        WHERE a.plan_id = :p AND a.kind = 'residential'
        GROUP BY v.geom HAVING count(*) = 1 LIMIT 1
    """), {"p": plan}).one()
    hid = session.execute(text("SELECT min(id) FROM household WHERE district_code = '610802'")).scalar_one()
    session.execute(text("UPDATE household SET location = ST_GeomFromEWKT(:v) WHERE id = :h"),
                    {"v": vertex, "h": hid})
    assign_plan(session, plan)
    row = stored_assignments(session, plan)[hid]
    assert row == {"id": hid, "grid_id": grid, "on_boundary": True, "candidates": [grid]}


def test_plain_rows_store_null_candidates_and_read_back_an_empty_list(session: Session) -> None:
    plan = active_plan(session)
    plain, null, edge, listed = session.execute(text("""
        SELECT count(*) FILTER (WHERE NOT on_boundary), count(*) FILTER (WHERE candidates IS NULL),
               count(*) FILTER (WHERE on_boundary),
               count(*) FILTER (WHERE on_boundary AND cardinality(candidates) >= 1)
        FROM household_assignment WHERE plan_id = :p
    """), {"p": plan}).one()
    assert plain == null > 50_000 and edge == listed
    stored = stored_assignments(session, plan)
    assert all(r["candidates"] == [] for r in stored.values() if not r["on_boundary"])


def test_the_partition_is_in_grid_order_with_a_brin_index_that_finds_each_grid(session: Session) -> None:
    plan = active_plan(session)
    part = f"household_assignment_p{plan}"
    # An updated row moves to the end of the heap: the points no longer arrive in id order.
    session.execute(text("UPDATE household SET size = size WHERE id = (SELECT min(id) FROM household)"))
    assign_plan(session, plan)
    indexes = dict(session.execute(text("""
        SELECT am.amname || ' ' || pg_get_indexdef(i.indexrelid, 1, true), parent.relname
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
        LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
        LEFT JOIN pg_class parent ON parent.oid = h.inhparent
        WHERE i.indrelid = CAST(:t AS regclass)
    """), {"t": part}).all())
    assert indexes == {"btree household_id": None, "brin grid_id": "ix_household_assignment_grid"}
    unique = session.execute(text("SELECT indisunique FROM pg_index WHERE indexrelid = "
                                  "CAST(:i AS regclass)"), {"i": f"{part}_household"}).scalar_one()
    assert unique
    # The COPY's default for plan_id is gone again: as the parent.
    defaults = dict(session.execute(text(
        "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = :t"),
        {"t": part}).all())
    assert defaults == {"plan_id": None, "household_id": None, "grid_id": None,
                        "on_boundary": "false", "candidates": None}
    # Rows lie in (grid_id, household_id) order, NULL grid last: what keeps BRIN exact.
    rows = session.execute(text(f"SELECT grid_id, household_id FROM {part} ORDER BY ctid")).all()
    keys = [(g is None, g or 0, h) for g, h in rows]
    assert keys == sorted(keys)
    # Per grid, through the BRIN index, the counts of an independent ST_Intersects join
    # (each household to its lowest-code base grid).
    expected = dict(session.execute(text("""
        SELECT owner, count(*) FROM (
            SELECT DISTINCT ON (h.id) h.id, g.id AS owner
            FROM household h JOIN grid g ON g.plan_id = :p AND g.kind IN ('residential', 'special')
                 AND ST_Intersects(g.boundary, h.location)
            WHERE h.district_code = '610802' ORDER BY h.id, g.code, g.id) t
        GROUP BY owner
    """), {"p": plan}).all())
    # With statistics (autovacuum gathers them once the new partition is committed) the
    # planner knows plan_id is one value here and takes the BRIN index for a grid.
    session.execute(text(f"ANALYZE {part}"))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    grid_ids = [t["id"] for t in assignment_totals(session, plan) if t["kind"] != "business"]
    query = text("SELECT count(*) FROM household_assignment WHERE plan_id = :p AND grid_id = :g")
    plan_text = "\n".join(r[0] for r in session.execute(text("EXPLAIN " + str(query)),
                                                        {"p": plan, "g": grid_ids[0]}))
    assert "Bitmap Index Scan" in plan_text and f"{part}_grid" in plan_text, plan_text
    got = {g: session.execute(query, {"p": plan, "g": g}).scalar_one() for g in grid_ids}
    assert {g: n for g, n in got.items() if n} == expected
    assert {t["id"]: t["households"] for t in assignment_totals(session, plan) if t["households"]} == expected


def test_rows_split_over_many_copy_chunks_are_the_same_rows(session: Session, monkeypatch) -> None:
    plan = active_plan(session)
    ids = session.scalars(text("SELECT id FROM household WHERE district_code = '610802' ORDER BY id")).all()
    vertices = session.scalars(text("""
        SELECT DISTINCT ST_AsEWKT((ST_DumpPoints(boundary)).geom) FROM grid
        WHERE plan_id = :p AND kind = 'residential' LIMIT 60"""), {"p": plan}).all()
    # Rows written one by one (edges, outside) spread over the id range and so over chunks.
    for hid, vertex in zip(ids[::997], vertices, strict=False):
        session.execute(text("UPDATE household SET location = ST_GeomFromEWKT(:v) WHERE id = :h"),
                        {"v": vertex, "h": hid})
    session.execute(text("UPDATE household SET location = ST_SetSRID(ST_MakePoint(109.0, 38.0), 4326) "
                         "WHERE id = :h"), {"h": ids[-1]})
    assign_plan(session, plan)
    whole = stored_assignments(session, plan)
    monkeypatch.setattr(assign_store, "_CHUNK", 997)
    assign_plan(session, plan)
    assert stored_assignments(session, plan) == whole and whole[ids[-1]]["grid_id"] is None
    assert sum(r["on_boundary"] for r in whole.values()) >= 50
    for hid, cands in covering_by_postgis(session, plan, "household", "'residential', 'special'").items():
        row = whole[hid]
        assert row["grid_id"] == (cands[0] if cands else None), hid
        assert row["candidates"] == (cands if row["on_boundary"] else []) and (row["on_boundary"]
                                                                              or len(cands) <= 1), hid


@pytest.mark.parametrize("grids", [50, 40_000])
@pytest.mark.parametrize("in_id_order", [True, False])
def test_row_order_is_grid_id_then_household_id_with_no_grid_last(grids: int, in_id_order: bool) -> None:
    rng = np.random.default_rng(grids)
    ids = np.arange(1, 5001) * 3
    if not in_id_order:
        rng.shuffle(ids)
    grid_ids = rng.permutation(grids) + 100       # grid ids in another order than the indexes
    owner = rng.integers(-1, grids, len(ids))
    order = assign_store._row_order(ids, grid_ids, owner)
    got = [(o < 0, grid_ids[o] if o >= 0 else 0, i) for o, i in zip(owner[order], ids[order], strict=True)]
    assert got == sorted(got) and sorted(order.tolist()) == list(range(len(ids)))


def test_two_readers_on_one_snapshot_give_the_rows_one_reader_gives(engine, monkeypatch) -> None:
    """A large table is read in two halves, the second on another connection importing
    this transaction's snapshot; the stored rows are the same as one reader's."""
    results = {}
    for threshold in (10**9, 1):
        monkeypatch.setattr(assign_store, "SPLIT_READ_PAGES", threshold)
        with Session(engine) as top:               # a top-level transaction, rolled back
            plan = active_plan(top)
            summary = assign_plan(top, plan)
            results[summary.readers] = (summary.households, stored_assignments(top, plan))
            top.rollback()
    assert set(results) == {1, 2}
    assert results[2] == results[1] and results[1][0] == 59_206


def test_one_reader_when_this_transaction_wrote_households_or_sits_in_a_savepoint(
        engine, monkeypatch) -> None:
    """The second reader could not see this transaction's own rows: a household moved
    in this transaction is read (and assigned) where it now is, by one reader; inside a
    savepoint (no snapshot can be exported there) one reader too."""
    monkeypatch.setattr(assign_store, "SPLIT_READ_PAGES", 1)
    with Session(engine) as top:
        plan = active_plan(top)
        with top.begin_nested():
            assert assign_plan(top, plan).readers == 1
        hid = top.execute(text("SELECT min(id) FROM household WHERE district_code = '610802'")).scalar_one()
        top.execute(text("UPDATE household SET location = ST_SetSRID(ST_MakePoint(109.0, 38.0), 4326) "
                         "WHERE id = :h"), {"h": hid})
        summary = assign_plan(top, plan)
        assert summary.readers == 1 and summary.unassigned_households == [hid]
        top.rollback()


def test_a_household_is_stored_once_per_plan(session: Session) -> None:
    plan = active_plan(session)
    assign_plan(session, plan)
    hid = session.execute(text("SELECT min(household_id) FROM household_assignment WHERE plan_id = :p"),
                          {"p": plan}).scalar_one()
    with pytest.raises(IntegrityError, match="household_id"), session.begin_nested():
        session.execute(text("INSERT INTO household_assignment (plan_id, household_id) VALUES (:p, :h)"),
                        {"p": plan, "h": hid})
