"""Resources (venues, merchants, volunteer teams, party units, service centres)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import AreaRef, GridKind, Point, left_out_unless

ResourceKind = Literal["venue", "merchant", "volunteer_team", "party_unit", "service_center"]


class ResourceGrid(BaseModel):
    id: int
    code: str
    name: str
    kind: GridKind


class ResourceContact(BaseModel):
    """The contact person: in full to the staff of the resource's community, name and a
    masked phone to other staff and planners; never sent to consumers or anonymous callers."""

    name: str | None = left_out_unless("The contact's name")
    phone: str | None = left_out_unless("Full or masked, by who asks")


class ResourceProperties(BaseModel):
    id: int
    name: str
    kind: ResourceKind
    address: str | None
    details: str | None
    floor_area_m2: float | None = Field(description="Venues: floor area in m²")
    members: int | None = Field(description="Volunteer teams: members; party units: members who reported")
    projects: list[str] = Field(description="Party units: the self-governance projects adopted (双报到)")
    grid: ResourceGrid | None = Field(description="The base grid of an active plan that owns the location")
    community: AreaRef | None
    contact: ResourceContact | None = left_out_unless("Staff and planners only")


class ResourceFeature(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: Point
    properties: ResourceProperties


class ResourceCollection(BaseModel):
    type: Literal["FeatureCollection"]
    total: int = Field(description="Resources matching the filters")
    limit: int
    offset: int
    features: list[ResourceFeature]
