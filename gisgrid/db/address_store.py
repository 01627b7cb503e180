"""The address registry in PostGIS: built from streets, buildings, units and shops; queried.

Rows are stored with their components parsed and normalised (by
:mod:`gisgrid.address.registry`, with the code that parses queries), so exact matching
is column equality.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gisgrid.db.bulk import copy_rows

_PLACE_SELECT = """
    SELECT p.id, p.kind, r.name AS road, p.house_no, p.estate, p.building_no, p.unit_no,
           p.building_id, p.unit_id, p.shop_id, p.label,
           ST_X(p.location) AS lon, ST_Y(p.location) AS lat
    FROM address_place p LEFT JOIN address_road r ON r.id = p.road_id
"""


PLACE_COLUMNS = ("district_code", "kind", "road_id", "house_no", "estate", "building_no",
                 "unit_no", "building_id", "unit_id", "shop_id", "label", "location")


def point_ewkt(lon: float, lat: float) -> str:
    """A stored point's EWKT (lon/lat WGS84)."""
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def reset_registry(session: Session, *, district_code: str) -> dict[str, int]:
    """Delete one district's registry and write its roads (street lines merged by name).

    Returns the new road ids by name.
    """
    d = {"d": district_code}
    session.execute(text("DELETE FROM address_place WHERE district_code = :d"), d)
    session.execute(text("DELETE FROM address_road WHERE district_code = :d"), d)
    session.execute(text("""
        INSERT INTO address_road (district_code, name, kind, geom)
        SELECT district_code, name, min(kind), ST_Multi(ST_CollectionExtract(ST_Collect(geom), 2))
        FROM street WHERE district_code = :d GROUP BY district_code, name
    """), d)
    return dict(session.execute(text("SELECT name, id FROM address_road WHERE district_code = :d"), d).all())


def registry_sources(session: Session, *, district_code: str) -> dict[str, list[Any]]:
    """What the registry is built from: buildings (centre), units (entrance), shops with
    an address (location), each with lon/lat."""
    d = {"d": district_code}
    return {
        "buildings": session.execute(text("""
            SELECT b.id, b.name, b.estate, b.address, ST_X(c) AS lon, ST_Y(c) AS lat
            FROM building b, ST_PointOnSurface(b.footprint) c WHERE b.district_code = :d
        """), d).all(),
        "units": session.execute(text("""
            SELECT u.id, u.building_id, u.number, ST_X(u.entrance) AS lon, ST_Y(u.entrance) AS lat,
                   b.estate, b.name, b.address
            FROM unit u JOIN building b ON b.id = u.building_id WHERE b.district_code = :d
        """), d).all(),
        "shops": session.execute(text("""
            SELECT s.id, s.name, s.address, ST_X(s.location) AS lon, ST_Y(s.location) AS lat
            FROM shop s WHERE s.district_code = :d AND s.address IS NOT NULL
        """), d).all(),
    }


def write_places(session: Session, rows: list[tuple[Any, ...]], *, district_code: str) -> dict[str, int]:
    """Write registry places (rows in :data:`PLACE_COLUMNS` order), then one estate place
    per estate (at its buildings' point on surface) and the house-number ranges."""
    d = {"d": district_code}
    places = copy_rows(session, "address_place", PLACE_COLUMNS, rows)
    places += session.execute(text("""
        INSERT INTO address_place (district_code, kind, estate, label, location)
        SELECT p.district_code, 'estate', p.estate, min(b.estate),
               ST_PointOnSurface(ST_Union(b.footprint))
        FROM address_place p JOIN building b ON b.id = p.building_id
        WHERE p.district_code = :d AND p.kind = 'building' AND p.estate IS NOT NULL
        GROUP BY p.district_code, p.estate
    """), d).rowcount
    return {"address_place": places, "address_range": session.execute(text(_RANGES_SQL), d).rowcount}


_RANGES_SQL = """
    INSERT INTO address_range (road_id, parity, first_no, last_no, geom)
    SELECT road_id, house_no % 2, min(house_no), max(house_no),
           ST_SetSRID(ST_MakeLine(ST_MakePointM(ST_X(location), ST_Y(location), house_no)
                                  ORDER BY house_no), 4326)
    FROM (SELECT DISTINCT ON (road_id, house_no) road_id, house_no, location
          FROM address_place
          WHERE district_code = :d AND kind IN ('building', 'house') AND road_id IS NOT NULL
            AND house_no IS NOT NULL
          ORDER BY road_id, house_no, id) doors
    GROUP BY road_id, house_no % 2 HAVING count(*) >= 2
"""


def area_names(session: Session) -> list[str]:
    """Names of every administrative area (dropped when they lead an address)."""
    return list(session.execute(text("SELECT DISTINCT name FROM admin_area")).scalars())


def road_names(session: Session) -> list[str]:
    return list(session.execute(text("SELECT DISTINCT name FROM address_road")).scalars())


def estate_names(session: Session) -> list[str]:
    return list(session.execute(text(
        "SELECT DISTINCT estate FROM address_place WHERE estate IS NOT NULL")).scalars())


