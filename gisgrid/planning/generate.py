"""Blocks to grids: contiguous unions of street blocks with household counts within bounds.

规模适度, 街巷定界: a grid holds between ``min`` and ``max`` households (100–600 by
default) and its boundary runs along streets, so grids are unions of whole *blocks* (the
faces streets cut out, :mod:`gisgrid.blocks.polygonize`). Two blocks are neighbours when they share
a street edge, not just a corner, and never across a community boundary
(:mod:`gisgrid.blocks.graph`); a grid is a connected set of neighbours.

:func:`plan_grids` works in three steps:

1. **Recursive bisection** (:mod:`gisgrid.planning.partition`): each connected set of blocks is
   cut along streets, across its long side, into the fewest parts the bounds and block
   sizes allow; compact and deterministic, ``O(n log n log k)``.
2. **Repair, then polish** (:mod:`gisgrid.planning.regroup`): a grid still outside the bounds
   has blocks moved to or from an adjacent grid, or is merged into one; then boundary
   blocks move to the adjacent grid they share more street with, shortening the
   boundaries.
3. What cannot be met is reported, never hidden: a block above the maximum becomes its
   own grid (``over_max``: split the block along a lane or by buildings); a block or
   component below the minimum with no neighbour that can take it stays a grid
   (``under_min``: merge across the street with the named neighbour).

Geometry is lon/lat WGS84 in and out; lengths and areas are measured in the local
equal-area projection (:class:`gisgrid.crs.LocalEqualArea`). Compactness is
Polsby-Popper, ``4 pi area / perimeter²`` (1 for a disc, 0.785 for a square).
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from gisgrid.blocks.graph import BlockGraph, as_graph, sort_key
from gisgrid.planning.partition import DEFAULT_BOUNDS, check_bounds, partition_blocks
from gisgrid.planning.regroup import polish_groups, repair_groups

__all__ = ["DEFAULT_BOUNDS", "Grid", "PlanProposal", "Violation", "build_proposal", "check_bounds",
           "plan_grids"]


@dataclass
class Violation:
    """A grid whose bounds could not be met: the kind, the blocks to blame, what to do.

    ``kind`` is ``over_max`` (above the maximum: a block too big on its own, or whole
    blocks that no contiguous split brings within the bounds) or ``under_min`` (below
    the minimum: an isolated block or component, or one whose neighbours are full).
    """

    kind: str
    grid: Hashable
    blocks: list[Hashable]
    households: int
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "grid": self.grid, "blocks": self.blocks,
                "households": self.households, "suggestion": self.suggestion}


@dataclass
class Grid:
    """One proposed grid: its blocks (ids, sorted), households, shape and compactness."""

    id: Hashable
    blocks: list[Hashable]
    households: int
    community: Hashable | None
    area_m2: float
    perimeter_m: float
    compactness: float
    geometry: shapely.Geometry | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        geom = None if self.geometry is None else json.loads(
            shapely.to_geojson(shapely.orient_polygons(self.geometry)))
        return {"id": self.id, "blocks": self.blocks, "households": self.households,
                "community": self.community, "area_m2": round(self.area_m2, 1),
                "perimeter_m": round(self.perimeter_m, 1), "compactness": round(self.compactness, 4),
                "geometry": geom}


@dataclass
class PlanProposal:
    """A proposed grid layout: grids, violations, the bounds used, and input diagnostics:
    households outside every block, blocks that came invalid and were repaired."""

    grids: list[Grid]
    violations: list[Violation]
    bounds: tuple[int, int]
    unassigned_households: int = 0
    repaired_blocks: list[Hashable] = field(default_factory=list)

    def assignment(self) -> dict[Hashable, Hashable]:
        """Block id -> grid id."""
        return {b: g.id for g in self.grids for b in g.blocks}

    def groups(self) -> dict[Hashable, list[Hashable]]:
        """Grid id -> its block ids: the plan shape :func:`gisgrid.planning.redraw.redraw_plan` takes."""
        return {g.id: list(g.blocks) for g in self.grids}

    def summary(self) -> dict[str, Any]:
        """Counts: grids, blocks, households, grids within bounds, violations, mean compactness."""
        lo, hi = self.bounds
        pp = [g.compactness for g in self.grids]
        return {"grids": len(self.grids), "blocks": sum(len(g.blocks) for g in self.grids),
                "households": sum(g.households for g in self.grids),
                "in_bounds": sum(lo <= g.households <= hi for g in self.grids),
                "violations": len(self.violations),
                "mean_compactness": round(float(np.mean(pp)), 4) if pp else None,
                "unassigned_households": self.unassigned_households,
                "repaired_blocks": self.repaired_blocks}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: bounds, summary, grids (GeoJSON geometry) and violations."""
        return {"bounds": {"min": self.bounds[0], "max": self.bounds[1]}, "summary": self.summary(),
                "grids": [g.to_dict() for g in self.grids],
                "violations": [v.to_dict() for v in self.violations]}


