"""Moves of blocks between grids: repair the bounds moving few households, then shorten boundaries.

Used by :func:`gisgrid.planning.generate.plan_grids` to finish a fresh plan and by
:func:`gisgrid.planning.redraw.redraw_plan` to fix the grids new household figures broke. Every
move is of whole blocks, between grids of the same community, keeps the grids it touches
connected and never pushes one out of its bounds:

- a grid **above the maximum** sheds a connected set of its blocks, the smallest (in
  households) that brings it within the bounds, to an adjacent grid with room, or as a
  new grid (of at least the minimum) when no neighbour has room; when no single set
  does, several smaller ones in turn. A grid above twice the maximum is bisected
  (:func:`gisgrid.planning.partition.partition_blocks`) and its largest part keeps its id;
- a grid **below the minimum** is merged with an adjacent grid with room (the grid with
  fewer households moves), or takes a connected set of blocks from an adjacent grid that
  can spare them, whichever moves fewer households;
- the steps that fix one grid are undone together when they cannot finish the job, so a
  grid is either fixed or left as it was (and reported as a violation).

:func:`polish_groups` then moves single boundary blocks to the adjacent grid they share
more street with, shortening the total boundary (only for a fresh plan: a redraw moves
nobody for looks).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from gisgrid.blocks.graph import MIN_SHARED_EDGE_M, BlockGraph, sort_key
from gisgrid.planning.partition import check_bounds, partition_blocks

__all__ = ["polish_groups", "repair_groups"]

_MAX_SEEDS = 48  # seeds tried per carve: enough for any grid of blocks, bounded for huge ones


def repair_groups(graph: BlockGraph, groups: Mapping[Hashable, Iterable[int]], bounds: Sequence[int], *,
                  new_label: Callable[[], Hashable] | None = None) -> dict[Hashable, list[int]]:
    """Move blocks between grids until each is within bounds or cannot be fixed (see module doc).

    Parameters
    ----------
    graph : BlockGraph
    groups : mapping
        Grid label -> block indices.
    bounds : (int, int)
    new_label : callable, optional
        Makes the label of each new grid (default: integers after the largest one).

    Returns
    -------
    dict
        Label -> sorted block indices; untouched grids as given, in the given order, new
        grids last.

    Examples
    --------
    >>> from shapely import box
    >>> from gisgrid.blocks.graph import block_graph
    >>> g = block_graph([(i, box(109.73 + i * 1e-3, 38.28, 109.731 + i * 1e-3, 38.281))
    ...                  for i in range(3)], counts={0: 50, 1: 300, 2: 200})
    >>> repair_groups(g, {0: [0], 1: [1, 2]}, (100, 600))
    {1: [0, 1, 2]}
    """
    lo, hi = check_bounds(bounds)
    layout = _Layout(graph, groups, (lo, hi), new_label)
    for _ in range(4 * len(layout.members) + 8):
        grids = list(layout.members)
        broken = [g for g in grids if layout.over(g)] + [g for g in grids if layout.under(g)]
        changed = False
        for g in broken:
            if g in layout.members and (layout.over(g) or layout.under(g)):  # not merged away
                changed |= layout.fix(g)
        if not changed:
            break
    return {g: sorted(m) for g, m in layout.members.items()}


def polish_groups(graph: BlockGraph, groups: Mapping[Hashable, Iterable[int]], bounds: Sequence[int], *,
                  passes: int = 3) -> dict[Hashable, list[int]]:
    """Shorten grid boundaries by moving boundary blocks to the adjacent grid they share most street with.

    A block moves when it shares more edge length with an adjacent grid (same community)
    than with its own, so the total length of grid boundaries drops by twice the
    difference (the classic local move of graph partitioning, Kernighan-Lin style;
    unlike raising each grid's Polsby-Popper score, it never rewards tiny grids). Both
    grids must stay within bounds and the one left must stay connected. Blocks are
    visited in id order, ``passes`` times at most; grids outside the bounds are left alone.

    Parameters
    ----------
    graph : BlockGraph
    groups : mapping
        Grid label -> block indices.
    bounds : (int, int)
    passes : int
        Sweeps over all blocks at most.

    Returns
    -------
    dict
        Label -> sorted block indices.

    Examples
    --------
    Block 1 of these square (111 m) blocks shares two edges with grid ``a`` and one with
    its own ``b``, so it moves to ``a``; then so does block 7, and the boundary between
    the grids is one straight street::

        6 a | 7 b | 8 b
        3 a | 4 a | 5 b
        0 a | 1 b | 2 b

    >>> from shapely import box
    >>> from gisgrid.blocks.graph import block_graph
    >>> dx, dy = 1.2741e-3, 1e-3
    >>> g = block_graph([(3 * y + x, box(109.73 + x * dx, 38.28 + y * dy, 109.73 + (x + 1) * dx,
    ...                  38.28 + (y + 1) * dy)) for y in range(3) for x in range(3)], counts={})
    >>> polish_groups(g, {"a": [0, 3, 4, 6], "b": [1, 2, 5, 7, 8]}, (0, 600))
    {'a': [0, 1, 3, 4, 6, 7], 'b': [2, 5, 8]}
    """
    lo, hi = check_bounds(bounds)
    layout = _Layout(graph, groups, (lo, hi), None)
    for _ in range(passes):
        moved = False
        for b in range(len(graph.ids)):
            dest = layout.better_grid(b)
            if dest is not None:
                layout.move([b], dest)
                moved = True
        if not moved:
            break
    return {g: sorted(m) for g, m in layout.members.items()}


def _better(best: tuple[Any, ...] | None, option: tuple[Any, ...]) -> tuple[Any, ...]:
    """The lower-ranked of two options (compared on all but the last item, the target)."""
    return option if best is None or option[:-1] < best[:-1] else best


class _Layout:
    """Grids as sets of block indices, with the moves that fix their bounds."""

    def __init__(self, graph: BlockGraph, groups: Mapping[Hashable, Iterable[int]], bounds: tuple[int, int],
                 new_label: Callable[[], Hashable] | None) -> None:
        self.graph = graph
        self.lo, self.hi = bounds
        self.members = {g: set(m) for g, m in groups.items()}
        self.label = {b: g for g, m in self.members.items() for b in m}
        self.totals = {g: graph.total(m) for g, m in self.members.items()}
        if new_label is None:
            counter = itertools.count(max((g for g in groups if isinstance(g, int)), default=-1) + 1)
            new_label = lambda: next(counter)  # noqa: E731 - a one-line default
        self.new_label = new_label

    def cap(self, g: Hashable) -> int:
        """The most a grid can be brought down to: the maximum, or its biggest block."""
        return max(self.hi, max(self.graph.households[b] for b in self.members[g]))

    def over(self, g: Hashable) -> bool:
        return self.totals[g] > self.cap(g)

    def under(self, g: Hashable) -> bool:
        return self.totals[g] < self.lo

    def move(self, blocks: Iterable[int], to: Hashable) -> None:
        self.members.setdefault(to, set())
        self.totals.setdefault(to, 0)
        for b in blocks:
            src = self.label[b]
            self.members[src].discard(b)
            self.totals[src] -= self.graph.households[b]
            if not self.members[src]:
                del self.members[src], self.totals[src]
            self.members[to].add(b)
            self.totals[to] += self.graph.households[b]
            self.label[b] = to

    def touching(self, blocks: Iterable[int], exclude: Hashable) -> dict[Hashable, float]:
        """Adjacent grids (same community) and the edge length shared with ``blocks``."""
        out: dict[Hashable, float] = {}
        for b in blocks:
            for u, s in self.graph.nbrs[b].items():
                g = self.label.get(u)
                if g is not None and g != exclude:
                    out[g] = out.get(g, 0.0) + s
        return out

    def better_grid(self, b: int) -> Hashable | None:
        """The adjacent grid block ``b`` shares more edge with than with its own, if it may move there."""
        src = self.label.get(b)
        h = self.graph.households[b]
        if src is None or len(self.members[src]) == 1 or not self.lo <= self.totals[src] - h:
            return None
        if self.totals[src] > self.hi:
            return None
        edge: dict[Hashable, float] = {}
        for u, s in self.graph.nbrs[b].items():
            other = self.label.get(u)
            if other is not None:
                edge[other] = edge.get(other, 0.0) + s
        own = edge.get(src, 0.0)
        best, best_edge = None, own + MIN_SHARED_EDGE_M  # a metre or less is a tie, not a gain
        for dest in sorted((d for d in edge if d != src), key=sort_key):
            if edge[dest] > best_edge and self.lo <= self.totals[dest] and self.totals[dest] + h <= self.hi:
                best, best_edge = dest, edge[dest]
        if best is None or len(self.graph.components(self.members[src] - {b})) > 1:
            return None
        return best

    def fix(self, g: Hashable) -> bool:
        """Bring grid ``g`` within bounds by a sequence of moves, or undo them all and say False.

        Each step takes the move that fixes the grid outright while moving the fewest
        households; when none does, the one that gets closest (several small moves can
        succeed where one large one cannot).
        """
        if self.over(g) and self.totals[g] - self.cap(g) > self.hi:
            return self._bisect(g)
        journal: list[list[tuple[int, Hashable]]] = []
        while g in self.members and (self.over(g) or self.under(g)):
            step = self._step_over(g) if self.over(g) else self._step_under(g)
            if step is None:
                break
            blocks, dest = step
            journal.append([(b, self.label[b]) for b in blocks])
            self.move(blocks, self.new_label() if dest is None else dest)
        if g in self.members and (self.over(g) or self.under(g)):
            for done in reversed(journal):
                for b, src in done:
                    self.move([b], src)
            return False
        return bool(journal)

    def _bisect(self, g: Hashable) -> bool:
        """A grid above twice the maximum: cut it up; its biggest part keeps the id."""
        parts = partition_blocks(self.graph, self.members[g], (self.lo, self.hi))
        keep = max(parts, key=lambda p: (self.graph.total(p), len(p), -p[0]))
        for part in parts:
            if part is not keep:
                self.move(part, self.new_label())
        return len(parts) > 1

    def _step_over(self, g: Hashable) -> tuple[list[int], Hashable | None] | None:
        """Blocks of ``g`` to shed, and where (None: a new grid)."""
        excess = self.totals[g] - self.cap(g)
        for partial in (False, True):
            # ranked by households moved (most first for a partial step), new grid last,
            # longer shared edge, ids
            best: tuple[Any, ...] | None = None
            for carve, h in self.carves(g, self.members[g], need=excess, partial=partial):
                rank = -h if partial else h
                for dest, shared in self.touching(carve, g).items():
                    if self.totals[dest] + h <= self.hi:
                        best = _better(best, (rank, 0, -shared, sort_key(dest), sorted(carve), dest))
                if self.lo <= h <= self.hi:
                    best = _better(best, (rank, 1, 0.0, (0, 0), sorted(carve), None))
            if best is not None:
                return best[4], best[5]
        return None

    def _step_under(self, g: Hashable) -> tuple[list[int], Hashable] | None:
        """A merge with an adjacent grid, or blocks to take from one."""
        need = self.lo - self.totals[g]
        nbrs = self.graph.nbrs
        for partial in (False, True):
            best: tuple[Any, ...] | None = None
            for other, shared in self.touching(self.members[g], g).items():
                if not partial and self.totals[other] + self.totals[g] <= self.hi:
                    # the grid with fewer households moves (on a tie, the one below the minimum)
                    small, big = sorted((g, other), key=lambda x: (self.totals[x], x == other))
                    best = _better(best, (self.totals[small], 0, -shared, sort_key(other),
                                          sorted(self.members[small]), big))
                seeds = [b for b in self.members[other] if any(self.label.get(u) == g for u in nbrs[b])]
                for carve, h in self.carves(other, seeds, need=need, partial=partial):
                    if self.totals[g] + h <= self.hi:
                        edge = sum(s for b in carve for u, s in nbrs[b].items() if self.label.get(u) == g)
                        rank = -h if partial else h
                        best = _better(best, (rank, 1, -edge, sort_key(other), sorted(carve), g))
            if best is not None:
                return best[4], best[5]
        return None

    def carves(self, g: Hashable, seeds: Iterable[int], *, need: int,
               partial: bool = False) -> Iterator[tuple[frozenset[int], int]]:
        """Connected block sets of grid ``g`` that ``g`` can give up, grown from each seed,
        fewest households first.

        ``g`` must keep at least the minimum and stay in as many pieces as it is. Without
        ``partial``: the first set holding ``need`` households, and (for a new grid) the
        first holding the minimum too; with it: every smaller set holding some.
        """
        donor = self.members[g]
        total = self.totals[g]
        pieces = len(self.graph.components(donor))
        inside = sorted(seeds, key=lambda b: (all(self.label.get(u) == g for u in self.graph.nbrs[b]), b))
        seen: set[frozenset[int]] = set()
        for seed in inside[:_MAX_SEEDS]:
            for carve in self._grow(donor, seed, need, partial):
                h = self.graph.total(carve)
                if carve in seen or len(carve) == len(donor) or total - h < min(self.lo, total):
                    continue
                seen.add(carve)
                if len(self.graph.components(donor - carve)) <= pieces:
                    yield carve, h

    def _grow(self, donor: set[int], seed: int, need: int, partial: bool) -> Iterator[frozenset[int]]:
        hh, nbrs = self.graph.households, self.graph.nbrs
        grown, h = {seed}, hh[seed]
        heap = [(hh[u], u) for u in nbrs[seed] if u in donor]
        heapq.heapify(heap)
        stops = [need, max(need, self.lo)]
        while True:
            if partial and 0 < h < need:
                yield frozenset(grown)
            if not partial and stops and h >= stops[0]:
                yield frozenset(grown)
                while stops and h >= stops[0]:
                    stops.pop(0)
            if (partial and h >= need) or (not partial and not stops) or not heap:
                return
            _, v = heapq.heappop(heap)
            if v in grown:
                continue
            grown.add(v)
            h += hh[v]
            for u in nbrs[v]:
                if u in donor and u not in grown:
                    heapq.heappush(heap, (hh[u], u))
