"""assignments: no repeated district; a household is unique within its plan's partition

``district_code`` on an assignment row only repeated the plan's district (every row of
a plan has the same one); ``plan.district_code`` says it once. Dropped from both
assignment tables: a million-household recomputation COPYs and scans 8 bytes a row less.

``household_assignment`` keeps one row per household and plan, now enforced by each
partition's ``UNIQUE (household_id)`` (``plan_id`` is one value in a partition, checked
by its partition constraint) instead of a primary key on the parent, which PostgreSQL
requires to include ``plan_id``: a two-column key sorts at about half the speed of one
integer (PostgreSQL 15's single-int sort), a noticeable part of a million-household
recomputation (figures: bench/README.md, stored assignment).
``assign_plan`` builds that unique index on every partition it writes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _partitions() -> list[str]:
    return list(op.get_bind().execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'household_assignment'::regclass ORDER BY 1")).scalars())


def upgrade() -> None:
    op.drop_constraint("household_assignment_pkey", "household_assignment", type_="primary")
    for part in _partitions():
        op.execute(f"CREATE UNIQUE INDEX {part}_household ON {part} (household_id)")
    op.drop_column("household_assignment", "district_code")
    op.drop_column("shop_assignment", "district_code")


def downgrade() -> None:
    for table in ("household_assignment", "shop_assignment"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN district_code varchar(6)")
        op.execute(f"UPDATE {table} a SET district_code = p.district_code FROM plan p "
                   "WHERE p.id = a.plan_id")
        op.execute(f"ALTER TABLE {table} ALTER district_code SET NOT NULL")
    for part in _partitions():
        op.execute(f"DROP INDEX {part}_household")
    op.create_primary_key("household_assignment_pkey", "household_assignment",
                          ["plan_id", "household_id"])
