"""Requests (诉求) in PostGIS: intake rows, reads, stage updates, events, re-routing, stats.

Storage only: the rules (stages, the working-day clock, routing) are in
:mod:`gisgrid.requests`. Reporters (personal data) are read only by :func:`reporters`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.owners import OPEN_REQUEST_SQL, owners_sql
from gisgrid.rules import BASE_KINDS_SQL, OVERDUE_SQL

__all__ = ["add_event", "add_reporter", "area_name", "box_deg", "calendar_days", "categories",
           "child_areas",
           "district_request_ids", "districts", "events", "get_requests", "holidays", "insert_request",
           "list_requests", "lock_request", "move_reporters", "nearby_open", "nearby_sql",
           "overdue_open", "reporters", "remove_holiday", "request_places", "reroute_open", "restart",
           "set_category", "set_holiday",
           "stats", "update_request"]


def categories(session: Session) -> list[dict[str, Any]]:
    """Every category with its names and time limit (working days), by code."""
    rows = session.execute(text("SELECT code, name, name_en, limit_days FROM request_category ORDER BY code"))
    return [dict(r._mapping) for r in rows]


def holidays(session: Session) -> tuple[list[dt.date], list[dt.date]]:
    """(public holidays, make-up working days) of the calendar table."""
    rows = session.execute(text("SELECT day, workday FROM request_holiday")).all()
    return [d for d, w in rows if not w], [d for d, w in rows if w]


def nearby_sql(limit: str = ":limit", *, lon: str = ":lon", lat: str = ":lat", dlon: str = ":dlon",
               dlat: str = ":dlat", cat: str = ":cat", within: str = ":within",
               skip: str = "t.id IS DISTINCT FROM :exclude") -> str:
    """Open requests of ``cat`` within ``within`` m of (``lon``, ``lat``), nearest first, but
    those ``skip`` leaves out: a box on the GiST index of locations, then the geodesic
    distance. The one duplicates rule of single intakes, batches and reads (the arguments
    are SQL expressions: parameters, or the columns of a batch's rows). The category test
    is written so that no index can serve it: without a constant point the planner
    misjudges the box and ANDs it with the category index, reading every open request of
    the category (tens of thousands of rows) per point, where the box alone reads a few
    dozen."""
    return f"""
        SELECT t.id,
               round(ST_Distance(t.location::geography, p.pt::geography)::numeric, 1)::float AS distance_m,
               t.stage
        FROM (SELECT ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326) AS pt) p
        JOIN request t ON t.location && ST_MakeEnvelope({lon} - {dlon}, {lat} - {dlat}, {lon} + {dlon},
                                                        {lat} + {dlat}, 4326)
        WHERE (t.category = {cat}) IS TRUE AND {OPEN_REQUEST_SQL} AND {skip}
          AND ST_DWithin(t.location::geography, p.pt::geography, {within})
        ORDER BY 2, t.id LIMIT {limit}"""


def box_deg(lat: float, within_m: float) -> tuple[float, float]:
    dlat = within_m * 1.01 / 110_574.0
    return dlat / max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-6), dlat


def nearby_open(session: Session, lon: float, lat: float, category: str, *, within_m: float,
                exclude: int | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Open requests of ``category`` within ``within_m`` metres (geodesic), nearest first,
    whatever their grid: ``[{"id", "distance_m", "stage"}]``."""
    dlon, dlat = box_deg(lat, within_m)
    rows = session.execute(text(nearby_sql()), {
        "lon": lon, "lat": lat, "dlon": dlon, "dlat": dlat, "cat": category, "exclude": exclude,
        "within": within_m, "limit": limit})
    return [dict(r._mapping) for r in rows]


