"""Hypotheses: the registry places a tokenised address may mean, each with a score.

For every reading of the numbers (:mod:`gisgrid.address.readings`) and every road and
estate the text may name, the registry is asked directly (a door on a road, a building
number in an estate, a unit, a room) and the place found is scored by the share of the
text's parts it confirms times how well its names were written (:data:`QUALITY`).
Places spanning several grids (an estate asked by name alone, a road, a community, a
named place such as 夫子庙) become one hypothesis with *members*: the buildings or shops
whose grids it covers, weighted by households (or shops), so that the confidence can say
how the place is split (:mod:`gisgrid.address.lookup`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gisgrid.address.gazetteer import ESTATE_SUFFIXES, ROAD_SUFFIXES, Building, Gazetteer, Name
from gisgrid.address.readings import Reading, readings
from gisgrid.address.tokens import Mention, Tokens

__all__ = ["QUALITY", "Hypothesis", "hypotheses"]

#: How far a name written this way is trusted (tuned on the tuning half of the test set,
#: docs/addresses.md): the exact name, the estate's core without its suffix, a homophone
#: (of a name, of a core), one wrong character.
QUALITY = {"name": 1.0, "core": 0.93, "sound": 0.9, "soundcore": 0.6, "typo": 0.8}
#: Which way of writing a name is likelier when the registry confirms two equally: an
#: exact name, a core, a homophone (pinyin input makes them the common slip), a core
#: without a suffix other than 小区, a homophone of a core, one other wrong character.
RANK = {"name": 0, "core": 1, "sound": 2, "core2": 3, "soundcore": 4, "typo": 5}
#: A slip in a two-character core (金x小区): one of its two characters is a guess.
TYPO_SHORT = 0.35
#: An estate's core without a suffix other than 小区 (星元 for 星元苑): a weaker sign.
CORE2 = 0.6
#: Weight of confirmed numbers (a building number counts a quarter: 1号楼 is in nearly
#: every estate) that makes a fuzzily found name as good as an exact one.
CONFIRMING = 2.6
#: A place taken as a whole although the text gives numbers the registry does not confirm
#: (a building past the estate's last, a door past the road's last): the text names
#: something the registry does not have. On the tuning set none of these answers was
#: right (0 of 63), so the place keeps only a small chance; at 0.2 they were over a third of
#: the 0.2-0.4 band and pulled it below its floor (docs/addresses.md).
UNCONFIRMED = 0.05
#: Weights of what a text says, in the share the registry confirms.
WEIGHTS = {"door": 2.0, "estate": 2.0, "building": 2.0, "unit": 1.0, "room": 1.0, "floor": 0.5,
           "unused": 0.5, "community": 0.5}
_DIRECTIONS = {"北": (0, 1), "南": (0, -1), "东": (1, 0), "西": (-1, 0)}


@dataclass(slots=True)
class Hypothesis:
    """A place the text may mean. ``members`` are building ids (``member_kind`` says which
    table) whose grids the place spans; a single-point place has none."""

    score: float
    level: str
    address: str
    lon: float
    lat: float
    components: dict[str, Any] = field(default_factory=dict)
    members: list[int] = field(default_factory=list)
    member_kind: str = "building"
    building: Building | None = None
    household: dict[str, Any] | None = None
    crossing: bool = False
    rank: int = 0
    slips: int = 0      # characters written as another of the same sound (homophones)


@dataclass(frozen=True, slots=True)
class _Named:
    key: Any
    quality: float
    rank: int = 0       # how it was written (RANK): breaks near ties, never erased
    slips: int = 0      # written characters that differ from the name's, for a homophone


def _suffix_len(name: Any) -> int:
    if not isinstance(name, str):
        return 0
    return next((len(s) for s in (*ROAD_SUFFIXES, *ESTATE_SUFFIXES) if name.endswith(s)), 0)


def _slips(tokens: Tokens, m: Mention, n: Name) -> int:
    """Written characters of a homophone that differ from the name's (红山佳苑 for 弘山佳苑: 1)."""
    if m.how != "sound" or not isinstance(n.key, str):
        return 0
    return sum(a != b for a, b in zip(tokens.text[m.start:m.end], n.key, strict=False))


