"""Plan activation: one active plan per scope, the one before it retired, assignments stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gisgrid.assign.plan import assign_plan
from gisgrid.coverage.plan import require_coverage
from gisgrid.db.audit_store import record_event
from gisgrid.db.engine import note_lookup_change
from gisgrid.db.models import Plan
from gisgrid.db.resource_store import assign_resource_grids
from gisgrid.errors import ConflictError, EffectiveDateError, NotFoundError
from gisgrid.plans.teams import require_teams
from gisgrid.requests.follow import follow_plan
from gisgrid.rules import today


def activate_plan(session: Session, plan_id: int, *, effective_from: dt.date | None = None,
                  actor: str | None = None, team_override: str | None = None) -> Plan:
    """Make a draft plan the active one of its scope, retiring the one before it.

    The retired plan's ``effective_to`` becomes the new plan's ``effective_from``, so
    "which plan was in force on date D" has exactly one answer. That day is
    ``effective_from``, else the plan's own, else today in China (:func:`gisgrid.rules.today`).
    Every grid must have its leader and full-time worker (人在格上) unless ``team_override``
    gives the reason it may go without (recorded with the activation).

    Raises
    ------
    NotFoundError
        No such plan.
    ConflictError
        The plan is not a draft, or another session activated a plan of the same scope
        at the same moment (the database's one-active-per-scope index refused);
        ``TeamIncompleteError`` for grids without leader or full-time worker and no
        ``team_override``.
    EffectiveDateError
        The start day is not after the start of the active plan it would retire (that
        plan would be retired before, or on, its first day: a range with no day in it).
    """
    plan = session.get(Plan, plan_id, with_for_update=True)
    if plan is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    if plan.status != "draft":
        raise ConflictError(f"plan {plan_id} is {plan.status}; only a draft can be activated")
    require_coverage(session, plan_id)  # CoverageFailedError (409) unless the plan tiles its area
    let_through = require_teams(session, plan_id, override_reason=team_override)  # 409 team_incomplete
    # Today in China (gisgrid.rules.today), not the server's local day.
    start = effective_from or plan.effective_from or today()
    previous = session.scalars(
        select(Plan).where(Plan.scope_id == plan.scope_id, Plan.status == "active")
        .with_for_update()
    ).all()
    for old in previous:
        if old.effective_from is not None and start <= old.effective_from:
            after = old.effective_from + dt.timedelta(days=1)
            raise EffectiveDateError(
                f"plan {old.id}, active in this scope, starts on {old.effective_from}; a plan replacing "
                f"it must start later: activate plan {plan_id} with effective_from {after} or later",
                details={"active_plan": old.id, "active_from": old.effective_from.isoformat(),
                         "earliest": after.isoformat()})
        session.execute(update(Plan).where(Plan.id == old.id)
                        .values(status="retired", effective_to=start, version=Plan.version + 1))
        record_event(session, "retire", "plan", old.id, actor=actor,
                     details={"by_plan": plan.id, "before": {"status": "active"},
                              "after": {"status": "retired", "effective_to": start.isoformat()}})
    before = {"status": plan.status, "version": plan.version}
    plan.status = "active"
    plan.effective_from = start
    plan.effective_to = None
    plan.version += 1
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            f"another plan of the same scope became active meanwhile; plan {plan_id} not activated"
        ) from exc
    # Households and shops now answer to this plan's grids: store who owns what.
    assigned = assign_plan(session, plan.id)
    # Open requests follow their place to the new grids (closed ones keep theirs).
    rerouted = follow_plan(session, plan.id, actor=actor)
    assign_resource_grids(session)   # resources too, by the same owner rule (migration 0011)
    note_lookup_change(session)     # lookups answer from this plan once this commits
    record_event(session, "activate", "plan", plan.id, actor=actor,
                 details={"effective_from": start.isoformat(), "retired": [p.id for p in previous],
                          "unassigned_households": len(assigned.unassigned_households),
                          "rerouted_requests": [m["id"] for m in rerouted],
                          "before": before, "after": {"status": "active", "version": plan.version},
                          **({"team_override": team_override,
                              "grids_without_team": [g["code"] for g in let_through]}
                             if let_through else {})})
    return plan
