"""The gazetteer: every name and number an address can mention, held in memory.

Built once per registry version (``gisgrid.address.cache``) from the rows of
:func:`gisgrid.db.address_store.gazetteer_sources`: roads and lanes, estates, buildings
with their doors and numbers, units, rooms, shops, resources, communities and
subdistricts, and named places (the business and special grids: 夫子庙). Names are kept
folded (:func:`gisgrid.address.text.fold`) in two Aho-Corasick automatons
(``pyahocorasick``): one on the characters, one on the sound
(:func:`gisgrid.address.text.phonetic`), so a name is found anywhere in a query, exactly
or as a homophone (金扬 for 金阳), in one pass over the text. Names a query spells with
a wrong character are found around their suffix (小区, 路, 巷…) by ``rapidfuzz``
(:mod:`gisgrid.address.tokens`).

Households are kept as rooms (building, unit, room) with their address and point only:
no resident's name or phone ever enters the gazetteer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import shapely

from gisgrid.address.text import fold, phonetic

__all__ = ["ESTATE_SUFFIXES", "FOREIGN_AREAS", "ROAD_SUFFIXES", "Gazetteer", "Name"]

#: Estate name endings, longest first (an estate's "core" is its name without one).
ESTATE_SUFFIXES = ("住宅小区", "小区", "花园", "家园", "佳苑", "新村", "公寓", "苑", "园", "庭", "府", "城")
#: Road name endings, longest first.
ROAD_SUFFIXES = ("大道", "大街", "胡同", "路", "街", "巷", "弄", "道", "里")

#: Cities and counties that are not this district: an address naming one of them is not
#: answered with a place of the same name here. Yulin's other counties, Shaanxi's other
#: cities, and neighbouring provinces' capitals (short and full forms are both matched).
FOREIGN_AREAS = (
    "横山区", "神木市", "府谷县", "靖边县", "定边县", "绥德县", "米脂县", "佳县", "吴堡县", "清涧县",
    "子洲县", "西安市", "铜川市", "宝鸡市", "咸阳市", "渭南市", "延安市", "汉中市", "安康市", "商洛市",
    "宝塔区", "鄂尔多斯市", "包头市", "太原市", "银川市", "兰州市", "北京市", "上海市",
)
#: This district's own prefix: dropped wherever it stands (with or without its suffix).
OWN_AREAS = ("中华人民共和国", "中国", "陕西省", "陕西", "榆林市", "榆林", "榆阳区", "榆阳")

_CORE_MIN = 2   # a core alias shorter than this would match everywhere


@dataclass(frozen=True, slots=True)
class Name:
    """One way a gazetteer entry can be written: kind, the entry's key, and how it was
    derived from the entry's own name (``name``, ``core`` without its suffix)."""

    kind: str      # road, estate, shop, resource, community, subdistrict, place, own, foreign
    key: Any       # road/estate/place name, shop/resource id, area name
    how: str = "name"


@dataclass(slots=True)
class Building:
    id: int
    road: str | None
    door: int | None
    estate: str | None
    number: int | None
    label: str              # 航宇路105号金阳小区114号楼
    lon: float
    lat: float
    households: int
    community: str | None
    units: dict[int, tuple[int, float, float]] = field(default_factory=dict)


@dataclass(slots=True)
class Point:
    """A shop, resource, named place, area or road: a name at a point (and, for places and
    areas, the buildings or shops whose grids it spans)."""

    name: str
    lon: float
    lat: float
    road: str | None = None
    door: int | None = None
    members: list[int] = field(default_factory=list)


_DOOR_RE = re.compile(r"^(?:陕西省榆林市榆阳区)?(?P<road>.+?)(?P<no>\d+)号$")
_BUILDING_NO_RE = re.compile(r"^(\d+)")


def _door(address: str | None) -> tuple[str | None, int | None]:
    m = _DOOR_RE.match(fold(address or ""))
    return (m.group("road"), int(m.group("no"))) if m else (None, None)


def estate_core(name: str) -> str | None:
    """The estate's name without its suffix (金林小区 -> 金林), if anything is left."""
    for suffix in ESTATE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= _CORE_MIN:
            return name[: -len(suffix)]
    return None


