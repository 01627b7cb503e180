"""From hypotheses to the answer: grids, honest confidence, candidates, and the point fields.

The grid of a place is the point lookup's (:class:`gisgrid.lookup.index.LookupIndex`) at
the place's point; a place spanning several grids (estate, road, community, named place)
is split among its members' grids by households (shops for a named place). The
confidence of a grid is the score of the hypotheses that lead to it times the share of
the place it holds: an estate over 24 grids asked by name alone gets, for each grid, its
share of the estate's households, and every grid comes back (top answer + candidates).
Near ties between places (a typo that two names fit) split the confidence the same way.

The answer carries the point lookup's own fields (grid, overlays, community,
subdistrict, district, near_boundary, alternatives, staff) at the match's point, so the
address and point answers agree; the room part of a household match is kept apart
(``match.household``) so a consumer allowed only the building can drop it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import orjson

from gisgrid.address.gazetteer import Gazetteer
from gisgrid.address.match import Hypothesis
from gisgrid.crs import from_wgs84
from gisgrid.lookup.index import LookupIndex

__all__ = ["GridView", "shape_answer"]

#: Hypotheses scoring within this of the best are taken as near ties and share the answer.
TIE = 0.08
#: Other hypotheses whose grids still come back as candidates.
MAX_OTHERS = 6
#: Most candidates in an answer (an estate spans at most a few dozen grids).
MAX_CANDIDATES = 40


class GridView:
    """The grids of a gazetteer's buildings and shops in one set of plans (one index)."""

    def __init__(self, gaz: Gazetteer, index: LookupIndex) -> None:
        self.index = index
        self.grids = {c.id: orjson.loads(c.grid_json) for c in index.contexts}
        self.building_grid = self._grids(index, [(b.lon, b.lat) for b in gaz.buildings.values()],
                                         list(gaz.buildings))
        self.shop_grid = self._grids(index, [(s.lon, s.lat) for s in gaz.shops.values()], list(gaz.shops))

    @staticmethod
    def _grids(index: LookupIndex, points: list[tuple[float, float]], ids: list[int]) -> dict[int, int]:
        if not points:
            return {}
        xy = np.asarray(points, dtype=float)
        out = {}
        for i, body in zip(ids, index.answers(xy[:, 0], xy[:, 1]).tolist(), strict=True):
            if body is not None:
                out[i] = orjson.loads(body)["grid"]["id"]
        return out

    def at(self, lon: float, lat: float) -> dict[str, Any] | None:
        """The point lookup's answer at a point (None outside every grid)."""
        body = self.index.answer(lon, lat)
        return None if body is None else orjson.loads(body)


def _spread(gaz: Gazetteer, view: GridView, h: Hypothesis) -> dict[int, tuple[float, float, float]]:
    """Share of the place in each grid, with a point of the place inside that grid."""
    mass: dict[int, float] = defaultdict(float)
    where: dict[int, tuple[float, float]] = {}
    if h.members:
        table = view.shop_grid if h.member_kind == "shop" else view.building_grid
        for m in h.members:
            g = table.get(m)
            if g is None:
                continue
            if h.member_kind == "shop":
                w, pt = 1.0, (gaz.shops[m].lon, gaz.shops[m].lat)
            else:
                b = gaz.buildings[m]
                w, pt = float(max(b.households, 1)), (b.lon, b.lat)
            mass[g] += w
            where.setdefault(g, pt)
    elif h.building is not None and h.building.id in view.building_grid:
        # a household, unit or door of a building lies in the building's grid (buildings
        # stand inside blocks, grids are unions of blocks): no point lookup needed here
        g = view.building_grid[h.building.id]
        mass[g], where[g] = 1.0, (h.lon, h.lat)
    else:
        ans = view.at(h.lon, h.lat)
        if ans is not None:
            mass[ans["grid"]["id"]] = 1.0
            where[ans["grid"]["id"]] = (h.lon, h.lat)
            if h.crossing:        # a crossing is a corner: every grid meeting there
                for alt in ans["alternatives"]:
                    mass[alt["id"]] = 0.99   # the owner (rule of the point lookup) first
                    where[alt["id"]] = (h.lon, h.lat)
    total = sum(mass.values())
    return {g: (m / total, *where[g]) for g, m in mass.items()} if total else {}


