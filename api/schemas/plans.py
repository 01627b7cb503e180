"""``/v1/plans``: plan versions, their grids, edits, generation and diffs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from geojson_pydantic import Feature, FeatureCollection
from pydantic import BaseModel, Field

from api.schemas.common import AreaLevel, GridKind, PlanStatus, Polygonal, StaffRole, left_out_unless

# -- plan versions -------------------------------------------------------------------------


class PlanScope(BaseModel):
    """The area a plan covers."""

    code: str
    name: str
    level: AreaLevel


class HouseholdBounds(BaseModel):
    """Households per residential grid, inclusive."""

    min: int
    max: int


class Plan(BaseModel):
    """One plan version (a "generation" of the grid layout of its scope)."""

    id: int
    name: str
    status: PlanStatus
    scope: PlanScope
    effective_from: dt.date | None = Field(description="First day in force (active and retired plans)")
    effective_to: dt.date | None = Field(description="Day it stopped being in force (retired plans)")
    parent_id: int | None = Field(description="The plan this one was made from")
    author: str | None
    note: str | None
    version: int = Field(description="Edit counter: send it with an edit (optimistic lock)")
    # A string, not a datetime: sent exactly as the database gives it (a datetime would
    # be re-written by pydantic, "+00:00" becoming "Z").
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    grids: int = Field(description="Number of grids")
    household_bounds: HouseholdBounds = Field(description="Households per residential grid the plan "
                                              "holds its grids to (规模适度), inclusive")


class PlanList(BaseModel):
    """Plan versions, newest first."""

    plans: list[Plan]


# -- grids as GeoJSON ----------------------------------------------------------------------


class TeamSize(BaseModel):
    """People of each role on the grid's 1+1+X team (a role without anyone is left out)."""

    leader: int = left_out_unless("网格长, the grid leader", ge=1)
    full_time: int = left_out_unless("专职网格员, full-time grid workers", ge=1)
    part_time: int = left_out_unless("兼职网格员, part-time grid workers", ge=1)


class GridProperties(BaseModel):
    """A grid of a plan, with what lies inside it (counted by location)."""

    id: int
    code: str = Field(pattern=r"^[0-9]{15}$",
                      description="GB/T 2260 county + subdistrict + community + 3-digit sequence")
    seq: int
    name: str
    kind: GridKind
    plan_id: int
    community_code: str
    community_name: str
    area_m2: float = Field(description="Rounded to 1 m²")
    households: int
    residents: int
    shops: int
    team: TeamSize


class GridFeature(Feature[Polygonal, GridProperties]):
    """One grid: boundary in lon/lat WGS84, exterior rings counter-clockwise."""

    id: int = Field(description="The grid's id (as properties.id)")
    geometry: Polygonal
    properties: GridProperties


class GridCollection(FeatureCollection[GridFeature]):
    """The grids of a plan (RFC 7946), ordered by code."""


# -- drafts: edits, generation, diffs ------------------------------------------------------


class GridCounts(BaseModel):
    """A grid an edit touched, with the households and shops now inside it."""

    id: int
    code: str
    name: str
    kind: GridKind
    uid: str = Field(description="Stable across plan versions (a copied or redrawn grid keeps it)")
    households: int
    shops: int


class PlanEdit(BaseModel):
    """What an edit did."""

    plan_id: int
    version: int = Field(description="The plan's new version")
    op: Literal["split", "merge", "move", "replace", "renumber", "reassign", "team"]
    grids: list[GridCounts]
    removed: list[int] = Field(description="Ids of grids the edit deleted")
    notes: list[str]
    created: dict[str, int] = Field(description="reassign: the id of each new grid by the label it was sent "
                                                "with (new-1, new-2...); empty otherwise")


class ProposalSummary(BaseModel):
    """Counts of a generated layout."""

    grids: int
    blocks: int
    households: int
    in_bounds: int = Field(description="Grids within the household bounds")
    violations: int
    mean_compactness: float | None = Field(description="Polsby-Popper, 4πA/P² (null without grids)")
    unassigned_households: int = Field(description="Households outside every block")
    repaired_blocks: list[int | str] = Field(description="Blocks that came out invalid and were repaired")


