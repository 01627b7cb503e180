"""One owner per point, everywhere: a household on a shared edge counts in one grid only.

The rule (:mod:`gisgrid.rules`: base grids own; on a shared edge the one whose (code,
id) sorts first) used to be written five ways, and a household on a shared edge was
assigned to one grid and counted in two. Here one household is moved exactly onto a
vertex shared by two residential grids A and B, after their codes were swapped so that
B (the larger id) sorts first by code::

    +-------+-------+
    |   A   |   B   |      A.id < B.id, but B.code < A.code:
    |       *       |      * is owned by B, by code, in every caller
    +-------+-------+

and every caller is asked where it is: the stored assignment, the lookup (SQL path and
in-memory index), the grid features' counts, the edit counts, the size check and the diff.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.assign.plan import assign_plan
from gisgrid.db import coverage_store, plan_store, queries
from gisgrid.db.assign_store import assignment_totals, stored_assignments
from gisgrid.db.lookup_store import grids_in_force
from gisgrid.lookup.index import LookupIndex
from gisgrid.lookup.point import lookup_point
from gisgrid.plans.versions import create_draft, diff_plans
from gisgrid.rules import today


@pytest.fixture
def edge_home(session: Session) -> dict[str, Any]:
    """The active plan, grids A and B (codes swapped), and a household on their shared vertex."""
    plan = session.execute(text("SELECT id FROM plan WHERE status = 'active' AND district_code = '610802'")
                           ).scalar_one()
    vertex, a, b = session.execute(text("""
        WITH v AS (SELECT DISTINCT (ST_DumpPoints(boundary)).geom AS geom
                   FROM grid WHERE plan_id = :p AND kind = 'residential')
        SELECT ST_AsEWKT(v.geom), min(g.id), max(g.id)
        FROM v JOIN grid g ON g.plan_id = :p AND g.kind IN ('residential', 'special')
                          AND ST_Covers(g.boundary, v.geom)
        GROUP BY v.geom HAVING count(*) = 2 ORDER BY 2, 3 LIMIT 1
    """), {"p": plan}).one()
    code_a, code_b = (session.execute(text("SELECT code FROM grid WHERE id = :g"), {"g": g}).scalar_one()
                      for g in (a, b))
    low, high = sorted((code_a, code_b))
    for gid, code in ((a, "999999999999999"), (b, low), (a, high)):     # B now sorts first
        session.execute(text("UPDATE grid SET code = :c WHERE id = :g"), {"c": code, "g": gid})
    hid = session.execute(text("""
        SELECT h.id FROM household h JOIN grid g ON ST_Covers(g.boundary, h.location)
        WHERE g.id = :a ORDER BY h.id LIMIT 1
    """), {"a": a}).scalar_one()
    session.execute(text("UPDATE household SET location = ST_GeomFromEWKT(:v) WHERE id = :h"),
                    {"v": vertex, "h": hid})
    lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM household WHERE id = :h"),
                               {"h": hid}).one()
    return {"plan": plan, "a": a, "b": b, "code_a": high, "code_b": low, "household": hid,
            "lon": lon, "lat": lat}


def test_a_household_on_a_shared_edge_is_counted_only_in_the_grid_it_is_assigned_to(
        session: Session, edge_home: dict[str, Any]) -> None:
    plan, a, b, hid = edge_home["plan"], edge_home["a"], edge_home["b"], edge_home["household"]
    holders = session.execute(text("""
        SELECT id FROM grid WHERE plan_id = :p AND ST_Covers(boundary, (SELECT location FROM household
                                                                       WHERE id = :h)) ORDER BY id
    """), {"p": plan, "h": hid}).scalars().all()
    assert holders == [a, b]                               # exactly on the edge of both

    # The stored assignment: B owns it (first by code), A is the other candidate.
    assign_plan(session, plan)
    row = stored_assignments(session, plan)[hid]
    assert (row["grid_id"], row["on_boundary"], sorted(row["candidates"])) == (b, True, [a, b])
    totals = {t["id"]: t for t in assignment_totals(session, plan)}

    # Lookups, by SQL and from memory: the same owner.
    assert lookup_point(session, edge_home["lon"], edge_home["lat"])["grid"]["id"] == b
    index = LookupIndex(grids_in_force(session, on=today()))
    assert orjson.loads(index.answer(edge_home["lon"], edge_home["lat"]))["grid"]["id"] == b

    # The grid features count every household, resident and shop where it is stored.
    features = queries.grid_features(session, plan)["features"]
    counted = {f["id"]: {k: f["properties"][k] for k in ("households", "residents", "shops")}
               for f in features}
    assert counted == {g: {k: t[k] for k in ("households", "residents", "shops")} for g, t in totals.items()}
    households = session.execute(text("SELECT count(*) FROM household WHERE district_code = '610802'")
                                 ).scalar_one()
    assert sum(c["households"] for c in counted.values()) == households     # nobody twice

    # The same with a filter (the owner is still chosen among all the plan's grids).
    community = session.execute(text("SELECT c.code FROM grid g JOIN admin_area c ON c.id = g.community_id "
                                     "WHERE g.id = :a"), {"a": a}).scalar_one()
    for f in queries.grid_features(session, plan, community=community)["features"]:
        assert f["properties"]["households"] == totals[f["id"]]["households"]

    # An edit's counts and the size check count it once, in B.
    edit = {g["id"]: g for g in plan_store.grid_counts(session, [a, b])}
    assert {g: (edit[g]["households"], edit[g]["shops"]) for g in (a, b)} == {
        g: (totals[g]["households"], totals[g]["shops"]) for g in (a, b)}
    breaches = {r["grid"]: r["households"] for r in coverage_store.size_breaches(session, plan, (1, 1))}
    by_code = {t["code"]: t for t in totals.values() if t["kind"] == "residential"}
    assert breaches and all(by_code[code]["households"] == n for code, n in breaches.items())
    assert breaches[edge_home["code_b"]] == totals[b]["households"]

    # A diff counts it in B too: with B gone from a copy, exactly this household goes to A.
    draft = create_draft(session, scope="610802", name="B removed", author="test")
    plan_store.delete_grids(session, [plan_store.grid_ids_by_code(session, draft)[edge_home["code_b"]]])
    moves = diff_plans(session, plan, draft)["households"]["moves"]
    from_b = {m["to_code"]: m["n"] for m in moves if m["from_code"] == edge_home["code_b"]}
    assert from_b == {edge_home["code_a"]: 1, None: totals[b]["households"] - 1}
    assert all(m["from_code"] == edge_home["code_b"] for m in moves)