def _quality(tokens: Tokens, m: Mention, n: Name, slips: int) -> float:
    q = QUALITY[m.how] * (CORE2 if n.how == "core2" else 1.0)
    if m.how == "sound":
        # of two homophones, the one sharing more written characters (红山佳苑 for 弘山佳苑)
        q *= 1.0 - 0.1 * slips
    if m.how == "typo" and m.end - m.start - _suffix_len(n.key) <= 2:
        q = TYPO_SHORT          # one of two characters wrong: half the name is a guess
    if n.how.startswith("core"):
        # 世纪家园 when only 世纪新村 exists: the core fits but the suffix written says
        # another estate, which is no slip of the pen; 银河大道 is a road, not 银河小区.
        after = tokens.text[m.end:m.end + 2]
        if any(after.startswith(sfx) for sfx in ESTATE_SUFFIXES) and not n.key.endswith(after[:len(after)]):
            q *= 0.5
        if any(after.startswith(sfx) for sfx in ROAD_SUFFIXES):
            q *= 0.3
    return q


def _named(tokens: Tokens, kind: str) -> list[_Named]:
    out: dict[Any, _Named] = {}
    for m in tokens.mentions:
        for n in m.names:
            if n.kind == kind:
                rank = RANK["core2" if n.how == "core2" and m.how == "core" else m.how]
                slips = _slips(tokens, m, n)
                found = _Named(n.key, _quality(tokens, m, n, slips), rank, slips)
                held = out.get(n.key)
                if held is None or (found.rank, -found.quality) < (held.rank, -held.quality):
                    out[n.key] = found
    return list(out.values())


def _score_building(gaz: Gazetteer, b: Building, r: Reading, road: _Named | None, estate: _Named | None,
                    community: str | None, rooms: bool = True) -> Hypothesis:
    given = got = 0.0
    comps: dict[str, Any] = {"road": b.road, "door": b.door, "estate": b.estate, "building": b.number}
    if road is not None:
        w = 1.0 if r.door is not None else 0.5
        given += w
        got += w * (b.road == road.key)
    if r.door is not None:
        given += WEIGHTS["door"]
        got += WEIGHTS["door"] * (b.door == r.door and (road is None or b.road == road.key))
    if estate is not None:
        given += WEIGHTS["estate"]
        got += WEIGHTS["estate"] * (b.estate == estate.key)
    if r.building is not None:
        given += WEIGHTS["building"]
        got += WEIGHTS["building"] * (b.number == r.building)
    if community is not None:
        given += WEIGHTS["community"]
        got += WEIGHTS["community"] * (b.community == community)
    given += WEIGHTS["unused"] * r.unused
    level, lon, lat, address, household = ("building" if r.building is not None or estate else "door",
                                           b.lon, b.lat, b.label, None)
    if r.unit is not None:
        given += WEIGHTS["unit"]
        unit = b.units.get(r.unit)
        if unit is not None:
            got += WEIGHTS["unit"]
            level, lon, lat = "building", unit[1], unit[2]
            address = f"{b.label}{r.unit}单元"
            household = {"unit": r.unit, "room": None}
            comps["unit"] = r.unit
    if rooms and r.room is not None:    # rooms=False: the room plays no part (see hypotheses)
        given += WEIGHTS["room"]
        home = gaz.household(b.id, r.unit, r.room) if r.unit is not None else None
        if home is not None:
            got += WEIGHTS["room"]
            address, lon, lat = gaz.homes[home]
            level, household = "household", {"unit": r.unit, "room": r.room}
            comps["room"] = r.room
    if r.floor is not None and r.unit is not None:
        given += WEIGHTS["floor"]
        got += WEIGHTS["floor"] * (r.floor in gaz.floors.get((b.id, r.unit), ()))
    quality = (road.quality if road else 1.0) * (estate.quality if estate else 1.0)
    fit = got / given if given else 0.0
    # Numbers the registry confirms in that very place (a room in that unit of building 3)
    # make a name found by sound or with a slip near-certain; a bare name stays doubtful.
    numbers = (got - WEIGHTS["estate"] * (estate is not None and b.estate == estate.key)
               - (road is not None and b.road == road.key) * (1.0 if r.door is not None else 0.5)
               - 0.75 * WEIGHTS["building"] * (r.building is not None and b.number == r.building))
    confirmed = min(1.0, numbers / CONFIRMING)
    quality = 1.0 - (1.0 - quality) * (1.0 - confirmed)
    return Hypothesis(fit * quality, level, address, lon, lat, comps, building=b, household=household,
                      rank=max(road.rank if road else 0, estate.rank if estate else 0),
                      slips=(road.slips if road else 0) + (estate.slips if estate else 0))


