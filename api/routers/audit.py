"""``GET /v1/audit``: the audit trail (admins only), newest first, filtered and paged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import Admin
from api.deps import SessionDep
from api.schemas.access import AuditPage
from api.schemas.errors import route_responses
from gisgrid.db.audit_store import list_events

router = APIRouter(tags=["audit"])

_TEXT = r"^[^\x00]*$"   # PostgreSQL text holds no NUL


@router.get("/v1/audit", summary="Audit events: who changed what, when (admins only)",
            response_model=AuditPage, responses=route_responses(422, 503))
def audit(
    who: Admin,
    session: SessionDep,
    entity: Annotated[str | None, Query(max_length=50, pattern=_TEXT,
                                        description="plan, user, admin_area, ...")] = None,
    entity_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    actor: Annotated[str | None, Query(max_length=100, pattern=_TEXT,
                                       description="A user's name, or cli")] = None,
    from_: Annotated[dt.datetime | None, Query(alias="from", description="From (inclusive)")] = None,
    to: Annotated[dt.datetime | None, Query(description="To (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    total, events = list_events(session, entity=entity, entity_id=entity_id, actor=actor,
                                since=from_, until=to, limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "events": events}
