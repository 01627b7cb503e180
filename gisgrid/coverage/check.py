"""Coverage check: do a plan's grids tile their parent area without gaps or overlaps?

无缝衔接、全覆盖 ("join seamlessly, cover everything") is the rule every grid layout must
meet before a plan can be activated. :func:`check_coverage` returns the answer as data,
a :class:`CoverageReport` listing each defect with its grids, area, shape and a message,
so the API can serialise it and a map can draw it.

All geometry comes in and goes out as lon/lat WGS84, and the overlay work (unions,
differences, intersections) is done in lon/lat too: edges are straight in degrees, as
GeoJSON and PostGIS geometry define them, so a grid edge lying on the parent's edge stays
on it (projected first, a long straight lon/lat edge would bow and open false slivers).
Areas and widths of the results are measured in metres in a local equal-area projection
(:class:`gisgrid.crs.LocalEqualArea`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import shapely

from gisgrid.coverage.report import (
    DEFECT_KINDS,
    CoverageFailedError,
    CoverageReport,
    CoverageSummary,
    Defect,
)
from gisgrid.crs import LocalEqualArea
from gisgrid.errors import InvalidInputError
from gisgrid.shapes import (
    GRID_DEG,
    TOUCH_DEG,
    check_parent,
    metric_near,
    polygon_parts,
    polygonal,
    read_pairs,
    snap,
    uncovered,
)

__all__ = [
    "DEFECT_KINDS",
    "CoverageFailedError",
    "CoverageReport",
    "CoverageSummary",
    "Defect",
    "check_coverage",
]

def check_coverage(
    grids: Any,
    parent: shapely.Geometry,
    *,
    points: Any = None,
    sliver_width_m: float = 1.0,
    min_area_m2: float = 0.5,
) -> CoverageReport:
    """Check that grids tile a parent area: no gaps, no overlaps, nothing outside.

    Each connected piece of a gap or an overlap is its own defect, listing the grids
    that touch the gap or share the overlap. Invalid grids are reported with the
    reason and then checked in their repaired form (polygonal parts of
    ``shapely.make_valid``), so one bow-tie does not spread into false defects. Of two
    or more identical grids, only the first takes part in the other checks. A hole in
    one grid filled by another is fine; shared edges are not overlaps.

    Parameters
    ----------
    grids : sequence of (id, geometry) pairs, or GeoDataFrame
        Grid polygons in lon/lat WGS84 (None or empty for a grid without geometry).
        A GeoDataFrame needs an ``id`` column; if its CRS is set and is not lon/lat
        WGS84 it is reprojected first. Ids must be unique.
    parent : shapely geometry
        The area the grids must cover, in lon/lat WGS84 (Polygon or MultiPolygon;
        an invalid one is repaired first).
    points : sequence of (id, Point) pairs, or GeoDataFrame, optional
        Households, shops...: each must fall in (or on the edge of) some grid.
    sliver_width_m : float
        A gap, overlap or outside piece narrower than this is flagged ``sliver``.
    min_area_m2 : float
        Pieces smaller than this are floating-point residue, not defects.

    Returns
    -------
    CoverageReport
        ``ok``, a summary of areas in m², and the defects (see :data:`DEFECT_KINDS`).

    Raises
    ------
    InvalidInputError
        For repeated grid ids, a parent with no area, coordinates that are not
        lon/lat, non-point ``points`` or negative tolerances.

    Examples
    --------
    >>> from shapely import box
    >>> parent = box(109.73, 38.28, 109.732, 38.281)
    >>> grids = [("a", box(109.73, 38.28, 109.731, 38.281)),
    ...          ("b", box(109.7312, 38.28, 109.732, 38.281))]
    >>> report = check_coverage(grids, parent)
    >>> report.ok, [(d.kind, d.grids, round(d.area_m2)) for d in report.defects]
    (False, [('gap', ['a', 'b'], 1942)])
    """
    if sliver_width_m < 0 or min_area_m2 < 0:
        raise InvalidInputError("sliver_width_m and min_area_m2 must not be negative")
    ids, geoms = read_pairs(grids, "grids")
    parent = check_parent(parent)
    shapely.prepare(parent)
    run = _Run(ids, metric_near(parent), sliver_width_m, min_area_m2)

    defects = run.screen(geoms)  # empty, invalid, multipart; fills run.shapes
    run.set_copies_aside()  # n copies of one shape cost n, not n² pairs (see there)
    left, right = _interior_pairs(run.shapes)
    overlapping = np.unique(np.concatenate([left, right]))
    left, right, inter = run.drop_duplicates(left, right, defects)
    defects += run.outside_parent(parent)
    overlaps = run.overlaps(left, right, inter)
    hole = uncovered(parent, run.shapes, overlapping)
    gaps = run.gaps(hole)
    defects += overlaps + gaps
    if points is not None:
        defects += run.unassigned_points(points)

    order = {kind: i for i, kind in enumerate(DEFECT_KINDS)}
    defects.sort(key=lambda d: order[d.kind])  # stable: keeps the order within a kind
    parent_m2 = float(run.metric.area_m2(parent))
    summary = CoverageSummary(
        grids=len(ids),
        parent_area_m2=parent_m2,
        covered_area_m2=max(0.0, parent_m2 - float(np.sum(run.metric.area_m2(polygon_parts(hole)[0])))),
        gap_area_m2=float(sum(d.area_m2 for d in gaps)),
        overlap_area_m2=float(sum(d.area_m2 for d in overlaps)),
    )
    return CoverageReport(ok=not defects, summary=summary, defects=defects)


def _interior_pairs(shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of shapes whose interiors intersect (sharing an edge is not)."""
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inner = shapely.relate_pattern(shapes[left], shapes[right], "T********")
    return left[inner], right[inner]


