"""The editor's edits on the demo in PostGIS: units of a plan, the reassign save, teams and the
activation gate, and the two defects found through the API (move of a served block, replace
round trip). Each test runs in a transaction rolled back at its end."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.coverage.plan import plan_coverage
from gisgrid.db import plan_store, queries
from gisgrid.errors import InvalidInputError, TeamIncompleteError, UnitsChangedError
from gisgrid.plans.activation import activate_plan
from gisgrid.plans.assignment import grid_figures
from gisgrid.plans.units import plan_units
from gisgrid.plans.versions import apply_edit, create_draft, diff_plans

XUEYUAN = "610802001001"


def _draft(session: Session) -> tuple[int, int]:
    plan = create_draft(session, scope="610802", name="editor draft")
    parent = session.execute(text("SELECT parent_id FROM plan WHERE id = :p"), {"p": plan}).scalar_one()
    return plan, parent


def _version(session: Session, plan: int) -> int:
    return session.execute(text("SELECT version FROM plan WHERE id = :p"), {"p": plan}).scalar_one()


def _members(units, grid) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for uid, g in zip(units.ids, grid.tolist(), strict=True):
        out.setdefault(g, []).append(uid)
    return out


def _edge_block(units, grid, households) -> tuple[int, int, list[int]]:
    """A block wholly in grid A (holding other blocks too) sharing a street edge with grid B."""
    blocks: dict[int, list[int]] = {}
    for i, b in enumerate(units.block.tolist()):
        blocks.setdefault(b, []).append(i)
    for (i, j), metres in zip(units.pairs.tolist(), units.shared_m, strict=True):
        a, b = grid[i], grid[j]
        block = blocks[int(units.block[i])]
        if (
            a != b
            and units.block[i] != units.block[j]
            and metres > 20
            and all(grid[k] == a for k in block)
            and len({int(units.block[k]) for k in np.flatnonzero(grid == a)}) > 1
            and households[block].sum() > 0
        ):
            return int(a), int(b), block
    raise AssertionError("no block on a grid edge")


def _whole_block_leaving_a_whole_grid(c, grid, g) -> list[str]:
    """The units of a block of grid g whose removal leaves g in one piece (the block is one too)."""
    for block in sorted({int(b) for b in c.block[grid == g]}):
        trial = ["new" if c.block[i] == block else x for i, x in enumerate(grid.tolist())]
        figures = grid_figures(
            trial, area_m2=c.area_m2, perimeter_m=c.perimeter_m, pairs=c.pairs, shared_m=c.shared_m
        )
        if len(figures[g].pieces) == 1 and len(figures["new"].pieces) == 1:
            return [c.ids[i] for i in np.flatnonzero(c.block == block)]
    raise AssertionError(f"no block of grid {g} to take")


def test_units_of_the_demo_add_up_to_every_grid_as_the_api_counts_it(session: Session) -> None:
    plan, parent = _draft(session)
    units = plan_units(session, plan, parent_id=parent)
    api = {
        f["id"]: f["properties"] for f in queries.grid_features(session, plan, kind="residential")["features"]
    }
    for key, prop in (("households", "households"), ("residents", "residents"), ("shops", "shops")):
        totals: dict[int, int] = {}
        for counts, grid in zip(units.counts[key], units.grid, strict=True):
            for g, n in zip(grid.tolist(), counts.tolist(), strict=True):
                totals[g] = totals.get(g, 0) + n
        assert {g: totals.get(g, 0) for g in api} == {g: p[prop] for g, p in api.items()}, key
    for k, c in enumerate(units.communities):  # a copy: every unit's parent grid is its grid
        assert (units.parent_grid[k] == units.grid[k]).all()
        figures = grid_figures(
            units.grid[k].tolist(),
            area_m2=c.area_m2,
            perimeter_m=c.perimeter_m,
            pairs=c.pairs,
            shared_m=c.shared_m,
        )
        assert all(len(f.pieces) == 1 for f in figures.values()), c.code  # the demo's grids are whole


def test_a_reassigned_block_moves_exactly_its_households_and_the_plan_still_tiles(session: Session) -> None:
    plan, parent = _draft(session)
    units = plan_units(session, plan, only={XUEYUAN})
    c, grid, households = units.communities[0], units.grid[0], units.counts["households"][0]
    a, b, block = _edge_block(c, grid, households)
    members = _members(c, grid)
    moved = {c.ids[i] for i in block}
    result = apply_edit(
        session,
        plan,
        "reassign",
        expected_version=1,
        digests={XUEYUAN: c.digest},
        assignment=[
            {"grid": a, "units": [u for u in members[a] if u not in moved]},
            {"grid": b, "units": members[b] + sorted(moved)},
        ],
    )
    assert result.version == 2 == _version(session, plan)
    diff = diff_plans(session, parent, plan)
    assert diff["households"]["moved"] == int(households[block].sum())
    assert len(diff["households"]["moves"]) == 1
    assert plan_coverage(session, plan).ok
    event = session.execute(
        text("""SELECT details FROM audit_event WHERE entity = 'plan' AND entity_id = :p
                                    AND action = 'edit_reassign'"""),
        {"p": plan},
    ).scalar_one()
    assert event["version"] == {"before": 1, "after": 2} and sorted(event["grids"]) == sorted([a, b])


def test_one_building_moved_out_of_a_shared_block_keeps_coverage_and_moves_its_households(
    session: Session,
) -> None:
    plan, parent = _draft(session)
    units = plan_units(session, plan, only={XUEYUAN})
    c, grid, households = units.communities[0], units.grid[0], units.counts["households"][0]
    u, a, b = next(
        (i, grid[i], grid[j])
        for (x, y), m, street in zip(c.pairs.tolist(), c.shared_m, c.street, strict=True)
        for i, j in ((x, y), (y, x))
        if c.building[i] is not None and grid[i] != grid[j] and street and m > 10 and households[i]
    )
    members = _members(c, grid)
    apply_edit(
        session,
        plan,
        "reassign",
        expected_version=1,
        digests={XUEYUAN: c.digest},
        assignment=[
            {"grid": int(a), "units": [x for x in members[a] if x != c.ids[u]]},
            {"grid": int(b), "units": members[b] + [c.ids[u]]},
        ],
    )
    assert diff_plans(session, parent, plan)["households"]["moved"] == households[u]
    assert plan_coverage(session, plan).ok


def test_a_new_grid_from_units_gets_a_code_a_team_and_the_activation_gate_wants_its_team(
    session: Session,
) -> None:
    plan, _ = _draft(session)
    units = plan_units(session, plan, only={XUEYUAN})
    c, grid = units.communities[0], units.grid[0]
    big = max(_members(c, grid).items(), key=lambda kv: len(kv[1]))
    taken = _whole_block_leaving_a_whole_grid(c, grid, big[0])
    result = apply_edit(
        session,
        plan,
        "reassign",
        expected_version=1,
        digests={XUEYUAN: c.digest},
        assignment=[
            {"grid": big[0], "units": [u for u in big[1] if u not in taken]},
            {"grid": "new-1", "units": taken, "name": "才智新网格"},
        ],
    )
    new_id = result.created["new-1"]
    row = session.execute(text("SELECT code, name FROM grid WHERE id = :g"), {"g": new_id}).one()
    assert row.code.startswith(XUEYUAN) and row.name == "才智新网格"
    assert any("without a team" in n for n in result.notes)
    with pytest.raises(TeamIncompleteError) as refused:
        activate_plan(session, plan)
    assert [g["code"] for g in refused.value.details["grids"]] == [row.code]
    staff = session.execute(text("SELECT id FROM staff ORDER BY id LIMIT 3")).scalars().all()
    apply_edit(
        session,
        plan,
        "team",
        expected_version=2,
        grid=new_id,
        team={"leader": staff[0], "full_time": staff[1], "part_time": [staff[2]]},
    )
    roles = session.execute(
        text("SELECT role, staff_id FROM grid_staff WHERE grid_id = :g ORDER BY role"), {"g": new_id}
    ).all()
    assert [(r.role, r.staff_id) for r in roles] == [
        ("full_time", staff[1]),
        ("leader", staff[0]),
        ("part_time", staff[2]),
    ]


def test_activation_without_a_team_goes_through_with_a_reason_and_the_reason_is_recorded(
    session: Session,
) -> None:
    plan, _ = _draft(session)
    gid = session.execute(
        text("SELECT id FROM grid WHERE plan_id = :p ORDER BY code LIMIT 1"), {"p": plan}
    ).scalar()
    session.execute(text("DELETE FROM grid_staff WHERE grid_id = :g AND role = 'leader'"), {"g": gid})
    with pytest.raises(TeamIncompleteError):
        activate_plan(session, plan, team_override="   ")
    activate_plan(session, plan, team_override="网格长待社区党委任命")
    details = session.execute(
        text("""SELECT details FROM audit_event WHERE action = 'activate'
                                      AND entity_id = :p"""),
        {"p": plan},
    ).scalar_one()
    assert details["team_override"] == "网格长待社区党委任命" and len(details["grids_without_team"]) == 1


def test_a_merge_by_reassign_removes_the_grid_and_its_part_time_workers_join_the_other(
    session: Session,
) -> None:
    plan, parent = _draft(session)
    units = plan_units(session, plan, only={XUEYUAN})
    c, grid = units.communities[0], units.grid[0]
    (i, j) = next((i, j) for i, j in c.pairs.tolist() if grid[i] != grid[j])
    a, b = int(grid[i]), int(grid[j])
    members = _members(c, grid)
    part_time = set(
        session.execute(
            text("SELECT staff_id FROM grid_staff WHERE grid_id = :g AND role = 'part_time'"), {"g": b}
        ).scalars()
    )
    result = apply_edit(
        session,
        plan,
        "reassign",
        expected_version=1,
        digests={XUEYUAN: c.digest},
        assignment=[{"grid": a, "units": members[a] + members[b]}, {"grid": b, "units": []}],
    )
    assert result.removed == [b]
    kept = set(
        session.execute(
            text("SELECT staff_id FROM grid_staff WHERE grid_id = :g AND role = 'part_time'"), {"g": a}
        ).scalars()
    )
    assert part_time <= kept
    staff = diff_plans(session, parent, plan)["staff"]
    assert staff["moved"] >= 2 + len(part_time)  # b's leader and full-time worker leave, its part-timers move
    assert plan_coverage(session, plan).ok


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda a, b: ([{"grid": a[0], "units": a[1]}, {"grid": b[0], "units": b[1] + a[1][:1]}]),
            "given twice",
        ),
        (lambda a, b: ([{"grid": a[0], "units": a[1][1:]}, {"grid": b[0], "units": b[1]}]), "is missing"),
        (lambda a, b: ([{"grid": a[0], "units": a[1] + b[1][:1]}]), "does not name"),
        (lambda a, b: ([{"grid": a[0], "units": a[1] + ["610802001001-9999"]}]), "no unit"),
        (lambda a, b: ([{"grid": a[0], "units": a[1]}, {"grid": "new-1", "units": []}]), "has no unit"),
        (lambda a, b: ([{"grid": a[0], "units": a[1]}, {"grid": a[0], "units": []}]), "listed twice"),
        (lambda a, b: ([{"grid": a[0], "units": a[1]}, {"grid": "grid-9", "units": []}]), "new-1, new-2"),
        (lambda a, b: ([{"grid": a[0], "units": ["610802002001-1"]}]), "its own community"),
        (lambda a, b: [{"grid": a[0], "units": a[1]}] * 1001, "at most"),
        (lambda a, b: [], "nothing to save"),
    ],
)
def test_a_malformed_or_incomplete_assignment_is_refused_and_changes_nothing(
    session, damage, message
) -> None:
    plan, _ = _draft(session)
    units = plan_units(session, plan, only={XUEYUAN, "610802002001"})
    c, grid = units.communities[0], units.grid[0]
    (i, j) = next((i, j) for i, j in c.pairs.tolist() if grid[i] != grid[j])
    members = _members(c, grid)
    a, b = (int(grid[i]), members[grid[i]]), (int(grid[j]), members[grid[j]])
    digests = {x.code: x.digest for x in units.communities}
    before = {r.id: bytes(r.wkb) for r in plan_store.plan_grid_shapes(session, plan)}
    with session.begin_nested() as attempt:
        with pytest.raises(InvalidInputError, match=message):
            apply_edit(
                session, plan, "reassign", expected_version=1, digests=digests, assignment=damage(a, b)
            )
        attempt.rollback()
    assert _version(session, plan) == 1
    assert {r.id: bytes(r.wkb) for r in plan_store.plan_grid_shapes(session, plan)} == before


def test_a_save_made_on_units_cut_before_a_street_changed_is_refused(session: Session) -> None:
    plan, _ = _draft(session)
    units = plan_units(session, plan, only={XUEYUAN})
    c, grid = units.communities[0], units.grid[0]
    members = _members(c, grid)
    g = int(grid[0])
    session.execute(
        text("""INSERT INTO street (district_code, name, kind, geom)
        SELECT '610802', '新开路', 'lane', ST_Multi(ST_MakeLine(ST_PointOnSurface(boundary),
               ST_Translate(ST_PointOnSurface(boundary), 0.0005, 0))) FROM admin_area WHERE code = :c"""),
        {"c": XUEYUAN},
    )
    with pytest.raises(UnitsChangedError):
        apply_edit(
            session,
            plan,
            "reassign",
            expected_version=1,
            digests={XUEYUAN: c.digest},
            assignment=[{"grid": g, "units": members[g]}],
        )
    assert plan_units(session, plan, only={XUEYUAN}).communities[0].digest != c.digest


def test_a_team_naming_unknown_or_repeated_staff_is_refused(session: Session) -> None:
    plan, _ = _draft(session)
    gid = session.execute(
        text("SELECT id FROM grid WHERE plan_id = :p ORDER BY code LIMIT 1"), {"p": plan}
    ).scalar()
    someone = session.execute(text("SELECT id FROM staff ORDER BY id LIMIT 1")).scalar()
    for team, message in (
        ({"leader": 99_999_999}, "no staff"),
        ({"leader": someone, "full_time": someone}, "twice"),
        ({"part_time": list(range(1, 60))}, "at most"),
        ({"boss": someone}, "unknown member"),
    ):
        with session.begin_nested() as attempt:
            with pytest.raises(InvalidInputError, match=message):
                apply_edit(session, plan, "team", expected_version=1, grid=gid, team=team)
            attempt.rollback()
