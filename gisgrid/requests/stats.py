"""Assessment (考核) of an area's requests over a period: the figures community offices are judged by.

For the requests received in the period (merged duplicates left out) in a grid,
community, subdistrict or district: received, closed, closing rate, on-time rate (closed
by the deadline, among the closed), overdue now, mean and p90 working days from
registration to closing (suspensions left out), returned (times sent back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db import request_store
from gisgrid.errors import InvalidInputError, NotFoundError
from gisgrid.rules import CHINA_TZ, today

__all__ = ["STAT_FIELDS", "period", "request_stats"]

#: The figures, in the order of the export's columns.
STAT_FIELDS = ("received", "closed", "closing_rate", "on_time_rate", "overdue_now", "mean_days_to_close",
               "p90_days_to_close", "returned")


def period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period's first and last China calendar day (default: the last 30 days to today)."""
    end = end or today()
    start = start or end - dt.timedelta(days=29)
    if start > end:
        raise InvalidInputError(f"from ({start}) is after to ({end})")
    if (end - start).days > 3660:
        raise InvalidInputError("a period may be at most ten years")
    return start, end


def request_stats(session: Session, area: str, *, start: dt.date | None = None,
                  end: dt.date | None = None, parts: bool = False) -> dict[str, Any]:
    """The assessment figures of ``area`` (a grid, community, subdistrict or district code)
    for the requests received from ``start`` to ``end`` (China days, both included);
    with ``parts``, also those of each part (a district's subdistricts, a subdistrict's
    communities, a community's active grids) under ``"parts"``.

    Examples
    --------
    >>> request_stats(session, "610802001001")["received"]          # doctest: +SKIP
    23
    """
    first, last = period(start, end)
    where = request_store.area_name(session, area)
    if where is None:
        raise NotFoundError(f"no area or active grid with code {area}")
    out = _figures(session, where, first, last)
    if parts:
        out["parts"] = [_figures(session, part, first, last)
                        for part in request_store.child_areas(session, area)]
    return out


def _figures(session: Session, where: dict[str, Any], first: dt.date, last: dt.date) -> dict[str, Any]:
    lo = dt.datetime.combine(first, dt.time(), CHINA_TZ)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    r = request_store.stats(session, area=where["code"], level=where["level"], start=lo, end=hi)
    received, closed = int(r["received"]), int(r["closed"])
    return {
        "area": where, "from": first.isoformat(), "to": last.isoformat(),
        "received": received, "closed": closed,
        "closing_rate": round(closed / received, 4) if received else None,
        "on_time_rate": round(int(r["closed_on_time"]) / closed, 4) if closed else None,
        "overdue_now": int(r["overdue_now"]),
        "mean_days_to_close": None if r["mean_days"] is None else round(float(r["mean_days"]), 2),
        "p90_days_to_close": None if r["p90_days"] is None else round(float(r["p90_days"]), 2),
        "returned": int(r["returned"]),
    }
