"""Personal data and the access layer: households of an area, a grid's team, the audit
trail, who is asking."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import GridKind, StaffRole, left_out_unless


class HouseholdRow(BaseModel):
    """A household of the register (personal data: staff and planners of its area)."""

    id: int
    address: str
    room: str | None
    size: int
    unit_id: int | None
    building_id: int | None
    lon: float
    lat: float


class AreaHouseholds(BaseModel):
    """A page of an area's households, in id order."""

    area: str
    total: int
    limit: int
    offset: int
    households: list[HouseholdRow]


class TeamGrid(BaseModel):
    id: int
    code: str
    name: str
    kind: GridKind
    plan_id: int
    community: str = Field(description="Community code")


class TeamMemberView(BaseModel):
    """A member of the 1+1+X team as the caller may see them: the name where public or
    allowed, the phone in full to the community's staff, masked (138****5678) to other
    staff and planners, never to consumers and anonymous callers."""

    role: StaffRole
    name: str = left_out_unless("The member's name (public by setting, or to signed-in staff)")
    phone: str | None = left_out_unless("Full or masked, by who asks")


class GridTeam(BaseModel):
    grid: TeamGrid
    team: list[TeamMemberView]


class AuditEvent(BaseModel):
    """Who did what to which record, and when; ``details`` may hold before/after."""

    id: int
    at: dt.datetime
    actor: str | None
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any] | None


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    events: list[AuditEvent]


class Me(BaseModel):
    """Who the credentials sent belong to."""

    user: str
    role: Literal["admin", "planner", "staff", "consumer"]
    scope: str | None = Field(description="The area code the role applies to (null: everywhere)")
    via: str = Field(description="How the request was signed: token, session or api_key")
