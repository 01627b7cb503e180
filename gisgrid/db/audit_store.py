"""The audit trail: who did what to which record, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db.models import AuditEvent


def record_event(session: Session, action: str, entity: str, entity_id: int | None,
                 *, actor: str | None = None, details: dict[str, Any] | None = None) -> None:
    """Add one audit event to the session (it is written with the change it records)."""
    session.add(AuditEvent(action=action, entity=entity, entity_id=entity_id, actor=actor,
                           details=details))