class Violation(BaseModel):
    """A generated grid whose household bounds could not be met, and what to do."""

    kind: Literal["over_max", "under_min"]
    grid: int | str = Field(description="The grid in the proposal's own numbering")
    blocks: list[int | str]
    households: int
    suggestion: str


class PlanGenerated(BaseModel):
    """A community of a draft regenerated from its streets."""

    plan_id: int
    version: int = Field(description="The plan's new version")
    removed: list[int] = Field(description="Ids of the residential grids replaced")
    grids: list[GridCounts]
    bounds: HouseholdBounds
    summary: ProposalSummary
    violations: list[Violation]


class GridMove(BaseModel):
    """Households (or shops) moving from one grid to another; null: in no grid."""

    from_code: str | None
    from_name: str | None
    to_code: str | None
    to_name: str | None
    n: int


class Moves(BaseModel):
    """All moves of households or of shops."""

    moved: int
    moves: list[GridMove] = Field(description="Largest first")


class RequestMove(GridMove):
    """Open requests moving from one grid to another, listed by id."""

    ids: list[int] = Field(description="The requests' ids (GET /v1/requests/{id})")


class RequestMoves(BaseModel):
    """All moves of open requests."""

    moved: int
    moves: list[RequestMove] = Field(description="Largest first")


class StaffMove(BaseModel):
    """Team places of one role moving from one grid to another; null: no grid (left or joined)."""

    from_code: str | None
    from_name: str | None
    to_code: str | None
    to_name: str | None
    role: StaffRole
    n: int


class StaffMoves(BaseModel):
    """Team places (staff, counted without names) that change grid."""

    moved: int
    moves: list[StaffMove] = Field(description="Largest first")


class PlanDiff(BaseModel):
    """Households, shops, open requests and team places whose grid differs between two plans
    (renumbering alone is no move)."""

    before: int
    after: int
    households: Moves
    shops: Moves
    requests: RequestMoves = Field(description="Open requests (stages other than closed and duplicate) "
                                   "by their location, each listed by id")
    staff: StaffMoves


class BoundBreach(BaseModel):
    """A residential grid whose household count is outside the bounds."""

    id: int
    code: str
    name: str
    community: str = Field(description="Community code")
    households: int
    bound: Literal["min", "max"]
    limit: int


class RedrawnGrid(BaseModel):
    """A grid the redraw reshapes (``changed``: keeps code, uid and team) or adds (``new``)."""

    label: str = Field(description="The grid's code, or new-1, new-2... for new grids")
    status: Literal["changed", "new"]
    id: int | None
    code: str | None
    name: str | None
    community: str
    blocks: list[int | str] = Field(description="The blocks (cut from the community's streets) it holds")
    households_before: int
    households: int
    shops: int
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, lon/lat WGS84")


class RemovedGrid(BaseModel):
    """A grid the redraw removes; ``to`` took most of its area (and its part-time workers)."""

    id: int
    code: str
    name: str
    community: str
    households_before: int
    to: str


class RedrawViolation(Violation):
    """A grid whose bounds the redraw could not meet."""

    community: str


class RedrawProposal(BaseModel):
    grids: list[RedrawnGrid]
    removed: list[RemovedGrid]
    violations: list[RedrawViolation]


class RedrawMoved(BaseModel):
    """What changes grid: households, shops and blocks."""

    households: int
    shops: int
    blocks: int


class PlanRedraw(BaseModel):
    """A redraw of a draft's grids that broke their household bounds."""

    plan_id: int
    version: int = Field(description="The plan's version after the call (unchanged by a dry run)")
    written: bool
    dry_run: bool
    bounds: HouseholdBounds
    communities: list[str] = Field(description="Codes of the communities redrawn")
    out_of_bounds: list[BoundBreach]
    proposal: RedrawProposal
    moved: RedrawMoved
    notes: list[str]
