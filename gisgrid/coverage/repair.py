"""Coverage repair: propose a layout without gaps or overlaps, explaining every change.

:func:`repair_coverage` takes what :func:`gisgrid.coverage.check.check_coverage` found and
fixes it the way a planner would by hand, one step per defect piece:

1. an invalid grid is replaced by its repair (``make_valid``); empty grids and the
   second and later copies of identical grids are dropped; grids are clipped to the
   parent area;
2. each connected piece of an overlap goes to ONE of the grids sharing it: the one that
   shares the longest edge with the piece once the contested pieces are taken out of
   every grid (a grid lying wholly inside the piece keeps it, or it would vanish);
3. each gap piece goes to the neighbour sharing the longest edge with it; slivers
   (pieces thinner than ``sliver_width_m``) are snapped the same way, so the two grids
   beside them end up sharing one edge;
4. a grid left in several parts keeps its largest part; every other part goes to the
   neighbour sharing the longest edge with that part.

"Longest shared edge" is the rule maup's ``close_gaps``/``resolve_overlaps`` use too:
the area joins the grid it is most a part of, which keeps grids compact. A piece no grid
shares an edge with (an island gap) is left alone and reported as unresolved.

Nothing is changed in place: the result is a proposal (a new list of grids, the steps,
the check before and after). Stored plans are repaired only into a NEW draft plan
(:func:`gisgrid.plans.repaired.save_repair_as_draft`), never in an active one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from gisgrid.coverage.check import CoverageReport, Defect, check_coverage
from gisgrid.shapes import (
    GRID_DEG,
    TOUCH_DEG,
    check_parent,
    geojson_geometry,
    metric_near,
    polygon_parts,
    polygonal,
    read_pairs,
)

__all__ = ["REPAIR_ACTIONS", "RepairResult", "RepairStep", "repair_coverage"]

#: What a repair step does, in the order steps are taken.
REPAIR_ACTIONS = (
    "repair_invalid",
    "drop_empty",
    "drop_duplicate",
    "clip_outside",
    "resolve_overlap",
    "drop_covered",
    "fill_gap",
    "reassign_part",
    "unresolved",
)


@dataclass
class RepairStep:
    """One change proposed by :func:`repair_coverage` (or one defect it left alone).

    ``grids`` are the grids the defect involved; ``to_grid`` the grid that receives the
    area (None when area is only removed, or nothing was done); ``shared_edge_m`` the
    length of the edge the piece shares with ``to_grid``, the figure the choice was made on.
    """

    action: str
    grids: list[Hashable]
    to_grid: Hashable | None
    area_m2: float
    sliver: bool
    shared_edge_m: float
    geometry: shapely.Geometry | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON (GeoJSON geometry, lon/lat WGS84)."""
        return {
            "action": self.action,
            "grids": list(self.grids),
            "to_grid": self.to_grid,
            "area_m2": round(float(self.area_m2), 3),
            "sliver": bool(self.sliver),
            "shared_edge_m": round(float(self.shared_edge_m), 3),
            "geometry": geojson_geometry(self.geometry),
            "message": self.message,
        }


