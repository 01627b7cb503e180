"""Recursive bisection: cut a connected set of blocks into contiguous parts within household bounds.

A connected set of blocks holding ``H`` households needs at least ``k = ceil(H / max)``
grids. It is cut in two connected parts meant for ``k1`` and ``k - k1`` grids
(``k1 = k // 2``, and ``k - k // 2`` too when ``k`` is odd):

- the blocks are *swept*: grown over the street adjacency graph from the backmost block
  along the set's principal axis, always taking the frontier block furthest back, so
  every prefix of the sweep is connected; a second sweep runs across the axis;
- a prefix is a feasible cut when its households leave both sides able to hold their
  share of grids (``k1 * min <= H1 <= k1 * max``, likewise for the rest); the rest may
  fall into pieces, then all but its biggest join the cut side (one union-find pass,
  adding blocks back to front, gives the pieces of every suffix at once);
- the cut with the best score wins: its length (the street edges it runs along)
  relative to the typical grid side, plus the distance from a balanced split, plus 1
  per stranded piece. When no cut is feasible for ``k``, ``k + 1`` is tried, up to
  ``H // min`` (three more at most); failing all, the set is cut near its middle and
  the parts are left for the repair (:mod:`gisgrid.planning.regroup`).

Why this: it is recursive coordinate bisection on a graph. Cutting across the long side
each time makes compact parts, and choosing the shortest cut makes their boundaries run
along few streets; every grid count is tried from the fewest up, so it reaches few grids;
a sweep is ``O(n log n)`` and there are ``log k`` levels, so thousands of blocks take well
under a second; ties break on block index, so the result is deterministic. Seeded region
growing, the obvious alternative, strands remnants below the minimum all over the map
(``bench/planning_bench.py`` runs both).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from gisgrid.blocks.graph import BlockGraph
from gisgrid.rules import DEFAULT_HOUSEHOLD_BOUNDS, check_household_bounds

__all__ = ["DEFAULT_BOUNDS", "check_bounds", "partition_blocks"]

#: Default household bounds of a grid (min, max): the one constant of :mod:`gisgrid.rules`,
#: named here for planning's callers.
DEFAULT_BOUNDS = DEFAULT_HOUSEHOLD_BOUNDS
#: Validate (min, max) household bounds: :func:`gisgrid.rules.check_household_bounds`.
check_bounds = check_household_bounds

# Cut choice: score = cut length / typical grid side + _BALANCE * |H1 - target| / grid size.
_BALANCE = 1.0
# Sweep along the principal axis and across it: the second sweep finds a feasible cut
# where the first has none often enough to save grids (see bench/README.md, planning).
_TURNS = (0.0, math.pi / 2)
_EXTRA_K = 3          # grid counts tried above the minimum before giving up on the bounds


def partition_blocks(graph: BlockGraph, members: Iterable[int], bounds: Sequence[int]) -> list[list[int]]:
    """Cut a set of block indices into connected parts within bounds, by recursive bisection.

    The first step of :func:`plan_grids` (see the module docstring). A part that cannot
    be brought within the bounds comes back as it is, for the repair to try.

    Parameters
    ----------
    graph : BlockGraph
    members : iterable of int
        Block indices (positions in ``graph.ids``), connected or not.
    bounds : (int, int)

    Returns
    -------
    list of list of int
        The parts, each sorted, in order of their first index.

    Examples
    --------
    >>> from shapely import box
    >>> from gisgrid.blocks.graph import block_graph
    >>> g = block_graph([(i, box(109.73 + i * 1e-3, 38.28, 109.731 + i * 1e-3, 38.281))
    ...                  for i in range(3)], counts={0: 300, 1: 300, 2: 300})
    >>> partition_blocks(g, [0, 1, 2], (100, 600))
    [[0], [1, 2]]
    """
    lo, hi = check_bounds(bounds)
    out: list[list[int]] = []
    stack = graph.components(members)[::-1]
    while stack:
        part = stack.pop()
        if len(part) == 1 or graph.total(part) <= hi:
            out.append(part)
            continue
        first, second = _split(graph, part, lo, hi)
        stack.extend([second, first])
    return sorted(out)


def _split(graph: BlockGraph, part: list[int], lo: int, hi: int) -> tuple[list[int], list[int]]:
    """Two connected parts of ``part``, each feasible for its share of grids if possible.

    Grid counts are tried from the fewest up; for each, the best cut of both sweeps
    (trying the cross sweep only when the first fails would save its time but cost
    more grids: see bench/README.md, planning).
    """
    total = graph.total(part)
    sweeps = [_sweep(graph, part, turn) for turn in _TURNS]
    k_min = max(2, math.ceil(total / hi))
    k_max = min(total // lo if lo else k_min + _EXTRA_K, k_min + _EXTRA_K)
    area = float(graph.area[part].sum())
    for k in range(k_min, k_max + 1):
        best = None
        for sweep, k1 in itertools.product(sweeps, sorted({k // 2, k - k // 2})):
            window = (max(k1 * lo, total - (k - k1) * hi), min(k1 * hi, total - (k - k1) * lo))
            if window[0] > window[1]:
                continue
            found = _choose_cut(graph, part, sweep, window, target=total * k1 / k,
                                scale=(math.sqrt(area / k), total / k))
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        if best is not None:
            return best[1], best[2]
    # No cut keeps both sides feasible: cut near the middle and leave the rest to repair.
    found = _choose_cut(graph, part, sweeps[0], (-1, total + 1), target=total / 2,
                        scale=(math.sqrt(area / k_min), total / k_min))
    assert found is not None  # the remainder's biggest piece always stays: both sides non-empty
    return found[1], found[2]


class _Sweep(NamedTuple):
    """Blocks in growth order and, per prefix: households, cut length, the remainder's
    connected pieces and the households of its biggest piece."""

    order: list[int]
    households: np.ndarray
    cut: np.ndarray
    rest_pieces: np.ndarray
    rest_biggest: np.ndarray


def _sweep(graph: BlockGraph, part: list[int], turn: float = 0.0) -> _Sweep:
    """Grow ``part`` along its principal axis (turned by ``turn`` radians), backmost block first."""
    idx = np.asarray(part)
    xs, ys, w = graph.x[idx], graph.y[idx], graph.area[idx] + 1e-9
    mx, my = np.average(xs, weights=w), np.average(ys, weights=w)
    sxx, syy = np.average((xs - mx) ** 2, weights=w), np.average((ys - my) ** 2, weights=w)
    sxy = np.average((xs - mx) * (ys - my), weights=w)
    theta = 0.5 * math.atan2(2 * sxy, sxx - syy) + turn
    along = dict(zip(part, (xs * math.cos(theta) + ys * math.sin(theta)).tolist(), strict=True))
    start = min(part, key=lambda b: (along[b], b))
    state = dict.fromkeys(part, 0)  # 0 not reached, 1 on the frontier, 2 grown
    state[start] = 1
    heap = [(along[start], start)]
    order, pref_h, pref_cut = [], [], []
    households, nbrs, pop, push = graph.households, graph.nbrs, heapq.heappop, heapq.heappush
    h, cut = 0, 0.0
    while heap:
        v = pop(heap)[1]
        order.append(v)
        state[v] = 2
        h += households[v]
        for u, s in nbrs[v].items():
            t = state.get(u)
            if t is None:
                continue  # outside the part
            if t == 2:
                cut -= s
            else:
                cut += s
                if t == 0:
                    state[u] = 1
                    push(heap, (along[u], u))
        pref_h.append(h)
        pref_cut.append(cut)
    return _Sweep(order, np.asarray(pref_h), np.asarray(pref_cut), *_remainders(graph, order))


def _remainders(graph: BlockGraph, order: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Pieces of ``order[i + 1:]``, and its biggest piece's households, for every i.

    Union-find, adding the blocks back to front (each new block becomes the root of the
    pieces it joins): pieces only merge, so the biggest piece only grows, and one pass
    answers every cut.
    """
    parent: dict[int, int] = {}
    held: dict[int, int] = {}
    households, nbrs = graph.households, graph.nbrs
    pieces = biggest = 0
    out_pieces, out_biggest = [0] * len(order), [0] * len(order)
    for j in range(len(order) - 1, -1, -1):
        out_pieces[j], out_biggest[j] = pieces, biggest
        v = order[j]
        parent[v], held[v] = v, households[v]
        pieces += 1
        for u in nbrs[v]:
            if u not in parent:
                continue
            while parent[u] != u:  # find the root, halving the path
                parent[u] = parent[parent[u]]
                u = parent[u]
            if u != v:
                parent[u] = v
                held[v] += held[u]
                pieces -= 1
        biggest = max(biggest, held[v])
    return np.asarray(out_pieces), np.asarray(out_biggest)


