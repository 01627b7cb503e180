"""What the OGC API tests share: the SQL naming each collection's rows, a pager."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

GEOJSON = "application/geo+json"
#: Each fixed collection and the SQL naming the rows it must serve.
ROWS = {
    "areas": "SELECT id FROM admin_area",
    "grids": "SELECT g.id FROM grid g JOIN plan p ON p.id = g.plan_id WHERE p.status = 'active'",
    "streets": "SELECT id FROM street",
    "shops": "SELECT id FROM shop",
    "resources": "SELECT id FROM resource",
    "requests": "SELECT id FROM request",
}


def ids_of(session: Session, sql: str, **params) -> set[int]:
    return {r[0] for r in session.execute(text(sql), params)}


def active_plan(session: Session) -> int:
    return session.execute(text("SELECT id FROM plan WHERE status = 'active' ORDER BY id")).scalar_one()


def walk(client, collection: str, **params) -> tuple[list[dict], int]:
    """Every feature of a collection, page by page along the ``next`` links; and the pages."""
    url = f"/ogc/collections/{collection}/items"
    features: list[dict] = []
    pages = 0
    while url:
        r = client.get(url, params=params if pages == 0 else None)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == GEOJSON
        page = r.json()
        assert page["numberReturned"] == len(page["features"])
        features += page["features"]
        pages += 1
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(features) == page["numberMatched"]
    return features, pages


def envelope_corner_box(session: Session) -> tuple[int, tuple[float, float, float, float]]:
    """A grid, and a tiny box in its envelope that the grid does not reach (about 1 m
    clear) but another active grid covers: a bbox filter on envelopes would return it."""
    gid, x, y = session.execute(text(f"""
        WITH active AS ({ROWS["grids"].replace("SELECT g.id", "SELECT g.id, g.boundary", 1)})
        SELECT a.id, ST_X(c), ST_Y(c) FROM active a,
             LATERAL (SELECT ST_PointOnSurface(ST_Difference(ST_Envelope(a.boundary),
                                                             ST_Buffer(a.boundary, 1e-5))) AS c) p
        WHERE NOT ST_IsEmpty(c) AND EXISTS (SELECT 1 FROM active b WHERE ST_Covers(b.boundary, c))
        ORDER BY a.id LIMIT 1""")).one()
    return gid, (x - 1e-7, y - 1e-7, x + 1e-7, y + 1e-7)
