"""initial grid model

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 13:22:25.942479
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_geospatial_table('admin_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("level IN ('district', 'subdistrict', 'community')", name='admin_area_level'),
    sa.CheckConstraint('ST_IsValid(boundary)', name='admin_area_valid_boundary'),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_area.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_geospatial_index('idx_admin_area_boundary', 'admin_area', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_admin_area_district_code'), 'admin_area', ['district_code'], unique=False)
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('entity', sa.String(length=50), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_staff_district_code'), 'staff', ['district_code'], unique=False)
    op.create_geospatial_table('street',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTILINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("kind IN ('road', 'lane')", name='street_kind'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_street_geom', 'street', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_street_district_code'), 'street', ['district_code'], unique=False)
    op.create_index(op.f('ix_street_name'), 'street', ['name'], unique=False)
    op.create_geospatial_table('building',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('estate', sa.String(length=100), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('footprint', Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['admin_area.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_building_footprint', 'building', ['footprint'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_building_community_id'), 'building', ['community_id'], unique=False)
    op.create_index(op.f('ix_building_district_code'), 'building', ['district_code'], unique=False)
    op.create_index(op.f('ix_building_estate'), 'building', ['estate'], unique=False)
    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'active', 'retired')", name='plan_status'),
    sa.CheckConstraint('effective_to IS NULL OR effective_from IS NULL OR effective_to > effective_from', name='plan_effective_range'),
    sa.ForeignKeyConstraint(['parent_id'], ['plan.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scope_id'], ['admin_area.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_plan_district_code'), 'plan', ['district_code'], unique=False)
    op.create_index('plan_one_active_per_scope', 'plan', ['scope_id'], unique=True, postgresql_where=sa.text("status = 'active'"))
    op.create_geospatial_table('request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='open', nullable=False),
    sa.Column('reported_at', sa.Date(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'resolved')", name='request_status'),
    sa.ForeignKeyConstraint(['community_id'], ['admin_area.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_request_location', 'request', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_request_category'), 'request', ['category'], unique=False)
    op.create_index(op.f('ix_request_community_id'), 'request', ['community_id'], unique=False)
    op.create_index(op.f('ix_request_district_code'), 'request', ['district_code'], unique=False)
    op.create_geospatial_table('resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("kind IN ('venue', 'merchant', 'volunteer_team', 'party_unit', 'service_center')", name='resource_kind'),
    sa.ForeignKeyConstraint(['community_id'], ['admin_area.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_resource_location', 'resource', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_resource_community_id'), 'resource', ['community_id'], unique=False)
    op.create_index(op.f('ix_resource_district_code'), 'resource', ['district_code'], unique=False)
    op.create_geospatial_table('shop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['admin_area.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_shop_location', 'shop', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_shop_community_id'), 'shop', ['community_id'], unique=False)
    op.create_index(op.f('ix_shop_district_code'), 'shop', ['district_code'], unique=False)
    op.create_geospatial_table('grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=12), server_default='residential', nullable=False),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{15}$'", name='grid_code_format'),
    sa.CheckConstraint("kind IN ('residential', 'business', 'special')", name='grid_kind'),
    sa.CheckConstraint('ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary)', name='grid_valid_boundary'),
    sa.ForeignKeyConstraint(['community_id'], ['admin_area.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'code', name='grid_code_per_plan')
    )
    op.create_geospatial_index('idx_grid_boundary', 'grid', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_grid_community_id'), 'grid', ['community_id'], unique=False)
    op.create_index(op.f('ix_grid_district_code'), 'grid', ['district_code'], unique=False)
    op.create_index(op.f('ix_grid_plan_id'), 'grid', ['plan_id'], unique=False)
    op.create_geospatial_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('entrance', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('building_id', 'number', name='unit_number_per_building')
    )
    op.create_geospatial_index('idx_unit_entrance', 'unit', ['entrance'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_unit_building_id'), 'unit', ['building_id'], unique=False)
    op.create_table('grid_staff',
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.CheckConstraint("role IN ('leader', 'full_time', 'part_time')", name='grid_staff_role'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grid_id', 'staff_id')
    )
    op.create_index('grid_staff_one_leader_one_full_time', 'grid_staff', ['grid_id', 'role'], unique=True, postgresql_where=sa.text("role IN ('leader', 'full_time')"))
    op.create_geospatial_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('room', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), server_default='1', nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('size >= 1', name='household_size_positive'),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_household_location', 'household', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_household_building_id'), 'household', ['building_id'], unique=False)
    op.create_index(op.f('ix_household_district_code'), 'household', ['district_code'], unique=False)
    op.create_index(op.f('ix_household_unit_id'), 'household', ['unit_id'], unique=False)



def downgrade() -> None:
    
    op.drop_index(op.f('ix_household_unit_id'), table_name='household')
    op.drop_index(op.f('ix_household_district_code'), table_name='household')
    op.drop_index(op.f('ix_household_building_id'), table_name='household')
    op.drop_geospatial_index('idx_household_location', table_name='household', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('household')
    op.drop_index('grid_staff_one_leader_one_full_time', table_name='grid_staff', postgresql_where=sa.text("role IN ('leader', 'full_time')"))
    op.drop_table('grid_staff')
    op.drop_index(op.f('ix_unit_building_id'), table_name='unit')
    op.drop_geospatial_index('idx_unit_entrance', table_name='unit', postgresql_using='gist', column_name='entrance')
    op.drop_geospatial_table('unit')
    op.drop_index(op.f('ix_grid_plan_id'), table_name='grid')
    op.drop_index(op.f('ix_grid_district_code'), table_name='grid')
    op.drop_index(op.f('ix_grid_community_id'), table_name='grid')
    op.drop_geospatial_index('idx_grid_boundary', table_name='grid', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('grid')
    op.drop_index(op.f('ix_shop_district_code'), table_name='shop')
    op.drop_index(op.f('ix_shop_community_id'), table_name='shop')
    op.drop_geospatial_index('idx_shop_location', table_name='shop', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('shop')
    op.drop_index(op.f('ix_resource_district_code'), table_name='resource')
    op.drop_index(op.f('ix_resource_community_id'), table_name='resource')
    op.drop_geospatial_index('idx_resource_location', table_name='resource', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('resource')
    op.drop_index(op.f('ix_request_district_code'), table_name='request')
    op.drop_index(op.f('ix_request_community_id'), table_name='request')
    op.drop_index(op.f('ix_request_category'), table_name='request')
    op.drop_geospatial_index('idx_request_location', table_name='request', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('request')
    op.drop_index('plan_one_active_per_scope', table_name='plan', postgresql_where=sa.text("status = 'active'"))
    op.drop_index(op.f('ix_plan_district_code'), table_name='plan')
    op.drop_table('plan')
    op.drop_index(op.f('ix_building_estate'), table_name='building')
    op.drop_index(op.f('ix_building_district_code'), table_name='building')
    op.drop_index(op.f('ix_building_community_id'), table_name='building')
    op.drop_geospatial_index('idx_building_footprint', table_name='building', postgresql_using='gist', column_name='footprint')
    op.drop_geospatial_table('building')
    op.drop_index(op.f('ix_street_name'), table_name='street')
    op.drop_index(op.f('ix_street_district_code'), table_name='street')
    op.drop_geospatial_index('idx_street_geom', table_name='street', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('street')
    op.drop_index(op.f('ix_staff_district_code'), table_name='staff')
    op.drop_table('staff')
    op.drop_table('audit_event')
    op.drop_index(op.f('ix_admin_area_district_code'), table_name='admin_area')
    op.drop_geospatial_index('idx_admin_area_boundary', table_name='admin_area', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('admin_area')