def _choose_cut(graph: BlockGraph, part: list[int], sweep: _Sweep, window: tuple[float, float], *,
                target: float, scale: tuple[float, float]) -> tuple[float, list[int], list[int]] | None:
    """The best prefix cut with its side's households within ``window``.

    A remainder in several pieces keeps its biggest; the others are stranded behind the
    cut and join the cut side (a penalty of 1 per piece in the score).
    """
    total = int(sweep.households[-1])
    first_h = total - sweep.rest_biggest[:-1]
    ok = np.flatnonzero((first_h >= window[0]) & (first_h <= window[1]))
    if not len(ok):
        return None
    pieces = sweep.rest_pieces[ok]
    score = (sweep.cut[ok] / max(scale[0], 1e-9) + (pieces - 1)
             + _BALANCE * np.abs(first_h[ok] - target) / max(scale[1], 1))
    r = int(np.lexsort((ok, score))[0])
    i = int(ok[r])
    if pieces[r] == 1:
        return float(score[r]), sorted(sweep.order[:i + 1]), sorted(sweep.order[i + 1:])
    rest = graph.components(sweep.order[i + 1:])
    keep = max(rest, key=lambda c: (graph.total(c), -c[0]))
    first = sorted(set(part) - set(keep))
    return float(score[r]), first, keep
