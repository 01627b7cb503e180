"""``/v1/areas``: the district, its subdistricts and communities."""

from __future__ import annotations

from geojson_pydantic import Feature
from pydantic import BaseModel, Field

from api.schemas.common import AreaLevel, Polygonal


class Area(BaseModel):
    """One administrative area, without its boundary."""

    code: str = Field(description="GB/T 2260 code: 6 digits district, 9 subdistrict, 12 community")
    name: str
    level: AreaLevel
    parent_code: str | None = Field(description="The enclosing area (null for the district)")
    area_m2: float = Field(description="Area in m², rounded to 1 m²")


class AreaList(BaseModel):
    """Areas ordered by code."""

    areas: list[Area]


class AreaFeature(Feature[Polygonal, Area]):
    """One area as a GeoJSON Feature: its boundary, lon/lat WGS84."""

    id: str = Field(description="The area's code")
    geometry: Polygonal
    properties: Area
