"""Response models of the OGC API Features documents and of the grid exports' GeoJSON.

Pages of features are written as bytes by the core (``gisgrid.ogc.items``) and documented
in the routes' ``responses``; these models describe the small JSON documents around them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import left_out_unless


class Link(BaseModel):
    href: str
    rel: str
    type: str
    title: str | None = None


class LandingPage(BaseModel):
    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    conformsTo: list[str]  # noqa: N815 - the OGC name


class SpatialExtent(BaseModel):
    bbox: list[list[float]] = Field(description="[[west, south, east, north]] in lon/lat")
    crs: str


class Extent(BaseModel):
    spatial: SpatialExtent


class CollectionInfo(BaseModel):
    id: str
    title: str
    description: str
    itemType: str  # noqa: N815 - the OGC name
    crs: list[str]
    extent: Extent | None = None
    links: list[Link]


class Collections(BaseModel):
    links: list[Link]
    collections: list[CollectionInfo]


class Feature(BaseModel):
    """One feature of a collection: GeoJSON, lon/lat (CRS84); properties per collection
    (see the collection's description: never personal data)."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="GeoJSON geometry")
    properties: dict[str, Any]
    links: list[Link] = left_out_unless("self and collection (single items only)")


class FeatureCollection(BaseModel):
    """A page of a collection's features, with paging links (``next`` while more remain)."""

    type: Literal["FeatureCollection"]
    numberMatched: int  # noqa: N815 - the OGC name
    numberReturned: int  # noqa: N815 - the OGC name
    timeStamp: str  # noqa: N815 - the OGC name
    links: list[Link]
    features: list[Feature]


class GridFileProperties(BaseModel):
    """The attribute table of a grids export (names of at most 10 characters, as the
    Shapefile keeps them)."""

    grid_id: int
    code: str
    name: str
    kind: str
    plan_id: int
    comm_code: str
    comm_name: str
    area_m2: float
    households: int
    residents: int
    shops: int
    team_lead: int
    team_full: int
    team_part: int


class GridFileFeature(BaseModel):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: GridFileProperties


class GridFile(BaseModel):
    """The GeoJSON form of a grids export (the other formats carry the same table)."""

    type: Literal["FeatureCollection"]
    name: str = Field(description="The layer's name (plan and coordsys)")
    description: str = left_out_unless("What the file holds; for gcj02/bd09, that no CRS describes it")
    xy_coordinate_resolution: float = left_out_unless("Coordinate precision in degrees (GDAL's member)")
    features: list[GridFileFeature]
