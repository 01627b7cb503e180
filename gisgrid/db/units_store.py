"""What the planner's editor reads: a community's streets and buildings, the points to count,
a plan's grids and teams, and the district's staff (storage only; the rules are in
:mod:`gisgrid.plans.units` and :mod:`gisgrid.plans.teams`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.owners import OPEN_REQUEST_SQL


def plan_communities(session: Session, plan_id: int) -> list[Any]:
    """(id, code, name) of the communities holding a residential grid of the plan, by code."""
    return session.execute(text("""
        SELECT DISTINCT c.id, c.code, c.name FROM grid g JOIN admin_area c ON c.id = g.community_id
        WHERE g.plan_id = :p AND g.kind = 'residential' ORDER BY c.code
    """), {"p": plan_id}).all()


# The fingerprint of what a community's units are cut from: its boundary, the streets
# crossing it and its buildings' outlines (md5 of their EWKB, in id order).
_DIGEST = """md5(concat_ws('|', ST_AsEWKB(c.boundary)::text,
    (SELECT string_agg(s.id || ':' || s.name || ':' || ST_AsEWKB(s.geom)::text, ',' ORDER BY s.id)
     FROM street s WHERE ST_Intersects(s.geom, c.boundary)),
    (SELECT string_agg(b.id || ':' || ST_AsEWKB(b.footprint)::text, ',' ORDER BY b.id)
     FROM building b WHERE b.community_id = c.id)))"""


def community_digests(session: Session, community_ids: list[int]) -> dict[int, str]:
    """The fingerprint of each community's boundary, streets and buildings (one query)."""
    rows = session.execute(text(f"SELECT c.id, {_DIGEST} FROM admin_area c WHERE c.id = ANY(:ids)"),
                           {"ids": community_ids})
    return {r[0]: r[1] for r in rows}


def community_sources(session: Session, community_id: int) -> dict[str, Any]:
    """A community's boundary, named streets and building outlines, and their fingerprint.

    The fingerprint changes whenever a street, a building or the boundary does, so units
    cut from them can be cached and a stale editor recognised.
    """
    boundary, digest = session.execute(text(f"""
        SELECT ST_AsBinary(c.boundary), {_DIGEST} FROM admin_area c WHERE c.id = :c
    """), {"c": community_id}).one()
    streets = session.execute(text("""
        SELECT s.id, s.name, ST_AsBinary(s.geom) AS wkb FROM street s, admin_area c
        WHERE c.id = :c AND ST_Intersects(s.geom, c.boundary) ORDER BY s.id
    """), {"c": community_id}).all()
    buildings = session.execute(text("""
        SELECT id, ST_AsBinary(footprint) AS wkb FROM building WHERE community_id = :c ORDER BY id
    """), {"c": community_id}).all()
    return {"boundary": shapely.from_wkb(bytes(boundary)), "digest": digest,
            "street_ids": [r.id for r in streets], "street_names": [r.name for r in streets],
            "streets": [shapely.from_wkb(bytes(r.wkb)) for r in streets],
            "building_ids": [r.id for r in buildings],
            "buildings": [shapely.from_wkb(bytes(r.wkb)) for r in buildings]}


def community_points(session: Session, community_ids: list[int]) -> dict[int, dict[str, np.ndarray]]:
    """Per community, lon/lat of the households (with their sizes), shops and open requests
    located in it (``ST_Covers``, as every count of a grid is made): three queries in all."""
    out: dict[int, dict[str, np.ndarray]] = {c: {} for c in community_ids}
    queries = {
        "households": "SELECT c.id, ST_X(t.location), ST_Y(t.location), t.size FROM household t",
        "shops": "SELECT c.id, ST_X(t.location), ST_Y(t.location), 1 FROM shop t",
        "requests": "SELECT c.id, ST_X(t.location), ST_Y(t.location), 1 FROM request t",
    }
    for key, select in queries.items():
        where = f" AND {OPEN_REQUEST_SQL}" if key == "requests" else ""
        rows = session.execute(text(f"""
            {select} JOIN admin_area c ON c.id = ANY(:ids) AND ST_Covers(c.boundary, t.location)
            WHERE true{where} ORDER BY c.id, t.id
        """), {"ids": community_ids}).all()
        table = np.array([tuple(r) for r in rows], dtype=float).reshape(-1, 4)
        for c in community_ids:
            out[c][key] = table[table[:, 0] == c, 1:]
    return out


def residential_shapes(session: Session, plan_id: int, community_id: int | None = None) -> list[Any]:
    """(id, uid, code, name, community_id, wkb) of a plan's residential grids (of one community)."""
    return session.execute(text("""
        SELECT g.id, g.uid::text AS uid, g.code, g.name, g.community_id, ST_AsBinary(g.boundary) AS wkb
        FROM grid g WHERE g.plan_id = :p AND g.kind = 'residential'
          AND (CAST(:c AS int) IS NULL OR g.community_id = :c)
        ORDER BY g.id
    """), {"p": plan_id, "c": community_id}).all()


def plan_grid_list(session: Session, plan_id: int) -> list[Any]:
    """Every grid of a plan without geometry: id, uid, code, seq, name, kind, community code."""
    return session.execute(text("""
        SELECT g.id, g.uid::text AS uid, g.code, g.seq, g.name, g.kind, c.code AS community
        FROM grid g JOIN admin_area c ON c.id = g.community_id
        WHERE g.plan_id = :p ORDER BY g.code
    """), {"p": plan_id}).all()


def overlay_features(session: Session, plan_id: int, digits: int) -> list[Any]:
    """A plan's business and special grids with GeoJSON boundaries (drawn, never painted)."""
    return session.execute(text(f"""
        SELECT g.id, g.code, g.name, g.kind, ST_AsGeoJSON(ST_ForcePolygonCCW(g.boundary), {digits}) AS geojson
        FROM grid g WHERE g.plan_id = :p AND g.kind <> 'residential' ORDER BY g.code
    """), {"p": plan_id}).all()
