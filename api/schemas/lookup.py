"""``/v1/lookup``: which grid, areas and team a point or an address belongs to."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import AreaRef, GridKind, Point, StaffRole, left_out_unless


class GridRef(BaseModel):
    """A grid by id, code, name and kind."""

    id: int
    code: str = Field(pattern=r"^[0-9]{15}$",
                      description="GB/T 2260 county + subdistrict + community + 3-digit sequence")
    name: str
    kind: GridKind


class NearGrid(GridRef):
    """Another base grid near the point."""

    distance_m: float = Field(ge=0, description="Metres, to 0.1 m (0 for a grid sharing the point's edge)")


class StaffMember(BaseModel):
    """A member of the grid's 1+1+X team (no contact details)."""

    role: StaffRole
    name: str


class LookupAnswer(BaseModel):
    """The grid holding a point, the areas above it and its team."""

    grid: GridRef = Field(description="The base grid (on a shared edge: the one whose code sorts first)")
    overlays: list[GridRef] = Field(description="Business grids also holding the point")
    community: AreaRef | None
    subdistrict: AreaRef | None
    district: AreaRef | None
    near_boundary: bool = Field(description="Another base grid is within near_m")
    alternatives: list[NearGrid] = Field(description="Those grids, nearest first")
    staff: list[StaffMember]


class BatchLookup(BaseModel):
    """One answer per point, in input order; null outside every grid."""

    results: list[LookupAnswer | None]


AddressLevel = Literal["household", "building", "door", "estate", "road", "landmark", "community"]


class PlaceRef(BaseModel):
    """A building the match lies in: its address and location."""

    address: str
    location: Point = Field(description="In the requested coordsys")


class HouseholdRef(BaseModel):
    """The unit and room of a household-level match (kept apart from the building)."""

    model_config = ConfigDict(extra="allow")

    unit: int | None = None
    room: str | None = None


class AddressMatch(BaseModel):
    """The place the address means, how sure, and at what level."""

    address: str = Field(description="The place's address as the registry writes it")
    confidence: float = Field(ge=0, le=1, description="The chance the grid is right (calibrated: "
                              "docs/addresses.md); a place spanning several grids shares it among them")
    level: AddressLevel = Field(description="What matched: a household (room), a building, a door on a "
                                "road, an estate, a road, a landmark or a community")
    location: Point = Field(description="In the requested coordsys")
    components: dict[str, Any] = Field(description="The place's parts: road, door, estate, building, "
                                       "unit, room, shop, landmark, community...")
    building: PlaceRef | None = Field(description="The building, when the match is in one")
    household: HouseholdRef | None = Field(description="Unit and room, for a household-level match")


class AddressCandidate(AddressMatch):
    """Another place (or another grid of the same place) the address may mean."""

    grid: GridRef | None


class ParsedAddress(BaseModel):
    """How the text was read: the names found anywhere in it, the numbers and their
    markers, the cue words (门口, 对面, 交叉口...)."""

    # The reader may learn more; it is reported as it comes.
    model_config = ConfigDict(extra="allow")

    text: str = left_out_unless("The text as read (left out where the answer stops at the unit: "
                                "it would echo the room)")
    names: list[dict[str, Any]]
    numbers: list[dict[str, Any]]
    cues: list[Any]


class AddressLookup(BaseModel):
    """The best match for an address, its grid with the point lookup's fields, and the
    other candidates (every grid of a place that spans several)."""

    match: AddressMatch
    grid: GridRef | None = Field(description="The grid at the match's location (null: in none)")
    overlays: list[GridRef] = Field(description="Business grids also holding the place")
    community: AreaRef | None
    subdistrict: AreaRef | None
    district: AreaRef | None
    near_boundary: bool = Field(description="Another base grid is within 30 m")
    alternatives: list[NearGrid]
    staff: list[StaffMember]
    candidates: list[AddressCandidate]
    parsed: ParsedAddress


class BatchAddressLookup(BaseModel):
    """One answer per address, in input order; null where nothing matched."""

    results: list[AddressLookup | None]
