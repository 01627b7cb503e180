"""address_epoch: a counter bumped by every change that can alter an address answer

Address lookups match against a gazetteer held in memory (``gisgrid.address.cache``),
built from the address registry and what it is made of: streets, buildings, units,
households, shops, resources and areas. A server rebuilds it only when this counter
has moved. It is kept apart from ``lookup_epoch`` (migration 0004) so that a change
to households does not throw away the point-lookup indexes, which never read them.
Statement-level triggers, transactional as in 0004.

Revision ID: 0007
Revises: 0006 (the lead re-chains it on merge)
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: The tables an address answer's gazetteer is made of.
WATCHED = ("street", "building", "unit", "household", "shop", "resource", "admin_area",
           "address_road", "address_place")


def upgrade() -> None:
    op.execute("CREATE TABLE address_epoch (id integer PRIMARY KEY CHECK (id = 1), "
               "value bigint NOT NULL)")
    op.execute("INSERT INTO address_epoch VALUES (1, 0)")
    op.execute("""
        CREATE FUNCTION gisgrid_bump_address_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE address_epoch SET value = value + 1 WHERE id = 1;
            RETURN NULL;
        END
        $$
    """)
    for table in WATCHED:
        op.execute(f"CREATE TRIGGER {table}_address_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION gisgrid_bump_address_epoch()")


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_address_epoch ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gisgrid_bump_address_epoch()")
    op.execute("DROP TABLE IF EXISTS address_epoch")
