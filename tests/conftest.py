"""Shared fixtures: a real PostGIS test database with the demo loaded, rolled back per test.

The test database is ``gisgrid_test`` (or ``$GISGRID_TEST_DB``) in the embedded cluster,
made afresh for every run, so the user's own ``gisgrid`` database is never touched; or
the database named by ``GISGRID_TEST_DATABASE_URL``. There is no skipping: without a database the fixtures
fail and so do the tests that need them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gisgrid.access import add_user
from gisgrid.db.engine import make_engine, migrate, session_scope
from gisgrid.db.local import LocalCluster
from gisgrid.demo.load import load_demo
from gisgrid.settings import DatabaseSettings, ServerSettings, Settings

ROOT = Path(__file__).resolve().parent.parent
TEST_DB = os.environ.get("GISGRID_TEST_DB", "gisgrid_test")


def _fresh_embedded_test_db() -> str:
    settings = DatabaseSettings(database_url=None)
    cluster = LocalCluster(ROOT / settings.home if not settings.home.is_absolute() else settings.home,
                           settings.pg_bin)
    state = cluster.start()
    dsn = f"host=127.0.0.1 port={state.port} user={state.user} password={state.password}"
    with psycopg.connect(dsn + " dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    return state.url(TEST_DB)


@pytest.fixture(scope="session")
def db_url() -> str:
    """URL of the test database, migrated, with the Yuyang demo loaded."""
    url = os.environ.get("GISGRID_TEST_DATABASE_URL") or _fresh_embedded_test_db()
    url = DatabaseSettings(database_url=url).database_url or url
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    with session_scope(engine) as session:
        load_demo(session, replace=True)
    engine.dispose()
    return url


@dataclass(frozen=True)
class Account:
    """A test user: name, role, scope, its API token and its browser password."""

    name: str
    role: str
    scope: str | None
    token: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


#: The test users, by key: (name, role, scope). 学院社区 610802001001 and 三官会社区
#: 610802002001 are communities of different subdistricts (崇文路街道, 鼓楼街道).
ACCOUNTS = {
    "admin": ("t-admin", "admin", None),
    "planner": ("t-planner", "planner", "610802"),
    "gulou_planner": ("t-planner-gulou", "planner", "610802002"),
    "staff": ("t-staff-xueyuan", "staff", "610802001001"),
    "other_staff": ("t-staff-sanguanhui", "staff", "610802002001"),
    "consumer": ("t-consumer", "consumer", None),
}


@pytest.fixture(scope="session")
def accounts(db_url: str) -> dict[str, Account]:
    """The test users, committed to the test database once (the API and servers see them)."""
    engine = make_engine(db_url, pool_size=1)
    out = {}
    with session_scope(engine) as session:
        for key, (name, role, scope) in ACCOUNTS.items():
            password = f"pw-{name}"
            user = add_user(session, name, role, scope=scope, password=password, actor="tests")
            out[key] = Account(name, role, scope, user.token, password)
    engine.dispose()
    return out


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, pool_size=4)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test (MapIt style)."""
    with engine.connect() as conn:
        outer = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()


@pytest.fixture(scope="session")
def settings(db_url: str) -> Settings:
    return Settings(db=DatabaseSettings(database_url=db_url), server=ServerSettings(tiles_url="none"))


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from api import create_app

    with TestClient(create_app(settings)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(db_url: str) -> Iterator[str]:
    """A real ``gisgrid serve`` process on the test database; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "GISGRID_DATABASE_URL": db_url, "GISGRID_TILES_URL": "osm"}
    log = open(ROOT / ".gisgrid" / "live_server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gisgrid.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            tail = (ROOT / ".gisgrid" / "live_server.log").read_text()[-2000:]
            raise RuntimeError(f"gisgrid serve did not start: {tail}")
        time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
