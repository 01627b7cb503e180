"""Everything the planner's editor loads for one plan, in one JSON document.

Units as a GeoJSON FeatureCollection (lon/lat, 7 decimals as the API serves, for drawing
only: the save sends unit ids, never coordinates), the pairs of units sharing an edge
(with its length, the street it runs along and the line, so the browser can draw grid
edges and check contiguity and compactness without any geometry library), the grids
with their teams, the overlays, the streets to click for a split, and the district's
staff to name teams from.

Staff names are personal data: this document is for planners (the route must carry the
planner's access rule once roles exist), never for a public page; phones are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import shapely
from sqlalchemy.orm import Session

from gisgrid.db import plan_store, queries, team_store, units_store
from gisgrid.db.queries import GEOJSON_DIGITS
from gisgrid.plans.units import PlanUnits, plan_units

__all__ = ["editor_document"]

_STEP = 10.0 ** -GEOJSON_DIGITS


def editor_document(session: Session, plan_id: int) -> bytes:
    """The editor's document for a plan, as JSON bytes (see the module docstring).

    Raises
    ------
    NotFoundError
        No such plan.

    Examples
    --------
    >>> doc = orjson.loads(editor_document(session, 12))  # doctest: +SKIP
    >>> sorted(doc)  # doctest: +SKIP
    ['bounds', 'communities', 'grids', 'overlays', 'pairs', 'plan', 'staff', 'streets', 'units']
    """
    plan = queries.get_plan(session, plan_id)
    units = plan_units(session, plan_id, parent_id=plan["parent_id"])
    low, high = plan_store.plan_bounds(session, plan_id)
    doc = {
        "plan": plan,
        "bounds": {"min": low, "max": high},
        "communities": _communities(units),
        "units": _unit_features(units),
        "pairs": _pairs(units),
        "grids": _grids(session, plan_id),
        "overlays": _overlays(session, plan_id),
        "streets": queries.plan_street_features(session, plan_id),
        "staff": [{"id": r.id, "name": r.name} for r in team_store.district_staff(
            session, plan_store.plan_header(session, plan_id).district_code)],
    }
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)


def _communities(units: PlanUnits) -> list[dict[str, Any]]:
    out, start = [], 0
    for c in units.communities:
        out.append({"code": c.code, "name": units.names[c.code], "digest": c.digest,
                    "first": start, "count": len(c.ids)})
        start += len(c.ids)
    return out


def _unit_features(units: PlanUnits) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    for k, c in enumerate(units.communities):
        shapes = shapely.to_geojson(shapely.set_precision(c.geometry, _STEP, mode="pointwise"))
        counts = {key: units.counts[key][k] for key in ("households", "residents", "shops", "requests")}
        grid, parent = units.grid[k], units.parent_grid[k]
        for i, uid in enumerate(c.ids):
            features.append({"type": "Feature", "id": uid, "geometry": orjson.Fragment(shapes[i]),
                             "properties": {
                                 "id": uid, "community": c.code, "block": f"{c.code}-{int(c.block[i])}",
                                 "building": c.building[i],
                                 "households": int(counts["households"][i]),
                                 "residents": int(counts["residents"][i]),
                                 "shops": int(counts["shops"][i]), "requests": int(counts["requests"][i]),
                                 "area_m2": round(float(c.area_m2[i]), 1),
                                 "perimeter_m": round(float(c.perimeter_m[i]), 2),
                                 "grid": int(grid[i]) if grid[i] >= 0 else None,
                                 "parent_grid": int(parent[i]) if parent[i] >= 0 else None}})
    return {"type": "FeatureCollection", "features": features}


def _pairs(units: PlanUnits) -> list[list[Any]]:
    """[i, j, shared metres, street name or null, [line, ...]] with i, j global unit indices."""
    out: list[list[Any]] = []
    start = 0
    for c in units.communities:
        parts, pair_of = shapely.get_parts(shapely.line_merge(c.edges), return_index=True)
        keep = shapely.get_type_id(parts) == 1  # LineStrings: corner points are no edge to draw
        parts, pair_of = parts[keep], pair_of[keep]
        xy, part_of = shapely.get_coordinates(parts, return_index=True)
        xy = np.round(xy, GEOJSON_DIGITS).tolist()
        lines: list[list[list[list[float]]]] = [[] for _ in range(len(c.pairs))]
        ends = np.r_[0, np.cumsum(np.bincount(part_of, minlength=len(parts)))].tolist()
        for k, p in enumerate(pair_of.tolist()):
            lines[p].append(xy[ends[k]:ends[k + 1]])
        rows = zip(c.pairs.tolist(), c.shared_m.tolist(), c.street, lines, strict=True)
        for (i, j), m, street, line in rows:
            out.append([start + i, start + j, round(m, 2), street, line])
        start += len(c.ids)
    return out


def _grids(session: Session, plan_id: int) -> list[dict[str, Any]]:
    teams: dict[int, dict[str, Any]] = {}
    for r in team_store.plan_teams(session, plan_id):
        team = teams.setdefault(r.grid_id, {"leader": None, "full_time": None, "part_time": []})
        person = {"id": r.staff_id, "name": r.name}
        if r.role == "part_time":
            team["part_time"].append(person)
        else:
            team[r.role] = person
    return [{"id": g.id, "uid": g.uid, "code": g.code, "seq": g.seq, "name": g.name, "kind": g.kind,
             "community": g.community,
             "team": teams.get(g.id, {"leader": None, "full_time": None, "part_time": []})}
            for g in units_store.plan_grid_list(session, plan_id)]


def _overlays(session: Session, plan_id: int) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r.id, "geometry": orjson.Fragment(r.geojson),
         "properties": {"id": r.id, "code": r.code, "name": r.name, "kind": r.kind}}
        for r in units_store.overlay_features(session, plan_id, GEOJSON_DIGITS)]}
