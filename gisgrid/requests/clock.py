"""The working-day clock of requests: deadlines and durations in working days (China time).

Why whole days: a request's time limit is written in working days (工作日: e.g. 2 for
sanitation, 7 for repairs) and counted as the offices count it, on China's calendar:
Monday to Friday, less the public holidays, plus the make-up working days on weekends
(调休), both from the configurable ``request_holiday`` table. The clock runs through a
working day's 24 hours and stands still on other days, so a request registered on a
Friday at 10:00 with 2 working days is due on Tuesday at 10:00, and one registered on a
Saturday starts counting at Monday 00:00. A suspension (挂起) stops the clock: when the
request resumes, its deadline moves on by the working time the suspension took.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from gisgrid.rules import CHINA_TZ

__all__ = ["DAY_S", "WorkCalendar"]

#: Seconds in a (working) day.
DAY_S = 86_400.0


@dataclass(frozen=True)
class WorkCalendar:
    """Which China calendar days are working days.

    Parameters
    ----------
    holidays : iterable of date
        Public holidays (no work even on a weekday).
    workdays : iterable of date
        Make-up working days (work even on a Saturday or Sunday).

    Examples
    --------
    >>> cal = WorkCalendar(holidays={dt.date(2026, 10, 1)})
    >>> fri = dt.datetime(2026, 9, 25, 10, 0, tzinfo=CHINA_TZ)
    >>> cal.deadline(fri, 2).isoformat()
    '2026-09-29T10:00:00+08:00'
    """

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> None:
        object.__setattr__(self, "holidays", frozenset(holidays))
        object.__setattr__(self, "workdays", frozenset(workdays))

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def deadline(self, start: dt.datetime, days: float) -> dt.datetime:
        """The instant when ``days`` working days have passed since ``start`` (China time)."""
        return self.add(start, days * DAY_S)

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """``start`` moved on by ``seconds`` of working time (China time, aware)."""
        t = _china(start)
        left = float(seconds)
        for _ in range(3700):          # at most ten years of days
            midnight = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(), CHINA_TZ)
            if self.is_workday(t.date()):
                room = (midnight - t).total_seconds()
                if left <= room:
                    return t + dt.timedelta(seconds=left)
                left -= room
            t = midnight
        raise ValueError(f"no deadline within ten years of {start.isoformat()} "
                         "(a calendar without working days?)")

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working time between two instants (0 when ``end`` is not after ``start``)."""
        a, b = _china(start), _china(end)
        total = 0.0
        while a < b:
            midnight = dt.datetime.combine(a.date() + dt.timedelta(days=1), dt.time(), CHINA_TZ)
            stop = min(midnight, b)
            if self.is_workday(a.date()):
                total += (stop - a).total_seconds()
            a = midnight
        return total

    def working_days(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working days (fractional) between two instants."""
        return self.working_seconds(start, end) / DAY_S


def _china(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(CHINA_TZ)
