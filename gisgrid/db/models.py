"""The grid model: areas, plan versions, grids, the things in them, and who serves them.

Every large table carries ``district_code`` (the GB/T 2260 county code, e.g. 610802) so
it can be distributed by district (Citus) and so one district's data can be loaded,
replaced or dropped alone. All geometry is lon/lat WGS84 (SRID 4326, see
``gisgrid.settings.STORAGE_SRID``); areas and lengths are computed in a metric CRS.

Plan versions ("generations", as in MapIt): a ``plan`` is one version of the grid
layout of a scope area (a district, subdistrict or community). It is ``draft`` while
planners edit it, ``active`` while it is in force, ``retired`` afterwards; the
database allows at most one active plan per scope (a partial unique index). Grids
belong to exactly one plan, so an old plan keeps its grids and lookups "as of" a date
can use the plan effective then. People (``staff``) exist independently of plans and
are linked to grids through ``grid_staff``, so a redraw can keep the same team.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gisgrid.rules import DEFAULT_HOUSEHOLD_BOUNDS, REQUEST_STAGES
from gisgrid.settings import STORAGE_SRID

AREA_LEVELS = ("district", "subdistrict", "community")
PLAN_STATUSES = ("draft", "active", "retired")
GRID_KINDS = ("residential", "business", "special")
STAFF_ROLES = ("leader", "full_time", "part_time")


def _geom(kind: str) -> Geometry:
    # spatial_index=True makes geoalchemy2 create a GiST index for every geometry column.
    return Geometry(kind, srid=STORAGE_SRID, spatial_index=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class AdminArea(Base):
    """District, subdistrict (街道/乡镇) or community (社区/村), with its official code."""

    __tablename__ = "admin_area"
    __table_args__ = (
        CheckConstraint(_in("level", AREA_LEVELS), name="admin_area_level"),
        CheckConstraint("ST_IsValid(boundary)", name="admin_area_valid_boundary"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_area.id", ondelete="CASCADE"))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    boundary: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))

    parent: Mapped[AdminArea | None] = relationship(remote_side=[id])


class Plan(Base):
    """One version of a scope's grid layout (draft → active → retired)."""

    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint(_in("status", PLAN_STATUSES), name="plan_status"),
        CheckConstraint(
            "effective_to IS NULL OR effective_from IS NULL OR effective_to > effective_from",
            name="plan_effective_range",
        ),
        # The rule "one active plan per scope at a time", kept by the database itself.
        Index("plan_one_active_per_scope", "scope_id", unique=True,
              postgresql_where=text("status = 'active'")),
        # As gisgrid.rules.check_household_bounds, which callers meet first (a clear 400).
        CheckConstraint("household_min >= 0 AND household_min <= household_max AND household_max >= 1",
                        name="plan_household_bounds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_id: Mapped[int] = mapped_column(ForeignKey("admin_area.id", ondelete="CASCADE"))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), server_default="draft")
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    author: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: every edit must name the version it read.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # Households per grid (规模适度), inclusive: this plan's size rule, used by its coverage
    # check, by generation and by the planner's map; copied to drafts made from it
    # (migration 0008). The default is gisgrid.rules.DEFAULT_HOUSEHOLD_BOUNDS.
    household_min: Mapped[int] = mapped_column(Integer, server_default=str(DEFAULT_HOUSEHOLD_BOUNDS[0]))
    household_max: Mapped[int] = mapped_column(Integer, server_default=str(DEFAULT_HOUSEHOLD_BOUNDS[1]))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    scope: Mapped[AdminArea] = relationship()


class Grid(Base):
    """A grid (网格) of one plan: standard code, kind and boundary."""

    __tablename__ = "grid"
    __table_args__ = (
        UniqueConstraint("plan_id", "code", name="grid_code_per_plan"),
        UniqueConstraint("plan_id", "uid", name="grid_uid_per_plan"),
        CheckConstraint(_in("kind", GRID_KINDS), name="grid_kind"),
        CheckConstraint("ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary)",
                        name="grid_valid_boundary"),
        CheckConstraint("code ~ '^[0-9]{15}$'", name="grid_code_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The grid's identity across plan versions (copies keep it; see migration 0003).
    uid: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True,
                                           server_default=text("gen_random_uuid()"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("admin_area.id"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    code: Mapped[str] = mapped_column(String(15))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12), server_default="residential")
    boundary: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))

    plan: Mapped[Plan] = relationship()
    community: Mapped[AdminArea] = relationship()


class Street(Base):
    """A named street centre line or lane (路/街/巷)."""

    __tablename__ = "street"
    __table_args__ = (CheckConstraint("kind IN ('road', 'lane')", name="street_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    geom: Mapped[Any] = mapped_column(_geom("MULTILINESTRING"))


class Building(Base):
    """A building (楼栋) with its road address."""

    __tablename__ = "building"
    __table_args__ = (Index("ix_building_register_key", "district_code", "register_key", unique=True,
                            postgresql_where=text("register_key IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("admin_area.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    estate: Mapped[str | None] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(200))
    floors: Mapped[int | None] = mapped_column(Integer)
    footprint: Mapped[Any] = mapped_column(_geom("POLYGON"))
    # The register's own key (migration 0012): ``id:<its id column>`` or the matched
    # address; re-importing a register updates the row with the same key (gisgrid.imports).
    register_key: Mapped[str | None] = mapped_column(String(120))


class Unit(Base):
    """An entrance (单元) of a building."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("building_id", "number", name="unit_number_per_building"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    entrance: Mapped[Any] = mapped_column(_geom("POINT"))


class Household(Base):
    """A household (住户): address, room, size and location."""

    __tablename__ = "household"
    __table_args__ = (CheckConstraint("size >= 1", name="household_size_positive"),
                      Index("ix_household_register_key", "district_code", "register_key", unique=True,
                            postgresql_where=text("register_key IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="CASCADE"), index=True
    )
    room: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, server_default="1")
    location: Mapped[Any] = mapped_column(_geom("POINT"))
    # The register's own key (migration 0012): ``id:<its id column>`` or the matched
    # address; re-importing a register updates the row with the same key (gisgrid.imports).
    register_key: Mapped[str | None] = mapped_column(String(120))
    # What a register says of the household (personal data: never in a public answer).
    head_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))


class Shop(Base):
    """A shop or firm (商户)."""

    __tablename__ = "shop"
    __table_args__ = (Index("ix_shop_register_key", "district_code", "register_key", unique=True,
                            postgresql_where=text("register_key IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("admin_area.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[Any] = mapped_column(_geom("POINT"))
    # The register's own key (migration 0012): ``id:<its id column>`` or the matched
    # address; re-importing a register updates the row with the same key (gisgrid.imports).
    register_key: Mapped[str | None] = mapped_column(String(120))
    operator: Mapped[str | None] = mapped_column(String(50))     # 经营者: personal data
    phone: Mapped[str | None] = mapped_column(String(20))


class Staff(Base):
    """A person who serves grids. Personal data: never part of a public response."""

    __tablename__ = "staff"
    __table_args__ = (Index("ix_staff_register_key", "district_code", "register_key", unique=True,
                            postgresql_where=text("register_key IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    # The register's own key (migration 0012): ``id:<its id column>`` or the matched
    # address; re-importing a register updates the row with the same key (gisgrid.imports).
    register_key: Mapped[str | None] = mapped_column(String(120))


class GridStaff(Base):
    """The 1+1+X team of a grid: one leader, one full-time worker, X part-time workers."""

    __tablename__ = "grid_staff"
    __table_args__ = (
        CheckConstraint(_in("role", STAFF_ROLES), name="grid_staff_role"),
        # One leader and one full-time worker per grid; part-time workers unbounded.
        Index("grid_staff_one_leader_one_full_time", "grid_id", "role", unique=True,
              postgresql_where=text("role IN ('leader', 'full_time')")),
    )

    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))

    staff: Mapped[Staff] = relationship()


class Request(Base):
    """A resident's request (诉求) about a place, handled as a case from intake to closing.

    Routed at intake (``gisgrid.requests``): the plan in force, the base grid owning the
    place (``grid_id``), the business grids over it (``overlay_grid_ids``), the community,
    and the grid's leader and full-time worker. ``stage`` is one of
    :data:`gisgrid.rules.REQUEST_STAGES`; ``due_at`` is set at registration from the
    category's limit in working days and moves on when a suspension ends. Reporters
    (personal data) are kept apart, in :class:`RequestReporter`.
    """

    __tablename__ = "request"
    __table_args__ = (
        CheckConstraint(_in("stage", REQUEST_STAGES), name="request_stage"),
        CheckConstraint("escalation BETWEEN 0 AND 2", name="request_escalation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("admin_area.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(12), server_default="accepted", index=True)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                     index=True)
    location: Mapped[Any] = mapped_column(_geom("POINT"))
    source: Mapped[str] = mapped_column(String(20), server_default="walk_in")
    address: Mapped[str | None] = mapped_column(String(200))
    address_confidence: Mapped[float | None] = mapped_column(Float)
    photos: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    overlay_grid_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resume_stage: Mapped[str | None] = mapped_column(String(12))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    days_to_close: Mapped[float | None] = mapped_column(Float)
    escalation: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    master_id: Mapped[int | None] = mapped_column(ForeignKey("request.id", ondelete="SET NULL"), index=True)
    referred_to: Mapped[str | None] = mapped_column(String(100))
    returned: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RequestReporter(Base):
    """Who reported a request (personal data); a merge moves them to the master request."""

    __tablename__ = "request_reporter"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    first_request_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RequestEvent(Base):
    """One thing that happened to a request: intake, transition, escalation, re-route, merge."""

    __tablename__ = "request_event"
    __table_args__ = (
        CheckConstraint("kind IN ('intake', 'transition', 'escalation', 'reroute', 'merge')",
                        name="request_event_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    from_stage: Mapped[str | None] = mapped_column(String(12))
    to_stage: Mapped[str | None] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class RequestCategory(Base):
    """A request category and its time limit in working days (configurable)."""

    __tablename__ = "request_category"
    __table_args__ = (CheckConstraint("limit_days BETWEEN 1 AND 365", name="request_category_limit"),)

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    limit_days: Mapped[int] = mapped_column(Integer)


class RequestHoliday(Base):
    """A public holiday (``workday`` false) or a make-up working day on a weekend (true)."""

    __tablename__ = "request_holiday"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean, server_default="false")
    name: Mapped[str | None] = mapped_column(String(50))


class Resource(Base):
    """Something that can help: venue, merchant, volunteer team, party unit, centre."""

    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('venue', 'merchant', 'volunteer_team', 'party_unit', 'service_center')",
            name="resource_kind",
        ),
        CheckConstraint("floor_area_m2 IS NULL OR floor_area_m2 > 0", name="resource_floor_area_positive"),
        CheckConstraint("members IS NULL OR members > 0", name="resource_members_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("admin_area.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(Text)
    location: Mapped[Any] = mapped_column(_geom("POINT"))
    # Migration 0011: the owning base grid of an active plan (gisgrid.resources.assign_resources),
    # particulars by kind, and a contact person (personal data: staff only).
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    members: Mapped[int | None] = mapped_column(Integer)
    projects: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))


class AuditEvent(Base):
    """Who did what to which record, and when (plan activations, edits, loads)."""

    __tablename__ = "audit_event"
    __table_args__ = (  # GET /v1/audit filters on these (migration 0009)
        Index("ix_audit_event_entity", "entity", "entity_id"),
        Index("ix_audit_event_actor", "actor"),
        Index("ix_audit_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


# --- Migration 0002: stored assignments, the address registry ---------------

ADDRESS_PLACE_KINDS = ("house", "estate", "building", "unit")


class HouseholdAssignment(Base):
    """Which base grid of a plan holds each household: a snapshot taken by ``assign_plan``.

    ``grid_id`` is the one base (residential or special) owner, NULL outside every
    grid; ``candidates`` lists the base grids sharing the point when it lies on an edge
    (``on_boundary``), and is NULL otherwise (read back as ``[]``). The table is
    partitioned by plan: a recomputation builds a fresh partition (bulk COPY, then
    indexes) and swaps it in, which is several times faster than updating a million
    indexed rows (bench/README.md), and dropping a plan drops its partition (trigger in migration 0002).
    Rows are written in grid order, so ``grid_id`` has a BRIN index, not a btree
    (migration 0005). One row per household and plan: each partition has ``UNIQUE
    (household_id)`` and its ``CHECK (plan_id = N)``, rather than a primary key on the
    parent, which would have to include ``plan_id`` and sorts at half the speed
    (migration 0006); the ORM still knows (plan_id, household_id) as the identity. The
    district is the plan's (``plan.district_code``), not repeated here. No foreign keys,
    on purpose: rows are derived from ``grid`` and ``household`` in the same
    transaction that writes them, and per-row key checks would triple the cost of a
    recomputation.
    """

    __tablename__ = "household_assignment"
    __table_args__ = (
        Index("ix_household_assignment_grid", "grid_id", postgresql_using="brin",
              postgresql_with={"pages_per_range": 16}),
        {"postgresql_partition_by": "LIST (plan_id)"},
    )

    plan_id: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int | None] = mapped_column(Integer)
    on_boundary: Mapped[bool] = mapped_column(Boolean, server_default="false")
    candidates: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))

    __mapper_args__ = {"primary_key": [plan_id, household_id]}


class ShopAssignment(Base):
    """Which grids of a plan hold each shop: one base owner, and every overlay.

    As for households (the district is the plan's), plus ``overlays``: the business
    grids holding the shop (the Fuzimiao merchants belong to their business grid and to
    a residential one).
    """

    __tablename__ = "shop_assignment"
    __table_args__ = (Index("ix_shop_assignment_plan_grid", "plan_id", "grid_id"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    on_boundary: Mapped[bool] = mapped_column(Boolean, server_default="false")
    candidates: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")
    overlays: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")


class AddressRoad(Base):
    """A named road or lane of the address registry (street centre lines merged by name)."""

    __tablename__ = "address_road"
    __table_args__ = (UniqueConstraint("district_code", "name", name="address_road_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    geom: Mapped[Any] = mapped_column(_geom("MULTILINESTRING"))


class AddressRange(Base):
    """A house-number range along one side of a road (odd or even), for interpolation.

    ``geom`` runs through the numbered doors in number order with the house number as
    its measure (M), so ``ST_LocateAlong(geom, n)`` places a number between two known
    doors.
    """

    __tablename__ = "address_range"
    __table_args__ = (CheckConstraint("parity IN (0, 1)", name="address_range_parity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    road_id: Mapped[int] = mapped_column(ForeignKey("address_road.id", ondelete="CASCADE"), index=True)
    parity: Mapped[int] = mapped_column(Integer)
    first_no: Mapped[int] = mapped_column(Integer)
    last_no: Mapped[int] = mapped_column(Integer)
    geom: Mapped[Any] = mapped_column(
        Geometry("LINESTRINGM", srid=STORAGE_SRID, dimension=3, spatial_index=True)
    )


class AddressPlace(Base):
    """An addressable place: a door on a road (house), an estate, a building or a unit.

    Components are stored parsed and normalised (see ``gisgrid.address.parse``) so matching
    is equality on columns; ``label`` is the canonical written form.
    """

    __tablename__ = "address_place"
    __table_args__ = (
        CheckConstraint(_in("kind", ADDRESS_PLACE_KINDS), name="address_place_kind"),
        Index("ix_address_place_road_no", "road_id", "house_no"),
        Index("ix_address_place_estate", "district_code", "estate", "building_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    road_id: Mapped[int | None] = mapped_column(ForeignKey("address_road.id", ondelete="CASCADE"))
    house_no: Mapped[int | None] = mapped_column(Integer)
    estate: Mapped[str | None] = mapped_column(String(100))
    building_no: Mapped[int | None] = mapped_column(Integer)
    unit_no: Mapped[int | None] = mapped_column(Integer)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    location: Mapped[Any] = mapped_column(_geom("POINT"))


# --- Migration 0009: users and browser sessions -------------------------------

USER_ROLES = ("admin", "planner", "staff", "consumer")


class AppUser(Base):
    """Someone who may sign in: a role, the area their rights cover, hashed credentials.

    Neither the API token nor the password is stored: ``token_hash`` is the SHA-256 of
    the token (tokens are 256 random bits, so a fast hash is enough and lets a request
    find its user by equality), ``password_hash`` a salted scrypt string
    (``gisgrid.access.credentials``). A revoked user keeps the row (audit events name
    them) but no credential of theirs works any more; names are never reused. The scope
    is an area *code*, not a key: a district's areas can be dropped and loaded again
    (``gisgrid demo --replace``) and its users keep their scope (a code that no longer
    exists covers nothing).
    """

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="app_user_role"),
        CheckConstraint("role NOT IN ('planner', 'staff') OR scope_code IS NOT NULL",
                        name="app_user_scoped_roles"),
        Index("app_user_token", "token_hash", unique=True,
              postgresql_where=text("token_hash IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    scope_code: Mapped[str | None] = mapped_column(String(12))
    token_hash: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A browser sign-in: the SHA-256 of the cookie's random session id, its user, its expiry."""

    __tablename__ = "user_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
