"""users and browser sessions; audit events findable by entity, actor and time

``app_user``: a name (unique, never reused), a role (admin, planner, staff, consumer),
the code of the area their rights cover (required for planners and staff; a code, not a
key, so a district's areas can be reloaded under its users), the SHA-256 of their API
token and a salted scrypt hash of their browser password: no credential is stored as
such. ``user_session``: the SHA-256 of a browser session id, its user and its expiry.
``GET /v1/audit`` filters events by entity, actor and time: indexes for each.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("scope_code", sa.String(12)),
        sa.Column("token_hash", sa.String(64)),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("role IN ('admin', 'planner', 'staff', 'consumer')", name="app_user_role"),
        sa.CheckConstraint("role NOT IN ('planner', 'staff') OR scope_code IS NOT NULL",
                           name="app_user_scoped_roles"),
    )
    op.create_index("app_user_token", "app_user", ["token_hash"], unique=True,
                    postgresql_where=sa.text("token_hash IS NOT NULL"))
    op.create_table(
        "user_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_index("ix_user_session_expires_at", "user_session", ["expires_at"])
    op.create_index("ix_audit_event_entity", "audit_event", ["entity", "entity_id"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor"])
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_at", "audit_event")
    op.drop_index("ix_audit_event_actor", "audit_event")
    op.drop_index("ix_audit_event_entity", "audit_event")
    op.drop_table("user_session")
    op.drop_table("app_user")