def _buildings_for(gaz: Gazetteer, r: Reading, road: _Named | None, estate: _Named | None) -> list[int]:
    found: list[int] = []
    if road is not None and r.door is not None:
        found += [i for kind, i in gaz.doors.get((road.key, r.door), ()) if kind == "building"]
    if estate is not None and r.building is not None:
        found += gaz.estates.get(estate.key, {}).get(r.building, [])
    if estate is not None and road is not None and r.door is not None and not found:
        found += [i for kind, i in gaz.doors.get((road.key, r.door), ()) if kind == "building"]
    return list(dict.fromkeys(found))


def _specific(gaz: Gazetteer, tokens: Tokens, roads: list[_Named], estates: list[_Named],
              community: str | None, rooms: bool = True) -> list[Hypothesis]:
    out = []
    shops = _named(tokens, "shop")
    for r in readings(tokens):
        for road in [*roads, None]:
            for estate in [*estates, None]:
                if road is None and estate is None:
                    continue
                for bid in _buildings_for(gaz, r, road, estate):
                    out.append(_score_building(gaz, gaz.buildings[bid], r, road, estate, community,
                                               rooms))
        if shops or (roads and r.door is not None):
            out += _shops_at(gaz, shops, r, roads)
    return out


def _shops_at(gaz: Gazetteer, shops: list[_Named], r: Reading, roads: list[_Named]) -> list[Hypothesis]:
    """Shops named in the text (confirmed by a door if one is given) or at a door given."""
    out = []
    named = {n.key: n.quality for n in shops}
    ranks = {n.key: n.rank for n in shops}
    ids = set(named)
    for road in roads:
        if r.door is not None:
            ids |= {i for kind, i in gaz.doors.get((road.key, r.door), ()) if kind == "shop"}
    for sid in ids:
        s = gaz.shops[sid]
        given, got = (2.0, 2.0) if sid in named else (0.0, 0.0)
        if r.door is not None and roads:
            given += 3.0
            got += 3.0 * any(s.road == rd.key and s.door == r.door for rd in roads)
        given += WEIGHTS["unused"] * r.unused + 1.0 * (r.building is not None) + 1.0 * (r.unit is not None)
        fit = got / given if given else 0.0
        quality = named.get(sid, max((rd.quality for rd in roads if rd.key == s.road), default=1.0))
        out.append(Hypothesis(fit * quality, "door", f"{s.road}{s.door}号({s.name})", s.lon, s.lat,
                              {"road": s.road, "door": s.door, "shop": s.name}, rank=ranks.get(sid, 0)))
    return out


def _direction(tokens: Tokens) -> tuple[int, int] | None:
    for _, cue in tokens.cues:
        if cue.endswith("门") and cue[0] in _DIRECTIONS:
            dx, dy = _DIRECTIONS[cue[0]]
            if len(cue) == 3:                      # 东北门
                dx, dy = _DIRECTIONS[cue[1]][0], dy
            return dx, dy
    return None


