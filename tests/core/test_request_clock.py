"""The working-day clock of requests: weekends, holidays, make-up working days (China time)."""

from __future__ import annotations

import datetime as dt

import pytest

from gisgrid.errors import TransitionNotAllowedError
from gisgrid.requests import WorkCalendar, allowed_from, check_transition
from gisgrid.rules import CHINA_TZ, OPEN_STAGES, REQUEST_STAGES


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=CHINA_TZ)


def test_two_working_days_from_a_friday_end_on_tuesday() -> None:
    """Fri 10:00 → (Sat, Sun stand still) → Tue 10:00."""
    assert WorkCalendar().deadline(at(2026, 11, 27), 2) == at(2026, 12, 1)


def test_a_request_registered_on_saturday_starts_counting_on_monday() -> None:
    assert WorkCalendar().deadline(at(2026, 11, 28), 1) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=CHINA_TZ)


def test_a_holiday_stands_the_clock_still_and_a_make_up_sunday_runs_it() -> None:
    """National Day 2026: Oct 1-7 off; a make-up Sunday Sep 27 counts."""
    days = {dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(7)}
    cal = WorkCalendar(holidays=days)
    assert cal.deadline(at(2026, 9, 30), 2) == at(2026, 10, 9)            # Wed 30th, then Thu 8th
    made_up = WorkCalendar(holidays=days, workdays={dt.date(2026, 9, 27)})
    assert made_up.deadline(at(2026, 9, 26), 1) == dt.datetime(2026, 9, 28, 0, 0, tzinfo=CHINA_TZ)
    assert WorkCalendar(holidays=days).deadline(at(2026, 9, 26), 1) == at(2026, 9, 29, 0)


def test_working_time_between_two_instants_leaves_weekends_and_holidays_out() -> None:
    cal = WorkCalendar(holidays={dt.date(2026, 12, 2)})
    assert cal.working_days(at(2026, 11, 27), at(2026, 11, 30)) == pytest.approx(1.0)   # Fri→Mon 10:00
    assert cal.working_days(at(2026, 12, 1), at(2026, 12, 3)) == pytest.approx(1.0)     # Tue→Thu, Wed off
    assert cal.working_days(at(2026, 12, 3), at(2026, 12, 1)) == 0.0


def test_the_clock_reads_utc_instants_as_china_days() -> None:
    """Sat 23:30 UTC is Sunday 07:30 in China: no working time until Monday."""
    sat_late = dt.datetime(2026, 11, 28, 23, 30, tzinfo=dt.UTC)
    assert WorkCalendar().deadline(sat_late, 1) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=CHINA_TZ)


def test_open_stages_are_every_stage_but_closed_and_duplicate() -> None:
    assert set(REQUEST_STAGES) - set(OPEN_STAGES) == {"closed", "duplicate"}


def test_a_suspended_request_resumes_only_to_the_stage_it_left() -> None:
    assert allowed_from("suspended", "in_progress") == ["in_progress"]
    with pytest.raises(TransitionNotAllowedError) as e:
        check_transition("suspended", "dispatched", resume_stage="in_progress")
    assert e.value.details["allowed"] == ["in_progress"]
    with pytest.raises(TransitionNotAllowedError) as e:
        check_transition("closed", "registered")
    assert e.value.details["allowed"] == []
