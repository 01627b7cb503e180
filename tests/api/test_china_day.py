"""Every default day is today's calendar day in China (UTC+8), whoever asks (issue #10).

Activation used the server's local day while lookups used China's, so between 00:00 and
08:00 in China a plan activated on a UTC server started "yesterday" for its lookups.
The clock is injected (``gisgrid.rules.utc_now`` replaced), never slept on:

    2026-12-04 15:00 UTC = 2026-12-04 23:00 in China   (AFTERNOON)
    2026-12-04 17:30 UTC = 2026-12-05 01:30 in China   (EVENING: same UTC day, next China day)

At EVENING a copy of the demo plan is activated through the API without a date: it
starts on 2026-12-05, the demo plan retires that day, and every lookup without a date
(API point, batch and address lookups, the core functions, the CLI) answers with the
copy at EVENING and with the demo plan at AFTERNOON.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from plan_switch import activated_copy, quiet_client
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid import rules
from gisgrid.address.lookup import lookup_address
from gisgrid.cli import app as cli
from gisgrid.lookup.point import lookup_point, lookup_points
from gisgrid.rules import today
from gisgrid.settings import Settings

AFTERNOON = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 12, 4, 17, 30, tzinfo=dt.UTC)
CHINA_DAY = dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def quiet(settings: Settings) -> Iterator[TestClient]:
    with quiet_client(settings) as client:
        yield client


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Set the instant every default day is read from."""
    def set_clock(when: dt.datetime) -> None:
        monkeypatch.setattr(rules, "utc_now", lambda: when)
    return set_clock


def test_today_is_the_calendar_day_in_china() -> None:
    assert today(EVENING) == CHINA_DAY
    assert today(AFTERNOON) == dt.date(2026, 12, 4)
    assert today(dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)) == CHINA_DAY           # midnight CST
    assert today(dt.datetime(2026, 12, 4, 15, 59, 59, tzinfo=dt.UTC)) == dt.date(2026, 12, 4)
    assert today(dt.datetime(2026, 12, 4, 17, 30)) == CHINA_DAY                         # naive: UTC
    assert today(dt.datetime(2026, 12, 5, 1, 30, tzinfo=rules.CHINA_TZ)) == CHINA_DAY


def test_the_injected_clock_is_the_one_every_default_reads(clock) -> None:
    clock(EVENING)
    assert today() == CHINA_DAY
    clock(AFTERNOON)
    assert today() == dt.date(2026, 12, 4)


def _grid_ids(client: TestClient, engine: Engine, db_url: str, lon: float, lat: float,
              address: str) -> dict[str, int]:
    """The grid id every lookup path answers for a point (or its address), no date given."""
    run = CliRunner()
    env = {"GISGRID_DATABASE_URL": db_url}
    cli_point = run.invoke(cli, ["lookup", repr(lon), repr(lat)], env=env)
    cli_address = run.invoke(cli, ["lookup", address], env=env)
    assert cli_point.exit_code == 0 and cli_address.exit_code == 0, cli_point.output + cli_address.output
    with Session(engine) as session:
        return {
            "api point": client.get("/v1/lookup", params={"lon": lon, "lat": lat}).json()["grid"]["id"],
            "api batch": client.post("/v1/lookup", json={"points": [[lon, lat]]}).json()[
                "results"][0]["grid"]["id"],
            "api address": client.get("/v1/lookup/address", params={"q": address}).json()["grid"]["id"],
            "core point": lookup_point(session, lon, lat)["grid"]["id"],
            "core batch": lookup_points(session, [[lon, lat]])[0]["grid"]["id"],
            "core address": lookup_address(session, address)["grid"]["id"],
            "cli point": json.loads(cli_point.output)["grid"]["id"],
            "cli address": json.loads(cli_address.output)["grid"]["id"],
        }


def test_an_activation_and_every_lookup_default_to_the_same_china_day(
        quiet: TestClient, engine: Engine, db_url: str, clock, accounts) -> None:
    with engine.connect() as conn:
        lon, lat, address = conn.execute(text(
            "SELECT ST_X(location), ST_Y(location), address FROM household ORDER BY id LIMIT 1")).one()
    clock(EVENING)
    with activated_copy(quiet, engine, accounts["planner"].headers) as (old_plan, new_plan):
        assert new_plan["effective_from"] == "2026-12-05"           # not the UTC day, 12-04
        with engine.connect() as conn:
            assert conn.execute(text("SELECT effective_to FROM plan WHERE id = :p"),
                                {"p": old_plan}).scalar_one() == CHINA_DAY
            holder = {p: conn.execute(text("""
                SELECT id FROM grid WHERE plan_id = :p AND kind = 'residential'
                  AND ST_Covers(boundary, ST_SetSRID(ST_MakePoint(:x, :y), 4326))
            """), {"p": p, "x": lon, "y": lat}).scalar_one() for p in (old_plan, new_plan["id"])}
        evening = _grid_ids(quiet, engine, db_url, lon, lat, address)
        assert evening == dict.fromkeys(evening, holder[new_plan["id"]])
        clock(AFTERNOON)
        afternoon = _grid_ids(quiet, engine, db_url, lon, lat, address)
        assert afternoon == dict.fromkeys(afternoon, holder[old_plan])


def test_the_cli_activates_on_the_china_day(quiet: TestClient, engine: Engine, db_url: str, clock,
                                            accounts) -> None:
    draft = quiet.post("/v1/plans", json={"scope": "610802", "name": "CLI activation"},
                       headers=accounts["planner"].headers).json()["id"]
    try:
        clock(EVENING)
        r = CliRunner().invoke(cli, ["plan", "activate", str(draft), "--dry-run"],
                               env={"GISGRID_DATABASE_URL": db_url})
        assert r.exit_code == 0, r.output
        printed, _ = json.JSONDecoder().raw_decode(r.output[r.output.index("{"):])
        assert (printed["status"], printed["effective_from"]) == ("active", "2026-12-05")
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": draft})
    with engine.connect() as conn:                                   # the dry run left nothing
        assert conn.execute(text("SELECT count(*) FROM plan WHERE status = 'active'")).scalar_one() == 1