def _area_members(gaz: Gazetteer, ids: list[int], tokens: Tokens) -> list[int]:
    """Buildings of an area, narrowed to those at its gate when a gate (北门…) is named."""
    way = _direction(tokens)
    if way is None or not ids:
        return ids
    dx, dy = way
    far = max(gaz.buildings[i].lon * dx + gaz.buildings[i].lat * dy for i in ids)
    return [i for i in ids if far - (gaz.buildings[i].lon * dx + gaz.buildings[i].lat * dy) < 0.0004]


def _coarse(gaz: Gazetteer, tokens: Tokens, roads: list[_Named], estates: list[_Named]) -> list[Hypothesis]:
    """Estates, roads, resources, named places and areas as wholes."""
    out = []
    gate = _direction(tokens) is not None
    said = UNCONFIRMED if tokens.numbers else 1.0
    for e in estates:
        ids = _area_members(gaz, gaz.estate_buildings(e.key), tokens)
        b = gaz.buildings[ids[0]]
        out.append(Hypothesis(e.quality * said * (0.95 if gate else 1.0), "landmark" if gate else "estate",
                              e.key, b.lon, b.lat, {"estate": e.key}, ids, rank=e.rank, slips=e.slips))
    for rd in roads:
        p = gaz.roads[rd.key]
        out.append(Hypothesis(rd.quality * said, "road", p.name, p.lon, p.lat, {"road": rd.key},
                              list(p.members), rank=rd.rank, slips=rd.slips))
    for n in _named(tokens, "resource"):
        p = gaz.resources[n.key]
        out.append(Hypothesis(n.quality, "landmark", p.name, p.lon, p.lat, {"landmark": p.name}))
    for n in _named(tokens, "place"):
        p = gaz.places[n.key]
        out.append(Hypothesis(n.quality, "landmark", p.name, p.lon, p.lat, {"landmark": p.name},
                              list(p.members), "shop"))
    for kind in ("community", "subdistrict"):
        for n in _named(tokens, kind):
            p = gaz.areas[n.key]
            ids = _area_members(gaz, list(p.members), tokens)
            out.append(Hypothesis(n.quality * 0.98, "community", p.name, p.lon, p.lat, {kind: p.name}, ids))
    return out


def _crossing(gaz: Gazetteer, tokens: Tokens, roads: list[_Named]) -> list[Hypothesis]:
    """"X与Y交叉口": the point where two named roads meet."""
    if len(roads) < 2 or not any(c in ("交叉口", "十字路口", "丁字路口", "路口") for _, c in tokens.cues):
        return []
    a, b = roads[0], roads[1]
    where = gaz.road_geoms[a.key].intersection(gaz.road_geoms[b.key])
    if where.is_empty:
        return []
    pt = where.representative_point()
    name = f"{gaz.roads[a.key].name}与{gaz.roads[b.key].name}交叉口"
    return [Hypothesis(a.quality * b.quality, "landmark", name,
                       pt.x, pt.y, {"crossing": [a.key, b.key]}, crossing=True)]


def hypotheses(gaz: Gazetteer, tokens: Tokens, *, rooms: bool = True) -> list[Hypothesis]:
    """Every place the text may mean, best first (see the module docstring).

    ``rooms=False`` reads the text as if it named no room: a room is personal data (it
    confirms a household and gives its position), so for callers who may not see it the
    answer stops at the unit, with a confidence that does not depend on whether the
    room exists (:mod:`gisgrid.access.scoped`).
    """
    roads, estates = _named(tokens, "road"), _named(tokens, "estate")
    communities = _named(tokens, "community")
    community = communities[0].key if len(communities) == 1 else None
    out = _crossing(gaz, tokens, roads)
    out += _specific(gaz, tokens, roads, estates, community, rooms)
    best = max((h.score for h in out), default=0.0)
    if best < 0.75:
        out += _coarse(gaz, tokens, roads, estates)
    out.sort(key=lambda h: -h.score)
    return out


def named_mentions(tokens: Tokens) -> list[Mention]:
    """The mentions that name something of this district (not an area elsewhere)."""
    return [m for m in tokens.mentions if m.kinds - {"own", "foreign"}]
