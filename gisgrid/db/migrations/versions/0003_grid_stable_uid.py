"""grid.uid: a grid's stable identity across plan versions

A plan version copies its grids into new rows (new ``id``), so ``id`` names one grid
of one version. ``uid`` is kept by copies and edits that keep the grid (a split keeps it
on the larger part; a merge on the first grid named), so diffs and histories can follow
a grid across versions while its code is renumbered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("grid", sa.Column("uid", postgresql.UUID(as_uuid=True), nullable=False,
                                    server_default=sa.text("gen_random_uuid()")))
    op.create_index("ix_grid_uid", "grid", ["uid"])
    op.create_unique_constraint("grid_uid_per_plan", "grid", ["plan_id", "uid"])


def downgrade() -> None:
    op.drop_constraint("grid_uid_per_plan", "grid")
    op.drop_index("ix_grid_uid", table_name="grid")
    op.drop_column("grid", "uid")
