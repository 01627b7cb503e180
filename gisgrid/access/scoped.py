"""Lookups whose answer depends on who asks: an address down to its room, or not.

A full room address (星元苑1号楼1单元101室) resolved to its household confirms that the
household exists and gives the room's own position: personal data. Admins, and staff
and planners of the household's community, get that; everyone else gets the unit (the
building's entrance and its grid), with the same confidence whether or not the room
exists, so the answer cannot be used to probe the register.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.access.roles import Principal
from gisgrid.address.lookup import lookup_address
from gisgrid.db import user_store

__all__ = ["lookup_address_for"]


def lookup_address_for(session: Session, principal: Principal, q: str, *, coordsys: str = "wgs84",
                       on: dt.date | None = None) -> dict[str, Any]:
    """:func:`gisgrid.address.lookup.lookup_address` as ``principal`` may see it.

    Examples
    --------
    >>> from gisgrid.access.roles import ANONYMOUS
    >>> lookup_address_for(session, ANONYMOUS, "星元苑1号楼1单元101室")["match"]["level"]
    ... # doctest: +SKIP
    'unit'
    """
    if principal.is_admin or principal.role in ("planner", "staff"):
        result = lookup_address(session, q, coordsys=coordsys, on=on, rooms=True)
        # Not only a household match is personal: a unit match whose confidence dropped
        # because the room was not found says "nobody lives in 9999室". Either way, the
        # room-level answer is for those who may see the community's personal data.
        grid = result.get("grid") or {}
        community = user_store.grid_community(session, grid["id"]) if grid.get("id") else None
        if principal.may_see_personal(community):
            return result
    return lookup_address(session, q, coordsys=coordsys, on=on, rooms=False)
