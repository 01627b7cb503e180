"""SQL behind the OGC API Features collections: pages of features written by PostGIS.

Each source below is one public, non-personal layer. A page of features is built in
one statement: PostGIS writes every feature as GeoJSON text (``ST_AsGeoJSON`` for the
geometry, ``json_build_object`` for the properties) and joins them with commas, so a
10,000-feature page never becomes 10,000 Python objects; the caller wraps the text in
the FeatureCollection's header. Ordering is by primary key, so offset paging is stable.

What stays out, on purpose: the reporter and the free text (title, description) of a
request, and a resource's ``details`` (free text that may name a contact person); staff
never appear. Counts of a grid follow `queries.grid_counts_join`: the owner rule of
``GET /v1/plans/{id}/grids`` (:mod:`gisgrid.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.queries import GEOJSON_DIGITS, grid_counts_join
from gisgrid.settings import STORAGE_SRID


@dataclass(frozen=True)
class Source:
    """Where one collection's features come from (SQL fragments; page rows are ``t``).

    ``table`` and ``scope`` select the collection's rows (``:plan`` may be bound);
    ``joins`` and ``properties`` are evaluated for the rows of one page only, so costly
    properties (grid counts) are computed for the features sent, not for all matched.
    """

    table: str
    geometry: str
    properties: str
    scope: str = "TRUE"
    joins: str = ""


_COMMUNITY = "LEFT JOIN admin_area c ON c.id = t.community_id"

_GRID_PROPERTIES = """json_build_object(
    'code', t.code, 'name', t.name, 'kind', t.kind, 'plan_id', t.plan_id,
    'community_code', c.code, 'community_name', c.name,
    'area_m2', round(ST_Area(t.boundary::geography))::bigint,
    'households', n.households, 'residents', n.residents, 'shops', n.shops,
    'team_leader', (SELECT count(*) FROM grid_staff s WHERE s.grid_id = t.id AND s.role = 'leader'),
    'team_full_time', (SELECT count(*) FROM grid_staff s
                       WHERE s.grid_id = t.id AND s.role = 'full_time'),
    'team_part_time', (SELECT count(*) FROM grid_staff s
                       WHERE s.grid_id = t.id AND s.role = 'part_time'))"""
_GRID_JOINS = f"{_COMMUNITY} {grid_counts_join('t')}"

SOURCES: dict[str, Source] = {
    "areas": Source(
        table="admin_area t",
        geometry="ST_ForcePolygonCCW(t.boundary)",
        joins="LEFT JOIN admin_area pa ON pa.id = t.parent_id",
        properties="""json_build_object('code', t.code, 'name', t.name, 'level', t.level,
            'parent_code', pa.code, 'area_m2', round(ST_Area(t.boundary::geography))::bigint)""",
    ),
    "active_grids": Source(
        table="grid t JOIN plan pl ON pl.id = t.plan_id",
        scope="pl.status = 'active'",
        geometry="ST_ForcePolygonCCW(t.boundary)",
        joins=_GRID_JOINS,
        properties=_GRID_PROPERTIES,
    ),
    "plan_grids": Source(
        table="grid t",
        scope="t.plan_id = :plan",
        geometry="ST_ForcePolygonCCW(t.boundary)",
        joins=_GRID_JOINS,
        properties=_GRID_PROPERTIES,
    ),
    "streets": Source(
        table="street t",
        geometry="t.geom",
        properties="json_build_object('name', t.name, 'kind', t.kind)",
    ),
    "shops": Source(
        table="shop t",
        geometry="t.location",
        joins=_COMMUNITY,
        properties="""json_build_object('name', t.name, 'category', t.category,
            'address', t.address, 'community_code', c.code, 'community_name', c.name)""",
    ),
    "resources": Source(
        table="resource t",
        geometry="t.location",
        joins=_COMMUNITY,
        properties="""json_build_object('name', t.name, 'kind', t.kind,
            'community_code', c.code, 'community_name', c.name)""",
    ),
    "requests": Source(
        table="request t",
        # The centre of the request's ~10 m cell, as every public answer gives it
        # (gisgrid.requests.answers.public_position): a request made at a home does not
        # give away the household's position.
        geometry=("ST_SetSRID(ST_MakePoint(floor(ST_X(t.location) * 1e4) / 1e4 + 5e-5, "
                  "floor(ST_Y(t.location) * 1e4) / 1e4 + 5e-5), 4326)"),
        joins=_COMMUNITY,
        properties="""json_build_object('category', t.category, 'stage', t.stage,
            'reported_at', t.reported_at, 'community_code', c.code, 'community_name', c.name)""",
    ),
}

#: Column holding each source's stored geometry (for bbox filters and extents).
_STORED_GEOMETRY = {"areas": "boundary", "active_grids": "boundary", "plan_grids": "boundary",
                    "streets": "geom", "shops": "location", "resources": "location",
                    "requests": "location"}


def _feature_sql(src: Source) -> str:
    # Concatenated rather than json_build_object'ed: the geometry text goes in as it is,
    # without PostgreSQL parsing it back into a json value.
    return (f"""'{{"type":"Feature","id":' || t.id || ',"geometry":' """
            f"""|| ST_AsGeoJSON({src.geometry}, {GEOJSON_DIGITS}) """
            f"""|| ',"properties":' || ({src.properties})::text || '}}'""")


def _where(name: str, src: Source, bbox: tuple[float, float, float, float] | None) -> str:
    if bbox is None:
        return src.scope
    column = _STORED_GEOMETRY[name]
    return (f"{src.scope} AND ST_Intersects(t.{column}, "
            f"ST_MakeEnvelope(:west, :south, :east, :north, {STORAGE_SRID}))")


def _params(bbox: tuple[float, float, float, float] | None, plan: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"plan": plan}
    if bbox is not None:
        params.update(zip(("west", "south", "east", "north"), bbox, strict=True))
    return params


def features_page(session: Session, name: str, *, limit: int, offset: int,
                  bbox: tuple[float, float, float, float] | None = None,
                  plan: int | None = None) -> tuple[int, int, str]:
    """One page of a source: (number matched, number returned, features as JSON text).

    The text is the comma-separated features (no brackets), in id order; ``bbox`` is
    (west, south, east, north) in lon/lat, matched with ``ST_Intersects``.
    """
    src = SOURCES[name]
    where = _where(name, src, bbox)
    # The bbox clause is written in or left out (not "param IS NULL OR ..."), so a
    # prepared statement's generic plan can still use the GiST index.
    row = session.execute(text(f"""
        WITH page AS MATERIALIZED (
            SELECT t.* FROM {src.table} WHERE {where}
            ORDER BY t.id LIMIT :limit OFFSET :offset)
        SELECT (SELECT count(*) FROM {src.table} WHERE {where}) AS matched,
               (SELECT count(*) FROM page) AS returned,
               (SELECT string_agg({_feature_sql(src)}, ',' ORDER BY t.id)
                  FROM page t {src.joins}) AS features
    """), {**_params(bbox, plan), "limit": limit, "offset": offset}).one()
    return int(row.matched), int(row.returned), row.features or ""


def feature(session: Session, name: str, feature_id: int, *, plan: int | None = None) -> str | None:
    """One feature of a source as GeoJSON text, or None when the source has no such id."""
    src = SOURCES[name]
    return session.execute(text(f"""
        SELECT {_feature_sql(src)} FROM (SELECT t.* FROM {src.table}
                                         WHERE {src.scope} AND t.id = :id) t {src.joins}
    """), {"plan": plan, "id": feature_id}).scalar_one_or_none()


def extents(session: Session) -> dict[tuple[str, int | None], tuple[float, float, float, float]]:
    """Bounding boxes (west, south, east, north) of every source, and of each plan's grids.

    Keys are ``(source, None)``, and ``("plan_grids", plan_id)``; an empty source has none.
    """
    parts = [f"SELECT '{name}' AS source, NULL::int AS plan, ST_Extent(t.{_STORED_GEOMETRY[name]}) AS box "
             f"FROM {src.table} WHERE {src.scope}"
             for name, src in SOURCES.items() if name != "plan_grids"]
    parts.append("SELECT 'plan_grids', t.plan_id, ST_Extent(t.boundary) FROM grid t GROUP BY t.plan_id")
    rows = session.execute(text(f"""
        SELECT source, plan, ST_XMin(box) AS w, ST_YMin(box) AS s, ST_XMax(box) AS e, ST_YMax(box) AS n
        FROM ({' UNION ALL '.join(parts)}) x WHERE box IS NOT NULL
    """))
    return {(r.source, r.plan): (r.w, r.s, r.e, r.n) for r in rows}


def plans(session: Session) -> list[dict[str, Any]]:
    """Every plan version, oldest first: id, name, status, scope name (for the catalogue)."""
    rows = session.execute(text("""
        SELECT p.id, p.name, p.status, a.name AS scope_name
        FROM plan p JOIN admin_area a ON a.id = p.scope_id ORDER BY p.id
    """))
    return [dict(r._mapping) for r in rows]


def plan(session: Session, plan_id: int) -> dict[str, Any] | None:
    """One plan version as `plans` lists it, or None."""
    row = session.execute(text("""
        SELECT p.id, p.name, p.status, a.name AS scope_name
        FROM plan p JOIN admin_area a ON a.id = p.scope_id WHERE p.id = :id
    """), {"id": plan_id}).one_or_none()
    return dict(row._mapping) if row else None
