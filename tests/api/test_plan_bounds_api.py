"""Household bounds over HTTP and the CLI: set on a new draft, shown with the plan, used by
its coverage check and its planner page; bad bounds are a 400 and write nothing.

Drafts made here are committed (the API commits) and deleted after each test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gisgrid.cli import app as cli


@pytest.fixture
def made(engine: Engine) -> Iterator[list[int]]:
    """Ids of the plans a test makes; deleted afterwards."""
    ids: list[int] = []
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = ANY(:ids)"), {"ids": ids})


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM plan")).scalar_one()


def test_a_draft_gets_the_bounds_it_is_given_and_its_check_and_page_use_them(client, made, accounts) -> None:
    planner = accounts["planner"].headers
    r = client.post("/v1/plans", json={"scope": "610802", "name": "tight", "min_households": 250,
                                       "max_households": 400}, headers=planner)
    assert r.status_code == 201, r.text
    plan = r.json()
    made.append(plan["id"])
    assert plan["household_bounds"] == {"min": 250, "max": 400}
    assert client.get(f"/v1/plans/{plan['id']}").json()["household_bounds"] == {"min": 250, "max": 400}
    coverage = client.get(f"/v1/plans/{plan['id']}/coverage").json()["household_bounds"]
    assert (coverage["min"], coverage["max"]) == (250, 400)
    assert coverage["breaches"] and all(not 250 <= b["households"] <= 400 for b in coverage["breaches"])
    # A draft's page is the editor, which colours grids against the bounds of its document.
    page = client.get(f"/maps/plans/{plan['id']}/planner", headers=planner)
    assert page.status_code == 200 and 'id="ed-dialog"' in page.text
    units = client.get(f"/v1/plans/{plan['id']}/units", headers=planner)
    assert units.status_code == 200 and units.json()["bounds"] == {"min": 250, "max": 400}
    active = client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]
    assert active["household_bounds"] == {"min": 100, "max": 600}
    assert "100–600户" in client.get(f"/maps/plans/{active['id']}/planner", headers=planner).text
    # the read-only page takes a bound from its URL, the other from the plan
    assert "50–600户" in client.get(f"/maps/plans/{active['id']}/planner?min_households=50",
                                   headers=planner).text


def test_a_copy_without_bounds_takes_the_active_plans(client, made, accounts) -> None:
    r = client.post("/v1/plans", json={"scope": "610802", "name": "plain", "max_households": 500},
                    headers=accounts["planner"].headers)
    made.append(r.json()["id"])
    assert r.status_code == 201 and r.json()["household_bounds"] == {"min": 100, "max": 500}


@pytest.mark.parametrize("bounds", [{"min_households": 500, "max_households": 100},
                                    {"max_households": 0}])
def test_bounds_out_of_order_are_a_400_and_no_plan_is_written(client, engine, bounds, accounts) -> None:
    before = _count(engine)
    r = client.post("/v1/plans", json={"scope": "610802", "name": "bad", **bounds},
                    headers=accounts["planner"].headers)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_input")
    assert "0 <= min <= max" in r.json()["message"]
    assert _count(engine) == before


def test_a_negative_bound_is_refused_by_its_declared_range_and_no_plan_is_written(client, engine,
                                                                                 accounts) -> None:
    before = _count(engine)
    r = client.post("/v1/plans", json={"scope": "610802", "name": "bad", "min_households": -1},
                    headers=accounts["planner"].headers)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_request")
    assert _count(engine) == before


def test_the_cli_creates_a_draft_with_bounds_and_refuses_bad_ones(db_url: str, engine, made) -> None:
    env = {"GISGRID_DATABASE_URL": db_url}
    ok = CliRunner().invoke(cli, ["plan", "create", "--scope", "610802", "--name", "cli",
                                  "--min-households", "150", "--max-households", "450"], env=env)
    assert ok.exit_code == 0, ok.output
    plan, _ = json.JSONDecoder().raw_decode(ok.output[ok.output.index("{"):])
    made.append(plan["id"])
    assert plan["household_bounds"] == {"min": 150, "max": 450}
    before = _count(engine)
    bad = CliRunner().invoke(cli, ["plan", "create", "--scope", "610802", "--name", "bad",
                                   "--min-households", "450", "--max-households", "150"], env=env)
    assert bad.exit_code == 2 and "invalid_input" in bad.output
    assert _count(engine) == before
