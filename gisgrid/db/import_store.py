"""Writing imported registers: staged by COPY, then set-based updates and inserts by key.

Every writer runs in the caller's transaction (the import is all or nothing) and only
touches rows whose values change, so importing the same register again writes nothing
(no row updated, no epoch moved). A row finds the record it updates by its register key
(migration 0012) or, failing that, by what it was matched to (a household's unit and
room, a building's id, a shop's name and address) among records without a key: a
register imported for the first time updates the households already there (the demo's,
a previous system's) instead of adding them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.bulk import copy_rows

__all__ = ["HOUSEHOLD_COLUMNS", "SHOP_COLUMNS", "active_plans", "building_areas", "grids_by_code",
           "write_buildings", "write_households", "write_shops", "write_staff"]

HOUSEHOLD_COLUMNS = ("key", "district_code", "building_id", "unit_id", "room", "address", "size",
                     "head_name", "phone", "lon", "lat")
SHOP_COLUMNS = ("key", "district_code", "name", "category", "operator", "phone", "address", "lon", "lat")


def _stage(session: Session, name: str, ddl: str, columns: Sequence[str],
           rows: list[tuple[Any, ...]]) -> None:
    session.execute(text(f"CREATE TEMP TABLE {name} ({ddl}, target int) ON COMMIT DROP"))
    copy_rows(session, name, columns, rows)
    session.execute(text(f"ANALYZE {name}"))


def _counts(session: Session, stage: str, updated: int) -> dict[str, int]:
    total = session.execute(text(f"SELECT count(*) FROM {stage}")).scalar_one()
    inserted = session.execute(text(f"SELECT count(*) FROM {stage} WHERE target IS NULL")).scalar_one()
    session.execute(text(f"DROP TABLE {stage}"))
    return {"inserted": int(inserted), "updated": updated, "unchanged": int(total - inserted - updated)}


def write_households(session: Session, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Upsert households (rows in :data:`HOUSEHOLD_COLUMNS` order); counts inserted,
    updated, unchanged. A household that moves (a keyed row now matched to another room)
    takes its new unit, room, address and the point given; one that stays keeps its own."""
    _stage(session, "import_household", """key text, district_code text, building_id int, unit_id int,
           room text, address text, size int, head_name text, phone text, lon float8, lat float8""",
           HOUSEHOLD_COLUMNS, rows)
    session.execute(text("""
        UPDATE import_household s SET target = h.id FROM household h
        WHERE h.district_code = s.district_code AND h.register_key = s.key"""))
    session.execute(text("""
        UPDATE import_household s SET target = t.id
        FROM (SELECT DISTINCT ON (unit_id, room) id, unit_id, room FROM household
              WHERE register_key IS NULL ORDER BY unit_id, room, id) t
        WHERE s.target IS NULL AND t.unit_id = s.unit_id AND t.room = s.room"""))
    updated = session.execute(text("""
        UPDATE household h SET
            register_key = s.key, size = s.size, head_name = s.head_name, phone = s.phone,
            unit_id = s.unit_id, building_id = s.building_id, room = s.room,
            address = CASE WHEN moved THEN s.address ELSE h.address END,
            location = CASE WHEN moved THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) ELSE h.location END
        FROM (SELECT s.*, (h0.unit_id IS DISTINCT FROM s.unit_id OR h0.room IS DISTINCT FROM s.room) AS moved
              FROM import_household s JOIN household h0 ON h0.id = s.target) s
        WHERE h.id = s.target
          AND (h.register_key, h.size, h.head_name, h.phone, h.unit_id, h.room)
              IS DISTINCT FROM (s.key, s.size, s.head_name, s.phone, s.unit_id, s.room)""")).rowcount
    session.execute(text("""
        INSERT INTO household (district_code, unit_id, building_id, room, address, size, location,
                               register_key, head_name, phone)
        SELECT district_code, unit_id, building_id, room, address, size,
               ST_SetSRID(ST_MakePoint(lon, lat), 4326), key, head_name, phone
        FROM import_household WHERE target IS NULL ORDER BY key"""))
    return _counts(session, "import_household", updated)


