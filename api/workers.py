"""Heavy work in a small pool of worker processes, each within a time and a memory budget.

Why processes: a coverage check, a block cut or a grid generation can take seconds of
CPU and gigabytes for a hostile input. Run in the process that answers lookups it would
hold the interpreter (lookups wait) and could grow that process until the kernel kills
it; a thread cannot be stopped when its budget runs out. A worker process can: past the
time budget, or when the client goes away, it is killed (SIGKILL: the work stops, an
open transaction is rolled back by PostgreSQL) and a fresh one is forked in its place.
Each worker caps its own address space (``RLIMIT_AS``) at its idle size plus
``work_memory_mb``, so a request that needs more gets ``MemoryError`` there (413) while
the lookup process never sees the allocation.

Workers are forked from a ``forkserver`` that imported the web app once, so a
replacement is ready in milliseconds, not the seconds an import takes. They run at a
lower CPU priority (nice +5) than the process that answers lookups.

A job is ``func(*args)`` with ``func`` a module-level function (pickled by name);
:func:`worker_session` gives a job a database session in its worker, with the
statement timeout set to the time budget so no query outlives a killed worker.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import resource
import signal
import traceback
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from gisgrid.errors import (
    BusyError,
    DatabaseUnavailableError,
    GisGridError,
    InvalidValueError,
    TooLargeError,
    WorkerLostError,
    WorkTimeoutError,
)
from gisgrid.settings import LimitSettings

log = logging.getLogger("gisgrid.api")

#: Modules a worker imports before it reports ready (every job's module among them).
PRELOAD = ("api.app",)


class ClientGoneError(Exception):
    """The client went away while its work ran; the work was stopped, nobody to answer."""


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker process knows: its budgets and the database to use."""

    limits: LimitSettings
    database_url: str | None
    preload: tuple[str, ...] = PRELOAD


_config: WorkerConfig | None = None  # set in worker processes only
_engine: Any = None


def worker_limits() -> LimitSettings:
    """The limits of the pool this worker belongs to (defaults outside a worker)."""
    return _config.limits if _config is not None else LimitSettings()


