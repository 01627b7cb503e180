"""The lookup cache on the demo: the epoch moves on committed changes only, and the
cached answers follow it (at once after invalidate, within refresh_s otherwise).

These tests commit (a grid renamed, then renamed back): the cache reads through its
own connections, as a server does, so a rolled-back session would show it nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import orjson
import pytest
from sqlalchemy import Engine, create_engine, text

from gisgrid.db.lookup_store import lookup_epoch
from gisgrid.errors import DatabaseUnavailableError
from gisgrid.lookup.cache import LookupCache
from gisgrid.lookup.point import lookup_point_json
from gisgrid.rules import today


@pytest.fixture
def home(engine: Engine) -> tuple[float, float, int, str]:
    """A household position, its grid (id) and that grid's name."""
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT 1")).one()
        body = orjson.loads(lookup_point_json(conn, lon, lat))
    return lon, lat, body["grid"]["id"], body["grid"]["name"]


@pytest.fixture
def rename(engine: Engine, home: tuple[float, float, int, str]) -> Iterator[Callable[[str], None]]:
    """Rename the home's grid (committed); the old name is put back afterwards."""
    gid, old = home[2], home[3]

    def _rename(name: str) -> None:
        with engine.begin() as conn:
            conn.execute(text("UPDATE grid SET name = :n WHERE id = :g"), {"n": name, "g": gid})

    yield _rename
    _rename(old)


def _name(cache: LookupCache, lon: float, lat: float) -> str:
    return orjson.loads(cache.get(today()).answer(lon, lat))["grid"]["name"]


def test_the_epoch_moves_when_a_change_commits_not_before(engine: Engine, home, rename) -> None:
    with engine.connect() as watcher:
        before = lookup_epoch(watcher)
        watcher.rollback()
        with engine.connect() as writer:
            writer.execute(text("UPDATE grid SET name = name || '' WHERE id = :g"), {"g": home[2]})
            assert lookup_epoch(watcher) == before          # not committed yet
            watcher.rollback()
            writer.commit()
        assert lookup_epoch(watcher) > before


@pytest.mark.parametrize("table", ["plan", "grid", "grid_staff", "staff", "admin_area"])
def test_every_table_an_answer_is_made_of_moves_the_epoch(engine: Engine, table: str) -> None:
    with engine.connect() as conn:
        before = lookup_epoch(conn)
        conn.execute(text(f"DELETE FROM {table} WHERE false"))   # a statement, no row
        assert lookup_epoch(conn) > before
        conn.rollback()


def test_a_cache_checking_every_time_answers_a_committed_change_at_once(engine: Engine, home, rename) -> None:
    lon, lat, _, old = home
    cache = LookupCache(engine, refresh_s=0)
    assert _name(cache, lon, lat) == old
    rename("测试改名网格")
    assert _name(cache, lon, lat) == "测试改名网格"
    assert cache.builds == 2


def test_between_checks_the_held_index_answers_until_invalidated(engine: Engine, home, rename) -> None:
    lon, lat, _, old = home
    cache = LookupCache(engine, refresh_s=3600)
    index = cache.get(today())
    rename("测试改名网格")
    assert cache.ready(today()) is index                 # no check due: the held answers
    assert _name(cache, lon, lat) == old
    cache.invalidate()                                   # what the API does after a write
    assert cache.ready(today()) is None
    assert _name(cache, lon, lat) == "测试改名网格"


def test_a_due_check_runs_in_the_background_and_the_new_answer_follows(engine: Engine, home, rename) -> None:
    lon, lat, _, old = home
    cache = LookupCache(engine, refresh_s=0.05)
    first = cache.get(today())
    rename("测试改名网格")
    deadline = time.monotonic() + 10
    seen = old
    while seen == old and time.monotonic() < deadline:
        time.sleep(0.06)
        index = cache.ready(today()) or cache.get(today())   # ready() starts the check
        seen = orjson.loads(index.answer(lon, lat))["grid"]["name"]
    assert seen == "测试改名网格"
    assert cache.ready(today()) is not first


def test_plans_in_force_on_another_day_get_their_own_index(engine: Engine, home) -> None:
    cache = LookupCache(engine, refresh_s=3600)
    now = cache.get(today())
    assert cache.get(today()) is now
    old = cache.get(dt.date(1990, 1, 1))                 # before the demo plan: nothing
    assert len(old) == 0 and old.answer(home[0], home[1]) is None


def test_when_the_database_goes_away_the_held_answers_stay(engine: Engine, home) -> None:
    lon, lat, _, old = home
    cache = LookupCache(engine, refresh_s=0)
    assert _name(cache, lon, lat) == old
    dead = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none",
                         connect_args={"connect_timeout": 2})
    cache.engine = dead
    assert _name(cache, lon, lat) == old                 # the check fails; answers go on
    fresh = LookupCache(dead, refresh_s=0)
    with pytest.raises(DatabaseUnavailableError):
        fresh.get(today())
    dead.dispose()
