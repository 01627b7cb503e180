"""Coverage: do grids tile their area (gaps, overlaps, slivers...), and repairs that make them."""

from gisgrid.coverage.check import check_coverage
from gisgrid.coverage.plan import PlanCoverage, plan_coverage, repair_plan, require_coverage
from gisgrid.coverage.repair import RepairResult, repair_coverage
from gisgrid.coverage.report import CoverageFailedError, CoverageReport, Defect

__all__ = ["CoverageFailedError", "CoverageReport", "Defect", "PlanCoverage", "RepairResult",
           "check_coverage", "plan_coverage", "repair_coverage", "repair_plan", "require_coverage"]