def insert_request(session: Session, *, grid_id: int, overlay_ids: list[int], lon: float, lat: float,
                   category: str, title: str, description: str | None, source: str,
                   address: str | None, confidence: float | None, photos: list[str],
                   reporter: dict[str, Any] | None, stage: str, reported_at: dt.datetime,
                   due_at: dt.datetime | None, actor: str | None,
                   duplicates_within_m: float) -> tuple[int, list[dict[str, Any]]]:
    """One request routed to ``grid_id`` (its plan, community, district, leader and full-time
    worker read from the grid), its reporter and its intake event, and the open requests
    of its category within ``duplicates_within_m`` (as :func:`nearby_open`, seen before the
    insert): one statement, one round trip. Returns (id, duplicates)."""
    dlon, dlat = box_deg(lat, duplicates_within_m)
    params = {"grid": grid_id, "overlays": overlay_ids, "lon": lon, "lat": lat, "cat": category,
              "title": title, "descr": description, "source": source, "address": address,
              "conf": confidence, "photos": photos, "stage": stage, "at": reported_at, "due": due_at,
              "name": (reporter or {}).get("name"), "phone": (reporter or {}).get("phone"),
              "has_reporter": bool(reporter and (reporter.get("name") or reporter.get("phone"))),
              "actor": actor, "details": orjson.dumps({"grid": grid_id, "overlays": overlay_ids}).decode(),
              "dlon": dlon, "dlat": dlat, "within": duplicates_within_m, "exclude": None}
    row = session.execute(text("""
        WITH dup AS (SELECT coalesce(json_agg(json_build_object('id', d.id, 'distance_m', d.distance_m,
                                                                'stage', d.stage)
                                               ORDER BY d.distance_m, d.id), '[]') AS list
                     FROM (""" + nearby_sql("20") + """) d),
        g AS (SELECT id, plan_id, community_id, district_code FROM grid WHERE id = :grid),
        ins AS (
            INSERT INTO request (district_code, community_id, title, category, description, stage,
                reported_at, location, source, address, address_confidence, photos, plan_id, grid_id,
                overlay_grid_ids, leader_id, worker_id, registered_at, due_at, updated_at)
            SELECT g.district_code, g.community_id, :title, :cat, :descr, CAST(:stage AS varchar),
                CAST(:at AS timestamptz),
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :source, :address, :conf, :photos,
                g.plan_id, g.id, :overlays,
                (SELECT staff_id FROM grid_staff WHERE grid_id = g.id AND role = 'leader'
                 ORDER BY staff_id LIMIT 1),
                (SELECT staff_id FROM grid_staff WHERE grid_id = g.id AND role = 'full_time'
                 ORDER BY staff_id LIMIT 1),
                CASE WHEN CAST(:stage AS varchar) = 'registered' THEN CAST(:at AS timestamptz) END, :due,
                CAST(:at AS timestamptz)
            FROM g RETURNING id),
        rep AS (INSERT INTO request_reporter (request_id, name, phone, first_request_id, at)
                SELECT id, :name, :phone, id, CAST(:at AS timestamptz) FROM ins WHERE :has_reporter),
        ev AS (INSERT INTO request_event (request_id, kind, to_stage, at, actor, details)
               SELECT id, 'intake', CAST(:stage AS varchar), CAST(:at AS timestamptz), :actor,
                      CAST(:details AS jsonb) FROM ins)
        SELECT ins.id, dup.list FROM ins, dup
    """), params).one()
    return row[0], row[1]


_DETAIL = f"""
    SELECT t.id, t.stage, t.category, t.title, t.description, t.source, t.address,
           t.address_confidence, t.photos, t.reported_at, t.registered_at, t.due_at, t.closed_at,
           t.closed_on_time, t.days_to_close, t.escalation, t.master_id, t.referred_to, t.returned,
           t.updated_at, t.suspended_at, t.resume_stage, t.plan_id, t.district_code,
           ST_X(t.location) AS lon, ST_Y(t.location) AS lat, {OVERDUE_SQL} AS overdue,
           g.id AS grid_id, g.code AS grid_code, g.name AS grid_name, g.kind AS grid_kind,
           c.code AS community_code, c.name AS community_name,
           s.code AS subdistrict_code, s.name AS subdistrict_name,
           lead.name AS leader_name, work.name AS worker_name,
           (SELECT coalesce(json_agg(json_build_object('id', o.id, 'code', o.code, 'name', o.name,
                                                       'kind', o.kind) ORDER BY o.code), '[]')
            FROM grid o WHERE o.id = ANY(t.overlay_grid_ids)) AS overlays
    FROM request t
    LEFT JOIN grid g ON g.id = t.grid_id
    LEFT JOIN admin_area c ON c.id = t.community_id
    LEFT JOIN admin_area s ON s.id = c.parent_id
    LEFT JOIN staff lead ON lead.id = t.leader_id
    LEFT JOIN staff work ON work.id = t.worker_id
"""


