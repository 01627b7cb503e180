"""SQL for "which grid of a plan owns each household or shop", by location (storage side).

The rule itself (base grids own, the first by code then id on a shared edge) is
:mod:`gisgrid.rules`; this module writes it once as SQL for every count and diff made
by location (grid features, edit counts, size breaches, plan diffs), so that they count
each point in exactly the grid the stored assignment gives it
(:func:`gisgrid.assign.plan.assign_plan` orders the grids it rasterises the same way).
"""

from __future__ import annotations

from gisgrid.rules import BASE_KINDS_SQL, OPEN_STAGES_SQL, owner_order_sql

__all__ = ["OPEN_REQUEST_SQL", "counted_in_sql", "owners_sql", "owns_sql"]

_TABLES = ("household", "shop", "request")
#: The requests that follow their place's grid: the open ones (a closed request keeps the
#: grid it was handled in). Rows of table ``request`` aliased ``t``.
OPEN_REQUEST_SQL = f"t.stage IN {OPEN_STAGES_SQL}"


def owners_sql(table: str, *, plan: str = ":plan", among: str | None = None) -> str:
    """A ``SELECT id, grid_id``: each point of ``table`` in a base grid of ``plan``, and its owner.

    One row per point that a base grid of the plan covers (``ST_Covers``: edges count),
    ``grid_id`` its owner by :func:`gisgrid.rules.owner_order_sql`; points in no base
    grid have no row.

    Parameters
    ----------
    table : str
        ``household``, ``shop`` or ``request`` (open requests only: :data:`OPEN_REQUEST_SQL`).
    plan : str
        SQL for the plan's id (a bind parameter such as ``:plan``).
    among : str, optional
        An SQL condition on grids aliased ``s``: only the points covered by those grids
        are answered (their owner is still chosen among all the plan's base grids).
        Cheaper than the whole plan when a few grids are asked for.

    Examples
    --------
    >>> sql = owners_sql("household", plan=":p")
    >>> "DISTINCT ON (t.id)" in sql and "g.code, g.id" in sql
    True
    """
    if table not in _TABLES:
        raise ValueError(f"owners_sql: table must be one of {_TABLES}, not {table!r}")
    holders = (f"grid g ON ST_Covers(g.boundary, t.location) AND g.plan_id = {plan} "
               f"AND g.kind IN {BASE_KINDS_SQL}")
    only = f" AND {OPEN_REQUEST_SQL}" if table == "request" else ""
    if among is None:
        source = f"{table} t JOIN {holders}{only}"
    else:
        # The chosen grids' points first (GiST on the points), then every base grid of the
        # plan holding each (GiST on the grids); DISTINCT ON drops a point seen twice.
        source = (f"grid s JOIN {table} t ON ST_Covers(s.boundary, t.location) JOIN {holders} "
                  f"WHERE {among}{only}")
    return (f"SELECT DISTINCT ON (t.id) t.id, g.id AS grid_id FROM {source} "
            f"ORDER BY t.id, {owner_order_sql('g')}")


def owns_sql(grid: str, point: str) -> str:
    """SQL condition: the grid row aliased ``grid`` owns the point ``point`` (a column).

    The per-grid form of :func:`owners_sql` (the same rule): the grid is a base grid
    covering the point, and no base grid of its plan that comes first in owner order
    covers it too. For counts of a few grids (a page of an OGC collection, one roster),
    where finding every owner of the plan would be wasted work.

    Examples
    --------
    >>> "NOT EXISTS" in owns_sql("g", "h.location")
    True
    """
    return (f"(ST_Covers({grid}.boundary, {point}) AND {grid}.kind IN {BASE_KINDS_SQL} "
            f"AND NOT EXISTS (SELECT 1 FROM grid o WHERE o.plan_id = {grid}.plan_id "
            f"AND o.kind IN {BASE_KINDS_SQL} AND o.id <> {grid}.id "
            f"AND ({owner_order_sql('o')}) < ({owner_order_sql(grid)}) "
            f"AND ST_Covers(o.boundary, {point})))")


def counted_in_sql(grid: str, point: str, table: str) -> str:
    """SQL condition: the point counts in the grid aliased ``grid``: households in their
    owner grid only; shops in their owner grid and in every business grid holding them
    (as the stored assignment's overlays)."""
    if table not in _TABLES:
        raise ValueError(f"counted_in_sql: table must be one of {_TABLES}, not {table!r}")
    if table == "household":
        return owns_sql(grid, point)
    return (f"({owns_sql(grid, point)} OR ({grid}.kind NOT IN {BASE_KINDS_SQL} "
            f"AND ST_Covers({grid}.boundary, {point})))")
