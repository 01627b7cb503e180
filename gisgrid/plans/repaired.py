"""Repaired drafts: a coverage repair written back as a new draft plan (the source untouched)."""

from __future__ import annotations

import shapely
from sqlalchemy.orm import Session

from gisgrid.coverage.repair import RepairResult
from gisgrid.db import plan_store as store
from gisgrid.db.audit_store import record_event
from gisgrid.errors import InvalidInputError
from gisgrid.plans.versions import copy_to_draft
from gisgrid.shapes import polygonal


def save_repair_as_draft(
    session: Session,
    plan_id: int,
    result: RepairResult,
    *,
    name: str | None = None,
    author: str | None = None,
    actor: str | None = None,
) -> int:
    """Write a repair as a NEW draft plan (child of ``plan_id``); the source is untouched.

    The draft is a copy of the source made as every draft is made from a plan
    (:func:`gisgrid.plans.versions.copy_to_draft`: grids keep their ``uid``, teams and
    household bounds come along), with the repaired boundaries for the grids the repair
    changed, and without the grids it dropped; so a diff against the source counts only
    households that really change grid. Returns the new plan's id; the caller commits.
    ``actor`` (for the audit trail) defaults to ``author``.
    """
    source = store.plan_header(session, plan_id)
    counts = _step_counts(result)
    draft = copy_to_draft(session, plan_id, name=name or f"{source.name} (repaired)"[:200],
                          author=author, note=f"coverage repair of plan {plan_id}: " + _label_counts(counts))
    ids = store.grid_ids_by_code(session, draft)
    changed = dict(result.grids)
    for code in result.changed:
        store.set_boundary(session, ids[code], _multi(changed[code]))
    if result.dropped:
        store.delete_grids(session, [ids[c] for c in result.dropped])
    record_event(session, "repair", "plan", draft, actor=actor or author,
                 details={"from_plan": plan_id, "steps": counts,
                          "changed": list(result.changed), "dropped": list(result.dropped)})
    session.flush()
    return draft


def _multi(geom: shapely.Geometry) -> shapely.Geometry:
    shape = polygonal(geom)
    if shape is None:
        raise InvalidInputError("a repaired grid has no area left")
    return shape if shape.geom_type == "MultiPolygon" else shapely.multipolygons([shape])


def _step_counts(result: RepairResult) -> dict[str, int]:
    actions = [s.action for s in result.steps]
    return {a: actions.count(a) for a in dict.fromkeys(actions)}


def _label_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to change"
