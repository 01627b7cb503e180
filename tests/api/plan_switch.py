"""A copy of the demo's active plan activated through the API, and the demo put back after.

For tests that must see an activation commit (the API writes through its own
connections): the copy is made and activated by ``POST /v1/plans`` and ``POST
/v1/plans/{id}/activate``; afterwards the copy is deleted and the demo's plan is active
again, as it was (status, dates, version). ``quiet_client`` is an app whose lookup
cache never checks the database of its own accord (once an hour), so every check
counted is one a request caused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api import create_app
from gisgrid.settings import Settings
from tests.api.request_helpers import requests_follow

DEMO_ACTIVE = ("SELECT id, version, effective_to FROM plan "
               "WHERE status = 'active' AND district_code = '610802'")


@contextmanager
def quiet_client(settings: Settings) -> Iterator[TestClient]:
    """A test client of an app whose cache checks the database epoch at most once an hour."""
    server = settings.server.model_copy(update={"lookup_refresh_s": 3600.0})
    with TestClient(create_app(settings.model_copy(update={"server": server}))) as client:
        yield client


@contextmanager
def activated_copy(client: Any, engine: Engine, headers: dict[str, str], **activate: Any
                   ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (the demo plan's id, the activated copy as ``GET /v1/plans/{id}`` shows it);
    ``headers``: a planner's credentials."""
    with engine.connect() as conn:
        old = conn.execute(text(DEMO_ACTIVE)).one()
    new = None
    try:
        r = client.post("/v1/plans", json={"scope": "610802", "name": "activated copy"}, headers=headers)
        assert r.status_code == 201, r.text
        new = r.json()["id"]
        r = client.post(f"/v1/plans/{new}/activate", json=activate, headers=headers)
        assert r.status_code == 200, r.text
        yield old.id, r.json()
    finally:
        with engine.begin() as conn:
            if new is not None:
                conn.execute(text("DELETE FROM plan WHERE id = :n"), {"n": new})
                conn.execute(text(f"DROP TABLE IF EXISTS household_assignment_p{int(new)}"))
            conn.execute(text("UPDATE plan SET status = 'active', effective_to = :to, version = :v "
                              "WHERE id = :o"), {"o": old.id, "to": old.effective_to, "v": old.version})
            requests_follow(conn, old.id)
