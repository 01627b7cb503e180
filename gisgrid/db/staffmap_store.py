"""The staff map's reads: vector tiles (``ST_AsMVT``) of its layers, and the page's index.

Storage only: one SQL per tile layer, each answering one tile ``z/x/y`` (web mercator) as MVT
bytes. What a tile carries is chosen here with privacy in mind: households only as
counts per cell (never a point per household), requests without title, description or
reporter, resources without their contact person.

Every layer takes ``dx``/``dy``, a translation in degrees applied to the stored WGS84
geometry before it is cut: (0, 0) for WGS84 basemaps, the GCJ-02 offset at the tile's
centre for Amap's (``gisgrid.staffmap.tiles.tile_shift``); the rows are selected in the
tile's box shifted back.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.request_layer import map_requests_sql

__all__ = ["CLUSTER_BELOW_ZOOM", "EXTENT", "LAYERS", "area_layers", "community_index", "density_cell",
           "grid_index", "request_stage_counts", "tile_bytes"]

EXTENT = 4096
#: Below this zoom, requests are drawn as clusters (one per cell and stage, with a count).
CLUSTER_BELOW_ZOOM = 15
#: Household density cells are at least this wide (metres): a cell never narrows to a home.
MIN_DENSITY_CELL_M = 50.0
_WORLD_M = 40075016.685578488

_BOX = f"""
    WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,
                      ST_Translate(ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {64 / EXTENT}), 4326),
                                   -:dx, -:dy) AS sel)"""


# The centre of the cell holding a point: cells are aligned on the tiles' edges (their size
# divides the tile's, or is a multiple of it), so a cell whose centre lies in a tile is
# drawn by that tile alone, and counts summed over tiles count every point once.
_CELL = "ST_SnapToGrid({point}, :cell / 2, :cell / 2, :cell, :cell)"


def _geom(column: str) -> str:
    return (f"ST_AsMVTGeom(ST_Transform(ST_Translate({column}, :dx, :dy), 3857), b.env, "
            f"{EXTENT}, 64, true)")


_SQL = {
    "grids": f"""{_BOX}
        SELECT ST_AsMVT(q, 'grids', {EXTENT}, 'geom', 'id') FROM (
          SELECT g.id, g.code, g.name, g.kind, c.code AS community_code, c.name AS community,
                 coalesce(h.n, 0)::int AS households, {_geom('g.boundary')} AS geom
          FROM b, grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
          JOIN admin_area c ON c.id = g.community_id
          LEFT JOIN LATERAL (SELECT count(*) AS n FROM household_assignment a
                             WHERE a.plan_id = g.plan_id AND a.grid_id = g.id) h ON true
          WHERE g.boundary && b.sel) q WHERE geom IS NOT NULL""",
    "households": f"""{_BOX}
        SELECT ST_AsMVT(q, 'households', {EXTENT}, 'geom') FROM (
          SELECT count(*)::int AS households, sum(h.size)::int AS residents,
                 (count(*) / (:cell * :cell * :cos2 / 10000.0))::real AS per_ha,
                 ST_AsMVTGeom(ST_Expand(c, :cell / 2), b.env, {EXTENT}, 0, true) AS geom
          FROM b, LATERAL (
            SELECT h.size, {_CELL.format(point="ST_Transform(ST_Translate(h.location, :dx, :dy), 3857)")} AS c
            FROM household h WHERE h.location && b.sel) h
          GROUP BY c, b.env HAVING ST_Intersects(c, b.env) OR :cell >= :tile_m) q WHERE geom IS NOT NULL""",
    "shops": f"""{_BOX}
        SELECT ST_AsMVT(q, 'shops', {EXTENT}, 'geom', 'id') FROM (
          SELECT s.id, s.name, s.category, {_geom('s.location')} AS geom
          FROM b, shop s WHERE s.location && b.sel) q WHERE geom IS NOT NULL""",
    "resources": f"""{_BOX}
        SELECT ST_AsMVT(q, 'resources', {EXTENT}, 'geom', 'id') FROM (
          SELECT r.id, r.name, r.kind, g.code AS grid_code, {_geom('r.location')} AS geom
          FROM b, resource r LEFT JOIN grid g ON g.id = r.grid_id
          WHERE r.location && b.sel) q WHERE geom IS NOT NULL""",
    "requests": f"""{_BOX}
        SELECT ST_AsMVT(q, 'requests', {EXTENT}, 'geom', 'id') FROM (
          SELECT r.id, r.stage, r.category, r.open::int AS open, r.overdue::int AS overdue, 1 AS n,
                 {_geom('r.location')} AS geom
          FROM b, ({map_requests_sql()}) r WHERE r.stored && b.sel) q WHERE geom IS NOT NULL""",
    "request_clusters": f"""{_BOX}
        SELECT ST_AsMVT(q, 'requests', {EXTENT}, 'geom') FROM (
          SELECT stage, count(*)::int AS n, sum(open::int)::int AS open, sum(overdue::int)::int AS overdue,
                 ST_AsMVTGeom(ST_Centroid(ST_Collect(p)), b.env, {EXTENT}, 64, true) AS geom
          FROM b, LATERAL (
            SELECT r.stage, r.open, r.overdue, ST_Transform(ST_Translate(r.location, :dx, :dy), 3857) AS p
            FROM ({map_requests_sql()}) r WHERE r.stored && b.sel) r
          GROUP BY stage, {_CELL.format(point="p")}, b.env
          HAVING ST_Intersects({_CELL.format(point="p")}, b.env)) q WHERE geom IS NOT NULL""",
}

#: The layers a tile can be asked for.
LAYERS = ("grids", "households", "shops", "requests", "resources")


def density_cell(z: int) -> float:
    """The width (web mercator metres) of a household density cell at zoom ``z``: a 32nd of
    the tile, halved less while under :data:`MIN_DENSITY_CELL_M`, doubled past the tile
    when even the tile is narrower; always aligned on the tiles' edges.

    >>> round(density_cell(12), 1), round(density_cell(16), 1), round(density_cell(21), 1)
    (305.7, 76.4, 76.4)
    """
    cell = _WORLD_M / 2 ** z
    k = 0
    while k < 5 and cell / 2 >= MIN_DENSITY_CELL_M:
        cell, k = cell / 2, k + 1
    while cell < MIN_DENSITY_CELL_M:
        cell *= 2
    return cell


def tile_bytes(session: Session, layer: str, z: int, x: int, y: int, *,
               dx: float = 0.0, dy: float = 0.0) -> bytes:
    """One layer's tile as MVT bytes (empty bytes when nothing lies in it).

    Examples
    --------
    >>> tile = tile_bytes(session, "grids", 14, 13185, 6242)     # doctest: +SKIP
    """
    if layer not in LAYERS:
        raise ValueError(f"tile_bytes: layer must be one of {LAYERS}, not {layer!r}")
    tile_m = _WORLD_M / 2 ** z
    if layer == "requests" and z < CLUSTER_BELOW_ZOOM:
        layer, cell = "request_clusters", tile_m / 16
    elif layer == "households":
        cell = density_cell(z)
    else:
        cell = 0.0
    # Mercator metres are 1/cos(lat) ground metres: cells' ground area at the tile's centre.
    lat = math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / 2 ** z)))
    out = session.execute(text(_SQL[layer]), {"z": z, "x": x, "y": y, "dx": dx, "dy": dy, "cell": cell,
                                              "tile_m": tile_m, "cos2": math.cos(lat) ** 2}).scalar()
    return bytes(out or b"")


def grid_index(session: Session) -> list[dict[str, Any]]:
    """The active plans' grids for the page's search and labels: id, code, name, kind,
    community code and name, plan, households, a label point inside the grid and the
    bounding box ``[west, south, east, north]`` (lon/lat WGS84)."""
    rows = session.execute(text("""
        SELECT g.id, g.code, g.name, g.kind, g.plan_id, c.code AS community_code, c.name AS community,
               (SELECT count(*) FROM household_assignment a
                WHERE a.plan_id = g.plan_id AND a.grid_id = g.id)::int AS households,
               ST_X(l) AS lx, ST_Y(l) AS ly, ST_XMin(g.boundary) AS w, ST_YMin(g.boundary) AS s,
               ST_XMax(g.boundary) AS e, ST_YMax(g.boundary) AS n
        FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
        JOIN admin_area c ON c.id = g.community_id,
        LATERAL (SELECT ST_PointOnSurface(g.boundary) AS l) lp
        ORDER BY g.code, g.id"""))
    return [{"id": r.id, "code": r.code, "name": r.name, "kind": r.kind, "plan_id": r.plan_id,
             "community_code": r.community_code, "community": r.community, "households": r.households,
             "label": [round(r.lx, 6), round(r.ly, 6)],
             "bbox": [round(v, 6) for v in (r.w, r.s, r.e, r.n)]} for r in rows]


def community_index(session: Session) -> list[dict[str, Any]]:
    """Communities with their code, name and bounding box (for ``?community=``)."""
    rows = session.execute(text("""
        SELECT code, name, ST_XMin(boundary) w, ST_YMin(boundary) s, ST_XMax(boundary) e, ST_YMax(boundary) n
        FROM admin_area WHERE level = 'community' ORDER BY code"""))
    return [{"code": r.code, "name": r.name, "bbox": [round(v, 6) for v in (r.w, r.s, r.e, r.n)]}
            for r in rows]


def request_stage_counts(session: Session) -> dict[str, int]:
    """How many requests are in each stage (the legend's figures)."""
    rows = session.execute(text(f"SELECT stage, count(*) FROM ({map_requests_sql()}) r GROUP BY stage"))
    return {stage: int(n) for stage, n in rows}


#: Household density cells of a standalone export (metres, web mercator), as in tiles never
#: narrower than MIN_DENSITY_CELL_M.
EXPORT_DENSITY_CELL_M = 100.0


def _collection(rows: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r["id"], "geometry": r["geometry"],
         "properties": {k: v for k, v in r.items() if k != "geometry"}} for r in rows]}


