"""A PostGIS cluster of these tests' own and a ``gisgrid serve`` on it with small limits.

These tests race clients, activate plans, restart PostgreSQL and kill it with SIGKILL:
on the shared test database they would disturb every other test, so they get a cluster
of their own (``.gisgrid/robust-cluster``: made once, a fresh database every run, the
demo loaded) and a real server process with budgets small enough to reach in a test.
"""

from __future__ import annotations

import os
import signal
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

from gisgrid.access import add_user
from gisgrid.db.engine import make_engine, migrate, session_scope
from gisgrid.db.local import LocalCluster
from gisgrid.demo.load import load_demo
from gisgrid.settings import DatabaseSettings

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / ".gisgrid" / "robust-cluster"
DB = "gisgrid_robust"

#: The strict server's limits (GISGRID_* environment): reachable within a test.
STRICT_ENV = {
    "GISGRID_READ_TIMEOUT_S": "1",
    "GISGRID_BODY_TIMEOUT_S": "3",
    "GISGRID_WORK_TIMEOUT_S": "15",
    "GISGRID_WORK_MEMORY_MB": "400",
    "GISGRID_WORK_PROCESSES": "2",
    "GISGRID_LOOKUP_REFRESH_S": "0.2",
    "GISGRID_TILES_URL": "none",
}


@dataclass
class Cluster:
    """The tests' own cluster: its URL and the means to stop, start and kill it."""

    cluster: LocalCluster
    url: str
    #: A district planner's credentials (writes need them).
    headers: dict[str, str]

    @property
    def dsn(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://")

    def postmaster_pid(self) -> int:
        return int((self.cluster.data_dir / "postmaster.pid").read_text().splitlines()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend, as a crash would: no shutdown at all."""
        pid = self.postmaster_pid()
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        for p in [pid, *map(int, children)]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{p}").exists() for p in [pid, *map(int, children)]):
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL processes survived SIGKILL")
            time.sleep(0.1)

    def start(self) -> None:
        self.cluster.start()

    def stop(self) -> None:
        self.cluster.stop()

    def count(self, sql: str) -> int:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(sql).fetchone()[0]


@pytest.fixture(scope="session")
def robust_cluster() -> Iterator[Cluster]:
    """The cluster, a fresh ``gisgrid_robust`` database in it with the demo loaded."""
    HOME.parent.mkdir(exist_ok=True)
    cluster = LocalCluster(HOME)
    state = cluster.start()
    admin = f"host=127.0.0.1 port={state.port} user={state.user} password={state.password} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    url = DatabaseSettings(database_url=state.url(DB)).database_url or state.url(DB)
    engine = make_engine(url, pool_size=1)
    migrate(engine)
    with session_scope(engine) as session:
        load_demo(session, replace=True)
        planner = add_user(session, "robust-planner", "planner", scope="610802", actor="tests")
    engine.dispose()
    yield Cluster(cluster, url, {"Authorization": f"Bearer {planner.token}"})
    cluster.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``gisgrid serve``: its base URL, process and log."""

    base: str
    process: subprocess.Popen
    log: Path
    #: A district planner's credentials on this server's database.
    headers: dict[str, str]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def work_pids(self) -> set[int]:
        """The worker processes of heavy work (children of the server's forkserver)."""
        out: set[int] = set()
        for child in _children(self.process.pid):
            out |= set(_children(child))
        return out


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


@pytest.fixture(scope="session")
def strict_server(robust_cluster: Cluster) -> Iterator[Server]:
    """``gisgrid serve`` on the robust database, with the small limits of ``STRICT_ENV``."""
    port = _free_port()
    log = ROOT / ".gisgrid" / "strict_server.log"
    env = {**os.environ, **STRICT_ENV, "GISGRID_DATABASE_URL": robust_cluster.url}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gisgrid.cli", "serve", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"gisgrid serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    server = Server(base, proc, log, robust_cluster.headers)
    deadline = time.monotonic() + 60
    while len(server.work_pids()) < 2 and time.monotonic() < deadline:  # workers forked
        time.sleep(0.2)
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
