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
from typing import Any

from gisgrid.address.tokens import Tokens

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


def _roles(n: int, marker: str | None, *, after_road: bool, road_named: bool, after_unit: bool
           ) -> list[tuple[str, ...]]:
    """The roles a written number of ``n`` parts with this marker may play, likeliest first."""
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
    shape = []
    unit_seen = False
    for num in tokens.numbers:
        shape.append((len(num.parts), num.marker, num.start in roads_end, unit_seen))
        unit_seen = unit_seen or num.marker in ("单元", "门", "门洞") or len(num.parts) == 3
    out: list[Reading] = []
    seen: set[Reading] = set()
    for combo in _combos(tuple(shape), road_named):
        values: dict[str, str] = {}
        unused = 0
        for num, roles in zip(tokens.numbers, combo, strict=True):
            if not roles:
                unused += 1
            for role, part in zip(roles, num.parts, strict=False):
                values[role] = part
        r = Reading(door=_int(values.get("door", "")), building=_int(values.get("building", "")),
                    unit=_int(values.get("unit", "")), room=values.get("room"),
                    floor=_int(values.get("floor", "")), unused=unused)
        if r not in seen:
            seen.add(r)
            out.append(r)
        if len(out) >= MAX_READINGS:
            break
    return out or [Reading()]


#: Role combinations per shape of a text's numbers, kept: addresses come in few shapes.
_COMBOS: dict[tuple[Any, ...], list[tuple[tuple[str, ...], ...]]] = {}


def _combos(shape: tuple[tuple[int, str | None, bool, bool], ...], road_named: bool
            ) -> list[tuple[tuple[str, ...], ...]]:
    """The role combinations (one role tuple per number) in which no role is given twice,
    likeliest first, for numbers of this shape: (parts, marker, right after a road, after
    a unit) each."""
    key = (shape, road_named)
    held = _COMBOS.get(key)
    if held is not None:
        return held
    options = [_roles(n, marker, after_road=after_road, road_named=road_named, after_unit=after_unit)
               for n, marker, after_road, after_unit in shape]
    out = []
    for combo in itertools.islice(itertools.product(*options), MAX_READINGS * 4):
        # a role given twice (two buildings) is no reading; zip stops at a number's parts
        roles = [role for n, r in zip(shape, combo, strict=True) for role in r[: n[0]]]
        if len(roles) == len(set(roles)):
            out.append(combo)
    if len(_COMBOS) < 10_000:
        _COMBOS[key] = out
    return out
