"""Stored assignment of a plan: every household and shop to its grid, database to database.

The steps, and why each is shaped as it is, are described in :mod:`gisgrid.db.assign_store`
(the reads and writes); the assignment itself is :class:`gisgrid.assign.points.GridRaster`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from gisgrid.assign.points import ArrayAssignment, GridRaster
from gisgrid.db import assign_store as store

__all__ = ["AssignSummary", "assign_plan"]

@dataclass
class AssignSummary:
    """What ``assign_plan`` wrote."""

    plan_id: int
    households: int = 0
    shops: int = 0
    on_boundary: int = 0
    unassigned_households: list[int] = field(default_factory=list)
    unassigned_shops: list[int] = field(default_factory=list)
    #: Wall-clock seconds by phase. "read and assign" includes "rasterise" and "assign
    #: (overlapped)", which run while the server packs the points.
    seconds: dict[str, float] = field(default_factory=dict)
    #: Connections that read the households (2: two halves on one shared snapshot).
    readers: int = 1

    def lap(self, phase: str, start: float) -> float:
        """Record ``phase`` as lasting from ``start`` to now; return now."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - start
        return now


def assign_plan(session: Session, plan_id: int) -> AssignSummary:
    """Recompute the stored assignments of one plan (households and shops), set-based.

    Every household and shop of the plan's district inside its scope area gets one base
    grid (or NULL, listed in the summary); shops also get their business overlays.
    Runs in the caller's transaction: on error nothing changes.

    Raises
    ------
    NotFoundError
        No such plan.

    Examples
    --------
    >>> summary = assign_plan(session, plan_id)           # doctest: +SKIP
    >>> summary.households, summary.unassigned_households  # doctest: +SKIP
    (59206, [])
    """
    start = time.perf_counter()
    plan = store.plan_row(session, plan_id)
    summary = AssignSummary(plan_id=plan_id)
    raw = store.raw_connection(session)
    split = store.second_reader(session)
    summary.readers = 1 if split is None else 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Each connection is used by one thread at a time: the second reader starts
        # first and packs its half while this thread reads the grids; then this
        # connection packs the first half (a worker waits on it, the session is not
        # touched meanwhile) while this thread rasterises. Two connections, two cores.
        if split is not None:
            half = split[1] // 2
            second = pool.submit(store.read_second_half, session.get_bind().engine, split[0], plan,
                                 (half, split[1] + 1))
        grid_ids, geoms = store.read_grids(session, plan_id, business=False)
        t = summary.lap("grids", start)
        first = pool.submit(store.read_points, raw, "household", plan, None if split is None else (0, half))
        raster = GridRaster(geoms)
        summary.lap("rasterise", t)
        # Each half is assigned as soon as it is here, while the other may still be
        # packing on the server; "assign" is what is left once both have arrived.
        halves = [first] if split is None else [first, second]
        parts: list[Any] = [None] * len(halves)
        assigned = 0.0
        for done in as_completed(halves):
            k = halves.index(done)
            ids_k, x_k, y_k = done.result()
            a = time.perf_counter()
            parts[k] = (ids_k, raster.assign(x_k, y_k))
            assigned += time.perf_counter() - a
        s_ids, sx, sy = store.read_points(raw, "shop", plan)
    ids = np.concatenate([p[0] for p in parts])
    result = ArrayAssignment.concat([p[1] for p in parts])
    summary.seconds["assign (overlapped)"] = assigned
    t = summary.lap("read and assign", t)
    store.write_households(session, summary, ids, grid_ids, result)
    summary.households, summary.shops = len(ids), len(s_ids)
    summary.on_boundary = int(result.on_boundary.sum())
    summary.unassigned_households = ids[result.owner < 0].tolist()
    t = time.perf_counter()
    s_result = raster.assign(sx, sy)
    store.write_shops(session, plan_id, s_ids, sx, sy, (grid_ids, s_result),
                 store.read_grids(session, plan_id, business=True))
    summary.unassigned_shops = s_ids[s_result.owner < 0].tolist()
    summary.lap("shops", t)
    summary.lap("total", start)
    return summary