def write_buildings(session: Session, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Set the register key and floors of matched buildings (rows: key, building_id, floors).

    Buildings are never added here: a new one needs its footprint, drawn in a GIS."""
    _stage(session, "import_building", "key text, building_id int, floors int",
           ("key", "building_id", "floors"), rows)
    session.execute(text("UPDATE import_building SET target = building_id"))
    updated = session.execute(text("""
        UPDATE building b SET register_key = s.key, floors = coalesce(s.floors, b.floors)
        FROM import_building s WHERE b.id = s.target
          AND (b.register_key, b.floors) IS DISTINCT FROM (s.key, coalesce(s.floors, b.floors))""")).rowcount
    return _counts(session, "import_building", updated)


def write_shops(session: Session, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Upsert shops (rows in :data:`SHOP_COLUMNS` order) by key, else by name and address
    among shops without a key; a new shop's community is the one its point lies in."""
    _stage(session, "import_shop", """key text, district_code text, name text, category text,
           operator text, phone text, address text, lon float8, lat float8""", SHOP_COLUMNS, rows)
    session.execute(text("""
        UPDATE import_shop s SET target = sh.id FROM shop sh
        WHERE sh.district_code = s.district_code AND sh.register_key = s.key"""))
    session.execute(text("""
        UPDATE import_shop s SET target = t.id
        FROM (SELECT DISTINCT ON (name, address) id, name, address FROM shop
              WHERE register_key IS NULL ORDER BY name, address, id) t
        WHERE s.target IS NULL AND t.name = s.name AND t.address = s.address"""))
    updated = session.execute(text("""
        UPDATE shop sh SET register_key = s.key, category = coalesce(s.category, sh.category),
               operator = s.operator, phone = s.phone
        FROM import_shop s WHERE sh.id = s.target
          AND (sh.register_key, sh.category, sh.operator, sh.phone)
              IS DISTINCT FROM (s.key, coalesce(s.category, sh.category), s.operator, s.phone)""")).rowcount
    session.execute(text("""
        INSERT INTO shop (district_code, community_id, name, category, address, location,
                          register_key, operator, phone)
        SELECT s.district_code,
               (SELECT a.id FROM admin_area a WHERE a.level = 'community'
                  AND ST_Covers(a.boundary, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
                ORDER BY a.id LIMIT 1),
               s.name, s.category, s.address, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326),
               s.key, s.operator, s.phone
        FROM import_shop s WHERE s.target IS NULL ORDER BY s.key"""))
    return _counts(session, "import_shop", updated)


def write_staff(session: Session, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Upsert staff (rows: key, district_code, name, phone, grid_id, role) by key, else by
    name and phone among staff without a key, and put each on their grid's team in their
    role (a grid's one leader and one full-time worker are replaced by the register's)."""
    _stage(session, "import_staff", "key text, district_code text, name text, phone text, grid_id int, "
           "role text", ("key", "district_code", "name", "phone", "grid_id", "role"), rows)
    session.execute(text("""
        UPDATE import_staff s SET target = st.id FROM staff st
        WHERE st.district_code = s.district_code AND st.register_key = s.key"""))
    session.execute(text("""
        UPDATE import_staff s SET target = t.id
        FROM (SELECT DISTINCT ON (name, phone) id, name, phone FROM staff
              WHERE register_key IS NULL ORDER BY name, phone, id) t
        WHERE s.target IS NULL AND t.name = s.name AND t.phone IS NOT DISTINCT FROM s.phone"""))
    updated = session.execute(text("""
        UPDATE staff st SET register_key = s.key, name = s.name, phone = s.phone
        FROM import_staff s WHERE st.id = s.target
          AND (st.register_key, st.name, st.phone) IS DISTINCT FROM (s.key, s.name, s.phone)""")).rowcount
    inserted = int(session.execute(text(
        "SELECT count(*) FROM import_staff WHERE target IS NULL")).scalar_one())
    session.execute(text("""
        WITH made AS (
            INSERT INTO staff (district_code, name, phone, register_key)
            SELECT district_code, name, phone, key FROM import_staff WHERE target IS NULL ORDER BY key
            RETURNING id, register_key)
        UPDATE import_staff s SET target = made.id FROM made WHERE made.register_key = s.key"""))
    team = session.execute(text("""
        DELETE FROM grid_staff gs USING import_staff s
        WHERE gs.grid_id = s.grid_id AND gs.role = s.role AND s.role IN ('leader', 'full_time')
          AND gs.staff_id <> s.target""")).rowcount
    team += session.execute(text("""
        DELETE FROM grid_staff gs USING import_staff s
        WHERE gs.grid_id = s.grid_id AND gs.staff_id = s.target AND gs.role <> s.role""")).rowcount
    team += session.execute(text("""
        INSERT INTO grid_staff (grid_id, staff_id, role)
        SELECT grid_id, target, role FROM import_staff ON CONFLICT DO NOTHING""")).rowcount
    total = int(session.execute(text("SELECT count(*) FROM import_staff")).scalar_one())
    session.execute(text("DROP TABLE import_staff"))
    return {"inserted": inserted, "updated": updated, "unchanged": total - inserted - updated,
            "team_changes": team}


def building_areas(session: Session) -> dict[int, tuple[str, str]]:
    """District and community code of every building (what an imported row is written
    under, and the caller's scope is checked against)."""
    rows = session.execute(text("""
        SELECT b.id, b.district_code, a.code FROM building b JOIN admin_area a ON a.id = b.community_id"""))
    return {r[0]: (r[1], r[2]) for r in rows}


def grids_by_code(session: Session) -> dict[str, dict[str, Any]]:
    """Grids of the active plans by code and by name: id, code, name, district, community code."""
    rows = session.execute(text("""
        SELECT g.id, g.code, g.name, g.district_code, a.code AS community
        FROM grid g JOIN plan p ON p.id = g.plan_id JOIN admin_area a ON a.id = g.community_id
        WHERE p.status = 'active'""")).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out[r.code] = dict(r._mapping)
        out.setdefault(r.name, dict(r._mapping))
    return out


def active_plans(session: Session, districts: Sequence[str]) -> list[int]:
    """Ids of the active plans of some districts (their stored assignments follow an import)."""
    return list(session.execute(text(
        "SELECT id FROM plan WHERE status = 'active' AND district_code = ANY(:d) ORDER BY id"),
        {"d": list(districts)}).scalars())