@contextmanager
def worker_session() -> Iterator[Any]:
    """A database session in a worker: the caller commits; any error rolls back."""
    global _engine
    if _config is None or _config.database_url is None:
        raise RuntimeError("worker_session() outside a worker process with a database")
    if _engine is None:
        from gisgrid.db.engine import make_engine

        timeout_ms = int(_config.limits.work_timeout_s * 1000) + 1000
        _engine = make_engine(_config.database_url, pool_size=1, statement_timeout_ms=timeout_ms)
    from gisgrid.db.engine import make_sessionmaker

    with make_sessionmaker(_engine)() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _call(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import DataError, OperationalError

    from api.errors import VALUE_REFUSED

    try:
        return "ok", func(*args)
    except MemoryError:
        return "memory", None
    except GisGridError as exc:
        return "raise", exc
    except DataError as exc:  # as api.errors answers it in the server process
        log.warning("value refused by the database in a worker: %s", exc.orig)
        return "raise", InvalidValueError(VALUE_REFUSED)
    except OperationalError:
        return "raise", DatabaseUnavailableError("the database is unreachable; try again later")
    except RequestValidationError as exc:
        return "invalid", [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
    except Exception as exc:  # noqa: BLE001 - a bug in the job: reported to the parent as a 500
        if "bad_alloc" in str(exc):  # GEOS out of memory under RLIMIT_AS
            return "memory", None
        return "crash", "".join(traceback.format_exception(exc))


def _serve(conn: Any, config: WorkerConfig) -> None:
    """A worker's life: import, cap memory, say ready, then run jobs until told to stop."""
    global _config
    _config = config
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    with suppress(OSError):
        os.nice(5)
    for name in config.preload:
        importlib.import_module(name)
    limit = _address_space() + config.limits.work_memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            func, args = conn.recv()
        except (EOFError, OSError):
            return
        result = _call(func, args)
        try:
            conn.send(result)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or error
            conn.send(("crash", f"the job's result could not be sent: {exc!r}"))
        del result


def _roundtrip(conn: Any, message: Any) -> tuple[str, Any]:
    conn.send(message)
    return conn.recv()


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Any


class WorkPool:
    """Worker processes for heavy jobs; see the module docstring."""

    def __init__(self, limits: LimitSettings, *, database_url: str | None) -> None:
        self.limits = limits
        self._config = WorkerConfig(limits, database_url)
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(list(PRELOAD))
        self._threads = ThreadPoolExecutor(max_workers=2 * limits.work_processes + 2,
                                           thread_name_prefix="gisgrid-work")
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._waiting = 0  # requests waiting for a worker
        self._running = 0  # jobs holding a worker
        self._closed = False

    async def start(self) -> None:
        """Start the workers in the background: the server answers meanwhile (the first
        start also starts the forkserver, which imports the app: seconds), and heavy
        requests wait for the first worker ready, within their budget."""
        self._loop = asyncio.get_running_loop()
        self._starting = [asyncio.ensure_future(self._spawn()) for _ in range(self.limits.work_processes)]

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every worker has started (for tests and benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._idle.qsize() < self.limits.work_processes:
            if loop.time() > deadline:
                raise TimeoutError("the work processes did not start")
            await asyncio.sleep(0.05)

    async def _spawn(self) -> None:
        if self._closed:
            return
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(child, self._config), daemon=True,
                                    name="gisgrid-work")
        await asyncio.get_running_loop().run_in_executor(self._threads, process.start)
        child.close()
        if self._closed:  # closed while it started
            process.kill()
            return
        worker = _Worker(process, parent)
        self._all.add(worker)
        asyncio.get_running_loop().run_in_executor(self._threads, self._await_ready, worker)

    def _await_ready(self, worker: _Worker) -> None:
        try:
            worker.conn.recv()  # ("ready", pid)
        except (EOFError, OSError):
            if not self._closed:
                log.error("a work process died while starting (exit code %s)", worker.process.exitcode)
            return
        self._loop_call(self._idle.put_nowait, worker)

    def _loop_call(self, func: Callable[..., Any], *args: Any) -> None:
        with suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(func, *args)

    async def _acquire(self, deadline: float) -> _Worker:
        loop = asyncio.get_running_loop()
        self._loop = loop
        # Busy: every worker runs a job and the queue is full (a worker still starting
        # or being replaced is worth waiting for).
        full = self._running >= self.limits.work_processes
        if self._idle.empty() and full and self._waiting >= self.limits.work_queue:
            raise BusyError(
                f"all {self.limits.work_processes} workers are busy and {self._waiting} requests "
                "wait; try again shortly", details={"retry_after_s": 5})
        self._waiting += 1
        try:
            while True:
                worker = await asyncio.wait_for(self._idle.get(),
                                                timeout=max(0.0, deadline - loop.time()))
                if worker.process.exitcode is None:
                    return worker
                self._retire(worker)  # died while idle (e.g. killed from outside)
        except TimeoutError:
            raise WorkTimeoutError(
                f"no worker was free within the time budget ({self.limits.work_timeout_s:g} s)",
                details={"budget_s": self.limits.work_timeout_s}) from None
        finally:
            self._waiting -= 1

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (its work stops) and fork a replacement."""
        self._all.discard(worker)
        with suppress(Exception):
            worker.process.kill()

        def reap() -> None:
            worker.process.join(5)
            worker.conn.close()

        self._threads.submit(reap)
        asyncio.ensure_future(self._spawn())

    async def run(self, func: Callable[..., Any], *args: Any,
                  disconnected: Awaitable[Any] | None = None) -> Any:
        """``func(*args)`` in a worker within the time budget; the value, or its error.

        Raises
        ------
        WorkTimeoutError
            The budget ran out (waiting for a worker included); the work was stopped.
        ClientGoneError
            ``disconnected`` finished first; the work was stopped.
        TooLargeError
            The work needed more memory than ``work_memory_mb``.
        BusyError
            Every worker busy and the queue full.
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        deadline = loop.time() + self.limits.work_timeout_s
        try:
            worker = await self._acquire(deadline)
        except BaseException:
            if asyncio.iscoroutine(disconnected):
                disconnected.close()  # never started
            raise
        self._running += 1
        try:
            return await self._run_on(worker, func, args, deadline, disconnected)
        finally:
            self._running -= 1

    async def _run_on(self, worker: _Worker, func: Callable[..., Any], args: tuple[Any, ...],
                      deadline: float, disconnected: Awaitable[Any] | None) -> Any:
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._threads, _roundtrip, worker.conn, (func, args))
        waits: set[Any] = {job}
        gone = asyncio.ensure_future(disconnected) if disconnected is not None else None
        if gone is not None:
            waits.add(gone)
        try:
            done, _ = await asyncio.wait(waits, timeout=max(0.0, deadline - loop.time()),
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the request itself was cancelled: stop its work
            job.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._retire(worker)
            raise
        finally:
            if gone is not None:
                gone.cancel()
        if job not in done:
            job.add_done_callback(lambda f: f.cancelled() or f.exception())  # EOF once killed
            self._retire(worker)
            if gone is not None and gone in done:
                raise ClientGoneError()
            raise WorkTimeoutError(
                f"the work took longer than its time budget ({self.limits.work_timeout_s:g} s, "
                "GISGRID_WORK_TIMEOUT_S) and was stopped; send less at a time",
                details={"budget_s": self.limits.work_timeout_s})
        return self._outcome(worker, job)

    def _outcome(self, worker: _Worker, job: Any) -> Any:
        try:
            kind, value = job.result()
        except (EOFError, OSError, ValueError) as exc:
            self._retire(worker)
            raise WorkerLostError(f"the work stopped unexpectedly ({exc.__class__.__name__}); it "
                                  "was not completed") from None
        if kind == "memory":
            self._retire(worker)  # C libraries may not be in a usable state after it
            raise TooLargeError(
                f"the work needed more than its memory budget ({self.limits.work_memory_mb} MB, "
                "GISGRID_WORK_MEMORY_MB); send less at a time",
                details={"limit": self.limits.work_memory_mb, "limit_name": "work_memory_mb"})
        self._idle.put_nowait(worker)
        if kind == "ok":
            return value
        if kind == "raise":
            raise value
        if kind == "invalid":
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(value)
        raise RuntimeError(f"heavy work failed in its worker:\n{value}")

    async def aclose(self) -> None:
        """Stop every worker (work in progress is abandoned and rolled back), waiting for
        workers still being started so none outlives the pool."""
        self._closed = True
        pending = [t for t in getattr(self, "_starting", []) if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=30)
        self.close()

    def close(self) -> None:
        """Stop every worker now (work in progress is abandoned and rolled back)."""
        self._closed = True
        for worker in list(self._all):
            with suppress(Exception):
                worker.process.kill()
        for worker in list(self._all):
            with suppress(Exception):
                worker.process.join(5)
                worker.conn.close()
        self._all.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
