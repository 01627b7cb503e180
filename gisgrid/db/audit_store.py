"""The audit trail: who did what to which record, written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.models import AuditEvent


def record_event(session: Session, action: str, entity: str, entity_id: int | None,
                 *, actor: str | None = None, details: dict[str, Any] | None = None) -> None:
    """Add one audit event to the session (it is written with the change it records)."""
    session.add(AuditEvent(action=action, entity=entity, entity_id=entity_id, actor=actor,
                           details=details))


def list_events(session: Session, *, entity: str | None = None, entity_id: int | None = None,
                actor: str | None = None, since: dt.datetime | None = None,
                until: dt.datetime | None = None, limit: int = 100,
                offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Audit events, newest first, filtered; (how many match, one page of them).

    ``since`` is inclusive and ``until`` exclusive, so consecutive windows do not overlap.
    """
    session.flush()   # events added in this transaction count too
    params = {"entity": entity, "entity_id": entity_id, "actor": actor, "since": since,
              "until": until, "limit": limit, "offset": offset}
    where = """
        WHERE (CAST(:entity AS text) IS NULL OR entity = :entity)
          AND (CAST(:entity_id AS integer) IS NULL OR entity_id = :entity_id)
          AND (CAST(:actor AS text) IS NULL OR actor = :actor)
          AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
          AND (CAST(:until AS timestamptz) IS NULL OR at < :until)
    """
    total = session.execute(text("SELECT count(*) FROM audit_event" + where), params).scalar_one()
    rows = session.execute(text(
        "SELECT id, at, actor, action, entity, entity_id, details FROM audit_event" + where
        + " ORDER BY id DESC LIMIT :limit OFFSET :offset"), params)
    events = [{**r._mapping, "at": r.at.isoformat()} for r in rows]
    return int(total), events


def plan_changes(session: Session, plan_id: int, *, since_version: int) -> list[dict[str, Any]]:
    """The recorded changes of a plan from the first that made a version above
    ``since_version`` on, oldest first, with the codes of the grids they changed (edits
    record grid ids, of which those still in the plan are named; redraws record codes)."""
    rows = session.execute(text("""
        WITH e AS (
            -- an edit records {"before": v, "after": v + 1}; older rows and other actions a number
            SELECT id, action, at, actor, details,
                   CASE jsonb_typeof(details->'version')
                        WHEN 'object' THEN (details->'version'->>'after')::int
                        WHEN 'number' THEN (details->>'version')::int END AS version
            FROM audit_event WHERE entity = 'plan' AND entity_id = :p AND action <> 'create_draft')
        SELECT e.action, e.version, e.at, e.actor,
               coalesce(jsonb_array_length(e.details->'removed'), 0) AS removed,
               ARRAY(SELECT g.code FROM grid g WHERE g.plan_id = :p AND g.id IN (
                   SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.details->'grids') = 'array'
                                                         THEN e.details->'grids' ELSE '[]' END)::int)
                     ORDER BY g.code)
               || ARRAY(SELECT jsonb_array_elements_text(
                      CASE WHEN jsonb_typeof(e.details->'changed') = 'array'
                           THEN e.details->'changed' ELSE '[]' END)) AS grids
        FROM e WHERE e.id >= coalesce((SELECT min(id) FROM e WHERE version > :v), 2147483647)
        ORDER BY e.id
    """), {"p": plan_id, "v": since_version})
    return [{"action": r.action, "version": r.version, "at": r.at.isoformat(), "actor": r.actor,
             "grids": list(dict.fromkeys(r.grids)), "removed": int(r.removed)} for r in rows]
