"""plan.household_min / household_max: each plan stores the household bounds of its grids

The bounds of a grid's size (规模适度: 100..600 households in Yuyang) were a constant
written in several places (planning, the coverage check, the planner's map, CLI and API
defaults). They are now a property of the plan: set when a draft is made (copied from
the plan it is made from), used by its coverage size check, by generation and by the
planner's map. Existing plans get the default, 100..600.

The server default below is the value of ``gisgrid.rules.DEFAULT_HOUSEHOLD_BOUNDS`` when
this migration was written, spelled out: a migration is history and must not change
when the constant does (the model takes its default from the constant).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plan", sa.Column("household_min", sa.Integer(), nullable=False, server_default="100"))
    op.add_column("plan", sa.Column("household_max", sa.Integer(), nullable=False, server_default="600"))
    op.create_check_constraint(
        "plan_household_bounds", "plan",
        "household_min >= 0 AND household_min <= household_max AND household_max >= 1")


def downgrade() -> None:
    op.drop_constraint("plan_household_bounds", "plan", type_="check")
    op.drop_column("plan", "household_max")
    op.drop_column("plan", "household_min")
