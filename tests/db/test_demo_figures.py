"""The demo as loaded into PostGIS matches the report's figures and the grid rules."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

ACTIVE_RESIDENTIAL = """
    SELECT g.* FROM grid g JOIN plan p ON p.id = g.plan_id
    WHERE p.status = 'active' AND g.kind = 'residential'
"""


def test_jinlin_estate_has_30_buildings_77_units_5144_households(session: Session) -> None:
    row = session.execute(text("""
        SELECT count(DISTINCT b.id) AS buildings, count(DISTINCT u.id) AS units,
               count(h.id) AS households, sum(h.size) AS residents
        FROM building b JOIN unit u ON u.building_id = b.id JOIN household h ON h.unit_id = u.id
        WHERE b.estate = '金林小区'
    """)).one()
    assert (row.buildings, row.units, row.households) == (30, 77, 5144)
    assert abs(row.residents - 14720) <= 150  # "about 14,720 people"


def test_every_household_lies_in_exactly_one_residential_grid_of_the_active_plan(session: Session) -> None:
    counts = session.execute(text(f"""
        SELECT n, count(*) FROM (
            SELECT h.id, count(g.id) AS n FROM household h
            LEFT JOIN ({ACTIVE_RESIDENTIAL}) g ON ST_Intersects(g.boundary, h.location)
            GROUP BY h.id) t
        GROUP BY n
    """)).all()
    assert dict(counts).keys() == {1}, dict(counts)
    assert dict(counts)[1] > 30_000


def test_every_shop_lies_in_exactly_one_residential_grid_of_the_active_plan(session: Session) -> None:
    counts = session.execute(text(f"""
        SELECT n, count(*) FROM (
            SELECT s.id, count(g.id) AS n FROM shop s
            LEFT JOIN ({ACTIVE_RESIDENTIAL}) g ON ST_Intersects(g.boundary, s.location)
            GROUP BY s.id) t
        GROUP BY n
    """)).all()
    assert dict(counts).keys() == {1}, dict(counts)


def test_residential_grids_tile_each_community_without_gaps_or_overlaps(session: Session) -> None:
    rows = session.execute(text(f"""
        SELECT c.name,
               ST_Area(c.boundary::geography) AS community_m2,
               ST_Area(ST_SymDifference(c.boundary, ST_Union(g.boundary))::geography) AS diff_m2,
               sum(ST_Area(g.boundary::geography)) AS sum_m2
        FROM admin_area c JOIN ({ACTIVE_RESIDENTIAL}) g ON g.community_id = c.id
        GROUP BY c.id
    """)).all()
    assert len(rows) >= 8
    for r in rows:
        assert r.diff_m2 < 1.0, f"{r.name}: {r.diff_m2:.1f} m² of gap or spill"
        assert abs(r.sum_m2 - r.community_m2) < 1.0, f"{r.name}: grids overlap"


def test_residential_grids_hold_100_to_600_households_and_a_full_team(session: Session) -> None:
    rows = session.execute(text(f"""
        SELECT g.code,
               (SELECT count(*) FROM household h WHERE ST_Intersects(g.boundary, h.location)) AS n,
               count(s.*) FILTER (WHERE s.role = 'leader') AS leaders,
               count(s.*) FILTER (WHERE s.role = 'full_time') AS full_time,
               count(s.*) FILTER (WHERE s.role = 'part_time') AS part_time
        FROM ({ACTIVE_RESIDENTIAL}) g LEFT JOIN grid_staff s ON s.grid_id = g.id
        GROUP BY g.id, g.code, g.boundary
    """)).all()
    assert [r.code for r in rows if not 100 <= r.n <= 600] == []
    assert [r.code for r in rows if (r.leaders, r.full_time) != (1, 1) or r.part_time < 1] == []


def test_sanguanhui_is_about_600000_square_metres_with_about_500_shops(session: Session) -> None:
    r = session.execute(text("""
        SELECT ST_Area(c.boundary::geography) AS m2,
               (SELECT count(*) FROM shop s WHERE ST_Intersects(c.boundary, s.location)) AS shops
        FROM admin_area c WHERE c.name = '三官会社区'
    """)).one()
    assert 0.5e6 <= r.m2 <= 0.7e6
    assert 450 <= r.shops <= 550


def test_fuzimiao_business_grid_overlays_residential_grids_and_holds_the_core_shops(session: Session) -> None:
    r = session.execute(text(f"""
        WITH fz AS (SELECT g.* FROM grid g JOIN plan p ON p.id = g.plan_id
                    WHERE p.status = 'active' AND g.kind = 'business' AND g.name LIKE '夫子庙%'),
             sg AS (SELECT * FROM admin_area WHERE name = '三官会社区')
        SELECT
          (SELECT count(*) FROM fz) AS grids,
          (SELECT ST_CoveredBy(fz.boundary, sg.boundary) FROM fz, sg) AS inside_community,
          (SELECT count(*) FROM ({ACTIVE_RESIDENTIAL}) g, fz
             WHERE ST_Area(ST_Intersection(g.boundary, fz.boundary)::geography) > 1) AS overlaid,
          (SELECT count(*) FROM shop s, sg WHERE ST_Intersects(sg.boundary, s.location)) AS all_shops,
          (SELECT count(*) FROM shop s, fz WHERE ST_Intersects(fz.boundary, s.location)) AS core_shops,
          (SELECT count(*) FROM household h, fz WHERE ST_Intersects(fz.boundary, h.location)) AS homes
    """)).one()
    assert r.grids == 1 and r.inside_community
    assert r.overlaid >= 1  # it lies over residential grids, not beside them
    assert r.core_shops >= 0.6 * r.all_shops  # "nearly 500 firms and shops", most in the core
    assert r.homes == 0  # households belong to residential grids only


def test_xueyuan_grid_37_contains_caizhi_lane(session: Session) -> None:
    r = session.execute(text("""
        SELECT g.code, ST_Contains(g.boundary, s.geom) AS contains
        FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
        JOIN admin_area c ON c.id = g.community_id AND c.name = '学院社区'
        JOIN street s ON s.name = '才智巷'
        WHERE g.seq = 37 AND g.kind = 'residential'
    """)).one()
    assert r.contains and r.code.endswith("037")


def test_jinyang_has_open_requests_about_parking_and_leaking_roofs(session: Session) -> None:
    cats = session.execute(text("""
        SELECT DISTINCT r.category FROM request r JOIN admin_area c ON c.id = r.community_id
        WHERE c.name = '金阳社区' AND r.stage NOT IN ('closed', 'duplicate')
          AND ST_Intersects(c.boundary, r.location) AND r.due_at < now()
    """)).scalars().all()
    assert {"parking", "leaking_roof"} <= set(cats)      # long-standing: open and overdue


def test_resources_of_every_kind_have_locations_inside_the_core(session: Session) -> None:
    rows = session.execute(text("""
        SELECT r.kind, count(*) FROM resource r
        JOIN admin_area d ON d.level = 'subdistrict' AND ST_Intersects(d.boundary, r.location)
        GROUP BY r.kind
    """)).all()
    kinds = dict(rows)
    assert set(kinds) == {"venue", "merchant", "volunteer_team", "party_unit", "service_center"}
    assert kinds["service_center"] == 5
