"""Address lookup: a written address to a registry place, a location, and its grid.

Exact first: the query is parsed (``gisgrid.address.parse``) and its components are
compared with registry places by equality. Then fuzzy: a road or estate name that is
not in the registry is replaced by the closest one (similarity >= 0.6), which scales
the confidence down. A room number narrows a unit to its household. Failing a place,
a house number is interpolated along its side of the road (confidence 0.5), and a bare
road gives a point on it (0.3). The grid is the point lookup's at the match location.

One code path serves a single query (registry rows fetched by SQL) and a batch (the
whole registry read once), so both give the same answers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.address.parse import ParsedAddress, closest_name, estate_key, parse_address, rank_places
from gisgrid.crs import from_wgs84
from gisgrid.db import address_store as store
from gisgrid.errors import AddressNotFoundError, InvalidInputError
from gisgrid.lookup.point import json_loads, lookup_points_json, today

__all__ = ["lookup_address", "lookup_addresses"]

#: Candidates returned besides the match.
MAX_CANDIDATES = 5
_Fetch = Callable[[ParsedAddress, str | None, str | None], list[dict[str, Any]]]


def _match(place: dict[str, Any], confidence: float) -> dict[str, Any]:
    return {"address": place["label"], "confidence": confidence, "level": place["kind"],
            "lon": place["lon"], "lat": place["lat"], "unit_id": place.get("unit_id")}


def _matches(session: Session, parsed: ParsedAddress, names: dict[str, list[str]],
             fetch: _Fetch) -> list[dict[str, Any]]:
    """Ranked matches for one parsed query (without rooms resolved yet)."""
    if parsed.road is None and parsed.estate in names["roads"]:   # a bare road: 榆溪大道
        parsed = replace(parsed, road=parsed.estate, estate=None)
    road, r_sim = closest_name(parsed.road, names["roads"])
    estate, e_sim = closest_name(estate_key(parsed.estate), names["estates"])
    factor = (r_sim if road else 1.0) * (e_sim if estate else 1.0)
    ranked = rank_places(parsed, fetch(parsed, road, estate), road=road, estate=estate,
                         name_factor=factor)
    out = [_match(p, c) for c, p in ranked[: MAX_CANDIDATES + 1]]
    if not out and road and parsed.house_no is not None:
        at = store.interpolate_house(session, road, parsed.house_no)
        if at:
            out.append({"address": f"{road}{parsed.house_no}号", "confidence": round(0.5 * r_sim, 3),
                        "level": "interpolated", "lon": at[0], "lat": at[1], "unit_id": None})
    if not out and road:
        at = store.road_point(session, road)
        if at:
            out.append({"address": road, "confidence": round(0.3 * r_sim, 3), "level": "road",
                        "lon": at[0], "lat": at[1], "unit_id": None})
    return out


def _narrow_to_rooms(session: Session, parsed: list[ParsedAddress],
                     found: list[list[dict[str, Any]]]) -> None:
    """Where a room was given and the best match is its unit, move to the household."""
    wanted = [(i, m[0]["unit_id"]) for i, m in enumerate(found)
              if m and parsed[i].room and m[0]["level"] == "unit"]
    homes = store.households_in_units(session, sorted({u for _, u in wanted}))
    for i, unit_id in wanted:
        home = homes.get((unit_id, parsed[i].room))
        best = found[i][0]
        if home:
            best.update(address=home["address"], level="household", lon=home["lon"], lat=home["lat"])
        else:
            best["confidence"] = round(best["confidence"] * 0.95, 3)


def _resolve(session: Session, queries: Sequence[str], fetch: _Fetch, *, on: dt.date,
             coordsys: str, rooms: bool = True) -> list[dict[str, Any] | None]:
    names = {"roads": store.road_names(session), "estates": store.estate_names(session)}
    areas = store.area_names(session)
    parsed = [parse_address(q, known_areas=areas) for q in queries]
    found = [_matches(session, p, names, fetch) for p in parsed]
    if rooms:   # a room's household and position are personal: only for who may see them
        _narrow_to_rooms(session, parsed, found)
    flat = [m for ms in found for m in ms]
    grids = [json_loads(j) for j in lookup_points_json(
        session, [[m["lon"], m["lat"]] for m in flat], on=on)] if flat else []
    for m, g in zip(flat, grids, strict=True):
        m["grid"] = g["grid"] if g else None
    out: list[dict[str, Any] | None] = []
    for p, ms in zip(parsed, found, strict=True):
        if not ms:
            out.append(None)
            continue
        shaped = [_shape(m, coordsys) for m in ms]
        out.append({"match": shaped[0]["match"], "grid": shaped[0]["grid"],
                    "candidates": [{**s["match"], "grid": s["grid"]} for s in shaped[1:]],
                    "parsed": p.to_dict()})
    return out


def _shape(m: dict[str, Any], coordsys: str) -> dict[str, Any]:
    lon, lat = (m["lon"], m["lat"]) if coordsys == "wgs84" else from_wgs84(m["lon"], m["lat"], coordsys)
    return {"match": {"address": m["address"], "confidence": m["confidence"], "level": m["level"],
                      "location": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}},
            "grid": m["grid"]}


def lookup_address(session: Session, q: str, *, coordsys: str = "wgs84",
                   on: dt.date | None = None, rooms: bool = True) -> dict[str, Any]:
    """Resolve a written address to a registry place, its location and its grid.

    Parameters
    ----------
    session : Session
        Database session.
    q : str
        The address in any common written form (see ``gisgrid.address.parse``).
    coordsys : str
        Coordinate system of the returned locations (default ``wgs84``).
    on : datetime.date, optional
        The grid is taken from the plans in force that day (default: today).
    rooms : bool
        Resolve a room number to its household (level ``household``, the room's own
        position). False: stop at the unit, whether or not the room exists, so the
        answer says nothing about who lives there (``gisgrid.access``).

    Returns
    -------
    dict
        ``{"match": {"address", "confidence", "level", "location"}, "grid": {...} | None,
        "candidates": [...], "parsed": {...}}``.

    Raises
    ------
    AddressNotFoundError
        Nothing in the registry matches, not even fuzzily.

    Examples
    --------
    >>> lookup_address(session, "榆溪大道9号星元苑1栋1单元101")["match"]["level"]  # doctest: +SKIP
    'household'
    """
    if not q or not q.strip():
        raise InvalidInputError("the address query q is empty")
    from_wgs84(0.0, 0.0, coordsys)   # raises UnknownCoordsysError before any work

    def fetch(p: ParsedAddress, road: str | None, estate: str | None) -> list[dict[str, Any]]:
        if not road and not estate:
            return []
        return store.places(session, road=road, house_no=p.house_no, estate=estate,
                            building_no=p.building_no)

    result = _resolve(session, [q], fetch, on=on or today(), coordsys=coordsys, rooms=rooms)[0]
    if result is None:
        raise AddressNotFoundError(f"no address in the registry matches {q!r}",
                                   details={"q": q})
    return result


def lookup_addresses(session: Session, queries: Sequence[str], *, coordsys: str = "wgs84",
                     on: dt.date | None = None) -> list[dict[str, Any] | None]:
    """Batch :func:`lookup_address`: one answer per query (None when nothing matches).

    The registry is read once; answers equal those of single lookups.

    Examples
    --------
    >>> [r and r["grid"]["code"] for r in lookup_addresses(session, ["星元苑1-1-101", "火星路1号"])]
    ... # doctest: +SKIP
    ['610802001001001', None]
    """
    by_door: dict[tuple[Any, Any], list[dict[str, Any]]] = defaultdict(list)
    by_estate: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for place in store.places(session):
        if place["road"] is not None:
            by_door[(place["road"], place["house_no"])].append(place)
        if place["estate"] is not None:
            by_estate[place["estate"]].append(place)

    def fetch(p: ParsedAddress, road: str | None, estate: str | None) -> list[dict[str, Any]]:
        door = by_door.get((road, p.house_no), []) if road else []
        same = [x for x in by_estate.get(estate, []) if p.building_no is None
                or x["building_no"] == p.building_no or x["kind"] == "estate"] if estate else []
        return list({x["id"]: x for x in door + same}.values())

    return _resolve(session, queries, fetch, on=on or today(), coordsys=coordsys)
