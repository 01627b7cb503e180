"""The stateless geometry services: ``POST /v1/blocks`` and ``POST /v1/assign``."""

from __future__ import annotations

from geojson_pydantic import Feature, FeatureCollection, Polygon
from pydantic import BaseModel, Field

from api.schemas.common import FeatureId


class BlockProperties(BaseModel):
    """A block's number and area."""

    id: int = Field(description="1..n, north to south then west to east")
    area_m2: float


class BlockFeature(Feature[Polygon, BlockProperties]):
    """One block: a face of the streets inside the boundary."""

    id: int = Field(description="As properties.id")
    geometry: Polygon
    properties: BlockProperties


class BlockDiagnostics(BaseModel):
    """What the run found in the streets, and the rules it applied."""

    dangles: int = Field(ge=0, description="Street ends that meet nothing (they cut nothing)")
    cut_edges: int = Field(ge=0, description="Edges with the same block on both sides")
    dropped_slivers: int = Field(ge=0, description="Faces too thin to be blocks, merged into a neighbour")
    sliver_area_m2: float
    snapped_ends: int = Field(ge=0, description="Gaps within tolerance_m closed")
    duplicate_lines: int = Field(ge=0)
    invalid_rings: int = Field(ge=0)
    streets_in: int = Field(ge=0)
    streets_used: int = Field(ge=0, description="Streets that cross the boundary")
    boundary_area_m2: float
    blocks_area_m2: float
    tolerance_m: float
    tolerance_rule: str
    sliver_rule: str


class BlockCollection(FeatureCollection[BlockFeature]):
    """The blocks tiling the boundary (coordinates in the request's coordsys), plus the
    diagnostics of the run."""

    diagnostics: BlockDiagnostics


class Assignment(BaseModel):
    """Which grid holds one point."""

    id: FeatureId = Field(description="The point's id")
    grid: FeatureId | None = Field(description="The owner; null outside every grid")
    on_boundary: bool = Field(description="On an edge shared by several grids")
    candidates: list[FeatureId] = Field(description="Every grid holding the point")


class Assignments(BaseModel):
    """One assignment per point, in input order."""

    assignments: list[Assignment]
