"""The requests as the staff map reads them: ONE place for every read of request columns
by the map (tiles, the page's counts).

Each request has its ``stage`` (:data:`gisgrid.rules.REQUEST_STAGES`), its deadline
(``due_at``; overdue by :data:`gisgrid.rules.OVERDUE_SQL`) and the grid it was routed to
(``grid_id``: an open request follows its place when a plan is activated, a closed one
keeps the grid it was handled in). Tiles are public and cached by proxies, so a request's
place is the centre of its ~10 m cell (:func:`gisgrid.rules.public_place_sql`), as
outsiders see it in every other answer.
"""

from __future__ import annotations

from gisgrid.rules import OPEN_STAGES_SQL, OVERDUE_SQL, REQUEST_STAGES, public_place_sql

__all__ = ["REQUEST_STAGES", "map_requests_sql"]


def map_requests_sql() -> str:
    """A ``SELECT id, stage, category, open, overdue, grid_id, location, stored`` of every request.

    ``open`` and ``overdue`` are booleans; ``location`` is the public place (WGS84), to
    draw; ``stored`` the stored point, to filter by (``r.stored && box`` uses the table's
    spatial index; the two are less than a cell apart). Used
    as a subquery (``FROM ({map_requests_sql()}) r``); columns a caller leaves unused
    cost nothing.

    Examples
    --------
    >>> "AS stage" in map_requests_sql() and "AS overdue" in map_requests_sql()
    True
    """
    return f"""
        SELECT t.id, t.stage AS stage, t.category,
               t.stage IN {OPEN_STAGES_SQL} AS open,
               {OVERDUE_SQL} AS overdue,
               t.grid_id,
               {public_place_sql("t.location")} AS location,
               t.location AS stored
        FROM request t"""