def plan_grids(blocks: Any, *, counts: Mapping[Hashable, int] | str | None = None,
               households: Any = None, communities: Mapping[Hashable, Hashable] | str | None = None,
               bounds: Sequence[int] = DEFAULT_BOUNDS, dissolve: bool = True) -> PlanProposal:
    """Group blocks into contiguous grids of ``min``..``max`` households.

    Parameters
    ----------
    blocks : BlockGraph, GeoDataFrame or sequence of (id, Polygon)
        The blocks, lon/lat WGS84 (a GeoDataFrame needs an ``id`` column). A
        :class:`~gisgrid.blocks.graph.BlockGraph` is used as it is (``counts`` may
        replace its households).
    counts : mapping or str, optional
        Households per block id, or the name of a GeoDataFrame column.
    households : points, optional
        Household locations instead of ``counts`` (Points, a GeoSeries/GeoDataFrame,
        or an ``(n, 2)`` lon/lat array); each counts for the block it falls in.
    communities : mapping or str, optional
        Community per block id (or a column name); grids never cross a community.
    bounds : (int, int)
        Minimum and maximum households per grid.
    dissolve : bool
        Dissolve each grid's blocks into its geometry (lon/lat).

    Returns
    -------
    PlanProposal
        Grids numbered 1..n by community, then by their lowest block id.

    Examples
    --------
    >>> from shapely import box
    >>> blocks = [(i, box(109.73 + i * 1e-3, 38.28, 109.731 + i * 1e-3, 38.281)) for i in range(4)]
    >>> plan = plan_grids(blocks, counts={0: 200, 1: 200, 2: 200, 3: 200})
    >>> [(g.blocks, g.households) for g in plan.grids], plan.violations
    ([([0, 1], 400), ([2, 3], 400)], [])
    """
    lo, hi = check_bounds(bounds)
    graph = as_graph(blocks, counts, households, communities)
    groups: list[list[int]] = []
    for comp in graph.components(range(len(graph.ids))):
        big = [b for b in comp if graph.households[b] > hi]
        groups.extend([b] for b in big)  # alone, and reported: the block itself must be split
        rest = sorted(set(comp) - set(big))
        groups.extend(partition_blocks(graph, rest, (lo, hi)))
    labelled = polish_groups(graph, repair_groups(graph, dict(enumerate(groups)), (lo, hi)), (lo, hi))
    ordered = sorted(labelled.values(), key=lambda m: (sort_key(graph.community[min(m)]), min(m)))
    return build_proposal(graph, dict(enumerate(ordered, start=1)), (lo, hi), dissolve=dissolve)


