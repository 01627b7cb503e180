"""household_assignment: a BRIN index on grid_id, and NULL candidates for plain rows

``assign_plan`` rebuilds a plan's partition in one COPY and then indexes it, and the
btree on (plan_id, grid_id) took as long to build as the COPY itself. The rows are now
written in grid order, so a BRIN index on ``grid_id`` (one min/max per few pages) finds
a grid's rows as exactly, builds in one pass with no sort, and is a few pages in size.
(``plan_id`` is the partition key; within a partition it is the same on every row.)

``candidates`` is nullable: NULL on the ~99.9% of rows with no edge to share, instead
of an empty array (13 bytes, which with alignment take a row from 48 to 64 bytes: a
quarter more to COPY, write and scan); readers turn NULL into ``[]``. The ``'{}'``
default goes too, so a row written without candidates says NULL, as assign_plan writes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: As ``gisgrid.db.assign_store.BRIN_PAGES_PER_RANGE`` (~2,500 rows a range).
PAGES_PER_RANGE = 16


def upgrade() -> None:
    # On the partitioned parent: each existing partition's index goes and comes with it.
    op.drop_index("ix_household_assignment_plan_grid", table_name="household_assignment")
    op.create_index("ix_household_assignment_grid", "household_assignment", ["grid_id"],
                    postgresql_using="brin", postgresql_with={"pages_per_range": PAGES_PER_RANGE})
    op.alter_column("household_assignment", "candidates", nullable=True, server_default=None)


def downgrade() -> None:
    op.execute("UPDATE household_assignment SET candidates = '{}' WHERE candidates IS NULL")
    op.alter_column("household_assignment", "candidates", nullable=False, server_default="{}")
    op.drop_index("ix_household_assignment_grid", table_name="household_assignment")
    op.create_index("ix_household_assignment_plan_grid", "household_assignment", ["plan_id", "grid_id"])
