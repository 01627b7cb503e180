"""register imports: the register's own key and personal fields on households, shops,
buildings and staff

Community offices keep registers (人房关联) in Excel; ``gisgrid import`` loads them
(``gisgrid.imports``). Re-importing a sheet must update the rows it wrote before, not add
them again, so every imported table gets ``register_key``: the register's own id column
(``id:<value>``) or, without one, the address the row was matched to. It is unique per
district where set (rows loaded otherwise, such as the demo's, have none). Households
get what registers say of them: the household head's name and a phone (personal data:
never in a public answer); shops their operator and phone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TABLES = ("household", "shop", "building", "staff")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("register_key", sa.String(120)))
        op.create_index(f"ix_{table}_register_key", table, ["district_code", "register_key"], unique=True,
                        postgresql_where=sa.text("register_key IS NOT NULL"))
    op.add_column("household", sa.Column("head_name", sa.String(50)))
    op.add_column("household", sa.Column("phone", sa.String(20)))
    op.add_column("shop", sa.Column("operator", sa.String(50)))
    op.add_column("shop", sa.Column("phone", sa.String(20)))


def downgrade() -> None:
    op.drop_column("shop", "phone")
    op.drop_column("shop", "operator")
    op.drop_column("household", "phone")
    op.drop_column("household", "head_name")
    for table in reversed(_TABLES):
        op.drop_index(f"ix_{table}_register_key", table_name=table)
        op.drop_column(table, "register_key")
