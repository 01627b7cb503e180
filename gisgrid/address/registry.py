"""The address registry: every addressable place of a district, parsed as queries are parsed.

Built from the district's streets, buildings, units and shops; rows are stored with their
components parsed and normalised by :mod:`gisgrid.address.parse` (the same code that
parses queries), so exact matching is column equality.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gisgrid.address.parse import estate_key, parse_address
from gisgrid.db import address_store as store


def _number(name: str | None) -> int | None:
    """Building number from a building name such as '3号楼' or '3栋'."""
    return parse_address(name or "").building_no


def rebuild_address_registry(session: Session, *, district_code: str) -> dict[str, int]:
    """Rebuild one district's registry from its streets, buildings, units and shops.

    Returns the rows written per table. Runs in the caller's transaction.
    """
    roads = store.reset_registry(session, district_code=district_code)
    rows = _place_rows(store.registry_sources(session, district_code=district_code),
                       district_code, roads)
    return {"address_road": len(roads), **store.write_places(session, rows, district_code=district_code)}


def _place_rows(sources: dict[str, list[Any]], district_code: str,
                roads: dict[str, int]) -> list[tuple[Any, ...]]:
    """Registry rows (buildings, units, shop doors) with parsed, normalised components."""
    point = store.point_ewkt
    rows: list[tuple[Any, ...]] = []
    parts: dict[int, tuple[Any, ...]] = {}
    for b in sources["buildings"]:
        addr = parse_address(b.address)
        key = (roads.get(addr.road or ""), addr.house_no, estate_key(b.estate), _number(b.name))
        parts[b.id] = key
        label = f"{b.address}{b.estate or ''}{b.name}"
        rows.append((district_code, "building", *key, None, b.id, None, None, label, point(b.lon, b.lat)))
    for u in sources["units"]:
        label = f"{u.address}{u.estate or ''}{u.name}{u.number}单元"
        rows.append((district_code, "unit", *parts[u.building_id], u.number, u.building_id, u.id, None,
                     label, point(u.lon, u.lat)))
    for s in sources["shops"]:
        addr = parse_address(s.address)
        if addr.road and addr.house_no is not None:
            rows.append((district_code, "house", roads.get(addr.road), addr.house_no, None, None, None,
                         None, None, s.id, f"{addr.road}{addr.house_no}号({s.name})",
                         point(s.lon, s.lat)))
    return rows