def places(session: Session, *, road: str | None = None, house_no: int | None = None,
           estate: str | None = None, building_no: int | None = None) -> list[dict[str, Any]]:
    """Registry places at a door (road + number) or of an estate (optionally one building);
    with no filter, the whole registry (for batch matching)."""
    if road is None and estate is None and house_no is None and building_no is None:
        return [dict(r._mapping) for r in session.execute(text(_PLACE_SELECT))]
    rows = session.execute(text(_PLACE_SELECT + """
        WHERE (r.name = :road AND p.house_no = :no)
           OR (p.estate = :estate AND (CAST(:b AS int) IS NULL OR p.building_no = :b
                                       OR p.kind = 'estate'))
    """), {"road": road, "no": house_no, "estate": estate, "b": building_no})
    return [dict(r._mapping) for r in rows]


def households_in_units(session: Session, unit_ids: list[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """Households of some units keyed by (unit_id, room): address and location."""
    if not unit_ids:
        return {}
    rows = session.execute(text("""
        SELECT h.id, h.unit_id, h.room, h.address, ST_X(h.location) AS lon, ST_Y(h.location) AS lat
        FROM household h WHERE h.unit_id = ANY(:u)
    """), {"u": list(unit_ids)})
    keys = ("id", "unit_id", "room", "address", "lon", "lat")
    return {(r[1], str(r[2])): dict(zip(keys, r, strict=True)) for r in rows}


def interpolate_house(session: Session, road: str, house_no: int) -> tuple[float, float] | None:
    """Place a house number between the known doors of its side of the road, if in range."""
    row = session.execute(text("""
        SELECT ST_X(pt), ST_Y(pt) FROM (
            SELECT ST_Force2D(ST_GeometryN(ST_LocateAlong(a.geom, :n), 1)) AS pt
            FROM address_range a JOIN address_road r ON r.id = a.road_id
            WHERE r.name = :road AND a.parity = :n % 2 AND :n BETWEEN a.first_no AND a.last_no
            LIMIT 1) t WHERE pt IS NOT NULL
    """), {"road": road, "n": house_no}).first()
    return None if row is None else (float(row[0]), float(row[1]))


def road_point(session: Session, road: str) -> tuple[float, float] | None:
    """A point on a road (for addresses that name only the road)."""
    row = session.execute(text("""
        SELECT ST_X(p), ST_Y(p) FROM address_road r, ST_PointOnSurface(r.geom) p
        WHERE r.name = :road LIMIT 1
    """), {"road": road}).first()
    return None if row is None else (float(row[0]), float(row[1]))


# --- The gazetteer's sources (read once per address epoch) -----------------------------------

_GAZETTEER_SQL = {
    "buildings": """
        SELECT b.id, b.name, b.estate, b.address, c.name AS community,
               ST_X(pt) AS lon, ST_Y(pt) AS lat,
               (SELECT count(*) FROM household h WHERE h.building_id = b.id) AS households
        FROM building b LEFT JOIN admin_area c ON c.id = b.community_id,
             ST_PointOnSurface(b.footprint) pt
        ORDER BY b.id""",
    "units": """
        SELECT u.id, u.building_id, u.number, ST_X(u.entrance) AS lon, ST_Y(u.entrance) AS lat
        FROM unit u ORDER BY u.id""",
    "households": """
        SELECT h.id, h.building_id, u.number AS unit_no, h.room, h.address,
               ST_X(h.location) AS lon, ST_Y(h.location) AS lat
        FROM household h JOIN unit u ON u.id = h.unit_id ORDER BY h.id""",
    "shops": """
        SELECT s.id, s.name, s.address, c.name AS community,
               ST_X(s.location) AS lon, ST_Y(s.location) AS lat
        FROM shop s LEFT JOIN admin_area c ON c.id = s.community_id ORDER BY s.id""",
    "resources": """
        SELECT r.id, r.name, r.kind, ST_X(r.location) AS lon, ST_Y(r.location) AS lat
        FROM resource r ORDER BY r.id""",
    "areas": """
        SELECT a.id, a.code, a.name, a.level, p.name AS parent,
               ST_X(pt) AS lon, ST_Y(pt) AS lat
        FROM admin_area a LEFT JOIN admin_area p ON p.id = a.parent_id,
             ST_PointOnSurface(a.boundary) pt
        ORDER BY a.id""",
    "roads": """
        SELECT r.name, r.kind, ST_AsBinary(r.geom) AS wkb FROM address_road r ORDER BY r.name""",
    # Named places: the business and special grids of active plans (夫子庙商圈网格), with
    # the shops and buildings inside them (their mass, for the grids they span).
    "places": """
        SELECT g.name, g.kind, ST_X(pt) AS lon, ST_Y(pt) AS lat,
               ARRAY(SELECT s.id FROM shop s WHERE ST_Intersects(g.boundary, s.location)) AS shops
        FROM grid g JOIN plan p ON p.id = g.plan_id, ST_PointOnSurface(g.boundary) pt
        WHERE p.status = 'active' AND g.kind <> 'residential' ORDER BY g.id""",
}


def gazetteer_sources(conn: Session | Connection) -> dict[str, list[Any]]:
    """Everything the address gazetteer is built from, as rows, in one snapshot (the caller's
    transaction): buildings with their household count, units, households (room and
    address only: never residents' names), shops, resources, areas, roads, named places."""
    return {key: conn.execute(text(sql)).all() for key, sql in _GAZETTEER_SQL.items()}


def address_epoch(conn: Session | Connection) -> int:
    """The address epoch (migration 0007): moves on every committed change to the registry
    or what it is made of."""
    return int(conn.execute(text("SELECT value FROM address_epoch WHERE id = 1")).scalar_one())
