"""Each register row to a building, a unit and a grid, through the address matcher.

A row's address is put together from its columns (小区 + 楼栋 + 单元 + 室, or 小区 + a
地址 such as "3栋2单元301", or a full 地址) and read by the address matcher
(:mod:`gisgrid.address`: tokens, readings, hypotheses scored against the registry), the
one that answers ``/v1/lookup/address``. Its hypotheses are grouped by the place they
name (a building and unit); the row is

- **matched** when one place leads, with its confidence (the hypothesis' score);
- **ambiguous** when places in other buildings score within :data:`TIE` of the best (文苑
  3栋 when 文苑新村, 文苑公寓 and 文苑家园 all have a building 3), or the best scores below
  :data:`MIN_CONFIDENCE`: the candidates are listed;
- **unmatched** when no building is found, or (households) the unit is not in the
  building found: the reason says which.

The grid is the building's grid in the plans in force (buildings stand inside blocks,
grids are unions of blocks: :class:`gisgrid.address.answer.GridView`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gisgrid.address.answer import GridView
from gisgrid.address.gazetteer import Gazetteer
from gisgrid.address.match import Hypothesis, hypotheses
from gisgrid.address.text import fold
from gisgrid.address.tokens import tokenise

__all__ = ["MIN_CONFIDENCE", "TIE", "RowMatch", "address_text", "match_address"]

#: A place whose score is within this of the best, in another building, makes a row ambiguous
#: (the address matcher's own near-tie margin, gisgrid.address.answer.TIE).
TIE = 0.08
#: Below this the best place is only a guess: the row is ambiguous, with its candidates.
MIN_CONFIDENCE = 0.6
#: Candidates listed for an ambiguous row.
MAX_CANDIDATES = 5
#: Most characters of an address read (as the address lookup).
MAX_TEXT = 500


@dataclass(slots=True)
class RowMatch:
    """Where a row's address leads: status, confidence, the place and its grid, or why not."""

    status: str                      # matched, ambiguous, unmatched
    confidence: float = 0.0
    building_id: int | None = None
    unit_id: int | None = None
    unit_no: int | None = None
    room: str | None = None
    existing_room: bool = False      # the room is in the registry already
    label: str | None = None         # the place as the registry writes it
    lon: float | None = None
    lat: float | None = None
    grid: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    community: str | None = None     # a door's community and district codes (buildings: the store's)
    district: str | None = None


def _suffix(value: str, marker: str) -> str:
    return value + marker if value and value[-1].isdigit() else value


def address_text(values: dict[str, str]) -> str:
    """The address a row's columns spell, in the order people write it.

    Examples
    --------
    >>> address_text({"estate": "金林小区", "building": "3", "unit": "2", "room": "904"})
    '金林小区3栋2单元904室'
    >>> address_text({"estate": "金林小区", "address": "3栋2单元301"})
    '金林小区3栋2单元301'
    """
    estate = values.get("estate", "")
    addr = values.get("address", "")
    if estate and fold(estate) in fold(addr):
        estate = ""
    return (estate + addr + _suffix(values.get("building", ""), "栋")
            + _suffix(values.get("unit", ""), "单元") + _suffix(values.get("room", ""), "室"))[:MAX_TEXT]


def _places(hyps: list[Hypothesis], doors: bool) -> list[tuple[Hypothesis, int | None]]:
    """The best hypothesis of each (building, unit) named, best first; with ``doors``, also
    each door on a road that no building stands at (a shop's door)."""
    best: dict[tuple[Any, int | None], Hypothesis] = {}
    for h in hyps:
        if h.building is not None:
            key: tuple[Any, int | None] = (h.building.id, h.components.get("unit"))
        elif doors and h.level == "door":
            key = ((round(h.lon, 7), round(h.lat, 7)), None)
        else:
            continue
        if key not in best or h.score > best[key].score:
            best[key] = h
    ranked = sorted(best.items(), key=lambda kv: (-kv[1].score, str(kv[0][0]), kv[0][1] or 0))
    return [(h, unit) for (_, unit), h in ranked]


def _candidate(view: GridView, h: Hypothesis) -> dict[str, Any]:
    return {"address": h.address, "confidence": round(min(h.score, 1.0), 3), "grid": _grid(view, h)}


def _grid(view: GridView, h: Hypothesis) -> dict[str, Any] | None:
    """The grid of the place: its building's, else the point lookup's at the door."""
    if h.building is not None:
        g = view.building_grid.get(h.building.id)
        grid = view.grids.get(g) if g is not None else None
    else:
        grid = (view.at(h.lon, h.lat) or {}).get("grid")
    return None if grid is None else {"id": grid["id"], "code": grid.get("code"), "name": grid.get("name")}


def _why_not(hyps: list[Hypothesis], text: str) -> str:
    if not text.strip():
        return "no address in the row"
    if not hyps:
        return "no registry place matches the address"
    h = hyps[0]
    return f"only the {h.level} {h.address} matches: no such building in it"


def match_address(gaz: Gazetteer, view: GridView, text: str, *, need_unit: bool,
                  doors: bool = False) -> RowMatch:
    """Match one address text to a building (and unit, when ``need_unit``; or, with
    ``doors``, a door on a road) and its grid.

    Examples
    --------
    >>> m = match_address(gaz, view, "金林小区３栋２单元９０４", need_unit=True)  # doctest: +SKIP
    >>> m.status, m.unit_no, m.room, m.existing_room                       # doctest: +SKIP
    ('matched', 2, '904', True)
    """
    hyps = hypotheses(gaz, tokenise(gaz, text)) if text.strip() else []
    places = _places(hyps, doors)
    if not places:
        return RowMatch("unmatched", reason=_why_not(hyps, text))
    top, unit = places[0]
    rivals = [h for h, _ in places[1:] if h.score >= top.score - TIE
              and (h.building is not top.building or top.building is None)]
    if rivals or top.score < MIN_CONFIDENCE:
        cands = [top, *rivals] if rivals else [h for h, _ in places[:MAX_CANDIDATES]]
        why = (f"{len(cands)} places fit equally well" if rivals
               else f"the best place fits only at {top.score:.2f}")
        return RowMatch("ambiguous", round(min(top.score, 1.0), 3), reason=why,
                        candidates=[_candidate(view, h) for h in cands[:MAX_CANDIDATES]])
    b = top.building
    out = RowMatch("matched", round(min(top.score, 1.0), 3), b.id if b else None, label=top.address,
                   lon=top.lon, lat=top.lat, grid=_grid(view, top))
    if b is None:       # a door (doors=True): the point lookup says where it lies
        point = view.at(top.lon, top.lat) or {}
        out.community = (point.get("community") or {}).get("code")
        out.district = (point.get("district") or {}).get("code")
        if out.grid is None:
            return RowMatch("unmatched", out.confidence, label=top.address, reason="the door is in no grid")
        return out
    if unit is not None:
        out.unit_no, out.unit_id = unit, b.units[unit][0]
        household = top.household or {}
        out.room = household.get("room")
        out.existing_room = top.level == "household"
    elif need_unit:
        return RowMatch("unmatched", round(min(top.score, 1.0), 3), b.id, label=top.address,
                        reason=f"{b.label} has no such unit (units: "
                               f"{', '.join(str(u) for u in sorted(b.units))})")
    return out
