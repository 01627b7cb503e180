"""Plan versions: drafts, planners' edits, activation, diffs and repaired drafts."""

from gisgrid.plans.activation import activate_plan
from gisgrid.plans.repaired import save_repair_as_draft
from gisgrid.plans.versions import apply_edit, copy_to_draft, create_draft, diff_plans, generate_community

__all__ = ["activate_plan", "apply_edit", "copy_to_draft", "create_draft", "diff_plans",
           "generate_community", "save_repair_as_draft"]
