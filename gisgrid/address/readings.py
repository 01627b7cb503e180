"""Readings of an address's numbers, tried against the registry.

The same text can be read several ways: in "X巷39号3单元502室" the 39 may be the door
(old town, one building a door) or a building number; in "金林小区3-2" the pair may be
building-unit or unit-room. Every reading (a role for each number: door, building,
unit, room, floor, or none) is tried with every road and estate the text may name, and
scored by the share of what it says that the registry confirms: a door that exists on
that road, a building of that number in that estate, a unit in that building, a room in
that unit. The readings the registry confirms best are kept (:mod:`gisgrid.address.match`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from gisgrid.address.tokens import Number, Tokens

__all__ = ["Reading", "readings"]

#: Most readings tried per text (the product of each number's roles, cut).
MAX_READINGS = 48


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read the numbers of a text: the value of each role (None: not said), and
    how many numbers it leaves unexplained."""

    door: int | None = None
    building: int | None = None
    unit: int | None = None
    room: str | None = None
    floor: int | None = None
    unused: int = 0


def _int(part: str) -> int | None:
    return int(part) if part.isdigit() else None


def _roles(num: Number, *, after_road: bool, road_named: bool, after_unit: bool) -> list[tuple[str, ...]]:
    """The roles one written number may play, likeliest first."""
    n, marker = len(num.parts), num.marker
    if n == 3:
        return [("building", "unit", "room")]
    if n == 2:
        if marker in ("室", "户", "房"):
            return [("unit", "room")]
        return [("building", "unit"), ("unit", "room"), ("building", "room")]
    if marker in ("号楼", "栋", "幢", "座"):
        return [("building",)]
    if marker in ("号", "号院"):
        if after_road:
            return [("door",), ("building",)]
        return [("building",), ("door",)] if road_named else [("building",)]
    if marker in ("单元", "门", "门洞", "号门"):
        return [("unit",)]
    if marker in ("室", "户", "房"):
        return [("room",)]
    if marker == "层":
        return [("floor",)]
    if marker == "楼":
        # after a unit: a floor (5楼), or a room followed by 楼上/楼下 (101楼上噪音大)
        return [("floor",), ("room",)] if after_unit else [("building",), ("floor",)]
    # A bare number: a room after a unit, else a door right after a road, else anything.
    if after_unit:
        return [("room",), ()]
    if after_road:
        return [("door",), ("building",), ()]
    return [("building",), ("room",), ()]


def readings(tokens: Tokens) -> list[Reading]:
    """Every reading of the text's numbers (see the module docstring), at most
    :data:`MAX_READINGS`, the likeliest (each number's first role) first."""
    roads_end = {m.end for m in tokens.of_kind("road")}
    road_named = bool(roads_end)
    options = []
    unit_seen = False
    for num in tokens.numbers:
        opts = _roles(num, after_road=num.start in roads_end, road_named=road_named, after_unit=unit_seen)
        unit_seen = unit_seen or num.marker in ("单元", "门", "门洞") or len(num.parts) == 3
        options.append(opts)
    out: list[Reading] = []
    seen: set[Reading] = set()
    for combo in itertools.islice(itertools.product(*options), MAX_READINGS * 4):
        values: dict[str, str] = {}
        unused = 0
        ok = True
        for num, roles in zip(tokens.numbers, combo, strict=True):
            if not roles:
                unused += 1
            for role, part in zip(roles, num.parts, strict=False):
                if role in values:
                    ok = False
                values[role] = part
        if not ok:
            continue
        r = Reading(door=_int(values.get("door", "")), building=_int(values.get("building", "")),
                    unit=_int(values.get("unit", "")), room=values.get("room"),
                    floor=_int(values.get("floor", "")), unused=unused)
        if r not in seen:
            seen.add(r)
            out.append(r)
        if len(out) >= MAX_READINGS:
            break
    return out or [Reading()]
