"""What a coverage check returns: the report, its defects and summary, as data.

Kept apart from :mod:`gisgrid.coverage.check` (which computes them) so that storage, the API,
the CLI and the maps can use the types without the geometry machinery.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import shapely

from gisgrid.errors import CoverageFailedError  # re-exported: defined with the other errors
from gisgrid.shapes import geojson_geometry

__all__ = ["DEFECT_KINDS", "CoverageFailedError", "CoverageReport", "CoverageSummary", "Defect"]

#: Kinds of defect, in the order a report lists them.
DEFECT_KINDS = (
    "invalid",
    "empty",
    "duplicate",
    "multipart",
    "outside_parent",
    "overlap",
    "gap",
    "unassigned_point",
)



@dataclass
class Defect:
    """One problem found by :func:`check_coverage`.

    ``area_m2`` is the defect's area: the piece for ``gap``/``overlap``, the part outside
    the parent for ``outside_parent``, the (repaired) grid for ``invalid``/``multipart``/
    ``duplicate``, and 0 for ``empty`` and ``unassigned_point``. ``geometry`` is lon/lat
    WGS84 (None for an empty grid); for ``invalid`` it is the geometry as submitted.
    ``point`` is the point's id for ``unassigned_point`` (it is also in ``message``).
    """

    kind: str
    grids: list[Hashable]
    area_m2: float
    sliver: bool
    geometry: shapely.Geometry | None
    message: str
    point: Hashable | None = None

    def to_dict(self) -> dict[str, Any]:
        """The defect as in the ``POST /v1/coverage/check`` response (GeoJSON geometry).

        An ``unassigned_point`` also carries the point's id as ``point``.
        """
        out = {
            "kind": self.kind,
            "grids": list(self.grids),
            "area_m2": round(float(self.area_m2), 3),
            "sliver": bool(self.sliver),
            "geometry": geojson_geometry(self.geometry),
            "message": self.message,
        }
        if self.point is not None:
            out["point"] = self.point
        return out


@dataclass
class CoverageSummary:
    """Totals of a coverage check, in m².

    ``covered_area_m2`` is the part of the parent covered by at least one grid;
    ``gap_area_m2`` and ``overlap_area_m2`` add up the reported pieces (pieces under
    ``min_area_m2`` are residue and left out, so covered + gap ≈ parent, not exactly).
    """

    grids: int
    parent_area_m2: float
    covered_area_m2: float
    gap_area_m2: float
    overlap_area_m2: float

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return {
            "grids": self.grids,
            "parent_area_m2": round(self.parent_area_m2, 3),
            "covered_area_m2": round(self.covered_area_m2, 3),
            "gap_area_m2": round(self.gap_area_m2, 3),
            "overlap_area_m2": round(self.overlap_area_m2, 3),
        }


@dataclass
class CoverageReport:
    """Result of :func:`check_coverage`: ``ok`` is true when there is no defect."""

    ok: bool
    summary: CoverageSummary
    defects: list[Defect] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of defects per kind (kinds without defects left out), in report order."""
        found = [d.kind for d in self.defects]
        return {kind: found.count(kind) for kind in DEFECT_KINDS if kind in found}

    def to_dict(self) -> dict[str, Any]:
        """The report in the JSON shape of ``POST /v1/coverage/check``."""
        return {
            "ok": self.ok,
            "summary": self.summary.to_dict(),
            "defects": [d.to_dict() for d in self.defects],
        }
