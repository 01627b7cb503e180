"""The in-memory lookup indexes a server keeps, and when it reads them again.

:class:`LookupCache` holds one :class:`~gisgrid.lookup.index.LookupIndex` per set of
plans in force (usually one: today's), and the dates of every plan ever in force, so
that a lookup for any ``date`` finds its plans without the database. It reads the
database again only when the *lookup epoch* has moved: a counter that triggers bump on
every committed change to plans, grids, teams, staff and areas (migration 0004). The
epoch is checked at most once every ``refresh_s`` seconds (default 1), in the background
while lookups go on being answered, so a change made elsewhere is answered within about
that time; with ``refresh_s=0`` it is checked before every lookup. A change made through
this server is answered at once (the API calls :meth:`invalidate` when a unit of work
that noted a lookup change commits, ``gisgrid.db.engine.on_lookup_change``, and the next
lookup waits for the check).

If the database cannot be reached when a check is due, the cache keeps answering from
what it holds (a hotline lookup should not fail because PostGIS restarts) and checks
again at the next lookup; an index never read yet needs the database.

Thread-safe: the API reads it from the event loop and refreshes it from worker threads.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import OrderedDict

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from gisgrid.db.lookup_store import PlanDates, grids_of_plans, lookup_epoch, lookup_state
from gisgrid.errors import DatabaseUnavailableError
from gisgrid.lookup.answer import DEFAULT_NEAR_M
from gisgrid.lookup.index import LookupIndex

__all__ = ["LookupCache"]

log = logging.getLogger(__name__)


class LookupCache:
    """Lookup indexes per set of plans in force, re-read when the lookup epoch moves.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Where the grids live.
    refresh_s : float
        Check the epoch at most this often (seconds); 0: before every lookup.
    max_indexes : int
        Indexes kept (one per distinct set of plans asked for), least recently used
        dropped first.

    Examples
    --------
    >>> cache = LookupCache(engine)                           # doctest: +SKIP
    >>> cache.get(dt.date(2026, 11, 29)).answer(109.735, 38.285)[:8]   # doctest: +SKIP
    b'{"grid":'
    """

    def __init__(self, engine: Engine, *, refresh_s: float = 1.0, max_indexes: int = 4,
                 cells_near_m: float = DEFAULT_NEAR_M) -> None:
        self.engine = engine
        self.refresh_s = float(refresh_s)
        self.max_indexes = max_indexes
        self.cells_near_m = cells_near_m
        self._lock = threading.Lock()
        self._epoch: int | None = None
        self._plans: list[PlanDates] = []
        self._indexes: OrderedDict[tuple[int, ...], LookupIndex] = OrderedDict()
        self._checked = -math.inf
        self._invalid = True     # the next answer must wait for a check
        self._refreshing = False
        self.builds = 0          # indexes built so far (for tests and logs)
        self.epoch_checks = 0    # times the epoch was read from the database (idem)

    # -- cheap, from the event loop -------------------------------------------------------

    def due(self) -> bool:
        """Whether the epoch must be checked before answering."""
        return time.monotonic() - self._checked >= self.refresh_s

    def invalidate(self) -> None:
        """Check the epoch before the next answer (after a write through this process)."""
        self._invalid = True

    def ready(self, on: dt.date) -> LookupIndex | None:
        """The index for ``on`` if it can answer now without waiting for the database.

        When a periodic check is due, it starts in the background and the index held
        answers meanwhile; after :meth:`invalidate` (or with ``refresh_s=0``) the answer
        waits: None, and the caller goes through :meth:`get`.
        """
        if self._invalid or self.refresh_s == 0:
            return None
        index = self._indexes.get(self._key(on))
        if index is not None and self.due() and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self._refresh_in_background, name="gisgrid-lookup-refresh",
                             daemon=True).start()
        return index

    # -- may read the database (call from a worker thread) ----------------------------

    def get(self, on: dt.date) -> LookupIndex:
        """The index for the plans in force on ``on``: checked, read or built as needed.

        Raises
        ------
        DatabaseUnavailableError
            The database cannot be reached and nothing usable is held.
        """
        with self._lock:
            if self._invalid or self.due():
                self._refresh()
            key = self._key(on)
            index = self._indexes.get(key)
            if index is None:
                key, index = self._build(on)
            self._indexes.move_to_end(key)
            while len(self._indexes) > self.max_indexes:
                self._indexes.popitem(last=False)
            return index

    def _key(self, on: dt.date) -> tuple[int, ...]:
        return tuple(p.id for p in self._plans if p.in_force(on))

    def _refresh_in_background(self) -> None:
        try:
            with self._lock:
                if self.due():
                    self._refresh()
        except Exception:  # noqa: BLE001 - logged; the next lookup tries again
            log.exception("lookup cache refresh failed")
        finally:
            self._refreshing = False

    def _refresh(self) -> None:
        try:
            self.epoch_checks += 1
            with self.engine.connect() as conn:
                epoch = lookup_epoch(conn)
            if epoch != self._epoch:
                self._load_state()
        except OperationalError as exc:
            if self._epoch is None:
                raise DatabaseUnavailableError("the database is unreachable; try again later") from exc
            log.warning("lookup epoch check failed (%s); answering from the indexes held", exc)
            return
        self._checked = time.monotonic()
        self._invalid = False

    def _load_state(self) -> None:
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            self._epoch, self._plans = lookup_state(conn)
        self._indexes.clear()

    def _build(self, on: dt.date) -> tuple[tuple[int, ...], LookupIndex]:
        # The plans and their grids in one snapshot: if the epoch moved since the plans
        # were read, take the new plans (the set in force may differ) and drop the rest.
        try:
            with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                epoch, plans = lookup_state(conn)
                if epoch != self._epoch:
                    self._epoch, self._plans = epoch, plans
                    self._indexes.clear()
                key = self._key(on)
                grids = grids_of_plans(conn, list(key))
        except OperationalError as exc:
            raise DatabaseUnavailableError("the database is unreachable; try again later") from exc
        index = LookupIndex(grids, cells_near_m=self.cells_near_m)
        self._indexes[key] = index
        self.builds += 1
        return key, index
