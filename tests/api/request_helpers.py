"""Places of the demo for request tests, and a fixture that removes the requests a test made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from gisgrid.db.request_store import reroute_open
from gisgrid.db.resource_store import assign_resource_grids


def place_in(engine: Engine, community: str, *, kind: str = "household") -> tuple[float, float]:
    """A household (or shop) location of a community, by name (WGS84)."""
    table = "household" if kind == "household" else "shop"
    with engine.connect() as conn:
        row = conn.execute(text(f"""
            SELECT ST_X(t.location), ST_Y(t.location) FROM {table} t
            JOIN admin_area c ON c.name = :c AND ST_Covers(c.boundary, t.location)
            JOIN grid g ON ST_Covers(g.boundary, t.location)
            JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
            WHERE g.kind = 'residential' ORDER BY t.id LIMIT 1"""), {"c": community}).one()
    return float(row[0]), float(row[1])


def shop_in_business_grid(engine: Engine) -> tuple[float, float]:
    """A shop inside the Fuzimiao (夫子庙) business grid of the active plan."""
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT ST_X(s.location), ST_Y(s.location) FROM shop s
            JOIN grid g ON g.kind = 'business' AND ST_Covers(g.boundary, s.location)
            JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
            ORDER BY s.id LIMIT 1""")).one()
    return float(row[0]), float(row[1])


@pytest.fixture
def cleanup(engine: Engine) -> Iterator[list[int]]:
    """Ids of requests a test made through the API; deleted afterwards (the API commits)."""
    ids: list[int] = []
    with engine.connect() as conn:
        before = conn.execute(text("SELECT coalesce(max(id), 0) FROM request")).scalar_one()
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM request WHERE id > :b OR id = ANY(:ids)"), {"b": before, "ids": ids})


def requests_follow(conn: Connection, plan_id: int) -> None:
    """After a test put a plan back in force by hand (not by activation): its open requests
    go back to its grids and resources to their owning grids, as an activation would have
    sent them."""
    session = Session(bind=conn)
    reroute_open(session, plan_id)
    assign_resource_grids(session)
