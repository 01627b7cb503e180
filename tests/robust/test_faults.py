"""Faults: PostgreSQL restarted under a running server, and killed (SIGKILL) in the
middle of an import and of an activation.

- While the database is away, every answer is a JSON 503 (or a lookup from memory), and
  the server comes back by itself when it returns, every worker included.
- A crash mid-import (``gisgrid demo --replace``) or mid-activation leaves no partial
  rows: after PostgreSQL's crash recovery every table holds what it held before.

Everything here runs on the tests' own cluster (see conftest), never the shared one.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Callable

import httpx
import psycopg
import pytest
from robust_helpers import ROOT, wait_until


def counts(cluster) -> dict[str, int]:
    with psycopg.connect(cluster.dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def plans(cluster) -> list[tuple]:
    with psycopg.connect(cluster.dsn) as conn:
        return conn.execute("SELECT id, status, version, effective_from, effective_to FROM plan "
                            "ORDER BY id").fetchall()


def hold(cluster, table: str) -> psycopg.Connection:
    """A transaction holding ``table`` in SHARE mode: whoever next writes it waits.

    An activation writes the shops' assignments last, after retiring the old plan and
    writing every household's; a demo load rebuilds the address registry last (its
    ``address_range`` rows go with the old roads), after deleting the district, writing
    the new one and activating its plan. Held there, each stops with all of that
    uncommitted: the moment to kill PostgreSQL.
    """
    conn = psycopg.connect(cluster.dsn)
    conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
    return conn


def blocked_by(cluster, holder: psycopg.Connection) -> list[str]:
    """The statements waiting for a lock ``holder`` holds."""
    with psycopg.connect(cluster.dsn) as conn:
        return [r[0] for r in conn.execute(
            "SELECT query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (holder.info.backend_pid,))]


def json_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["code"] and body["message"]
    return body


def answers(base: str, headers: dict[str, str]) -> dict[str, Callable[[], httpx.Response]]:
    """One request per kind of database use: plain session, worker session, health."""
    plan_id = httpx.get(f"{base}/v1/plans", params={"status": "active"}).json()["plans"][0]["id"]
    return {
        "health": lambda: httpx.get(f"{base}/health", timeout=30),
        "plans": lambda: httpx.get(f"{base}/v1/plans", timeout=30),
        "areas": lambda: httpx.get(f"{base}/v1/areas/610802", timeout=30),
        "coverage (worker)": lambda: httpx.get(f"{base}/v1/plans/{plan_id}/coverage", timeout=60),
        "who am I (signed in)": lambda: httpx.get(f"{base}/v1/me", headers=headers, timeout=30),
    }


def test_a_postgresql_restart_gives_json_503s_and_the_service_recovers_by_itself(
        robust_cluster, strict_server) -> None:
    base = strict_server.base
    calls = answers(base, strict_server.headers)
    for name, call in calls.items():
        assert call().status_code in (200, 404), name
    robust_cluster.stop()
    try:
        for name, call in calls.items():
            body = json_error(call(), 503)
            assert body["code"] == "database_unavailable", (name, body)
            assert "127.0.0.1" not in body["message"], name
        # Lookups answer from memory while the database is away (or say 503 if they must read).
        r = httpx.get(f"{base}/v1/lookup", params={"lon": 109.7358, "lat": 38.2857}, timeout=30)
        assert r.status_code in (200, 404, 503) and r.headers["content-type"] == "application/json"
        r = httpx.get(f"{base}/v1/lookup/address", params={"q": "榆阳区"}, timeout=30)
        assert r.status_code in (200, 404, 503) and r.headers["content-type"] == "application/json"
    finally:
        robust_cluster.start()
    assert wait_until(lambda: calls["health"]().status_code == 200, 60)
    # Every kind of request works again, each worker too (more calls than workers).
    for _ in range(3):
        for name, call in calls.items():
            assert call().status_code in (200, 404), name
    assert "Traceback" not in strict_server.log_text()


def test_postgresql_killed_during_a_demo_import_leaves_no_partial_rows(robust_cluster, strict_server) -> None:
    before, plans_before = counts(robust_cluster), plans(robust_cluster)
    env = {**os.environ, "GISGRID_DATABASE_URL": robust_cluster.url}
    held = hold(robust_cluster, "address_range")
    load = subprocess.Popen([sys.executable, "-m", "gisgrid.cli", "demo", "--replace"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Killed at its last step: the old district deleted, the new one written, its
        # plan activating (same transaction, nothing committed).
        assert wait_until(lambda: blocked_by(robust_cluster, held), 300, interval=0.1), "never got there"
        waiting = blocked_by(robust_cluster, held)
        robust_cluster.kill()
        out, _ = load.communicate(timeout=60)
    finally:
        if load.poll() is None:
            load.kill()
        held.close()
        robust_cluster.start()
    assert load.returncode != 0, out
    assert any("address_road" in q for q in waiting), waiting  # it was at its last step
    assert counts(robust_cluster) == before
    assert plans(robust_cluster) == plans_before
    assert wait_until(lambda: httpx.get(f"{strict_server.base}/health").status_code == 200, 60)


def test_postgresql_killed_during_an_activation_leaves_the_plans_as_they_were(
        robust_cluster, strict_server) -> None:
    base = strict_server.base
    assert wait_until(lambda: httpx.get(f"{base}/health").status_code == 200, 60)
    draft = httpx.post(f"{base}/v1/plans", json={"scope": "610802", "name": "crash"}, timeout=120,
                       headers=strict_server.headers).json()
    before, plans_before = counts(robust_cluster), plans(robust_cluster)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    result: dict[str, httpx.Response | Exception] = {}

    def activate() -> None:
        try:
            result["r"] = httpx.post(f"{base}/v1/plans/{draft['id']}/activate",
                                     json={"effective_from": tomorrow}, timeout=120,
                                     headers=strict_server.headers)
        except httpx.HTTPError as exc:
            result["r"] = exc

    held = hold(robust_cluster, "shop_assignment")
    thread = threading.Thread(target=activate)
    thread.start()
    try:
        # The activation has retired the old plan and assigned every household (all
        # uncommitted) when PostgreSQL dies.
        assert wait_until(lambda: blocked_by(robust_cluster, held), 120, interval=0.05)
        waiting = blocked_by(robust_cluster, held)
        robust_cluster.kill()
        thread.join(120)
    finally:
        held.close()
        robust_cluster.start()
    r = result["r"]
    assert isinstance(r, httpx.Response), r
    assert r.status_code == 503 and r.json()["code"] == "database_unavailable", r.text
    assert any("shop_assignment" in q for q in waiting), waiting
    assert counts(robust_cluster) == before
    assert plans(robust_cluster) == plans_before
    assert wait_until(lambda: httpx.get(f"{base}/health").status_code == 200, 60)
    assert httpx.get(f"{base}/v1/plans/{draft['id']}").json()["status"] == "draft"


@pytest.fixture(autouse=True)
def _cluster_running_after(robust_cluster):
    yield
    if not robust_cluster.cluster.is_running():
        robust_cluster.start()

