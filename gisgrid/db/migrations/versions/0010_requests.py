"""residents' requests as cases: stages, routing, deadlines, reporters, events, categories, holidays

``request`` loses ``status`` (open → registered when it had a place, in_progress →
in_progress, resolved → closed) for ``stage`` (the ten stages of gisgrid.rules), and
gains the routing made at intake (plan, base grid, overlay grids, the grid's leader and
full-time worker), its source, address and the address match's confidence, photos, the
clock (registered, due, suspended, closed; working days to close) and its escalation
level; ``reported_at`` becomes a timestamptz (the day's noon in China for old rows).
Reporters (name, phone: personal data) live apart in ``request_reporter``, so that a
merge moves them to the master and no public query can select them by accident.
``request_event`` records every transition, escalation, re-route and merge (who, when,
note). ``request_category`` holds each category's time limit in working days;
``request_holiday`` the public holidays and the make-up working days (调休).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_STAGES = ("accepted", "registered", "dispatched", "in_progress", "checked", "closed",
           "suspended", "returned", "referred", "duplicate")
_IN = "stage IN (" + ", ".join(f"'{s}'" for s in _STAGES) + ")"

#: (code, Chinese name, English name, working days allowed)
_CATEGORIES = [
    ("sanitation", "环境卫生", "Sanitation, refuse collection", 2),
    ("noise", "噪音扰民", "Noise", 3),
    ("parking", "停车秩序", "Parking", 5),
    ("dispute", "邻里纠纷", "Neighbour dispute", 5),
    ("shop_complaint", "商户投诉", "Complaint about a shop", 5),
    ("broken_lane", "道路设施", "Broken lane, street lights", 7),
    ("leaking_roof", "房屋维修", "Repairs: leaking roof", 7),
    ("other", "其他", "Other", 5),
]

#: Public holidays and make-up working days of 2026 (国务院办公厅 notice on the 2026
#: holidays); the table is the configuration: `gisgrid requests holidays` edits it.
_HOLIDAYS_2026 = {
    "元旦": ("2026-01-01", "2026-01-03"),
    "春节": ("2026-02-15", "2026-02-23"),
    "清明节": ("2026-04-04", "2026-04-06"),
    "劳动节": ("2026-05-01", "2026-05-05"),
    "端午节": ("2026-06-19", "2026-06-21"),
    "中秋节": ("2026-09-25", "2026-09-27"),
    "国庆节": ("2026-10-01", "2026-10-07"),
}


def upgrade() -> None:
    op.create_table(
        "request_category",
        sa.Column("code", sa.String(30), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("limit_days", sa.Integer, nullable=False),
        sa.CheckConstraint("limit_days BETWEEN 1 AND 365", name="request_category_limit"),
    )
    op.bulk_insert(sa.table("request_category", sa.column("code"), sa.column("name"),
                            sa.column("name_en"), sa.column("limit_days")),
                   [dict(zip(("code", "name", "name_en", "limit_days"), c, strict=True))
                    for c in _CATEGORIES])
    op.create_table(
        "request_holiday",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("workday", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("name", sa.String(50)),
    )
    op.execute("""INSERT INTO request_holiday (day, workday, name) """ + " UNION ALL ".join(
        f"SELECT d::date, false, '{name}' FROM generate_series('{a}'::date, '{b}'::date, '1 day') d"
        for name, (a, b) in _HOLIDAYS_2026.items()))

    op.execute("ALTER TABLE request DROP CONSTRAINT request_status")
    op.add_column("request", sa.Column("stage", sa.String(12), nullable=False, server_default="accepted"))
    op.execute("""UPDATE request SET stage = CASE status WHEN 'open' THEN 'registered'
                  WHEN 'in_progress' THEN 'in_progress' ELSE 'closed' END""")
    op.drop_column("request", "status")
    op.create_check_constraint("request_stage", "request", _IN)
    op.execute("""ALTER TABLE request ALTER COLUMN reported_at TYPE timestamptz
                  USING (reported_at + time '12:00') AT TIME ZONE 'Asia/Shanghai'""")
    op.execute("ALTER TABLE request ALTER COLUMN reported_at SET DEFAULT now()")
    for column in (
        sa.Column("source", sa.String(20), nullable=False, server_default="walk_in"),
        sa.Column("address", sa.String(200)),
        sa.Column("address_confidence", sa.Float),
        sa.Column("photos", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id", ondelete="SET NULL")),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="SET NULL")),
        sa.Column("overlay_grid_ids", ARRAY(sa.Integer), nullable=False, server_default="{}"),
        sa.Column("leader_id", sa.Integer, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("worker_id", sa.Integer, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("registered_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("suspended_at", sa.DateTime(timezone=True)),
        sa.Column("resume_stage", sa.String(12)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_on_time", sa.Boolean),
        sa.Column("days_to_close", sa.Float),
        sa.Column("escalation", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("master_id", sa.Integer, sa.ForeignKey("request.id", ondelete="SET NULL")),
        sa.Column("referred_to", sa.String(100)),
        sa.Column("returned", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ):
        op.add_column("request", column)
    op.create_check_constraint("request_escalation", "request", "escalation BETWEEN 0 AND 2")
    op.create_index("ix_request_stage", "request", ["stage"])
    op.create_index("ix_request_grid_id", "request", ["grid_id"])
    # Deleting a request sets its duplicates' master_id to NULL: without this index, one
    # scan of the table per deleted row (a delete of 10,000 ran past 5 minutes).
    op.create_index("ix_request_master_id", "request", ["master_id"])
    op.create_index("ix_request_reported_at", "request", ["reported_at"])
    op.create_index("ix_request_due_open", "request", ["due_at"],
                    postgresql_where=sa.text("stage NOT IN ('closed', 'duplicate')"))
    op.execute("UPDATE request SET registered_at = reported_at WHERE stage <> 'accepted'")
    op.execute("UPDATE request SET closed_at = reported_at WHERE stage = 'closed'")

    op.create_table(
        "request_reporter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("request.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(50)),
        sa.Column("phone", sa.String(30)),
        sa.Column("first_request_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("request.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("from_stage", sa.String(12)),
        sa.Column("to_stage", sa.String(12)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(100)),
        sa.Column("note", sa.Text),
        sa.Column("details", JSONB),
        sa.CheckConstraint("kind IN ('intake', 'transition', 'escalation', 'reroute', 'merge')",
                           name="request_event_kind"),
    )


def downgrade() -> None:
    op.drop_table("request_event")
    op.drop_table("request_reporter")
    for name in ("ix_request_due_open", "ix_request_reported_at", "ix_request_master_id", "ix_request_grid_id",
                 "ix_request_stage"):
        op.drop_index(name, "request")
    op.drop_constraint("request_escalation", "request")
    for name in ("updated_at", "returned", "referred_to", "master_id", "escalation", "days_to_close",
                 "closed_on_time", "closed_at", "resume_stage", "suspended_at", "due_at",
                 "registered_at", "worker_id", "leader_id", "overlay_grid_ids", "grid_id", "plan_id",
                 "photos", "address_confidence", "address", "source"):
        op.drop_column("request", name)
    op.execute("ALTER TABLE request ALTER COLUMN reported_at DROP DEFAULT")
    op.execute("ALTER TABLE request ALTER COLUMN reported_at TYPE date "
               "USING (reported_at AT TIME ZONE 'Asia/Shanghai')::date")
    op.add_column("request", sa.Column("status", sa.String(12), nullable=False, server_default="open"))
    op.execute("""UPDATE request SET status = CASE WHEN stage IN ('closed', 'duplicate') THEN 'resolved'
                  WHEN stage = 'in_progress' THEN 'in_progress' ELSE 'open' END""")
    op.drop_constraint("request_stage", "request")
    op.drop_column("request", "stage")
    op.create_check_constraint("request_status", "request", "status IN ('open', 'in_progress', 'resolved')")
    op.drop_table("request_holiday")
    op.drop_table("request_category")
