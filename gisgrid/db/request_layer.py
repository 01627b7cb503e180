"""The requests as the staff map reads them: ONE place for every read of request columns
by the map (tiles, the page's counts), so that the request table's rewrite (issue 12:
``stage``, ``due_at``, ``grid_id``) changes one function.

Today the table has ``status`` (open / in_progress / resolved) and no due date or grid:
the stage is derived from the status (open → accepted, in_progress → in_progress,
resolved → closed), nothing is overdue, and the grid is the base grid of an active plan
that owns the location (the owner rule of :mod:`gisgrid.rules`).
"""

from __future__ import annotations

from gisgrid.rules import BASE_KINDS_SQL, owner_order_sql

__all__ = ["REQUEST_STAGES", "map_requests_sql"]

#: Every stage a request can be in (the public contract), in the order the legend lists them.
REQUEST_STAGES = ("accepted", "registered", "dispatched", "in_progress", "checked", "closed",
                  "suspended", "returned", "referred", "duplicate")


def map_requests_sql() -> str:
    """A ``SELECT id, stage, category, open, overdue, grid_id, location`` of every request.

    ``open`` and ``overdue`` are booleans; ``location`` is the stored point (WGS84). Used
    as a subquery (``FROM ({map_requests_sql()}) r``); columns a caller leaves unused
    cost nothing.

    Examples
    --------
    >>> "AS stage" in map_requests_sql() and "AS overdue" in map_requests_sql()
    True
    """
    return f"""
        SELECT t.id,
               CASE t.status WHEN 'open' THEN 'accepted' WHEN 'in_progress' THEN 'in_progress'
                             ELSE 'closed' END AS stage,
               t.category,
               t.status <> 'resolved' AS open,
               false AS overdue,
               (SELECT g.id FROM grid g JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
                WHERE ST_Covers(g.boundary, t.location) AND g.kind IN {BASE_KINDS_SQL}
                ORDER BY {owner_order_sql('g')} LIMIT 1) AS grid_id,
               t.location
        FROM request t"""
