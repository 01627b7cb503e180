"""Coverage checks and repairs: ``/v1/coverage/*`` and ``/v1/plans/{id}/coverage|repair``."""

from __future__ import annotations

from typing import Literal

from geojson_pydantic import Feature, FeatureCollection
from pydantic import BaseModel, Field

from api.schemas.common import FeatureId, Geometry, Polygonal, left_out_unless
from api.schemas.plans import HouseholdBounds, Plan

DefectKind = Literal["invalid", "empty", "duplicate", "multipart", "outside_parent", "overlap", "gap",
                     "unassigned_point"]
RepairAction = Literal["repair_invalid", "drop_empty", "drop_duplicate", "clip_outside", "resolve_overlap",
                       "drop_covered", "fill_gap", "reassign_part", "unresolved"]


class Defect(BaseModel):
    """One problem: each connected piece of a gap or overlap is its own defect."""

    kind: DefectKind
    grids: list[FeatureId] = Field(description="The grids touching the gap, sharing the overlap, "
                                               "or at fault")
    area_m2: float = Field(ge=0, description="The piece's area (0 for empty and unassigned_point)")
    sliver: bool = Field(description="Narrower than sliver_width_m")
    geometry: Geometry | None = Field(description="The piece (for invalid: the grid as sent); "
                                                  "null for an empty grid")
    message: str
    point: FeatureId = left_out_unless("unassigned_point only: the point's id")


class CoverageSummary(BaseModel):
    """Totals in m² (pieces below min_area_m2 are residue and left out)."""

    grids: int
    parent_area_m2: float
    covered_area_m2: float
    gap_area_m2: float
    overlap_area_m2: float


class CoverageReport(BaseModel):
    """Do the grids tile the parent area? ``ok`` when there is no defect."""

    ok: bool
    summary: CoverageSummary
    defects: list[Defect]


class Unassigned(BaseModel):
    """Households and shops of the scope in no residential grid."""

    households: int
    shops: int


class SizeBreach(BaseModel):
    """A residential grid whose household count is outside the bounds."""

    grid: str = Field(description="The grid's code")
    name: str
    households: int
    bound: Literal["min", "max"] = Field(description="The bound it breaks")


class HouseholdSizes(HouseholdBounds):
    """The bounds checked and the grids outside them (a planning matter: not a defect)."""

    breaches: list[SizeBreach]


class PlanCoverageReport(BaseModel):
    """The coverage check of a stored plan: residential grids must tile its gridded
    communities; business and special grids must be valid and inside. Grids are named
    by their 15-digit codes."""

    plan_id: int
    ok: bool
    summary: CoverageSummary
    defects: list[Defect]
    unassigned: Unassigned
    household_bounds: HouseholdSizes


class RepairStep(BaseModel):
    """One change proposed (or, for ``unresolved``, a defect left alone)."""

    action: RepairAction
    grids: list[FeatureId] = Field(description="The grids the defect involved")
    to_grid: FeatureId | None = Field(description="The grid receiving the area (null: none)")
    area_m2: float
    sliver: bool
    shared_edge_m: float = Field(description="Length of the edge the piece shares with to_grid")
    geometry: Geometry | None
    message: str


class RepairedGridId(BaseModel):
    """The id of a repaired grid."""

    id: FeatureId


class RepairedGrid(Feature[Polygonal, RepairedGridId]):
    """A grid as the repair proposes it."""

    geometry: Polygonal
    properties: RepairedGridId


class RepairedGrids(FeatureCollection[RepairedGrid]):
    """The proposed grids, in input order (dropped grids left out)."""


class Repair(BaseModel):
    """A proposed repair: new grids, the steps that made them, the check before and after."""

    ok: bool = Field(description="The proposed grids pass the check")
    grids: RepairedGrids
    changed: list[FeatureId] = Field(description="Grids whose shape changed")
    dropped: list[FeatureId] = Field(description="Grids left out (empty, duplicate, wholly outside)")
    steps: list[RepairStep]
    before: CoverageReport
    after: CoverageReport


class PlanRepair(BaseModel):
    """A stored plan's repair: the new draft (null for a dry run) and the proposal."""

    plan: Plan | None
    repair: Repair