def get_requests(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """The stored rows of these requests (routing joined in), in id order."""
    rows = session.execute(text(_DETAIL + " WHERE t.id = ANY(:ids) ORDER BY t.id"), {"ids": ids})
    return [dict(r._mapping) for r in rows]


def list_requests(session: Session, *, grid: str | None = None, community: str | None = None,
                  stage: str | None = None, category: str | None = None, overdue: bool | None = None,
                  start: dt.datetime | None = None, end: dt.datetime | None = None,
                  ids: list[int] | None = None, updated_after: dt.datetime | None = None,
                  limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page) of requests by filters, newest first."""
    where, params = ["true"], {"limit": limit, "offset": offset}
    for column, value, key in (("g.code", grid, "grid"), ("c.code", community, "community"),
                               ("t.category", category, "category")):
        if value is not None:
            where.append(f"{column} = :{key}")
            params[key] = value
    if stage is not None:
        stages = stage.split(",")
        where.append("t.stage = ANY(:stages)")
        params["stages"] = stages
    if overdue is not None:
        where.append(OVERDUE_SQL if overdue else f"NOT {OVERDUE_SQL}")
    if start is not None:
        where.append("t.reported_at >= :start")
        params["start"] = start
    if end is not None:
        where.append("t.reported_at < :end")
        params["end"] = end
    if ids is not None:
        where.append("t.id = ANY(:ids)")
        params["ids"] = ids
    if updated_after is not None:
        where.append("t.updated_at >= :updated_after")
        params["updated_after"] = updated_after
    cond = " AND ".join(where)
    total = session.execute(text(f"""SELECT count(*) FROM request t LEFT JOIN grid g ON g.id = t.grid_id
        LEFT JOIN admin_area c ON c.id = t.community_id WHERE {cond}"""), params).scalar_one()
    rows = session.execute(text(f"{_DETAIL} WHERE {cond} ORDER BY t.reported_at DESC, t.id DESC "
                                "LIMIT :limit OFFSET :offset"), params)
    return total, [dict(r._mapping) for r in rows]


def events(session: Session, request_id: int) -> list[dict[str, Any]]:
    """A request's history, oldest first."""
    rows = session.execute(text("""SELECT kind, from_stage, to_stage, at, actor, note, details
        FROM request_event WHERE request_id = :id ORDER BY at, id"""), {"id": request_id})
    return [dict(r._mapping) for r in rows]


def reporters(session: Session, request_id: int) -> list[dict[str, Any]]:
    """Who reported a request (personal data: only for callers who may see it)."""
    rows = session.execute(text("""SELECT name, phone, first_request_id, at FROM request_reporter
        WHERE request_id = :id ORDER BY at, id"""), {"id": request_id})
    return [dict(r._mapping) for r in rows]


def lock_request(session: Session, request_id: int) -> dict[str, Any] | None:
    """The request's row, locked for update (its stage and clock), with its community code."""
    row = session.execute(text("""
        SELECT t.id, t.stage, t.category, t.resume_stage, t.registered_at, t.due_at, t.suspended_at,
               t.reported_at, t.escalation, t.returned, c.code AS community_code
        FROM request t LEFT JOIN admin_area c ON c.id = t.community_id
        WHERE t.id = :id FOR UPDATE OF t"""), {"id": request_id}).first()
    return None if row is None else dict(row._mapping)


_UPDATABLE = frozenset({"category", "stage", "registered_at", "due_at", "suspended_at", "resume_stage",
                        "closed_at",
                        "closed_on_time", "days_to_close", "escalation", "master_id", "referred_to",
                        "returned", "updated_at"})


def update_request(session: Session, request_id: int, **values: Any) -> None:
    """Set these columns of one request."""
    bad = set(values) - _UPDATABLE
    if bad:
        raise ValueError(f"update_request: not updatable: {sorted(bad)}")
    sets = ", ".join(f"{k} = :{k}" for k in values)
    session.execute(text(f"UPDATE request SET {sets} WHERE id = :id"), {**values, "id": request_id})


def add_event(session: Session, request_id: int, kind: str, *, at: dt.datetime, actor: str | None,
              from_stage: str | None = None, to_stage: str | None = None, note: str | None = None,
              details: dict[str, Any] | None = None) -> None:
    """Record one event of a request."""
    session.execute(text("""INSERT INTO request_event (request_id, kind, from_stage, to_stage, at, actor,
            note, details) VALUES (:id, :kind, :f, :t, :at, :actor, :note, CAST(:details AS jsonb))"""),
                    {"id": request_id, "kind": kind, "f": from_stage, "t": to_stage, "at": at,
                     "actor": actor, "note": note,
                     "details": None if details is None else orjson.dumps(details).decode()})


def move_reporters(session: Session, *, source: int, master: int) -> int:
    """Move the reporters of ``source`` to ``master``; how many moved."""
    return session.execute(text("UPDATE request_reporter SET request_id = :m WHERE request_id = :s"),
                           {"m": master, "s": source}).rowcount


def overdue_open(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """Open, unsuspended requests past their deadline at ``now``, with their category,
    deadline and escalation level (locked for update)."""
    rows = session.execute(text(f"""
        SELECT t.id, t.category, t.due_at, t.escalation, t.stage FROM request t
        WHERE {OPEN_REQUEST_SQL} AND t.stage <> 'suspended' AND t.due_at IS NOT NULL
          AND t.due_at < :now AND t.escalation < 2
        ORDER BY t.id FOR UPDATE"""), {"now": now})
    return [dict(r._mapping) for r in rows]


def reroute_open(session: Session, plan_id: int) -> list[dict[str, Any]]:
    """Point every open request in the area of ``plan_id``'s base grids at its owner there
    (overlays, community, leader and full-time worker too); closed ones keep their grid.

    Returns the requests whose grid changed (a different ``uid``: a grid merely copied
    into the new plan is the same grid): ``[{"id", "from_grid", "from_code", "to_grid",
    "to_code"}]``.
    """
    rows = session.execute(text(f"""
        WITH own AS ({owners_sql("request", plan=":plan")}),
        cur AS (
            SELECT t.id, t.grid_id AS from_grid, og.code AS from_code, og.uid AS from_uid,
                   own.grid_id AS to_grid, ng.code AS to_code, ng.uid AS to_uid, ng.community_id,
                   (SELECT coalesce(array_agg(b.id ORDER BY b.code, b.id), '{{}}') FROM grid b
                    WHERE b.plan_id = :plan AND b.kind NOT IN {BASE_KINDS_SQL}
                      AND ST_Covers(b.boundary, t.location)) AS overlays
            FROM own JOIN request t ON t.id = own.id
            JOIN grid ng ON ng.id = own.grid_id
            LEFT JOIN grid og ON og.id = t.grid_id),
        upd AS (
            UPDATE request r SET grid_id = cur.to_grid, plan_id = :plan, community_id = cur.community_id,
                overlay_grid_ids = cur.overlays,
                leader_id = (SELECT staff_id FROM grid_staff WHERE grid_id = cur.to_grid
                             AND role = 'leader' ORDER BY staff_id LIMIT 1),
                worker_id = (SELECT staff_id FROM grid_staff WHERE grid_id = cur.to_grid
                             AND role = 'full_time' ORDER BY staff_id LIMIT 1)
            FROM cur WHERE r.id = cur.id RETURNING r.id)
        SELECT id, from_grid, from_code, to_grid, to_code FROM cur
        WHERE from_uid IS DISTINCT FROM to_uid ORDER BY id
    """), {"plan": plan_id})
    return [dict(r._mapping) for r in rows]


#: Which requests lie in an area (``:area``, its code), by the area's level: each an indexed
#: test on stored columns (a request keeps the grid and community it was routed to).
_IN_AREA = {
    "grid": "t.grid_id IN (SELECT id FROM grid WHERE code = :area)",
    "community": "t.community_id = (SELECT id FROM admin_area WHERE code = :area)",
    "subdistrict": ("t.community_id IN (SELECT c.id FROM admin_area c "
                    "JOIN admin_area s ON s.id = c.parent_id WHERE s.code = :area)"),
    "district": "t.district_code = :area",
}


def stats(session: Session, *, area: str, level: str, start: dt.datetime,
          end: dt.datetime) -> dict[str, Any]:
    """The assessment figures of an area (``level``: grid, community, subdistrict, district)
    for the requests received in [start, end): one aggregate over the period's requests."""
    row = session.execute(text(f"""
        SELECT count(*) AS received,
               count(*) FILTER (WHERE stage = 'closed') AS closed,
               count(*) FILTER (WHERE stage = 'closed' AND closed_on_time) AS closed_on_time,
               count(*) FILTER (WHERE {OVERDUE_SQL}) AS overdue_now,
               avg(days_to_close) FILTER (WHERE stage = 'closed') AS mean_days,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY days_to_close)
                   FILTER (WHERE stage = 'closed') AS p90_days,
               coalesce(sum(returned), 0) AS returned
        FROM request t
        WHERE {_IN_AREA[level]} AND t.reported_at >= :start AND t.reported_at < :end
          AND t.stage <> 'duplicate'
    """), {"area": area, "start": start, "end": end}).one()
    return dict(row._mapping)


def area_name(session: Session, code: str) -> dict[str, Any] | None:
    """The area or grid (of the active plans) with this code: {"code", "name", "level"}."""
    row = session.execute(text("""
        SELECT code, name, level FROM admin_area WHERE code = :c
        UNION ALL
        SELECT g.code, g.name, 'grid' FROM grid g JOIN plan p ON p.id = g.plan_id
        WHERE g.code = :c AND p.status = 'active'
        LIMIT 1"""), {"c": code}).first()
    return None if row is None else dict(row._mapping)


def child_areas(session: Session, code: str) -> list[dict[str, Any]]:
    """The parts an area's figures break into: a district's subdistricts, a subdistrict's
    communities, a community's grids (of the active plan); none for a grid."""
    rows = session.execute(text("""
        SELECT k.code, k.name, k.level FROM admin_area a JOIN admin_area k ON k.parent_id = a.id
        WHERE a.code = :c
        UNION ALL
        SELECT g.code, g.name, 'grid' FROM admin_area a JOIN grid g ON g.community_id = a.id
        JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
        WHERE a.code = :c AND a.level = 'community'
        ORDER BY 1"""), {"c": code})
    return [dict(r._mapping) for r in rows]


def districts(session: Session) -> list[str]:
    """The district codes served (Open311's ``jurisdiction_id``)."""
    return list(session.scalars(text("SELECT code FROM admin_area WHERE level = 'district' ORDER BY code")))


def district_request_ids(session: Session, district_code: str) -> list[int]:
    """Every request of a district, by id."""
    return list(session.scalars(text("SELECT id FROM request WHERE district_code = :d ORDER BY id"),
                                {"d": district_code}))


def restart(session: Session, request_id: int, *, received: dt.datetime, due_at: dt.datetime | None,
            lon: float | None = None, lat: float | None = None) -> None:
    """Put a request back at its registration (its history cleared): for the demo's cases."""
    session.execute(text("DELETE FROM request_event WHERE request_id = :i"), {"i": request_id})
    session.execute(text("""
        UPDATE request SET stage = 'registered', reported_at = :at, registered_at = :at, due_at = :due,
            updated_at = :at, closed_at = NULL, closed_on_time = NULL, days_to_close = NULL,
            suspended_at = NULL, resume_stage = NULL, escalation = 0, master_id = NULL,
            referred_to = NULL, returned = 0,
            location = CASE WHEN CAST(:lon AS float8) IS NULL THEN location
                            ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END
        WHERE id = :i"""), {"i": request_id, "at": received, "due": due_at, "lon": lon, "lat": lat})


def add_reporter(session: Session, request_id: int, *, name: str | None, phone: str | None,
                 at: dt.datetime) -> None:
    """One more reporter of a request."""
    session.execute(text("""INSERT INTO request_reporter (request_id, name, phone, first_request_id, at)
        VALUES (:i, :n, :p, :i, :at)"""), {"i": request_id, "n": name, "p": phone, "at": at})


def request_places(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """id, category, lon, lat, community name of requests."""
    rows = session.execute(text("""SELECT t.id, t.category, ST_X(t.location) AS lon, ST_Y(t.location) AS lat,
        c.name AS community FROM request t LEFT JOIN admin_area c ON c.id = t.community_id
        WHERE t.id = ANY(:ids) ORDER BY t.id"""), {"ids": ids})
    return [dict(r._mapping) for r in rows]


def set_category(session: Session, code: str, *, limit_days: int, name: str | None = None,
                 name_en: str | None = None) -> None:
    """Add a category or change its time limit (and names)."""
    session.execute(text("""
        INSERT INTO request_category (code, name, name_en, limit_days)
        VALUES (CAST(:c AS varchar), coalesce(CAST(:n AS varchar), CAST(:c AS varchar)),
                coalesce(CAST(:e AS varchar), CAST(:c AS varchar)), :d)
        ON CONFLICT (code) DO UPDATE SET limit_days = :d,
            name = coalesce(CAST(:n AS varchar), request_category.name),
            name_en = coalesce(CAST(:e AS varchar), request_category.name_en)"""),
                    {"c": code, "n": name, "e": name_en, "d": limit_days})


def set_holiday(session: Session, day: dt.date, *, workday: bool = False, name: str | None = None) -> None:
    """Mark a day as a holiday, or (``workday``) as a make-up working day."""
    session.execute(text("""INSERT INTO request_holiday (day, workday, name) VALUES (:d, :w, :n)
        ON CONFLICT (day) DO UPDATE SET workday = :w, name = :n"""), {"d": day, "w": workday, "n": name})


def remove_holiday(session: Session, day: dt.date) -> bool:
    """Forget a day of the calendar table (it is then an ordinary day); whether it was there."""
    return session.execute(text("DELETE FROM request_holiday WHERE day = :d"), {"d": day}).rowcount > 0


def calendar_days(session: Session) -> list[dict[str, Any]]:
    """The calendar table, by day."""
    rows = session.execute(text("SELECT day, workday, name FROM request_holiday ORDER BY day"))
    return [dict(r._mapping) for r in rows]