def _label(ids: Iterable[Hashable]) -> str:
    return ", ".join(str(i) for i in ids)


def _root(first: np.ndarray, i: int) -> int:
    """Root of ``i`` in a union-find forest (paths halved on the way up)."""
    while first[i] != i:
        first[i] = first[first[i]]
        i = first[i]
    return int(i)


def _copy_roots(shapes: np.ndarray) -> np.ndarray:
    """For each shape, the index of the first shape exactly equal to it (itself if none).

    Equal means the same normalised geometry (same rings, whatever the start vertex or
    orientation), compared by WKB in one hash pass; missing shapes are their own root.
    """
    roots = np.arange(len(shapes))
    present = np.flatnonzero(~shapely.is_missing(shapes))
    first: dict[bytes, int] = {}
    for i, key in zip(present, shapely.to_wkb(shapely.normalize(shapes[present])), strict=True):
        roots[i] = first.setdefault(key, int(i))
    return roots


class _Run:
    """One coverage check: the grids' ids, the checkable shapes, metric and tolerances.

    ``shapes`` holds, per grid, its lon/lat polygonal shape as checked (repaired if it
    was invalid) or None when it takes no part (empty, nothing polygonal, duplicate).
    """

    def __init__(
        self, ids: list[Hashable], metric: LocalEqualArea, sliver_width_m: float, min_area_m2: float
    ) -> None:
        self.ids = ids
        self.metric = metric
        self.sliver_width_m = sliver_width_m
        self.min_area_m2 = min_area_m2
        self.shapes = np.empty(len(ids), dtype=object)
        self.copy_of = np.arange(len(ids))

    def _is_sliver(self, pieces: np.ndarray) -> np.ndarray:
        """True where a piece vanishes under an inward buffer of half the sliver width."""
        if self.sliver_width_m == 0 or len(pieces) == 0:
            return np.zeros(len(pieces), dtype=bool)
        inner = shapely.buffer(self.metric.to_metric(pieces), -self.sliver_width_m / 2.0)
        return shapely.is_empty(inner)

    def _pieces(self, geom: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
        """Connected polygonal pieces of a geometry above residue size, biggest first."""
        parts, _ = polygon_parts(geom)
        areas = self.metric.area_m2(parts)
        keep = np.flatnonzero(areas >= self.min_area_m2)
        order = keep[np.argsort(-areas[keep], kind="stable")]
        return parts[order], areas[order]

    def screen(self, geoms: np.ndarray) -> list[Defect]:
        """Report empty, invalid and multipart grids, and set ``shapes``."""
        ids, defects = self.ids, []
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        for i in np.flatnonzero(missing):
            defects.append(Defect("empty", [ids[i]], 0.0, False, None, f"grid {ids[i]} is empty"))
        shapes = np.where(missing, None, geoms)
        is_polygonal = np.isin(shapely.get_type_id(shapes), (3, 6))
        bad = ~missing & ~(shapely.is_valid(shapes) & is_polygonal)
        for i in np.flatnonzero(bad):
            geom = geoms[i]
            if shapely.is_valid(geom):
                reason = f"a {geom.geom_type}, not a polygon"
            else:
                reason = shapely.is_valid_reason(geom)
            shapes[i] = polygonal(shapely.make_valid(geom))
            n = 0 if shapes[i] is None else shapely.get_num_geometries(shapes[i])
            fate = f"checked as repaired ({n} part(s))" if n else "nothing polygonal remains"
            area = float(self.metric.area_m2(shapes[i]))
            message = f"grid {ids[i]} is invalid: {reason}; {fate}"
            defects.append(Defect("invalid", [ids[i]], area, False, geom, message))
        # Validity was judged on the input above; snapping comes after, on valid shapes.
        shapes = snap(shapes)
        multi = np.flatnonzero(shapely.get_num_geometries(shapes) > 1)
        parts, index = polygon_parts(shapes[multi])
        big = multi[index[self.metric.area_m2(parts) >= self.min_area_m2]]
        count = np.bincount(big, minlength=len(ids))
        for i in np.flatnonzero((count > 1) & ~bad):
            area = float(self.metric.area_m2(shapes[i]))
            message = f"grid {ids[i]} has {count[i]} separate parts"
            defects.append(Defect("multipart", [ids[i]], area, False, shapes[i], message))
        self.shapes = shapes
        return defects

    def set_copies_aside(self) -> None:
        """Keep only the first of exact copies in ``shapes`` (the rest: ``copy_of``).

        Every pair of overlapping grids is intersected below; n copies of one polygon
        would make n²/2 pairs (400 copies: 80,000 intersections, gigabytes). Exact
        copies are found in one hash pass instead and join their first in the duplicate
        groups of :meth:`drop_duplicates`; near-copies still meet there pair by pair.
        """
        self.copy_of = _copy_roots(self.shapes)
        self.shapes[self.copy_of != np.arange(len(self.ids))] = None

    def drop_duplicates(
        self, left: np.ndarray, right: np.ndarray, defects: list[Defect]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Report groups of identical grids; keep only the first of each in ``shapes``.

        Two grids are identical when their symmetric difference is below ``min_area_m2``
        (exact copies were grouped already, in ``copy_of``). Returns the remaining pairs
        that overlap by more than residue, and their overlaps.
        """
        ids, shapes = self.ids, self.shapes
        inter = shapely.intersection(shapes[left], shapes[right], grid_size=GRID_DEG)
        parts, index = polygon_parts(inter)
        inter_m2 = np.bincount(index, weights=self.metric.area_m2(parts), minlength=len(left))
        grid_m2 = np.zeros(len(ids))
        involved = np.unique(np.concatenate([left, right]))
        grid_m2[involved] = self.metric.area_m2(shapes[involved])
        same = grid_m2[left] + grid_m2[right] - 2 * inter_m2 < max(self.min_area_m2, 1e-9)
        first = self.copy_of.copy()  # union-find over duplicate pairs, rooted at the lowest
        for i, j in zip(left[same], right[same], strict=True):
            ri, rj = _root(first, i), _root(first, j)
            first[max(ri, rj)] = min(ri, rj)
        roots = np.array([_root(first, i) for i in range(len(ids))], dtype=int)
        secondary = roots != np.arange(len(ids))
        grouped = np.flatnonzero(secondary | np.isin(np.arange(len(ids)), roots[secondary]))
        grouped = grouped[np.argsort(roots[grouped], kind="stable")]  # by root, members in order
        starts = np.flatnonzero(np.r_[True, np.diff(roots[grouped]) != 0])
        for members in np.split(grouped, starts[1:]) if len(grouped) else []:
            r = int(members[0])
            if not grid_m2[r]:
                grid_m2[r] = self.metric.area_m2(shapes[r])
            names = [ids[m] for m in members]
            message = f"grids {_label(names)} have identical geometries"
            defects.append(Defect("duplicate", names, float(grid_m2[r]), False, shapes[r], message))
        shapes[secondary] = None
        # A pair overlapping by mere residue is dropped here, before the union of the
        # overlaps: residue touching a real overlap would otherwise join its piece.
        keep = ~same & ~secondary[left] & ~secondary[right] & (inter_m2 >= self.min_area_m2)
        return left[keep], right[keep], inter[keep]

    def _area_defects(
        self, kind: str, grids: list[list[Hashable]], areas: Any, geoms: Any, messages: list[str]
    ) -> list[Defect]:
        """Defects for pieces with an area, each tested for being a sliver."""
        slivers = self._is_sliver(np.asarray(geoms, dtype=object))
        note = f" (a sliver under {self.sliver_width_m:g} m wide)"
        return [
            Defect(kind, names, float(area), bool(sliver), geom, msg + (note if sliver else ""))
            for names, area, sliver, geom, msg in zip(
                grids, areas, slivers, geoms, messages, strict=True
            )
        ]

    def outside_parent(self, parent: shapely.Geometry) -> list[Defect]:
        """One defect per grid with more than residue outside the parent area."""
        present = ~shapely.is_missing(self.shapes)
        candidates = np.flatnonzero(present & ~shapely.covers(parent, self.shapes))
        outside = shapely.difference(self.shapes[candidates], parent, grid_size=GRID_DEG)
        parts, index = polygon_parts(outside)
        areas = np.bincount(index, self.metric.area_m2(parts), minlength=len(candidates))
        big = np.flatnonzero(areas >= max(self.min_area_m2, 1e-9))
        names = [self.ids[candidates[k]] for k in big]
        messages = [
            f"grid {n} extends {areas[k]:.1f} m² outside the parent area"
            for n, k in zip(names, big, strict=True)
        ]
        return self._area_defects(
            "outside_parent", [[n] for n in names], areas[big], outside[big], messages
        )

    def overlaps(self, left: np.ndarray, right: np.ndarray, inter: np.ndarray) -> list[Defect]:
        """One defect per connected piece where two or more grids overlap."""
        parts, pair = polygon_parts(inter)
        pieces, areas = self._pieces(shapely.union_all(parts, grid_size=GRID_DEG))
        # Each pairwise part lies in exactly one piece: find it by an interior point.
        part_i, piece_i = shapely.STRtree(pieces).query(
            shapely.point_on_surface(parts), predicate="intersects"
        )
        grids = []
        for k in range(len(pieces)):
            pairs = pair[part_i[piece_i == k]]
            members = np.unique(np.concatenate([left[pairs], right[pairs]]))
            grids.append([self.ids[m] for m in members])
        messages = [
            f"grids {_label(g)} overlap by {a:.1f} m²" for g, a in zip(grids, areas, strict=True)
        ]
        return self._area_defects("overlap", grids, areas, pieces, messages)

    def gaps(self, hole: shapely.Geometry) -> list[Defect]:
        """One defect per connected piece of the parent that no grid covers."""
        pieces, areas = self._pieces(hole)
        tree = shapely.STRtree(self.shapes)
        piece_i, grid_i = tree.query(pieces, predicate="dwithin", distance=TOUCH_DEG)
        grids = [[self.ids[m] for m in np.unique(grid_i[piece_i == k])] for k in range(len(pieces))]
        messages = [
            f"gap of {a:.1f} m² " + (f"touching grids {_label(g)}" if g else "touching no grid")
            for g, a in zip(grids, areas, strict=True)
        ]
        return self._area_defects("gap", grids, areas, pieces, messages)

    def unassigned_points(self, points: Any) -> list[Defect]:
        """One defect per point in no grid (on an edge, or within ~1 mm of one, is in)."""
        ids, geoms = read_pairs(points, "points")
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if not np.all(shapely.get_type_id(geoms[present]) == 0):
            raise InvalidInputError("points: every geometry must be a Point")
        tree = shapely.STRtree(self.shapes)
        found, _ = tree.query(geoms, predicate="dwithin", distance=TOUCH_DEG)
        hit = np.zeros(len(ids), dtype=bool)
        hit[found] = True
        defects = []
        for i in np.flatnonzero(~hit):
            where = "lies in no grid" if present[i] else "has no location"
            geom = geoms[i] if present[i] else None
            defects.append(
                Defect("unassigned_point", [], 0.0, False, geom, f"point {ids[i]} {where}", ids[i])
            )
        return defects