class Gazetteer:
    """Names, doors, buildings, units and rooms of one registry version, in memory.

    Parameters
    ----------
    sources : dict
        Rows from :func:`gisgrid.db.address_store.gazetteer_sources`.
    """

    def __init__(self, sources: dict[str, list[Any]]) -> None:
        self.buildings: dict[int, Building] = {}
        self.doors: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
        self.estates: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.on_road: dict[str, list[int]] = defaultdict(list)
        self.in_community: dict[str, list[int]] = defaultdict(list)
        self.rooms: dict[tuple[int, int, str], int] = {}
        self.floors: dict[tuple[int, int], set[int]] = defaultdict(set)
        self.homes: list[tuple[str, float, float]] = []
        self.shops: dict[int, Point] = {}
        self.resources: dict[int, Point] = {}
        self.areas: dict[str, Point] = {}
        self.area_level: dict[str, str] = {}
        self.places: dict[str, Point] = {}
        self.roads: dict[str, Point] = {}
        self.road_geoms: dict[str, Any] = {}
        self._names: dict[str, set[Name]] = defaultdict(set)
        self._read_buildings(sources)
        self._read_points(sources)
        self._read_names()
        self.exact = self._automaton(self._names)
        sounds: dict[str, set[Name]] = defaultdict(set)
        for text, names in self._names.items():
            if len(text) >= _CORE_MIN and any("\u4e00" <= ch <= "\u9fff" for ch in text):
                sounds[phonetic(text)] |= {n for n in names if n.kind not in ("own", "foreign")}
        self.sound = self._automaton(sounds)
        #: Names by kind and suffix, for typo search around a suffix (tokens.typo_mentions).
        self.by_suffix: dict[str, list[tuple[str, Name]]] = defaultdict(list)
        for text, names in self._names.items():
            for n in names:
                if n.how == "name" and n.kind in ("road", "estate"):
                    for suffix in (ROAD_SUFFIXES if n.kind == "road" else ESTATE_SUFFIXES):
                        if text.endswith(suffix) and len(text) > len(suffix):
                            self.by_suffix[suffix].append((text[: -len(suffix)], n))
                            break
        #: The same as two parallel lists per suffix (cores, names), for rapidfuzz.process.
        self.suffix_cores = {sfx: ([c for c, _ in items], [n for _, n in items])
                             for sfx, items in self.by_suffix.items()}

    # -- building --------------------------------------------------------------------------

    def _read_buildings(self, src: dict[str, list[Any]]) -> None:
        for b in src["buildings"]:
            road, door = _door(b.address)
            m = _BUILDING_NO_RE.match(fold(b.name or ""))
            estate = fold(b.estate) if b.estate else None
            number = int(m.group(1)) if m else None
            self.buildings[b.id] = Building(b.id, road, door, estate, number,
                                            f"{b.address}{b.estate or ''}{b.name}", b.lon, b.lat,
                                            int(b.households), b.community)
            if road is not None and door is not None:
                self.doors[(road, door)].append(("building", b.id))
                self.on_road[road].append(b.id)
            if estate:
                self.estates[estate][number if number is not None else -1].append(b.id)
            if b.community:
                self.in_community[b.community].append(b.id)
        for u in src["units"]:
            self.buildings[u.building_id].units[int(u.number)] = (u.id, u.lon, u.lat)
        for h in src["households"]:
            room = fold(str(h.room))
            self.rooms[(h.building_id, int(h.unit_no), room)] = len(self.homes)
            self.homes.append((h.address, h.lon, h.lat))
            if room[:-2].isdigit():             # rooms are {floor}{door:02d}: 1702
                self.floors[(h.building_id, int(h.unit_no))].add(int(room[:-2]))

    def _read_points(self, src: dict[str, list[Any]]) -> None:
        for s in src["shops"]:
            road, door = _door(s.address)
            self.shops[s.id] = Point(s.name, s.lon, s.lat, road, door)
            if road is not None and door is not None:
                self.doors[(road, door)].append(("shop", s.id))
        for r in src["resources"]:
            self.resources[r.id] = Point(r.name, r.lon, r.lat)
        for a in src["areas"]:
            self.areas[a.name] = Point(a.name, a.lon, a.lat, members=self.in_community.get(a.name, []))
            self.area_level[a.name] = a.level
        for a in src["areas"]:          # a subdistrict spans its communities' buildings
            if a.level == "community" and a.parent in self.areas:
                self.areas[a.parent].members.extend(self.areas[a.name].members)
        for r in src["roads"]:
            geom = shapely.from_wkb(r.wkb)
            at = shapely.line_interpolate_point(geom.geoms[0], 0.5, normalized=True) \
                if hasattr(geom, "geoms") else shapely.point_on_surface(geom)
            self.roads[fold(r.name)] = Point(r.name, at.x, at.y, members=self.on_road.get(fold(r.name), []))
            self.road_geoms[fold(r.name)] = geom
        for p in src["places"]:
            self.places[p.name] = Point(p.name, p.lon, p.lat, members=list(p.shops))

    def _add(self, text: str, name: Name) -> None:
        if text:
            self._names[fold(text)].add(name)

    def _read_names(self) -> None:
        for road in self.roads:
            self._add(road, Name("road", road))
        for estate in self.estates:
            self._add(estate, Name("estate", estate))
            core = estate_core(estate)
            if core:
                # 小区 is the word people drop (金林 for 金林小区); 花园, 新村, 苑… are part
                # of the name, and dropping them is a weaker sign (core2).
                self._add(core, Name("estate", estate, "core" if estate.endswith("小区") else "core2"))
        for sid, s in self.shops.items():
            self._add(s.name, Name("shop", sid))
        for rid, r in self.resources.items():
            self._add(r.name, Name("resource", rid))
        for name, level in self.area_level.items():
            if level in ("community", "subdistrict"):
                self._add(name, Name(level, name))
        for name in self.places:
            # 夫子庙商圈网格 is asked for as 夫子庙商圈 or 夫子庙.
            for alias in (name, name.removesuffix("网格"), re.sub(r"(商圈|商业区|片区)?网格$", "", name)):
                self._add(alias, Name("place", name))
        for name in OWN_AREAS:
            self._add(name, Name("own", name))
        for name in FOREIGN_AREAS:
            self._add(name, Name("foreign", name))
            short = re.sub(r"(市|区|县)$", "", name)
            if len(short) >= _CORE_MIN:
                self._add(short, Name("foreign", name))

    @staticmethod
    def _automaton(names: dict[str, set[Name]]) -> ahocorasick.Automaton:
        auto = ahocorasick.Automaton()
        for text, entries in names.items():
            auto.add_word(text, (len(text), tuple(sorted(entries, key=repr))))
        auto.make_automaton()
        return auto

    # -- questions ---------------------------------------------------------------------------

    def estate_buildings(self, estate: str) -> list[int]:
        """Every building of an estate."""
        return [b for ids in self.estates.get(estate, {}).values() for b in ids]

    def household(self, building: int, unit: int, room: str) -> int | None:
        """The household index of a room, if it exists."""
        return self.rooms.get((building, unit, room))
