"""The gazetteer a server keeps, and when it builds it again.

:class:`AddressCache` holds one :class:`~gisgrid.address.gazetteer.Gazetteer` (built in
about a second from the registry) until the *address epoch* moves (migration 0007: a
counter that triggers bump on every committed change to streets, buildings, units,
households, shops, resources, areas and the registry tables) or the lookup epoch (named
places are the business grids), checked at most every
``refresh_s`` seconds, as :class:`gisgrid.lookup.cache.LookupCache` does for points. The
grids come from that point cache (one index per set of plans in force), and the
buildings' and shops' grids in an index are worked out once per index
(:class:`~gisgrid.address.answer.GridView`).

Thread-safe: the API calls it from worker threads.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from gisgrid.address.answer import GridView
from gisgrid.address.gazetteer import Gazetteer
from gisgrid.db.address_store import address_epoch, gazetteer_sources
from gisgrid.db.lookup_store import lookup_epoch
from gisgrid.errors import DatabaseUnavailableError
from gisgrid.lookup.cache import LookupCache
from gisgrid.lookup.index import LookupIndex

__all__ = ["AddressCache"]


class AddressCache:
    """A gazetteer per address epoch, and a grid view per point index.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Where the registry lives.
    lookups : LookupCache
        The point lookups' cache (the grids in force on a day).
    refresh_s : float
        Check the address epoch at most this often (seconds); 0: before every lookup.
    """

    def __init__(self, engine: Engine, lookups: LookupCache, *, refresh_s: float = 1.0) -> None:
        self.engine = engine
        self.lookups = lookups
        self.refresh_s = float(refresh_s)
        self._lock = threading.Lock()
        self._epoch: tuple[int, int] | None = None
        self._gazetteer: Gazetteer | None = None
        self._views: OrderedDict[int, tuple[LookupIndex, GridView]] = OrderedDict()
        self._checked = -float("inf")
        self._invalid = True
        self.builds = 0

    def invalidate(self) -> None:
        """Check the epoch before the next answer (after a write through this process)."""
        self._invalid = True

    def get(self, on: dt.date) -> tuple[Gazetteer, GridView]:
        """The gazetteer and the grid view of the plans in force on ``on``.

        Raises
        ------
        DatabaseUnavailableError
            The database cannot be reached and no gazetteer is held.
        """
        index = self.lookups.get(on)
        with self._lock:
            if self._invalid or time.monotonic() - self._checked >= self.refresh_s:
                self._refresh()
            assert self._gazetteer is not None
            held = self._views.get(id(index))
            if held is None or held[0] is not index:
                held = (index, GridView(self._gazetteer, index))
                self._views[id(index)] = held
                while len(self._views) > 4:
                    self._views.popitem(last=False)
            return self._gazetteer, held[1]

    def _refresh(self) -> None:
        try:
            with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                # named places come from the grids: a new plan may rename them
                epoch = (address_epoch(conn), lookup_epoch(conn))
                if epoch != self._epoch or self._gazetteer is None:
                    self._gazetteer = Gazetteer(gazetteer_sources(conn))
                    self._epoch = epoch
                    self._views.clear()
                    self.builds += 1
        except OperationalError as exc:
            if self._gazetteer is None:
                raise DatabaseUnavailableError("the database is unreachable; try again later") from exc
            return          # keep answering from the gazetteer held; check again next time
        self._checked = time.monotonic()
        self._invalid = False
