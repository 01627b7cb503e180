"""Coverage of stored plans: what the check reads from PostGIS, and repaired drafts written back.

Which area must a plan tile? A plan's scope may be a whole district (Yuyang: 7,053 km²,
317 villages) while only the urban communities are gridded so far. The parent of the
check is therefore the union of the communities that hold at least one grid of the
plan (the scope itself when it is a community, or when the plan has no grid at all):
a gridded community must be tiled completely, an ungridded one is simply not yet
part of the plan. Residential grids must tile that parent; business and special grids
overlay residential ones (ARCHITECTURE.md), so they are only checked for being valid,
in one part, inside the parent and not overlapping each other.

Households and shops of the scope outside every residential grid are reported as
``unassigned_point`` defects; residential grids whose household counts fall outside
the bounds (规模适度, default 100..600, the demo's rule) are listed apart: a size breach
is a planning matter, not a coverage defect, so it does not fail the check.

Grids are named by their 15-digit code in every report (codes survive plan versions).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.coverage import CoverageFailedError, CoverageReport, check_coverage
from gisgrid.db.models import AuditEvent, Plan
from gisgrid.errors import InvalidInputError, NotFoundError
from gisgrid.repair import RepairResult, repair_coverage
from gisgrid.shapes import polygonal

__all__ = [
    "DEFAULT_HOUSEHOLD_BOUNDS",
    "PlanCoverage",
    "plan_coverage",
    "repair_plan",
    "require_coverage",
    "save_repair_as_draft",
]

#: Households per residential grid (inclusive): the rule the Yuyang demo was drawn to.
DEFAULT_HOUSEHOLD_BOUNDS = (100, 600)
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


def _plan_row(session: Session, plan_id: int) -> Any:
    row = session.execute(text("""
        SELECT p.id, p.name, p.status, p.scope_id, p.district_code, a.level AS scope_level
        FROM plan p JOIN admin_area a ON a.id = p.scope_id WHERE p.id = :p
    """), {"p": plan_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    return row


def _grids(session: Session, plan_id: int) -> list[Any]:
    return list(session.execute(text("""
        SELECT g.code, g.kind, ST_AsBinary(g.boundary) AS wkb
        FROM grid g WHERE g.plan_id = :p ORDER BY g.code
    """), {"p": plan_id}))


def _parent(session: Session, plan: Any) -> shapely.Geometry:
    """The area the plan's residential grids must tile (see the module docstring)."""
    wkb = session.execute(text("""
        SELECT ST_AsBinary(CASE
            WHEN :level = 'community' OR NOT EXISTS (SELECT 1 FROM grid WHERE plan_id = :p)
            THEN (SELECT boundary FROM admin_area WHERE id = :scope)
            ELSE (SELECT ST_Union(c.boundary) FROM admin_area c
                  WHERE c.id IN (SELECT community_id FROM grid WHERE plan_id = :p)) END)
    """), {"p": plan.id, "scope": plan.scope_id, "level": plan.scope_level}).scalar_one()
    return shapely.from_wkb(bytes(wkb))


def _points_outside(session: Session, plan: Any) -> list[tuple[str, shapely.Point]]:
    """Households and shops of the scope that no residential grid of the plan covers.

    Set difference (EXCEPT) of "in the scope" and "in some grid", the latter driven from
    the grids (one GiST probe of the points per grid). EXCEPT hashes or sorts, so the
    plan stays fast even right after a bulk load, before ANALYZE has run: the demo
    loader activates its plan in the loading transaction, where a NOT EXISTS anti-join
    was planned as a nested loop and took minutes instead of a fraction of a second.
    """
    outside = {}
    for table, prefix in (("household", "household:"), ("shop", "shop:")):
        rows = session.execute(text(f"""
            WITH outside AS (
                SELECT t.id FROM {table} t JOIN admin_area s ON s.id = :scope
                WHERE t.district_code = :d AND ST_Covers(s.boundary, t.location)
                EXCEPT
                SELECT t.id FROM grid g JOIN {table} t ON ST_Covers(g.boundary, t.location)
                WHERE g.plan_id = :p AND g.kind = 'residential')
            SELECT t.id, ST_X(t.location), ST_Y(t.location)
            FROM {table} t JOIN outside o ON o.id = t.id ORDER BY t.id
        """), {"p": plan.id, "scope": plan.scope_id, "d": plan.district_code})
        outside.update({f"{prefix}{pid}": shapely.Point(x, y) for pid, x, y in rows})
    return list(outside.items())


def _size_breaches(session: Session, plan_id: int, bounds: tuple[int, int]) -> list[dict[str, Any]]:
    low, high = bounds
    rows = session.execute(text("""
        SELECT g.code, g.name, count(h.id) AS households
        FROM grid g LEFT JOIN household h
          ON h.district_code = g.district_code AND ST_Covers(g.boundary, h.location)
        WHERE g.plan_id = :p AND g.kind = 'residential'
        GROUP BY g.code, g.name
        HAVING count(h.id) < :low OR count(h.id) > :high
        ORDER BY g.code
    """), {"p": plan_id, "low": low, "high": high})
    return [{"grid": r.code, "name": r.name, "households": r.households,
             "bound": "min" if r.households < low else "max"} for r in rows]


