"""Response models of the OGC API Features documents (landing page, conformance, collections).

Pages of features are written as bytes by the core (``gisgrid.ogc.items``) and documented
in the routes' ``responses``; these models describe the small JSON documents around them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


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
