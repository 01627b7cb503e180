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

An answer is made in two steps so that a batch asks the point index once:
:func:`draft_answer` ranks the grids and says which point's answer it needs,
:func:`finish_answer` shapes it around that point's answer; a batch gets every point's
answer from one vectorised :meth:`GridView.bodies` call between the two (a point answer
costs about as much as the rest of an address when asked one at a time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from gisgrid.address.gazetteer import Gazetteer
from gisgrid.address.match import Hypothesis
from gisgrid.crs import from_wgs84
from gisgrid.lookup.index import LookupIndex

__all__ = ["Draft", "GridView", "draft_answer", "finish_answer", "shape_answer"]

#: Hypotheses scoring within this of the best are taken as near ties and share the answer.
TIE = 0.08
#: Chance of each further character written as another of the same sound, between two
#: homophones that the registry confirms alike (tuned on the tuning set, docs/addresses.md).
SLIP = 0.3
#: Other hypotheses whose grids still come back as candidates.
MAX_OTHERS = 6
#: Most candidates in an answer (an estate spans at most a few dozen grids).
MAX_CANDIDATES = 40
#: Most place points (shops, resources, crossings…) and member sets whose grids a view
#: remembers: the registry's places are finite, this only bounds memory.
MAX_REMEMBERED = 20_000


class GridView:
    """The grids of a gazetteer's buildings and shops in one set of plans (one index).

    It also remembers, for the plans' lifetime, the point answers of the places it was
    asked about (shops, resources, crossings: a finite set) and how each multi-building
    place (estate, road, community) is split among grids. Safe to share between threads:
    a remembered value is computed again at worst, never half-written.
    """

    def __init__(self, gaz: Gazetteer, index: LookupIndex) -> None:
        self.index = index
        self.grids = {c.id: orjson.loads(c.grid_json) for c in index.contexts}
        self._places: dict[tuple[float, float], dict[str, Any] | None] = {}
        self.spreads: dict[tuple[str, tuple[int, ...]], dict[int, tuple[float, float, float]]] = {}
        self.building_grid = self._grids(index, [(b.lon, b.lat) for b in gaz.buildings.values()],
                                         list(gaz.buildings))
        self.shop_grid = self._grids(index, [(s.lon, s.lat) for s in gaz.shops.values()], list(gaz.shops))

    def _grids(self, index: LookupIndex, points: list[tuple[float, float]], ids: list[int]) -> dict[int, int]:
        if not points:
            return {}
        xy = np.asarray(points, dtype=float)
        out = {}
        for i, pt, body in zip(ids, points, index.answers(xy[:, 0], xy[:, 1]).tolist(), strict=True):
            ans = None if body is None else orjson.loads(body)
            self._places[pt] = ans
            if ans is not None:
                out[i] = ans["grid"]["id"]
        return out

    def at(self, lon: float, lat: float) -> dict[str, Any] | None:
        """The point lookup's answer at a place's point (None outside every grid), for
        reading only: it is remembered and shared."""
        key = (lon, lat)
        if key in self._places:
            return self._places[key]
        body = self.index.answer(lon, lat)
        ans = None if body is None else orjson.loads(body)
        if len(self._places) < MAX_REMEMBERED:
            self._places[key] = ans
        return ans

    def bodies(self, points: Sequence[tuple[float, float]]) -> list[bytes | None]:
        """The point lookup's answers (bytes, None outside) at many points, in one call."""
        if not points:
            return []
        xy = np.asarray(points, dtype=float)
        return self.index.answers(xy[:, 0], xy[:, 1]).tolist()


def _spread(gaz: Gazetteer, view: GridView, h: Hypothesis) -> dict[int, tuple[float, float, float]]:
    """Share of the place in each grid, with a point of the place inside that grid."""
    if not h.members:
        return _shares(*_point_mass(view, h))
    # A place with members (estate, road, community, named place) is split the same way
    # every time it is named: the view remembers it.
    key = (h.member_kind, tuple(h.members))
    held = view.spreads.get(key)
    if held is None:
        held = _shares(*_member_mass(gaz, view, h))
        if len(view.spreads) < MAX_REMEMBERED:
            view.spreads[key] = held
    return held


def _member_mass(gaz: Gazetteer, view: GridView, h: Hypothesis
                 ) -> tuple[dict[int, float], dict[int, tuple[float, float]]]:
    """Households (shops for a named place) of the place per grid, and a point in each."""
    mass: dict[int, float] = defaultdict(float)
    where: dict[int, tuple[float, float]] = {}
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
    return mass, where


def _point_mass(view: GridView, h: Hypothesis) -> tuple[dict[int, float], dict[int, tuple[float, float]]]:
    """The grid of a single-point place (every grid meeting there for a crossing)."""
    mass: dict[int, float] = {}
    where: dict[int, tuple[float, float]] = {}
    if h.building is not None and h.building.id in view.building_grid:
        # a household, unit or door of a building lies in the building's grid (buildings
        # stand inside blocks, grids are unions of blocks): no point lookup needed here
        g = view.building_grid[h.building.id]
        mass[g], where[g] = 1.0, (h.lon, h.lat)
        return mass, where
    ans = view.at(h.lon, h.lat)
    if ans is not None:
        mass[ans["grid"]["id"]] = 1.0
        where[ans["grid"]["id"]] = (h.lon, h.lat)
        if h.crossing:        # a crossing is a corner: every grid meeting there
            for alt in ans["alternatives"]:
                mass[alt["id"]] = 0.99   # the owner (rule of the point lookup) first
                where[alt["id"]] = (h.lon, h.lat)
    return mass, where


def _shares(mass: dict[int, float], where: dict[int, tuple[float, float]]
            ) -> dict[int, tuple[float, float, float]]:
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
    # Near ties share the answer by score, and by how likely their slips are: a homophone
    # written with one character off (明主家园 for 明珠家园) is far likelier meant than
    # one that needs three (明珠佳苑), even when the registry confirms both.
    weight = [h.score * SLIP ** h.slips for h in ties]
    total = sum(weight)
    conf: dict[int, list[Any]] = {}
    for h, w in zip(ties, weight, strict=True):
        for g, (share, lon, lat) in _spread(gaz, view, h).items():
            c = best * w * share / total
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


@dataclass(slots=True)
class Draft:
    """An answer before the point lookup's fields: grids ranked (grid, confidence,
    hypothesis, lon, lat), and the point whose point answer the answer carries."""

    ranked: list[tuple[int, float, Hypothesis, float, float]]
    lon: float
    lat: float


def draft_answer(gaz: Gazetteer, view: GridView, hyps: list[Hypothesis]) -> Draft | None:
    """Rank the grids of one query's hypotheses (best first); None if none lands in a grid."""
    hyps = _distinct(hyps)
    if not hyps or hyps[0].score <= 0:
        return None
    ranked, _ = _grid_confidence(gaz, view, hyps)
    if not ranked:
        return None
    _, _, h, lon, lat = ranked[0]
    if not h.members:               # a single point: the place's own point
        lon, lat = h.lon, h.lat
    return Draft(ranked, lon, lat)


def finish_answer(view: GridView, draft: Draft, body: bytes | None, coordsys: str,
                  parsed: dict[str, Any]) -> dict[str, Any]:
    """The answer from its draft and the point lookup's answer (``body``) at the draft's point."""
    g, conf, h, lon, lat = draft.ranked[0]
    lon, lat = draft.lon, draft.lat
    point = {} if body is None else orjson.loads(body)
    if point.get("grid", {}).get("id") != g:    # a crossing's corner: the grid chosen, its fields
        point = {**point, "grid": view.grids.get(g)}
    answer = {"match": _match(h, conf, lon, lat, coordsys), **point}
    answer["candidates"] = [
        {**_match(ch, c, clon, clat, coordsys), "grid": view.grids.get(cg)}
        for cg, c, ch, clon, clat in draft.ranked[1:MAX_CANDIDATES]]
    answer["parsed"] = parsed
    return answer


def shape_answer(gaz: Gazetteer, view: GridView, hyps: list[Hypothesis], coordsys: str,
                 parsed: dict[str, Any]) -> dict[str, Any] | None:
    """The answer for one query from its hypotheses (best first); None if none lands in a grid."""
    draft = draft_answer(gaz, view, hyps)
    if draft is None:
        return None
    return finish_answer(view, draft, view.index.answer(draft.lon, draft.lat), coordsys, parsed)
