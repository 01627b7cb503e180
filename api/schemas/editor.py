"""The planner's editor: the document it loads, and the plan's recent changes (for a stale save)."""

from __future__ import annotations

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import LineString, MultiLineString
from pydantic import BaseModel, Field

from api.schemas.common import GridKind, Polygonal
from api.schemas.plans import HouseholdBounds, Plan

# -- units -------------------------------------------------------------------------------


class UnitProperties(BaseModel):
    """A unit to paint: a street block, or one building's parcel of a shared block."""

    id: str = Field(description="{community}-{block}, or {community}-{block}-{building} for a parcel")
    community: str = Field(description="Community code")
    block: str = Field(description="The block it is (or is part of): {community}-{block}")
    building: int | None = Field(description="The building whose parcel it is (null: a whole block)")
    households: int
    residents: int
    shops: int
    requests: int = Field(description="Open requests (not resolved) located in it")
    area_m2: float
    perimeter_m: float
    grid: int | None = Field(description="The residential grid it belongs to now (overlapped most)")
    parent_grid: int | None = Field(description="The grid of this plan carrying the uid of the grid it "
                                                "belonged to in the parent plan (null: none)")


class UnitFeature(Feature[Polygonal, UnitProperties]):
    """One unit, lon/lat WGS84, 7 decimals (for drawing; saves name units by id)."""

    id: str
    geometry: Polygonal
    properties: UnitProperties


class UnitCollection(FeatureCollection[UnitFeature]):
    """The units of the plan's communities, community by community."""


class EditorCommunity(BaseModel):
    """A community of the plan: its units are ``units.features[first:first + count]``."""

    code: str
    name: str
    digest: str = Field(description="Fingerprint of the streets and buildings its units were cut from: "
                                    "send it back with a save")
    first: int
    count: int


#: [i, j, shared metres, street the edge runs along (null: between parcels), lines of the edge]
UnitPair = tuple[int, int, float, str | None, list[list[tuple[float, float]]]]

# -- grids and people ----------------------------------------------------------------------


class Person(BaseModel):
    """A member of staff (personal data: planners only)."""

    id: int
    name: str


class EditorTeam(BaseModel):
    """A grid's 1+1+X team (null: nobody named yet)."""

    leader: Person | None
    full_time: Person | None
    part_time: list[Person]


class EditorGrid(BaseModel):
    """A grid of the plan, with its team."""

    id: int
    uid: str
    code: str
    seq: int
    name: str
    kind: GridKind
    community: str
    team: EditorTeam


class OverlayProperties(BaseModel):
    id: int
    code: str
    name: str
    kind: GridKind


class OverlayFeature(Feature[Polygonal, OverlayProperties]):
    """A business or special grid: drawn over the residential ones, never painted."""

    id: int
    geometry: Polygonal
    properties: OverlayProperties


class OverlayCollection(FeatureCollection[OverlayFeature]):
    pass


class StreetProperties(BaseModel):
    id: int
    name: str
    kind: str


class StreetFeature(Feature[LineString | MultiLineString, StreetProperties]):
    """A street centre line or lane: click one to split a grid along it."""

    id: int
    geometry: LineString | MultiLineString
    properties: StreetProperties


class StreetCollection(FeatureCollection[StreetFeature]):
    pass


class EditorDocument(BaseModel):
    """Everything the editor loads for one plan (staff names included: planners only)."""

    plan: Plan
    bounds: HouseholdBounds = Field(description="Households a residential grid must hold")
    communities: list[EditorCommunity]
    units: UnitCollection
    pairs: list[UnitPair] = Field(description="Units sharing at least 1 m of edge")
    grids: list[EditorGrid]
    overlays: OverlayCollection
    streets: StreetCollection
    staff: list[Person] = Field(description="The district's staff, to name teams from")


# -- changes ---------------------------------------------------------------------------------


class PlanChange(BaseModel):
    """One recorded change of a plan (from the audit trail)."""

    action: str = Field(description="edit_reassign, edit_move, redraw, generate, ...")
    version: int | None = Field(description="The version it made (null: not recorded)")
    at: str = Field(json_schema_extra={"format": "date-time"})
    actor: str | None
    grids: list[str] = Field(description="Codes of the grids it changed (those that still exist)")
    removed: int = Field(description="How many grids it removed")


class PlanChanges(BaseModel):
    """What changed a plan since a version: shown to a planner whose save came too late."""

    plan_id: int
    version: int = Field(description="The plan's version now")
    since: int
    changes: list[PlanChange] = Field(description="Oldest first")
