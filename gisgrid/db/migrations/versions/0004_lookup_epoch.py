"""lookup_epoch: a counter bumped by every change that can alter a lookup answer

Lookups are served from memory (``gisgrid.lookup.index``); a server re-reads the grids
in force only when this counter has moved. Statement-level triggers bump it on any
change to the tables a lookup answer is made of: plans (status, effective dates),
grids, teams, staff names and administrative areas. The update is transactional, so a
reader sees the new value only once the change is committed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The tables whose rows make up a lookup answer.
WATCHED = ("plan", "grid", "grid_staff", "staff", "admin_area")


def upgrade() -> None:
    op.execute("CREATE TABLE lookup_epoch (id integer PRIMARY KEY CHECK (id = 1), "
               "value bigint NOT NULL)")
    op.execute("INSERT INTO lookup_epoch VALUES (1, 0)")
    op.execute("""
        CREATE FUNCTION gisgrid_bump_lookup_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE lookup_epoch SET value = value + 1 WHERE id = 1;
            RETURN NULL;
        END
        $$
    """)
    for table in WATCHED:
        op.execute(f"CREATE TRIGGER {table}_lookup_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION gisgrid_bump_lookup_epoch()")


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_lookup_epoch ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gisgrid_bump_lookup_epoch()")
    op.execute("DROP TABLE IF EXISTS lookup_epoch")
