"""Redraw from the current plan (动态调整): fix the grids that broke their bounds, moving few households.

When households change (a new estate, demolitions), regenerating every grid would move
households all over the community to new grids and new grid workers. :func:`redraw_plan`
keeps every grid that still meets the bounds exactly as it is and only touches the grids
that break them and their neighbours, with the moves of :mod:`gisgrid.planning.regroup`, each
chosen for the fewest households moved. What cannot be fixed is listed as a violation,
as in :func:`gisgrid.planning.generate.plan_grids`.

A household *moves* when its block's grid changes; households are counted at the new
figures (a new estate's households count as moved if its block changes grid).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gisgrid.blocks.graph import BlockGraph, as_graph, sort_key
from gisgrid.errors import InvalidInputError
from gisgrid.planning.generate import DEFAULT_BOUNDS, PlanProposal, build_proposal, check_bounds
from gisgrid.planning.regroup import repair_groups

__all__ = ["Reassignment", "Redraw", "compare_assignments", "redraw_plan"]


@dataclass
class Reassignment:
    """Blocks (and their households) whose grid differs between two plans."""

    moved_households: int
    moved_blocks: list[dict[str, Any]]
    households: int

    def to_dict(self) -> dict[str, Any]:
        return {"moved_households": self.moved_households, "households": self.households,
                "moved_blocks": self.moved_blocks}


@dataclass
class Redraw:
    """A redrawn plan and what it changed against the current one."""

    plan: PlanProposal
    moved_households: int
    moved_blocks: list[dict[str, Any]]
    changed_grids: list[Hashable]
    new_grids: list[Hashable]
    removed_grids: list[Hashable]

    def to_dict(self) -> dict[str, Any]:
        return {"moved_households": self.moved_households, "moved_blocks": self.moved_blocks,
                "changed_grids": self.changed_grids, "new_grids": self.new_grids,
                "removed_grids": self.removed_grids, "plan": self.plan.to_dict()}


def redraw_plan(blocks: Any, current: Mapping[Hashable, Iterable[Hashable]], *,
                counts: Mapping[Hashable, int] | str | None = None, households: Any = None,
                communities: Mapping[Hashable, Hashable] | str | None = None,
                bounds: Sequence[int] = DEFAULT_BOUNDS, dissolve: bool = True) -> Redraw:
    """Bring the current plan within bounds for new household figures, moving few households.

    Parameters
    ----------
    blocks : BlockGraph, GeoDataFrame or sequence of (id, Polygon)
        The blocks, as for :func:`gisgrid.planning.generate.plan_grids`.
    current : mapping
        The current plan: grid id -> its block ids; every block in exactly one grid.
    counts, households, communities, bounds, dissolve
        As for :func:`gisgrid.planning.generate.plan_grids`; the households are the *new* figures.

    Returns
    -------
    Redraw
        Unbroken grids keep their ids and blocks; new grids get ids after the largest
        integer id (``"new-1"``, ``"new-2"``... when the ids are not all integers).

    Raises
    ------
    InvalidInputError
        A block in no grid or in two, or an unknown block id.

    Examples
    --------
    >>> from shapely import box
    >>> blocks = [(i, box(109.73 + i * 1e-3, 38.28, 109.731 + i * 1e-3, 38.281)) for i in range(4)]
    >>> r = redraw_plan(blocks, {"A": [0, 1], "B": [2, 3]}, counts={0: 200, 1: 300, 2: 30, 3: 40})
    >>> r.plan.groups(), r.moved_households, r.removed_grids
    ({'A': [0, 1, 2, 3]}, 70, ['B'])
    """
    lo, hi = check_bounds(bounds)
    graph = as_graph(blocks, counts, households, communities)
    groups = _current_groups(graph, current)
    fixed = repair_groups(graph, groups, (lo, hi), new_label=_new_labels(list(groups)))
    plan = build_proposal(graph, fixed, (lo, hi), dissolve=dissolve)
    counts_now = dict(zip(graph.ids, graph.households, strict=True))
    change = compare_assignments({g: [graph.ids[b] for b in m] for g, m in groups.items()},
                                 plan.groups(), counts_now)
    touched = {m["from"] for m in change.moved_blocks} | {m["to"] for m in change.moved_blocks}
    return Redraw(plan=plan, moved_households=change.moved_households, moved_blocks=change.moved_blocks,
                  changed_grids=sorted((g for g in touched if g in groups and g in fixed), key=sort_key),
                  new_grids=sorted((g for g in fixed if g not in groups), key=sort_key),
                  removed_grids=sorted((g for g in groups if g not in fixed), key=sort_key))


def compare_assignments(old: Mapping[Hashable, Iterable[Hashable]],
                        new: Mapping[Hashable, Iterable[Hashable]],
                        counts: Mapping[Hashable, int], *, match: bool = False) -> Reassignment:
    """Which blocks, and how many households, change grid between two plans.

    Parameters
    ----------
    old, new : mapping
        Grid id -> block ids, for each plan.
    counts : mapping
        Households per block id (missing: 0).
    match : bool
        The plans' grid ids are unrelated (e.g. a plan regenerated from scratch): first
        give each new grid the id of the old grid it shares the most households with,
        one to one, greedily from the largest overlap (ties: more blocks, then ids).

    Returns
    -------
    Reassignment

    Examples
    --------
    >>> r = compare_assignments({"A": [1, 2], "B": [3]}, {"x": [1], "y": [2, 3]},
    ...                         {1: 10, 2: 5, 3: 20}, match=True)
    >>> r.moved_households, r.moved_blocks
    (5, [{'block': 2, 'from': 'A', 'to': 'B', 'households': 5}])
    """
    old_of = {b: g for g, bs in old.items() for b in bs}
    new_of = {b: g for g, bs in new.items() for b in bs}
    if match:
        rename = _match_grids(old_of, new_of, counts)
        new_of = {b: rename.get(g, ("new", g)) for b, g in new_of.items()}
    moved = []
    for b in sorted(set(old_of) | set(new_of), key=sort_key):
        if old_of.get(b) != new_of.get(b):
            to = new_of.get(b)
            moved.append({"block": b, "from": old_of.get(b), "to": to[1] if isinstance(to, tuple) else to,
                          "households": int(counts.get(b, 0))})
    return Reassignment(sum(m["households"] for m in moved), moved,
                        sum(int(counts.get(b, 0)) for b in set(old_of) | set(new_of)))


def _current_groups(graph: BlockGraph,
                    current: Mapping[Hashable, Iterable[Hashable]]) -> dict[Hashable, list[int]]:
    groups = {g: graph.indices(bs, f"current plan, grid {g}") for g, bs in current.items()}
    seen: dict[int, Hashable] = {}
    twice = []
    for g, m in groups.items():
        for b in m:
            if b in seen:
                twice.append(graph.ids[b])
            seen[b] = g
    missing = [graph.ids[b] for b in range(len(graph.ids)) if b not in seen]
    if twice or missing:
        raise InvalidInputError("current plan: every block must be in exactly one grid"
                                + (f"; in two: {twice[:20]}" if twice else "")
                                + (f"; in none: {missing[:20]}" if missing else ""),
                                details={"in_two": [str(b) for b in twice],
                                         "in_none": [str(b) for b in missing]})
    return groups


def _new_labels(existing: list[Hashable]) -> Callable[[], Hashable]:
    if existing and all(isinstance(g, int) and not isinstance(g, bool) for g in existing):
        counter = itertools.count(max(existing) + 1)  # type: ignore[type-var]
        return lambda: next(counter)
    names = (f"new-{n}" for n in itertools.count(1))
    taken = set(existing)
    return lambda: next(n for n in names if n not in taken)


def _match_grids(old_of: Mapping[Hashable, Hashable], new_of: Mapping[Hashable, Hashable],
                 counts: Mapping[Hashable, int]) -> dict[Hashable, Hashable]:
    overlap: dict[tuple[Hashable, Hashable], list[int]] = {}
    for b, g in new_of.items():
        if b in old_of:
            o = overlap.setdefault((old_of[b], g), [0, 0])
            o[0] += int(counts.get(b, 0))
            o[1] += 1
    pairs = sorted(overlap, key=lambda p: (-overlap[p][0], -overlap[p][1], sort_key(p[0]), sort_key(p[1])))
    rename: dict[Hashable, Hashable] = {}
    used = set()
    for o, n in pairs:
        if n not in rename and o not in used:
            rename[n] = o
            used.add(o)
    return rename
