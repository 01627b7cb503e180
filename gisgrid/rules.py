"""Domain rules written once for every layer: who owns a point, which day is today, grid sizes.

Each rule here used to be written in several places, and the copies drifted (a
household on a shared edge was assigned to one grid and counted in two). Every layer
may import this module (it imports nothing of gisgrid but the errors), and every
caller uses it: the in-memory and stored assignment, lookups, counts and diffs use
:func:`owner_key` / :func:`owner_order_sql`; every default date uses :func:`today`;
plans, coverage checks, planning and the planner's map use
:data:`DEFAULT_HOUSEHOLD_BOUNDS` and :func:`check_household_bounds`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from gisgrid.errors import InvalidInputError

__all__ = ["BASE_KINDS", "BASE_KINDS_SQL", "CHINA_TZ", "DEFAULT_HOUSEHOLD_BOUNDS", "OPEN_STAGES",
           "OPEN_STAGES_SQL", "OVERDUE_SQL", "PUBLIC_PLACE_CELL_DEG", "REQUEST_STAGES", "public_place_sql",
           "check_household_bounds", "fill_household_bounds", "is_base", "owner_key", "owner_order_sql",
           "stateless_owner_key", "today", "utc_now"]

# -- who owns a point ---------------------------------------------------------------------
#
# Why: every household and shop must have exactly one grid whose team answers for it
# (人在格上、事在格中). Residential and special grids are the *base* grids that own
# points; business grids (the Fuzimiao merchants' grid) are overlays: a shop inside one
# belongs to its base grid AND is listed by the overlay, a household never belongs to
# an overlay. A point on an edge (or vertex) shared by several base grids, or inside a
# special grid laid over a residential one, is held by all of them; it is owned by the
# one whose (code, id) sorts first. Codes are unique within a plan and survive plan
# versions, so the owner does not change when a grid is merely copied into a draft; the
# id only breaks ties between plans. Everything that says where a point belongs (the
# stored assignment, lookups, per-grid counts, size checks, diffs) follows this one
# order, so a household is counted in exactly the grid it is assigned to.
#
# A point that no base grid holds but a business grid does (a gap in the residential
# layer, reported by the coverage check) is owned by nobody; a lookup still names that
# business grid as its ``grid``, so that the caller reaches a team (its key sorts after
# every base grid's).

#: The grid kinds that own households and shops; the other kind (business) overlays them.
BASE_KINDS = ("residential", "special")
#: :data:`BASE_KINDS` as an SQL list, for ``kind IN ...``.
BASE_KINDS_SQL = "(" + ", ".join(f"'{k}'" for k in BASE_KINDS) + ")"


def is_base(kind: str) -> bool:
    """Whether grids of this kind own points (residential, special) rather than overlay them."""
    return kind in BASE_KINDS


def owner_key(kind: str, code: str, grid_id: int) -> tuple[bool, str, int]:
    """Sort key of the stored grids holding a point: the smallest owns it.

    Base grids before business overlays, then by code, then by id; the same order as
    :func:`owner_order_sql`.

    Examples
    --------
    >>> holders = [("residential", "610802002001004", 9), ("business", "610802002001001", 3),
    ...            ("residential", "610802002001003", 12)]
    >>> min(holders, key=lambda g: owner_key(*g))
    ('residential', '610802002001003', 12)
    """
    return (not is_base(kind), code, grid_id)


def owner_order_sql(alias: str = "g") -> str:
    """The ``ORDER BY`` terms that put a point's owner first among grids ``alias`` of a plan.

    PostgreSQL sorts false before true, as Python does, so this is :func:`owner_key`.

    Examples
    --------
    >>> owner_order_sql("g")
    "(g.kind NOT IN ('residential', 'special')), g.code, g.id"
    """
    return f"({alias}.kind NOT IN {BASE_KINDS_SQL}), {alias}.code, {alias}.id"


def stateless_owner_key(grid_id: Any) -> tuple[str, str]:
    """Sort key of the grids holding a point where grids are only user-given ids.

    ``POST /v1/assign`` knows no codes or kinds: the grid whose id sorts first *as
    text* owns a shared edge (then by ``repr``, so ``1`` and ``"1"`` still have one
    order), so the same request always gets the same owner whatever the ids' types.

    Examples
    --------
    >>> sorted([10, 9, "a"], key=stateless_owner_key)
    [10, 9, 'a']
    """
    return (str(grid_id), repr(grid_id))


# -- which day is today -------------------------------------------------------------------

#: China Standard Time (UTC+8, no daylight saving): plan dates are Chinese calendar days.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def utc_now() -> dt.datetime:
    """The current time, timezone-aware (the clock :func:`today` reads; tests replace it)."""
    return dt.datetime.now(dt.UTC)


def today(now: dt.datetime | None = None) -> dt.date:
    """Today's calendar day in China: the default day of every lookup, activation and CLI verb.

    Not the server's local day: a server running on UTC is still on the previous day
    between 00:00 and 08:00 in China, and a plan activated then must start on the
    Chinese day the office is living.

    Parameters
    ----------
    now : datetime.datetime, optional
        The instant (timezone-aware; naive is taken as UTC); default :func:`utc_now`.

    Examples
    --------
    >>> today(dt.datetime(2026, 12, 4, 17, 30, tzinfo=dt.UTC))
    datetime.date(2026, 12, 5)
    """
    now = now if now is not None else utc_now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(CHINA_TZ).date()


# -- how many households a grid holds -----------------------------------------------------

#: Households per grid (min, max), inclusive (规模适度): the Yuyang practice and the default
#: of every plan; each plan stores its own bounds (``plan.household_min``/``household_max``).
DEFAULT_HOUSEHOLD_BOUNDS = (100, 600)


def check_household_bounds(bounds: Sequence[Any]) -> tuple[int, int]:
    """Household bounds as ``(min, max)`` whole numbers, ``0 <= min <= max`` and ``max >= 1``.

    Raises
    ------
    InvalidInputError
        Not two whole numbers, or out of order (a 400 ``invalid_input`` in the API).

    Examples
    --------
    >>> check_household_bounds((100, 600))
    (100, 600)
    """
    try:
        lo, hi = (int(v) for v in bounds)
        whole = all(int(v) == v for v in bounds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"household bounds must be two whole numbers (min, max), "
                                f"got {bounds!r}") from None
    if not whole or lo < 0 or hi < 1 or lo > hi:
        raise InvalidInputError(f"household bounds must be whole numbers with 0 <= min <= max and "
                                f"max >= 1, got {tuple(bounds)!r}",
                                details={"min": bounds[0], "max": bounds[1]})
    return lo, hi


def fill_household_bounds(given: Sequence[int | None] | None,
                          fallback: Sequence[int]) -> tuple[int, int]:
    """Bounds as given, each missing value (None) taken from ``fallback``, then checked.

    How every caller reads a plan's bounds: the plan's stored bounds (or, for a new
    draft, its source's) unless the caller names others.

    Examples
    --------
    >>> fill_household_bounds((None, 400), (100, 600))
    (100, 400)
    """
    low, high = given if given is not None else (None, None)
    return check_household_bounds((fallback[0] if low is None else low,
                                   fallback[1] if high is None else high))


# -- which requests are open, which are overdue ---------------------------------------------
#
# Why here: the request side (gisgrid.requests), the plan diffs and counts
# (gisgrid.db.owners, units_store), the staff map and the stats all ask "is this request
# still open?" and "is it overdue?"; one answer for all. Stages follow digital city
# management (GB/T 30428, CJ/T 315): accepted 受理, registered 立案, dispatched 派遣,
# in_progress 处置, checked 核查, closed 结案; suspended 挂起 (the clock stops),
# returned 退回 (back to dispatch), referred 转办 (to another department), duplicate
# (merged into a master request). A closed or merged request is no longer open; a
# referred one is, until the department's answer closes it.

#: Every stage a request can be in.
REQUEST_STAGES = ("accepted", "registered", "dispatched", "in_progress", "checked", "closed",
                  "suspended", "returned", "referred", "duplicate")
#: The stages that count as open (the request follows its place's grid, counts in the
#: grid's open requests, may become overdue).
OPEN_STAGES = tuple(s for s in REQUEST_STAGES if s not in ("closed", "duplicate"))
#: :data:`OPEN_STAGES` as an SQL list, for ``stage IN ...``.
OPEN_STAGES_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN_STAGES) + ")"
#: SQL condition on a ``request`` row aliased ``t``: overdue now. Open, past its deadline,
#: and not suspended (a suspended request's clock stands still; its deadline moves on
#: when it resumes).
OVERDUE_SQL = (f"(t.stage IN {OPEN_STAGES_SQL} AND t.stage <> 'suspended' "
               "AND t.due_at IS NOT NULL AND t.due_at < now())")
#: A request's place as outsiders see it is the centre of its cell of this many degrees
#: (about 10 m), so that a request made at a home does not give the home away
#: (:func:`gisgrid.requests.answers.public_position`, and the staff map's tiles).
PUBLIC_PLACE_CELL_DEG = 1e-4


def public_place_sql(point: str) -> str:
    """SQL: the centre of the :data:`PUBLIC_PLACE_CELL_DEG` cell holding ``point`` (SRID 4326)."""
    c = PUBLIC_PLACE_CELL_DEG
    return (f"ST_SetSRID(ST_MakePoint(floor(ST_X({point}) / {c}) * {c} + {c / 2}, "
            f"floor(ST_Y({point}) / {c}) * {c} + {c / 2}), 4326)")