def _location(lon: float, lat: float, coordsys: str) -> dict[str, Any]:
    x, y = (lon, lat) if coordsys == "wgs84" else from_wgs84(lon, lat, coordsys)
    return {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}


def _distinct(hyps: list[Hypothesis]) -> list[Hypothesis]:
    seen: set[tuple[str, str, float, float]] = set()
    out = []
    for h in hyps:
        key = (h.level, h.address, round(h.lon, 6), round(h.lat, 6))
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


def _grid_confidence(gaz: Gazetteer, view: GridView, hyps: list[Hypothesis]
                     ) -> tuple[list[tuple[int, float, Hypothesis, float, float]], float]:
    """(grid, confidence, hypothesis, lon, lat) best first, and the leading score."""
    # The leader: of the hypotheses near the top score, the one whose names were written
    # most plainly (a homophone before a wrong character); near ties of the same kind
    # share the answer.
    top = hyps[0].score
    lead = min((h for h in hyps if h.score >= top - TIE), key=lambda h: (h.rank, -h.score))
    best = lead.score
    ties = [h for h in hyps if h.score >= best - TIE and h.rank <= lead.rank]
    hyps = ties + [h for h in hyps if not (h.score >= best - TIE and h.rank <= lead.rank)]
    total = sum(h.score for h in ties)
    conf: dict[int, list[Any]] = {}
    for h in ties:
        for g, (share, lon, lat) in _spread(gaz, view, h).items():
            c = best * h.score * share / total
            if g in conf:
                conf[g][0] += c
            else:
                conf[g] = [c, h, lon, lat]
    for h in hyps[len(ties): len(ties) + MAX_OTHERS]:    # weaker readings: candidates only
        for g, (share, lon, lat) in _spread(gaz, view, h).items():
            conf.setdefault(g, [h.score * share * 0.5, h, lon, lat])
    ranked = sorted(((g, *v) for g, v in conf.items()), key=lambda t: (-t[1], t[0]))
    return ranked, best


def _match(h: Hypothesis, confidence: float, lon: float, lat: float, coordsys: str) -> dict[str, Any]:
    b = h.building
    return {"address": h.address, "confidence": round(min(confidence, 1.0), 3), "level": h.level,
            "location": _location(lon, lat, coordsys), "components": h.components,
            "building": None if b is None else {"address": b.label,
                                                "location": _location(b.lon, b.lat, coordsys)},
            "household": h.household}


def shape_answer(gaz: Gazetteer, view: GridView, hyps: list[Hypothesis], coordsys: str,
                 parsed: dict[str, Any]) -> dict[str, Any] | None:
    """The answer for one query from its hypotheses (best first); None if none lands in a grid."""
    hyps = _distinct(hyps)
    if not hyps or hyps[0].score <= 0:
        return None
    ranked, _ = _grid_confidence(gaz, view, hyps)
    if not ranked:
        return None
    g, conf, h, lon, lat = ranked[0]
    if not h.members:               # a single point: the place's own point
        lon, lat = h.lon, h.lat
    point = view.at(lon, lat) or {}
    if point.get("grid", {}).get("id") != g:    # a crossing's corner: the grid chosen, its fields
        point = {**point, "grid": view.grids.get(g)}
    answer = {"match": _match(h, conf, lon, lat, coordsys), **point}
    answer["candidates"] = [
        {**_match(ch, c, clon, clat, coordsys), "grid": view.grids.get(cg)}
        for cg, c, ch, clon, clat in ranked[1:MAX_CANDIDATES]]
    answer["parsed"] = parsed
    return answer
