"""Group commit of single intakes: ``POST /v1/requests`` calls that arrive together are
written together.

Why: a single intake costs little in Python (routing is ~20 µs in the lookup index) and a
lot around it: a hop to a worker thread, a pooled connection's pre-ping, a statement, a
commit (a WAL flush). Under load, requests wait for those anyway; so while one group is
being written, the intakes that arrive queue up and become the next group, written by
the set-based batch statements in one hop and one commit. An idle server writes a lone
intake at once (no timer, no added latency); a busy one writes groups as large as the
load makes them (at most :data:`MAX_GROUP`).

Each intake is answered as if posted alone: it is routed alone, a bad one fails alone
with its own error, and its likely duplicates are the open requests stored before it
and the earlier intakes of its group. Groups are written one at a time, so a later
group sees the earlier ones. A database failure fails the whole group (nothing of it
is written: one transaction), each caller getting 503 as a lone intake would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

__all__ = ["MAX_GROUP", "IntakeGroups"]

#: Most intakes written in one group (one statement per table, one commit).
MAX_GROUP = 500

Item = tuple[dict[str, Any], Any]
WriteGroup = Callable[[list[Item]], list[Any]]


class IntakeGroups:
    """Queue of intakes waiting for the next group write; ``write`` runs in a worker thread
    and returns per item an answer or the exception to raise."""

    def __init__(self, write: WriteGroup, *, max_group: int = MAX_GROUP) -> None:
        self.write = write
        self.max_group = max_group
        self._pending: list[tuple[Item, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, doc: dict[str, Any], who: Any) -> Any:
        """The answer of one intake (or its error, raised), once its group is committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(((doc, who), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups())
        return await future

    async def _write_groups(self) -> None:
        await asyncio.sleep(0)            # let the intakes already read join the first group
        while self._pending:
            group, self._pending = self._pending[:self.max_group], self._pending[self.max_group:]
            try:
                results = await run_in_threadpool(self.write, [item for item, _ in group])
            except Exception as exc:      # the whole group failed (database): each caller sees it
                results = [exc] * len(group)
            for (_, future), result in zip(group, results, strict=True):
                if future.done():         # the caller went away
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
