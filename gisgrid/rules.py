"""Domain rules written once for every layer: which day is today.

Each rule here used to be written in several places, and the copies drifted. Every
layer may import this module, and every caller uses it: every default date (lookups,
address lookups, activation, the CLI and the API) uses :func:`today`.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["CHINA_TZ", "today", "utc_now"]

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
