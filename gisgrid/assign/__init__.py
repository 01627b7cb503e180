"""Assignment: which grid owns each point, in memory or stored for a whole plan.

``assign_plan`` (stored assignment, :mod:`gisgrid.assign.plan`) is loaded on first use:
the in-memory verbs are used by planning code that must not pull in the database layer.
"""

from typing import TYPE_CHECKING, Any

from gisgrid.assign.points import Assignment, GridRaster, assign_arrays, assign_points

if TYPE_CHECKING:
    from gisgrid.assign.plan import AssignSummary, assign_plan

__all__ = ["AssignSummary", "Assignment", "GridRaster", "assign_arrays", "assign_plan", "assign_points"]


def __getattr__(name: str) -> Any:
    if name in ("AssignSummary", "assign_plan"):
        from gisgrid.assign import plan

        return getattr(plan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
