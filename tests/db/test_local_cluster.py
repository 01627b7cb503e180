"""The embedded PostGIS: created, started twice harmlessly, stopped alone."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from gisgrid.db.local import LocalCluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home() -> Iterator[Path]:
    """A cluster home the ``postgres`` OS user can reach (pytest's tmp dirs are 0700)."""
    base = ROOT / ".gisgrid"
    base.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="test-cluster-", dir=base))
    os.chmod(path, 0o755)
    yield path
    LocalCluster(path).stop()
    shutil.rmtree(path, ignore_errors=True)


def _pid(cluster: LocalCluster) -> int:
    pidfile = cluster.data_dir / "postmaster.pid"
    return int(pidfile.read_text().splitlines()[0])


def _postgis_version(url: str) -> str:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return conn.execute("SELECT postgis_lib_version()").fetchone()[0]


def test_up_twice_in_a_row_is_harmless_and_keeps_the_same_server(home: Path) -> None:
    cluster = LocalCluster(home)
    url1 = cluster.up()
    pid1 = _pid(cluster)
    url2 = cluster.up()
    assert url1 == url2
    assert _pid(cluster) == pid1
    assert _postgis_version(url1).startswith("3.")
    st = cluster.status()
    assert st.running and st.initialised and st.url == url1
    assert oct(cluster.state_file.stat().st_mode & 0o777) == "0o600"


def test_down_stops_only_its_own_server(home: Path, engine: Engine) -> None:
    cluster = LocalCluster(home)
    cluster.up()
    assert cluster.stop() is True
    assert cluster.status().running is False
    assert cluster.stop() is False
    with engine.connect() as conn:  # the test database's server still answers
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_start_moves_to_a_free_port_when_its_port_was_taken(home: Path) -> None:
    cluster = LocalCluster(home)
    cluster.up()
    cluster.stop()
    old_port = cluster._load_state().port
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", old_port))
        squatter.listen()
        url = cluster.up()
    assert cluster._load_state().port != old_port
    assert _postgis_version(url).startswith("3.")


def test_cli_db_up_twice_then_status_then_down(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GISGRID_DATABASE_URL"}
    env["GISGRID_HOME"] = str(home)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gisgrid.cli", *args], env=env,
                              capture_output=True, text=True, cwd=ROOT, timeout=120)

    first, second = cli("db", "up"), cli("db", "up")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "database ready" in second.stdout
    status = cli("db", "status")
    assert status.returncode == 0 and "running" in status.stdout and "url:" in status.stdout
    assert cli("db", "down").stdout.strip() == "stopped"
    stopped = cli("db", "status")
    assert stopped.returncode == 1 and "stopped" in stopped.stdout


def test_a_home_the_postgres_user_cannot_enter_keeps_its_data_in_a_stand_in() -> None:
    private = Path(tempfile.mkdtemp(prefix="gisgrid-private-"))  # mode 0700, like a CI tmp dir
    home = private / "checkout" / ".gisgrid"
    cluster = LocalCluster(home)
    try:
        url = cluster.up()
        # As root the server runs as 'postgres', which cannot enter the private folder.
        stand_in = Path("/var/tmp/gisgrid") if os.geteuid() == 0 else home.resolve()
        assert cluster.data_dir.is_relative_to(stand_in)
        assert cluster.state_file.parent == home.resolve()
        assert _postgis_version(url).startswith("3.")
        assert LocalCluster(home).status().running  # a second instance finds the same server
    finally:
        cluster.stop()
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(cluster.server_dir, ignore_errors=True)
