"""Stored assignments on the Yuyang demo, checked against PostGIS's own ST_Covers."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.assign_store import assign_plan, assignment_totals, stored_assignments
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
