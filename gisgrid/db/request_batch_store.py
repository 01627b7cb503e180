"""Many routed requests written at once: set-based statements whatever the batch's size.

Storage only (the routing, stages and deadlines are :mod:`gisgrid.requests`). A batch
costs three round trips, not three per request: its ids drawn from the sequence in one
statement, its requests, reporters and intake events written by one statement (one
multi-row ``INSERT ... SELECT`` per table, from the batch as a JSON row set), and the
likely duplicates of every request found by one statement after the writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.request_store import box_deg, nearby_sql
from gisgrid.errors import ConflictError

__all__ = ["insert_requests"]

_COLUMNS = """id int, grid int, overlays jsonb, lon float8, lat float8, cat text, title text,
    descr text, source text, address text, conf float8, photos jsonb, stage text, at timestamptz,
    due timestamptz, name text, phone text, has_reporter boolean, details jsonb, actor text"""

_WRITE = f"""
    WITH i AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS i({_COLUMNS})),
    ins AS (
        INSERT INTO request (id, district_code, community_id, title, category, description, stage,
            reported_at, location, source, address, address_confidence, photos, plan_id, grid_id,
            overlay_grid_ids, leader_id, worker_id, registered_at, due_at, updated_at)
        SELECT i.id, g.district_code, g.community_id, i.title, i.cat, i.descr, i.stage, i.at,
            ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326), i.source, i.address, i.conf,
            ARRAY(SELECT jsonb_array_elements_text(i.photos)),
            g.plan_id, g.id, ARRAY(SELECT CAST(jsonb_array_elements_text(i.overlays) AS int)),
            (SELECT staff_id FROM grid_staff WHERE grid_id = g.id AND role = 'leader'
             ORDER BY staff_id LIMIT 1),
            (SELECT staff_id FROM grid_staff WHERE grid_id = g.id AND role = 'full_time'
             ORDER BY staff_id LIMIT 1),
            CASE WHEN i.stage = 'registered' THEN i.at END, i.due, i.at
        FROM i JOIN grid g ON g.id = i.grid ORDER BY i.id
        RETURNING id),
    rep AS (INSERT INTO request_reporter (request_id, name, phone, first_request_id, at)
            SELECT i.id, i.name, i.phone, i.id, i.at FROM i WHERE i.has_reporter ORDER BY i.id),
    ev AS (INSERT INTO request_event (request_id, kind, to_stage, at, actor, details)
           SELECT i.id, 'intake', i.stage, i.at, i.actor, i.details FROM i ORDER BY i.id)
    SELECT count(*) FROM ins"""

# Each request sees the open requests already stored and the earlier ones of its batch
# (lower ids), never the later ones: as if the batch had been taken in one by one.
_DUPLICATES = """
    SELECT i.id AS request_id, d.id, d.distance_m, d.stage
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS i(id int, lon float8, lat float8, cat text,
                                                      dlon float8, dlat float8)
    CROSS JOIN LATERAL (""" + nearby_sql(
    "20", lon="i.lon", lat="i.lat", dlon="i.dlon", dlat="i.dlat", cat="i.cat", within=":within",
    skip="t.id <> i.id AND NOT (t.id = ANY(CAST(:ids AS int[])) AND t.id > i.id)") + """) d
    ORDER BY i.id, d.distance_m, d.id"""


def insert_requests(session: Session, rows: Sequence[dict[str, Any]], *, actor: str | None,
                    duplicates_within_m: float) -> list[tuple[int, list[dict[str, Any]]]]:
    """Requests routed to their grids (as :func:`gisgrid.db.request_store.insert_request`,
    each row its keyword arguments but ``duplicates_within_m``; ``actor`` for the rows
    without their own), written set-based; (id, likely duplicates) of each, in order.
    The caller commits."""
    if not rows:
        return []
    ids = sorted(session.execute(text(
        "SELECT nextval(pg_get_serial_sequence('request', 'id')) FROM generate_series(1, :n)"),
        {"n": len(rows)}).scalars())
    docs, probes = [], []
    for rid, r in zip(ids, rows, strict=True):
        reporter = r.get("reporter") or {}
        docs.append({
            "id": rid, "grid": r["grid_id"], "overlays": r["overlay_ids"], "lon": r["lon"], "lat": r["lat"],
            "cat": r["category"], "title": r["title"], "descr": r["description"], "source": r["source"],
            "address": r["address"], "conf": r["confidence"], "photos": r["photos"], "stage": r["stage"],
            "at": _iso(r["reported_at"]), "due": None if r["due_at"] is None else _iso(r["due_at"]),
            "name": reporter.get("name"), "phone": reporter.get("phone"),
            "has_reporter": bool(reporter.get("name") or reporter.get("phone")),
            "details": {"grid": r["grid_id"], "overlays": r["overlay_ids"]},
            "actor": r.get("actor", actor)})
        dlon, dlat = box_deg(r["lat"], duplicates_within_m)
        probes.append({"id": rid, "lon": r["lon"], "lat": r["lat"], "cat": r["category"],
                       "dlon": dlon, "dlat": dlat})
    written = session.execute(text(_WRITE), {"rows": orjson.dumps(docs).decode()}).scalar_one()
    if written != len(rows):       # a grid deleted since the index was built
        raise ConflictError(f"{len(rows) - written} of {len(rows)} requests were routed to a grid that no "
                            "longer exists (a plan changed meanwhile); send the batch again")
    found: dict[int, list[dict[str, Any]]] = {rid: [] for rid in ids}
    for row in session.execute(text(_DUPLICATES), {"rows": orjson.dumps(probes).decode(), "ids": ids,
                                                   "within": duplicates_within_m}):
        found[row.request_id].append({"id": row.id, "distance_m": row.distance_m, "stage": row.stage})
    return [(rid, found[rid]) for rid in ids]


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("request times must be timezone-aware")
    return value.isoformat()
