"""Blocks to grids within household bounds, redraws that move few households, grid codes."""

from gisgrid.planning.codes import assign_codes, number_grids
from gisgrid.planning.generate import PlanProposal, plan_grids
from gisgrid.planning.redraw import Redraw, compare_assignments, redraw_plan

__all__ = ["PlanProposal", "Redraw", "assign_codes", "compare_assignments", "number_grids",
           "plan_grids", "redraw_plan"]