def _check_bounds(bounds: tuple[int, int]) -> tuple[int, int]:
    low, high = (int(b) for b in bounds)
    if low < 0 or high < low:
        raise InvalidInputError(f"household bounds must be 0 <= min <= max, got {low}..{high}")
    return low, high


def plan_coverage(
    session: Session,
    plan_id: int,
    *,
    sliver_width_m: float = 1.0,
    household_bounds: tuple[int, int] = DEFAULT_HOUSEHOLD_BOUNDS,
) -> PlanCoverage:
    """Check a stored plan: tiling, overlays, unassigned households/shops, grid sizes.

    Raises
    ------
    NotFoundError
        No such plan.
    """
    bounds = _check_bounds(household_bounds)
    plan = _plan_row(session, plan_id)
    rows = _grids(session, plan_id)
    parent = _parent(session, plan)
    base = [(r.code, shapely.from_wkb(bytes(r.wkb))) for r in rows if r.kind == "residential"]
    overlays = [(r.code, shapely.from_wkb(bytes(r.wkb))) for r in rows if r.kind != "residential"]
    report = check_coverage(base, parent, points=_points_outside(session, plan),
                            sliver_width_m=sliver_width_m)
    if overlays:
        extra = check_coverage(overlays, parent, sliver_width_m=sliver_width_m).defects
        for d in extra:
            if d.kind in _OVERLAY_KINDS:
                d.message += f" ({', '.join(_kinds_of(rows, d.grids))} overlay)"
        report.defects += [d for d in extra if d.kind in _OVERLAY_KINDS]
        report.ok = not report.defects
        report.summary.grids += len(overlays)
    return PlanCoverage(plan_id, report, bounds, _size_breaches(session, plan_id, bounds))


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
    plan = _plan_row(session, plan_id)
    rows = _grids(session, plan_id)
    base = [(r.code, shapely.from_wkb(bytes(r.wkb))) for r in rows if r.kind == "residential"]
    return repair_coverage(base, _parent(session, plan), sliver_width_m=sliver_width_m)


def save_repair_as_draft(
    session: Session,
    plan_id: int,
    result: RepairResult,
    *,
    name: str | None = None,
    author: str | None = None,
) -> int:
    """Write a repair as a NEW draft plan (child of ``plan_id``); the source is untouched.

    Every grid of the source is copied (codes, names, kinds, communities, teams), with
    the repaired boundaries for the grids the repair changed, and without the grids it
    dropped. Returns the new plan's id; the caller commits.
    """
    source = session.get(Plan, plan_id)
    if source is None:
        raise NotFoundError(f"plan {plan_id} does not exist")
    counts = _step_counts(result)
    draft = Plan(scope_id=source.scope_id, district_code=source.district_code,
                 name=name or f"{source.name} (repaired)"[:200], status="draft",
                 parent_id=source.id, author=author,
                 note=f"coverage repair of plan {plan_id}: " + _label_counts(counts))
    session.add(draft)
    session.flush()
    ids = {"src": plan_id, "new": draft.id}
    session.execute(text("""
        INSERT INTO grid (plan_id, community_id, district_code, code, seq, name, kind, boundary)
        SELECT :new, community_id, district_code, code, seq, name, kind, boundary
        FROM grid WHERE plan_id = :src
    """), ids)
    changed = dict(result.grids)
    updates = [{"new": draft.id, "code": code, "wkb": shapely.to_wkb(_multi(changed[code]))}
               for code in result.changed]
    if updates:
        session.execute(text("""
            UPDATE grid SET boundary = ST_Multi(ST_GeomFromWKB(:wkb, 4326))
            WHERE plan_id = :new AND code = :code
        """), updates)
    if result.dropped:
        session.execute(text("DELETE FROM grid WHERE plan_id = :new AND code = ANY(:codes)"),
                        {**ids, "codes": list(result.dropped)})
    session.execute(text("""
        INSERT INTO grid_staff (grid_id, staff_id, role)
        SELECT ng.id, gs.staff_id, gs.role
        FROM grid_staff gs JOIN grid og ON og.id = gs.grid_id
        JOIN grid ng ON ng.plan_id = :new AND ng.code = og.code
        WHERE og.plan_id = :src
    """), ids)
    session.add(AuditEvent(action="repair", entity="plan", entity_id=draft.id, actor=author,
                           details={"from_plan": plan_id, "steps": counts,
                                    "changed": list(result.changed), "dropped": list(result.dropped)}))
    session.flush()
    return draft.id


def _multi(geom: shapely.Geometry) -> shapely.Geometry:
    shape = polygonal(geom)
    if shape is None:
        raise InvalidInputError("a repaired grid has no area left")
    return shape if shape.geom_type == "MultiPolygon" else shapely.multipolygons([shape])


def _step_counts(result: RepairResult) -> dict[str, int]:
    actions = [s.action for s in result.steps]
    return {a: actions.count(a) for a in dict.fromkeys(actions)}


def _label_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to change"

