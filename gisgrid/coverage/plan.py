"""Coverage of stored plans: the check, the activation gate and the repair proposal.

Which area must a plan tile? A plan's scope may be a whole district (Yuyang: 7,053 km²,
317 villages) while only the urban communities are gridded so far. The parent of the
check is therefore the union of the communities that hold at least one grid of the
plan (the scope itself when it is a community, or when the plan has no grid at all):
a gridded community must be tiled completely, an ungridded one is simply not yet
part of the plan. Residential grids must tile that parent; business and special grids
overlay residential ones (ARCHITECTURE.md), so they are only checked for being valid,
in one part, inside the parent and not overlapping each other.

Households and shops of the scope outside every residential grid are reported as
``unassigned_point`` defects; residential grids whose household counts (each household
in its owner grid only, :mod:`gisgrid.rules`) fall outside the plan's stored bounds
(规模适度, ``plan.household_min``..``household_max``, by default 100..600) are listed
apart: a size breach is a planning matter, not a coverage defect, so it does not fail
the check.

Grids are named by their 15-digit code in every report (codes survive plan versions).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy.orm import Session

from gisgrid.coverage.check import check_coverage
from gisgrid.coverage.repair import RepairResult, repair_coverage
from gisgrid.coverage.report import CoverageReport
from gisgrid.db import coverage_store as store
from gisgrid.errors import CoverageFailedError
from gisgrid.rules import fill_household_bounds

__all__ = ["PlanCoverage", "plan_coverage", "repair_plan", "require_coverage"]

#: At most this many defects go into the details of a refused activation.
_GATE_DEFECTS = 50
_OVERLAY_KINDS = ("invalid", "empty", "duplicate", "multipart", "outside_parent", "overlap")


@dataclass
class PlanCoverage:
    """The coverage check of a stored plan, plus its household counts per grid."""

    plan_id: int
    report: CoverageReport
    household_bounds: tuple[int, int]
    size_breaches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON (as ``POST /v1/coverage/check``) plus the plan and the sizes."""
        unassigned = [d for d in self.report.defects if d.kind == "unassigned_point"]
        low, high = self.household_bounds
        return {
            "plan_id": self.plan_id,
            **self.report.to_dict(),
            "unassigned": {
                "households": sum(str(d.point).startswith("household:") for d in unassigned),
                "shops": sum(str(d.point).startswith("shop:") for d in unassigned),
            },
            "household_bounds": {"min": low, "max": high, "breaches": self.size_breaches},
        }


def _shapes(rows: list[Any], *, residential: bool) -> list[tuple[str, shapely.Geometry]]:
    return [(r.code, shapely.from_wkb(bytes(r.wkb))) for r in rows
            if (r.kind == "residential") == residential]


def plan_coverage(
    session: Session,
    plan_id: int,
    *,
    sliver_width_m: float = 1.0,
    household_bounds: tuple[int | None, int | None] | None = None,
) -> PlanCoverage:
    """Check a stored plan: tiling, overlays, unassigned households/shops, grid sizes.

    ``household_bounds`` overrides the plan's stored bounds for the size check (a value
    left None keeps the plan's).

    Raises
    ------
    NotFoundError
        No such plan.
    InvalidInputError
        Bounds out of order (see :func:`gisgrid.rules.check_household_bounds`).
    """
    plan = store.plan_row(session, plan_id)
    bounds = fill_household_bounds(household_bounds, (plan.household_min, plan.household_max))
    rows = store.grids(session, plan_id)
    parent = store.parent(session, plan)
    overlays = _shapes(rows, residential=False)
    report = check_coverage(_shapes(rows, residential=True), parent,
                            points=store.points_outside(session, plan), sliver_width_m=sliver_width_m)
    if overlays:
        extra = check_coverage(overlays, parent, sliver_width_m=sliver_width_m).defects
        for d in extra:
            if d.kind in _OVERLAY_KINDS:
                d.message += f" ({', '.join(_kinds_of(rows, d.grids))} overlay)"
        report.defects += [d for d in extra if d.kind in _OVERLAY_KINDS]
        report.ok = not report.defects
        report.summary.grids += len(overlays)
    return PlanCoverage(plan_id, report, bounds, store.size_breaches(session, plan_id, bounds))


def _kinds_of(rows: list[Any], codes: list[Hashable]) -> list[str]:
    kinds = {r.code: r.kind for r in rows}
    return sorted({kinds[c] for c in codes if c in kinds})


def require_coverage(session: Session, plan_id: int) -> None:
    """The activation gate: raise :class:`CoverageFailedError` unless the plan tiles its area.

    The error's ``details`` hold the summary, the defect counts and the first defects.
    """
    coverage = plan_coverage(session, plan_id)
    if coverage.ok:
        return
    counts = coverage.report.counts()
    listed = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    body = coverage.report.to_dict()
    details = {
        "plan_id": plan_id,
        "ok": False,
        "summary": body["summary"],
        "counts": counts,
        "defects": body["defects"][:_GATE_DEFECTS],
        "defects_left_out": max(0, len(body["defects"]) - _GATE_DEFECTS),
    }
    raise CoverageFailedError(
        f"plan {plan_id} fails its coverage check ({listed}); repair it first", details=details
    )


def repair_plan(session: Session, plan_id: int, *, sliver_width_m: float = 1.0) -> RepairResult:
    """Propose a repair of a stored plan's residential grids (nothing is written)."""
    plan = store.plan_row(session, plan_id)
    rows = store.grids(session, plan_id)
    return repair_coverage(_shapes(rows, residential=True), store.parent(session, plan),
                           sliver_width_m=sliver_width_m)
