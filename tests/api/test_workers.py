"""The worker pool for heavy work: budgets of time and memory, clients that leave, errors.

Jobs here are functions of the standard library and of gisgrid (a worker unpickles a job
by its module and name), so no test-only code runs in the workers.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
import shapely

from api.workers import ClientGoneError, WorkPool
from gisgrid.coverage.check import check_coverage
from gisgrid.errors import BusyError, InvalidInputError, TooLargeError, WorkTimeoutError
from gisgrid.settings import LimitSettings


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone_soon(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


async def _with_pool(limits: LimitSettings, body) -> None:
    pool = WorkPool(limits, database_url=None)
    await pool.start()
    await pool.wait_ready()  # budgets count from here (a fresh pool imports the app first)
    try:
        await body(pool)
    finally:
        await pool.aclose()


def run(limits: LimitSettings, body) -> None:
    asyncio.run(_with_pool(limits, body))


def test_work_past_its_time_budget_is_stopped_and_its_worker_replaced() -> None:
    async def body(pool: WorkPool) -> None:
        first = await pool.run(os.getpid)
        started = time.monotonic()
        with pytest.raises(WorkTimeoutError) as err:
            await pool.run(time.sleep, 60)
        assert time.monotonic() - started < 30  # answered at the budget, not after the work
        assert err.value.details == {"budget_s": 1.5}
        assert _gone_soon(first)  # the work stopped: its process is gone
        second = await pool.run(os.getpid)  # a fresh worker answers
        assert second != first and _alive(second)

    run(LimitSettings(work_processes=1, work_timeout_s=1.5), body)


def test_work_over_its_memory_budget_is_413_and_the_pool_goes_on() -> None:
    async def body(pool: WorkPool) -> None:
        first = await pool.run(os.getpid)
        with pytest.raises(TooLargeError) as err:
            await pool.run(bytearray, 400 * 2**20)  # 400 MB against a 100 MB budget
        assert "memory budget (100 MB" in err.value.message
        assert await pool.run(len, b"abc") == 3
        assert await pool.run(os.getpid) != first  # replaced after running out of memory

    run(LimitSettings(work_processes=1, work_memory_mb=100), body)


def test_work_whose_client_went_away_is_stopped() -> None:
    async def body(pool: WorkPool) -> None:
        pid = await pool.run(os.getpid)
        with pytest.raises(ClientGoneError):
            await pool.run(time.sleep, 60, disconnected=asyncio.sleep(0.3))
        assert _gone_soon(pid)
        assert await pool.run(os.getpid) != pid

    run(LimitSettings(work_processes=1, work_timeout_s=120), body)


def test_a_full_queue_answers_busy_at_once() -> None:
    async def body(pool: WorkPool) -> None:
        await pool.run(os.getpid)  # the worker is up
        running = asyncio.ensure_future(pool.run(time.sleep, 1.0))
        await asyncio.sleep(0.2)
        with pytest.raises(BusyError):
            await pool.run(os.getpid)
        await running
        assert isinstance(await pool.run(os.getpid), int)

    run(LimitSettings(work_processes=1, work_queue=0), body)


def test_errors_of_the_work_come_back_as_the_same_exceptions() -> None:
    async def body(pool: WorkPool) -> None:
        with pytest.raises(InvalidInputError, match="parent must be a geometry"):
            await pool.run(check_coverage, [], "not a geometry")
        report = await pool.run(check_coverage, [("a", shapely.box(0, 0, 1, 1))], shapely.box(0, 0, 1, 1))
        assert report.ok

    run(LimitSettings(work_processes=1), body)


def test_a_worker_killed_from_outside_while_idle_is_replaced() -> None:
    async def body(pool: WorkPool) -> None:
        pid = await pool.run(os.getpid)
        os.kill(pid, 9)
        assert _gone_soon(pid)
        assert await pool.run(os.getpid) != pid

    run(LimitSettings(work_processes=1), body)


def test_geos_running_out_of_memory_is_the_memory_budget_not_bad_input() -> None:
    """GEOS reports an allocation refused under the address-space cap as GEOSException
    ("std::bad_alloc"); it must come back as the memory budget (413), not as a 400."""
    from shapely.errors import GEOSException

    from api.routers.coverage import _geos_guard
    from api.workers import _call

    def exhausted() -> None:
        raise GEOSException("std::bad_alloc")

    def broken() -> None:
        raise GEOSException("TopologyException: side location conflict")

    assert _call(_geos_guard, (exhausted,))[0] == "memory"
    kind, err = _call(_geos_guard, (broken,))
    assert kind == "raise" and isinstance(err, InvalidInputError)