def area_layers(session: Session, *, box: tuple[float, float, float, float]) -> dict[str, dict[str, Any]]:
    """The staff map's layers inside a lon/lat box as GeoJSON (a standalone export): the
    active grids, household density cells, shops, requests and resources, with the same
    properties as the tiles (no personal field)."""
    params = {"w": box[0], "s": box[1], "e": box[2], "n": box[3], "cell": EXPORT_DENSITY_CELL_M}
    env = "ST_MakeEnvelope(:w, :s, :e, :n, 4326)"

    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in session.execute(text(sql), params)]

    out = {
        "grids": rows(f"""
            SELECT g.id, g.code, g.name, g.kind, c.code AS community_code, c.name AS community,
                   (SELECT count(*) FROM household_assignment a
                    WHERE a.plan_id = g.plan_id AND a.grid_id = g.id)::int AS households,
                   ST_AsGeoJSON(g.boundary, 6)::json AS geometry
            FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
            JOIN admin_area c ON c.id = g.community_id WHERE g.boundary && {env} ORDER BY g.code"""),
        "households": rows(f"""
            SELECT row_number() OVER (ORDER BY c)::int AS id, count(*)::int AS households,
                   sum(size)::int AS residents,
                   (count(*) / (:cell * :cell * cos(radians(avg(lat))) ^ 2 / 10000.0))::real AS per_ha,
                   ST_AsGeoJSON(ST_Transform(ST_Expand(c, :cell / 2), 4326), 6)::json AS geometry
            FROM (SELECT h.size, ST_Y(h.location) AS lat,
                         {_CELL.format(point="ST_Transform(h.location, 3857)")} AS c
                  FROM household h WHERE h.location && {env}) h GROUP BY c"""),
        "shops": rows(f"""SELECT s.id, s.name, s.category, ST_AsGeoJSON(s.location, 6)::json AS geometry
                          FROM shop s WHERE s.location && {env} ORDER BY s.id"""),
        "requests": rows(f"""SELECT r.id, r.stage, r.category, r.open::int AS open, r.overdue::int AS overdue,
                                    1 AS n, ST_AsGeoJSON(r.location, 6)::json AS geometry
                             FROM ({map_requests_sql()}) r WHERE r.stored && {env} ORDER BY r.id"""),
        "resources": rows(f"""SELECT r.id, r.name, r.kind, g.code AS grid_code,
                                     ST_AsGeoJSON(r.location, 6)::json AS geometry
                              FROM resource r LEFT JOIN grid g ON g.id = r.grid_id
                              WHERE r.location && {env} ORDER BY r.id"""),
    }
    return {name: _collection(layer) for name, layer in out.items()}