@dataclass
class RepairResult:
    """A proposed repair: the new grids, the steps that made them, the checks around them.

    ``grids`` keeps the input order; dropped grids (empty, duplicate, wholly outside) are
    left out and listed in ``dropped``. ``changed`` lists the grids whose shape changed.
    """

    grids: list[tuple[Hashable, shapely.Geometry]]
    steps: list[RepairStep]
    before: CoverageReport
    after: CoverageReport
    dropped: list[Hashable] = field(default_factory=list)
    changed: list[Hashable] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the repaired layout passes the coverage check."""
        return self.after.ok

    def to_dict(self) -> dict[str, Any]:
        """JSON: the repaired grids as a FeatureCollection, the steps, both reports."""
        features = [
            {"type": "Feature", "properties": {"id": gid}, "geometry": geojson_geometry(geom)}
            for gid, geom in self.grids
        ]
        return {
            "ok": self.ok,
            "grids": {"type": "FeatureCollection", "features": features},
            "changed": list(self.changed),
            "dropped": list(self.dropped),
            "steps": [s.to_dict() for s in self.steps],
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


def repair_coverage(
    grids: Any,
    parent: shapely.Geometry,
    *,
    sliver_width_m: float = 1.0,
    min_area_m2: float = 0.5,
    max_gap_m2: float | None = None,
) -> RepairResult:
    """Propose grids that tile ``parent``: gaps filled, overlaps given one owner.

    Every change is a :class:`RepairStep` saying what moved where and why (the shared
    edge lengths). Input is never modified. See the module docstring for the rules.

    Parameters
    ----------
    grids : sequence of (id, geometry) pairs, or GeoDataFrame with an ``id`` column
        Grid polygons in lon/lat WGS84, as for :func:`~gisgrid.coverage.check.check_coverage`.
    parent : shapely geometry
        The area the grids must tile, lon/lat WGS84.
    sliver_width_m, min_area_m2 : float
        As for the check: what counts as a sliver, and as floating-point residue.
    max_gap_m2 : float, optional
        Leave gaps larger than this unfilled (reported ``unresolved``): a large hole is
        usually a missing grid, which a planner should draw. Default: fill every gap.

    Returns
    -------
    RepairResult
        ``grids`` (repaired, input order), ``steps``, and the check ``before``/``after``.

    Examples
    --------
    >>> from shapely import box
    >>> parent = box(109.73, 38.28, 109.732, 38.281)
    >>> grids = [("a", box(109.73, 38.28, 109.731, 38.281)),     # b stops 22 m short of
    ...          ("b", box(109.731, 38.28, 109.732, 38.2808))]  # the top: an 87 m x 22 m gap
    >>> result = repair_coverage(grids, parent)
    >>> result.ok, [(s.action, s.to_grid, int(s.shared_edge_m)) for s in result.steps]
    (True, [('fill_gap', 'b', 87)])
    """
    ids, geoms = read_pairs(grids, "grids")
    parent = check_parent(parent)
    options = {"sliver_width_m": sliver_width_m, "min_area_m2": min_area_m2}
    before = check_coverage(list(zip(ids, geoms, strict=True)), parent, **options)
    fix = _Fixer(ids, parent, min_area_m2, max_gap_m2)
    steps = fix.clean(geoms, before.defects)
    middle = check_coverage(fix.pairs(), parent, **options)
    steps += fix.resolve_overlaps([d for d in middle.defects if d.kind == "overlap"])
    steps += fix.fill_gaps([d for d in middle.defects if d.kind == "gap"])
    steps += fix.reassign_parts()
    # Grids no step touched come back exactly as they were given.
    out = [(gid, fix.shapes[i] if i in fix.touched else geoms[i])
           for i, gid in enumerate(ids) if fix.shapes[i] is not None]
    after = check_coverage(out, parent, **options)
    changed = [ids[i] for i in sorted(fix.touched) if fix.shapes[i] is not None]
    dropped = [ids[i] for i in range(len(ids)) if fix.shapes[i] is None]
    return RepairResult(out, steps, before, after, dropped, changed)


def _label(names: list[Hashable]) -> str:
    return ", ".join(str(n) for n in names)


class _Fixer:
    """The grids' shapes while they are being repaired (None: dropped)."""

    def __init__(
        self, ids: list[Hashable], parent: shapely.Geometry, min_area_m2: float, max_gap_m2: float | None
    ) -> None:
        self.ids = ids
        self.index = {gid: i for i, gid in enumerate(ids)}
        self.parent = parent
        self.metric = metric_near(parent)
        self.min_area_m2 = min_area_m2
        self.max_gap_m2 = max_gap_m2
        self.shapes = np.empty(len(ids), dtype=object)
        self.touched: set[int] = set()

    def _set(self, i: int, shape: shapely.Geometry | None) -> None:
        self.shapes[i] = shape
        self.touched.add(int(i))

    def pairs(self) -> list[tuple[Hashable, shapely.Geometry]]:
        return [(gid, s) for gid, s in zip(self.ids, self.shapes, strict=True) if s is not None]

    def _edges_m(self, pieces: np.ndarray, grids: np.ndarray) -> np.ndarray:
        """Length in metres of the boundary each piece shares with each grid (pairwise).

        Rounded to centimetres, so edges equal but for floating-point noise tie, and a tie
        goes to the grid listed first (input order): the same input, the same answer.
        """
        if len(pieces) == 0:
            return np.zeros(0)
        shared = shapely.intersection(
            shapely.boundary(pieces), shapely.boundary(grids), grid_size=GRID_DEG
        )
        return np.round(np.nan_to_num(shapely.length(self.metric.to_metric(shared))), 2)

    def clean(self, geoms: np.ndarray, defects: list[Defect]) -> list[RepairStep]:
        """Repair invalid grids, drop empty and duplicate ones, clip to the parent."""
        steps: list[RepairStep] = []
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        self.shapes[present] = geoms[present]
        for d in defects:
            if d.kind == "empty":
                steps.append(_step("drop_empty", d, None, 0.0, f"grid {d.grids[0]} is empty; dropped"))
            elif d.kind == "invalid":
                i = self.index[d.grids[0]]
                self._set(i, polygonal(shapely.make_valid(geoms[i])))
                fate = "replaced by its repair" if self.shapes[i] is not None else "dropped"
                steps.append(_step("repair_invalid", d, d.grids[0], 0.0, f"{d.message}: {fate}"))
            elif d.kind == "duplicate":
                for gid in d.grids[1:]:
                    self._set(self.index[gid], None)
                message = f"grids {_label(d.grids[1:])} repeat grid {d.grids[0]}; dropped"
                steps.append(_step("drop_duplicate", d, d.grids[0], 0.0, message))
        self.shapes = shapely.set_precision(self.shapes, GRID_DEG)
        for d in defects:
            if d.kind == "outside_parent":
                i = self.index[d.grids[0]]
                inside = polygonal(shapely.intersection(self.shapes[i], self.parent, grid_size=GRID_DEG))
                self._set(i, inside)
                fate = "clipped to the parent" if inside is not None else "wholly outside; dropped"
                steps.append(_step("clip_outside", d, None, 0.0, f"{d.message}: {fate}"))
        return steps

    def resolve_overlaps(self, overlaps: list[Defect]) -> list[RepairStep]:
        """Give each overlap piece to the sharer with the longest edge along it."""
        if not overlaps:
            return []
        members = [[self.index[g] for g in d.grids] for d in overlaps]
        pieces = np.array([d.geometry for d in overlaps], dtype=object)
        involved = sorted({m for ms in members for m in ms})
        contested = {m: [k for k, ms in enumerate(members) if m in ms] for m in involved}
        rest = np.empty(len(self.ids), dtype=object)
        for m in involved:
            taken = shapely.union_all(pieces[contested[m]], grid_size=GRID_DEG)
            rest[m] = polygonal(shapely.difference(self.shapes[m], taken, grid_size=GRID_DEG))
        k_idx = np.array([k for k, ms in enumerate(members) for _ in ms], dtype=int)
        g_idx = np.array([m for ms in members for m in ms], dtype=int)
        edges = self._edges_m(pieces[k_idx], rest[g_idx])
        gone = shapely.is_missing(rest[g_idx]) | (self.metric.area_m2(rest[g_idx]) < self.min_area_m2)
        won: dict[int, list[int]] = {m: [] for m in involved}
        steps = []
        for k, d in enumerate(overlaps):
            sel = np.flatnonzero(k_idx == k)
            # A grid that would vanish keeps the piece: it is cut out of the others.
            best = sel[np.lexsort((-edges[sel], ~gone[sel]))[0]]
            owner = int(g_idx[best])
            won[owner].append(k)
            others = "; ".join(
                f"{self.ids[g_idx[j]]}: {edges[j]:.1f} m" for j in sel if j != best
            )
            why = (
                "it would vanish otherwise"
                if gone[best]
                else f"it shares the longest edge with it ({edges[best]:.1f} m; {others})"
            )
            what = "sliver overlap" if d.sliver else "overlap"
            message = f"{what} of {d.area_m2:.1f} m² shared by {_label(d.grids)} given to " \
                      f"{self.ids[owner]}: {why}"
            steps.append(_step("resolve_overlap", d, self.ids[owner], float(edges[best]), message))
        for m in involved:
            kept = [rest[m]] if rest[m] is not None else []
            shape = polygonal(shapely.union_all(kept + list(pieces[won[m]]), grid_size=GRID_DEG))
            self._set(m, shape)
            if shape is None or self.metric.area_m2(shape) < self.min_area_m2:
                # Several grids lay wholly inside one overlap: only one could keep it.
                self._set(m, None)
                message = f"grid {self.ids[m]} lies wholly inside grids that overlap it; dropped"
                steps.append(RepairStep("drop_covered", [self.ids[m]], None, 0.0, False, 0.0,
                                        None, message))
        return steps

    def fill_gaps(self, gaps: list[Defect]) -> list[RepairStep]:
        """Give each gap piece to the touching grid with the longest shared edge."""
        steps, won = [], {}
        for d in gaps:
            if self.max_gap_m2 is not None and d.area_m2 > self.max_gap_m2:
                message = f"{d.message}: larger than {self.max_gap_m2:g} m²; left for a planner"
                steps.append(_step("unresolved", d, None, 0.0, message))
                continue
            cands = [self.index[g] for g in d.grids if self.shapes[self.index[g]] is not None]
            edges = self._edges_m(np.array([d.geometry] * len(cands), dtype=object),
                                  self.shapes[cands]) if cands else np.zeros(0)
            if len(cands) == 0 or edges.max() <= 0:
                message = f"{d.message}: no grid shares an edge with it; left for a planner"
                steps.append(_step("unresolved", d, None, 0.0, message))
                continue
            best = int(np.argmax(edges))  # ties: the first grid in input order
            owner = cands[best]
            won.setdefault(owner, []).append(d.geometry)
            others = "; ".join(f"{self.ids[c]}: {e:.1f} m" for c, e in zip(cands, edges, strict=True)
                               if c != owner)
            verb = "snapped to" if d.sliver else "given to"
            what = "sliver gap" if d.sliver else "gap"
            message = (f"{what} of {d.area_m2:.1f} m² {verb} {self.ids[owner]}, which shares the "
                       f"longest edge with it ({edges[best]:.1f} m" + (f"; {others})" if others else ")"))
            steps.append(_step("fill_gap", d, self.ids[owner], float(edges[best]), message))
        for owner, pieces in won.items():
            self._set(owner, shapely.union_all([self.shapes[owner], *pieces], grid_size=GRID_DEG))
        return steps

    def reassign_parts(self) -> list[RepairStep]:
        """Keep each grid's largest part; give its other parts to the best neighbour."""
        parts, index = polygon_parts(self.shapes)
        areas = self.metric.area_m2(parts)
        big = areas >= self.min_area_m2
        counts = np.bincount(index[big], minlength=len(self.ids))
        steps: list[RepairStep] = []
        tree = shapely.STRtree(self.shapes)
        for i in np.flatnonzero(counts > 1):
            mine = np.flatnonzero((index == i) & big)
            keep = mine[np.argmax(areas[mine])]
            for p in mine[mine != keep]:
                steps.append(self._move_part(i, parts[p], float(areas[p]), tree))
        return steps

    def _move_part(self, i: int, part: shapely.Geometry, area: float,
                   tree: shapely.STRtree) -> RepairStep:
        near = [int(j) for j in np.sort(tree.query(part, predicate="dwithin", distance=TOUCH_DEG))
                if j != i and self.shapes[j] is not None]
        edges = self._edges_m(np.array([part] * len(near), dtype=object), self.shapes[near]) \
            if near else np.zeros(0)
        gid = self.ids[i]
        if len(near) == 0 or edges.max() <= 0:
            message = f"part of {area:.1f} m² of grid {gid} touches no other grid; left as is"
            return RepairStep("unresolved", [gid], None, area, False, 0.0, part, message)
        owner = near[int(np.argmax(edges))]
        self._set(i, polygonal(shapely.difference(self.shapes[i], part, grid_size=GRID_DEG)))
        self._set(owner, shapely.union_all([self.shapes[owner], part], grid_size=GRID_DEG))
        message = (f"grid {gid} was in several parts: its part of {area:.1f} m² given to "
                   f"{self.ids[owner]}, which shares the longest edge with it ({edges.max():.1f} m)")
        return RepairStep("reassign_part", [gid], self.ids[owner], area, False, float(edges.max()),
                          part, message)


def _step(action: str, d: Defect, to_grid: Hashable | None, edge_m: float, message: str) -> RepairStep:
    return RepairStep(action, list(d.grids), to_grid, d.area_m2, d.sliver, edge_m, d.geometry, message)
