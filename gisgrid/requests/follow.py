"""Plans change, requests follow: on activation, open requests go to their place's new grid.

Called by :func:`gisgrid.plans.activate_plan` in the activation's transaction. Every open
request (:data:`gisgrid.rules.OPEN_STAGES`) inside the new plan's base grids is pointed at
its owner there (the one rule of :mod:`gisgrid.rules`, as households and shops), with the
new grid's overlays, community, leader and full-time worker; each one whose grid really
changed (another grid ``uid``: a grid copied unchanged into the new plan is the same
grid) gets a ``reroute`` event. A closed request keeps the grid it was handled in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db import request_store
from gisgrid.rules import utc_now

__all__ = ["follow_plan"]


def follow_plan(session: Session, plan_id: int, *, actor: str | None = None) -> list[dict[str, Any]]:
    """Re-route the open requests to the grids of the newly active ``plan_id``; the ones that
    changed grid: ``[{"id", "from_grid", "from_code", "to_grid", "to_code"}]``."""
    moved = request_store.reroute_open(session, plan_id)
    now = utc_now()
    for m in moved:
        request_store.add_event(session, m["id"], "reroute", at=now, actor=actor,
                                note=f"plan {plan_id} activated",
                                details={"plan": plan_id, "from": m["from_code"], "to": m["to_code"],
                                         "from_grid": m["from_grid"], "to_grid": m["to_grid"]})
    return moved