def build_proposal(graph: BlockGraph, groups: Mapping[Hashable, Iterable[int]], bounds: Sequence[int], *,
                   dissolve: bool = True) -> PlanProposal:
    """Grids, measures and violations for a grouping of block indices (grid id -> indices).

    Perimeters come from the graph (block perimeters less twice the edges shared inside
    the grid), so compactness needs no dissolve; ``dissolve`` only adds the geometry.

    Parameters
    ----------
    graph : BlockGraph
    groups : mapping
        Grid id -> block indices (positions in ``graph.ids``); grids keep this order.
    bounds : (int, int)
        Minimum and maximum households; every grid outside them gets a violation.
    dissolve : bool
        Dissolve each grid's blocks into its lon/lat geometry.

    Returns
    -------
    PlanProposal

    Examples
    --------
    >>> from shapely import box
    >>> from gisgrid.blocks.graph import block_graph
    >>> g = block_graph([(i, box(109.73 + i * 1e-3, 38.28, 109.731 + i * 1e-3, 38.281))
    ...                  for i in range(2)], counts={0: 50, 1: 30})
    >>> plan = build_proposal(g, {"x": [0, 1]}, (100, 600), dissolve=False)
    >>> plan.grids[0].households, plan.violations[0].kind
    (80, 'under_min')
    """
    lo, hi = check_bounds(bounds)
    members = {gid: sorted(m) for gid, m in groups.items()}
    label = {b: gid for gid, m in members.items() for b in m}
    grids, violations = [], []
    for gid, m in members.items():
        inner = set(m)
        shared = sum(s for b in m for nb in (graph.nbrs[b], graph.cross[b]) for u, s in nb.items()
                     if u in inner and u > b)
        area = float(graph.area[m].sum())
        perimeter = max(float(graph.perimeter[m].sum()) - 2 * shared, 1e-9)
        geom = shapely.union_all(graph.geometry[m]) if dissolve else None
        h = graph.total(m)
        grids.append(Grid(id=gid, blocks=[graph.ids[b] for b in m], households=h,
                          community=graph.community[m[0]], area_m2=area, perimeter_m=perimeter,
                          compactness=4 * math.pi * area / perimeter ** 2, geometry=geom))
        if h > hi:
            violations.append(_over_max(graph, gid, m, h, hi))
        elif h < lo:
            violations.append(_under_min(graph, gid, m, h, label, hi))
    return PlanProposal(grids, violations, (lo, hi), graph.unassigned_households, list(graph.repaired))


def _over_max(graph: BlockGraph, gid: Hashable, m: list[int], h: int, hi: int) -> Violation:
    big = [b for b in m if graph.households[b] > hi]
    if big:
        text = "; ".join(f"block {graph.ids[b]} alone holds {graph.households[b]} households"
                         for b in big)
        return Violation("over_max", gid, [graph.ids[b] for b in big], h,
                         f"{text}, above the maximum of {hi}: split it along a lane or by buildings "
                         f"into parts of at most {hi}")
    b = max(m, key=lambda i: (graph.households[i], -i))
    return Violation("over_max", gid, [graph.ids[i] for i in m], h,
                     f"no contiguous split of these whole blocks keeps every grid within the bounds: "
                     f"split block {graph.ids[b]} ({graph.households[b]} households) along a lane "
                     f"or by buildings")


def _under_min(graph: BlockGraph, gid: Hashable, m: list[int], h: int, label: Mapping[int, Hashable],
               hi: int) -> Violation:
    inner = set(m)
    ids = [graph.ids[b] for b in m]
    for nbrs, across in ((graph.nbrs, False), (graph.cross, True)):
        touch: dict[int, float] = {}
        for b in m:
            for u, s in nbrs[b].items():
                if u not in inner and u in label:
                    touch[u] = touch.get(u, 0.0) + s
        if touch:
            u = max(touch, key=lambda v: (touch[v], -v))
            other = label[u]
            together = h + sum(graph.households[v] for v, g in label.items() if g == other)
            where = (f" of community {graph.community[u]}: that moves the community boundary"
                     if across else "")
            extra = (f"; together {together} households, so re-split them by buildings"
                     if together > hi else "")
            return Violation("under_min", gid, ids, h, f"merge across the street with grid {other} "
                             f"(block {graph.ids[u]}){where}{extra}")
    return Violation("under_min", gid, ids, h, _isolated_hint(graph, m, label))


def _isolated_hint(graph: BlockGraph, m: list[int], label: Mapping[int, Hashable]) -> str:
    inner = set(m)
    others = np.array([i for i in label if i not in inner], dtype=int)
    if not len(others):
        return "isolated and alone: no other block to merge with; accept a small grid or add blocks"
    dist = shapely.distance(shapely.union_all(graph.metric[m]), graph.metric[others])
    same = np.array([graph.community[i] == graph.community[m[0]] for i in others])
    pool = np.flatnonzero(same) if same.any() else np.arange(len(others))
    j = int(pool[np.lexsort((others[pool], dist[pool]))[0]])
    u = int(others[j])
    across = "" if same.any() else f" of community {graph.community[u]} (that moves the community boundary)"
    return (f"isolated: shares no street edge with another block of its community; merge across the "
            f"street with grid {label[u]} (block {graph.ids[u]}, {dist[j]:.0f} m away){across}")
