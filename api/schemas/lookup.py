"""``/v1/lookup``: which grid, areas and team a point or an address belongs to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import AreaRef, GridKind, Point, StaffRole


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


class AddressMatch(BaseModel):
    """A registry place matching the address."""

    address: str = Field(description="The place's address as the registry writes it")
    confidence: float = Field(ge=0, le=1)
    level: str = Field(description="What matched: household, unit, building, estate, house, "
                                   "interpolated (a house number along its road) or road")
    location: Point = Field(description="In the requested coordsys")


class AddressCandidate(AddressMatch):
    """Another place that matches less well, with its grid."""

    grid: GridRef | None


class ParsedAddress(BaseModel):
    """How the query was read (``rest``: what could not be placed)."""

    # The parser may learn more components; they are reported as they come.
    model_config = ConfigDict(extra="allow")

    road: str | None
    house_no: int | None
    estate: str | None
    building_no: int | None
    unit_no: int | None
    room: str | None
    rest: str


class AddressLookup(BaseModel):
    """The best match for an address, its grid, and the other candidates."""

    match: AddressMatch
    grid: GridRef | None = Field(description="The grid at the match's location (null: in none)")
    candidates: list[AddressCandidate]
    parsed: ParsedAddress
