"""Plan versions: drafts, planners' edits, activation, diffs and repaired drafts."""

from gisgrid.plans.activation import activate_plan
from gisgrid.plans.editor_data import editor_document
from gisgrid.plans.reassign import reassign_units
from gisgrid.plans.repaired import save_repair_as_draft
from gisgrid.plans.teams import require_teams, set_team
from gisgrid.plans.units import plan_units
from gisgrid.plans.versions import apply_edit, copy_to_draft, create_draft, diff_plans, generate_community

__all__ = ["activate_plan", "apply_edit", "copy_to_draft", "create_draft", "diff_plans", "editor_document",
           "generate_community", "plan_units", "reassign_units", "require_teams", "save_repair_as_draft",
           "set_team"]
