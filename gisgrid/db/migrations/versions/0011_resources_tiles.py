"""resources located in grids with their particulars; a map epoch for cacheable vector tiles

``resource`` gains ``grid_id`` (the base grid of an active plan that owns its location,
by the owner rule of :mod:`gisgrid.rules`; NULL outside every grid), ``address``,
``floor_area_m2`` (venues), ``members`` (volunteer teams, party units), ``projects`` (the
self-governance projects a reporting party unit adopted, 双报到) and a contact person
(``contact_name``, ``contact_phone``: personal data, staff only). Existing rows get their
floor area and members from the free-text ``details`` where it states them, and their grid.

``map_epoch``: a counter moved by every statement that changes what the staff map draws
(plans, grids, areas, households, shops, requests, resources). Vector tile URLs carry it,
so a tile URL never changes its answer and browsers and proxies may keep tiles for good.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MAP_TABLES = ("plan", "grid", "admin_area", "household", "shop", "request", "resource")


def upgrade() -> None:
    op.add_column("resource", sa.Column("grid_id", sa.Integer,
                                        sa.ForeignKey("grid.id", ondelete="SET NULL"), nullable=True))
    op.create_index("ix_resource_grid_id", "resource", ["grid_id"])
    op.add_column("resource", sa.Column("address", sa.String(200)))
    op.add_column("resource", sa.Column("floor_area_m2", sa.Float))
    op.add_column("resource", sa.Column("members", sa.Integer))
    op.add_column("resource", sa.Column("projects", sa.ARRAY(sa.Text), nullable=False,
                                        server_default=sa.text("'{}'::text[]")))
    op.add_column("resource", sa.Column("contact_name", sa.String(50)))
    op.add_column("resource", sa.Column("contact_phone", sa.String(20)))
    op.create_check_constraint("resource_floor_area_positive", "resource",
                               "floor_area_m2 IS NULL OR floor_area_m2 > 0")
    op.create_check_constraint("resource_members_positive", "resource", "members IS NULL OR members > 0")
    op.execute(r"""
        UPDATE resource SET
          floor_area_m2 = replace((regexp_match(details, '([0-9][0-9,]*(\.[0-9]+)?) *m²'))[1], ',', '')::float,
          members = (regexp_match(details, '(队员|报到党员)([0-9]+)'))[2]::int
        WHERE details IS NOT NULL""")
    op.execute("""
        UPDATE resource r SET grid_id = o.grid_id FROM (
          SELECT DISTINCT ON (t.id) t.id, g.id AS grid_id
          FROM resource t JOIN grid g ON ST_Covers(g.boundary, t.location)
          JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
          WHERE g.kind IN ('residential', 'special')
          ORDER BY t.id, (g.kind NOT IN ('residential', 'special')), g.code, g.id) o
        WHERE o.id = r.id""")
    op.execute("CREATE TABLE map_epoch (id integer PRIMARY KEY CHECK (id = 1), "
               "value bigint NOT NULL)")
    op.execute("INSERT INTO map_epoch VALUES (1, 1)")
    op.execute("""
        CREATE FUNCTION gisgrid_bump_map_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE map_epoch SET value = value + 1 WHERE id = 1;
            RETURN NULL;
        END $$""")
    for table in MAP_TABLES:
        op.execute(f"CREATE TRIGGER {table}_map_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION gisgrid_bump_map_epoch()")


def downgrade() -> None:
    for table in MAP_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_map_epoch ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gisgrid_bump_map_epoch()")
    op.execute("DROP TABLE IF EXISTS map_epoch")
    op.drop_constraint("resource_members_positive", "resource")
    op.drop_constraint("resource_floor_area_positive", "resource")
    for column in ("contact_phone", "contact_name", "projects", "members", "floor_area_m2", "address"):
        op.drop_column("resource", column)
    op.drop_index("ix_resource_grid_id", "resource")
    op.drop_column("resource", "grid_id")
