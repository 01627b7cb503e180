"""Pieces of several responses: vocabularies, feature ids, GeoJSON geometries.

GeoJSON models come from geojson-pydantic (developmentseed's, as used by titiler and
tipg) rather than being written again here; the vocabularies repeat the database's
(``gisgrid.db.models``), and ``tests/api/test_openapi.py`` checks that they agree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from geojson_pydantic.geometries import Geometry, MultiPolygon, Point, Polygon
from pydantic import BaseModel, Field

__all__ = ["AreaLevel", "AreaRef", "FeatureId", "Geometry", "GridKind", "MultiPolygon", "PlanStatus",
           "Point", "Polygon", "Polygonal", "StaffRole", "left_out_unless"]

AreaLevel = Literal["district", "subdistrict", "community"]
PlanStatus = Literal["draft", "active", "retired"]
GridKind = Literal["residential", "business", "special"]
StaffRole = Literal["leader", "full_time", "part_time"]

#: A feature id as the caller sent it (``properties.id``, else ``id``), echoed unchanged.
FeatureId = Annotated[str | int | float, Field(description="The feature's id as sent")]

#: A grid, block or area boundary.
Polygonal = Annotated[Polygon | MultiPolygon, Field(discriminator="type")]


class AreaRef(BaseModel):
    """An administrative area by its official code and name."""

    code: str = Field(description="GB/T 2260 code: 6 digits district, 9 subdistrict, 12 community")
    name: str


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def left_out_unless(description: str, **constraints: Any) -> Any:
    """A member the body leaves out (never sends as null) when it does not apply.

    For models that document a body without re-validating it: not required, and no
    ``"default": null`` in the schema, which would suggest a null is sent.
    """
    return Field(None, description=description, json_schema_extra=_no_default, **constraints)
