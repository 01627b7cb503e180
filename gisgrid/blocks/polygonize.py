"""Streets to blocks: clip, close small gaps, node, polygonize; the boundary closes the outer faces.

街巷定界: grid boundaries follow streets and lanes, so the building bricks of a grid plan are
*blocks*, the faces cut out of an area by its streets. :func:`polygonize_blocks` returns
them with diagnostics as data (:class:`BlockSet`), never printed.

How it works, all in metres (the local equal-area projection of :class:`gisgrid.crs.LocalEqualArea`):

1. Streets are split into simple lines and clipped to the boundary; the boundary's rings
   are added as lines, so they close the outermost faces and the blocks tile it exactly.
2. Everything is noded in one overlay on a fixed precision grid of ``NODING_GRID_M``
   (snap rounding): crossings become nodes; duplicate and overlapping lines dissolve.
3. **Gaps** (the tolerance rule): a dangling end, an end no other line touches, that lies
   within ``tolerance_m`` of another street or of the boundary is joined to the nearest
   point of it by a short connector; when that nearest point lies within ``tolerance_m``
   of the other street's own dangling end, the two ends are joined end to end instead.
   The dangling line itself is no candidate, nor, when it is no longer than the tolerance
   (an overshoot past a crossing), the lines it shares a node with: it stays a harmless
   dangle. The network is then noded again.
4. ``shapely.polygonize_full`` makes the faces and reports dangles and cut edges; faces
   outside the boundary (inside its holes) are left out. Gaps and stubs under 1 mm are
   projection noise (a lon/lat straight street bows ~0.1 mm off its projected chord):
   closed, but not counted.
5. **Slivers** (the sliver rule): a face whose mean width ``2 * area / perimeter`` is below
   ``tolerance_m`` (strips between near-duplicate lines, a street running just inside the
   boundary, triangles closed by a connector) is merged into the neighbour it shares the
   longest edge with, a non-sliver first; so blocks still tile the boundary. A sliver
   with no neighbour at all stays a block.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from gisgrid.blocks.linework import (
    NODING_GRID_M,
    add_lines,
    clip_lines,
    gap_connectors,
    merge_slivers,
    node_lines,
)
from gisgrid.crs import LocalEqualArea, geometry_from_wgs84
from gisgrid.errors import EmptyInputError, InvalidGeometryError

__all__ = ["DEFAULT_TOLERANCE_M", "NODING_GRID_M", "SLIVER_RULE", "TOLERANCE_RULE", "Block",
           "BlockDiagnostics", "BlockSet", "polygonize_blocks", "polygonize_blocks_metric"]

#: Default snapping tolerance in metres: OSM and survey centre lines commonly miss each
#: other by a metre or two at crossings and at the edge of an extract.
DEFAULT_TOLERANCE_M = 2.0
TOLERANCE_RULE = ("a dangling end within tolerance_m of another street or the boundary is joined to "
                  "its nearest point (end to end when that street's own dangling end is that close)")
SLIVER_RULE = ("a face with mean width 2*area/perimeter below tolerance_m is merged into the "
               "neighbour sharing its longest edge (non-slivers first)")

# Lon/lat edges are straight in degrees (GeoJSON, PostGIS geometry) and bow once projected.
# The boundary is densified every 1e-4° (~10 m, as LocalEqualArea does) so its area and
# edges stay exact; streets every 1e-3° (~100 m), where the bow is under a millimetre.
_BOUNDARY_SEGMENT_DEG = 1e-4
_STREET_SEGMENT_DEG = 1e-3
# So a street ending on another in lon/lat can miss or overshoot it by ~0.1 mm in metres:
# such gaps are closed but not counted as snapped ends, such stubs not counted as dangles.
_NOISE_M = 1e-3
# Blocks are cut per district or smaller (Yuyang, 7,053 km², spans ~1.6°): a larger
# boundary is refused, as the local projection and its 10 m densifying are not for it.
_MAX_EXTENT_DEG = 5.0
# Vertices off the line through their neighbours by less than this (degrees, ~0.1 mm) are
# collinear: the noise of the lon/lat -> metres -> lon/lat round trip, not a tolerance.
_COLLINEAR_DEG = 1e-9


@dataclass
class Block:
    """One block: ``id`` (1..n, north to south then west to east), lon/lat polygon, area in m²."""

    id: int
    geometry: shapely.Geometry
    area_m2: float


@dataclass
class BlockDiagnostics:
    """What the run found in the streets; counts in :meth:`to_dict`, shapes in ``geometries``.

    ``geometries`` maps ``dangles``, ``cut_edges``, ``connectors`` and ``slivers`` to lists
    of lon/lat geometries, for a map to draw.
    """

    dangles: int
    cut_edges: int
    dropped_slivers: int
    sliver_area_m2: float
    snapped_ends: int
    duplicate_lines: int
    invalid_rings: int
    streets_in: int
    streets_used: int
    boundary_area_m2: float
    blocks_area_m2: float
    tolerance_m: float
    geometries: dict[str, list[shapely.Geometry]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Counts and rules as in the ``POST /v1/blocks`` response."""
        return {
            "dangles": self.dangles, "cut_edges": self.cut_edges,
            "dropped_slivers": self.dropped_slivers,
            "sliver_area_m2": round(self.sliver_area_m2, 3),
            "snapped_ends": self.snapped_ends, "duplicate_lines": self.duplicate_lines,
            "invalid_rings": self.invalid_rings,
            "streets_in": self.streets_in, "streets_used": self.streets_used,
            "boundary_area_m2": round(self.boundary_area_m2, 3),
            "blocks_area_m2": round(self.blocks_area_m2, 3),
            "tolerance_m": self.tolerance_m,
            "tolerance_rule": TOLERANCE_RULE, "sliver_rule": SLIVER_RULE,
        }


@dataclass
class BlockSet:
    """The blocks of one run and its diagnostics."""

    blocks: list[Block]
    diagnostics: BlockDiagnostics

    def to_feature_collection(self, coordsys: str = "wgs84") -> dict[str, Any]:
        """The ``POST /v1/blocks`` response: a FeatureCollection plus ``diagnostics``.

        Geometry goes out in ``coordsys`` (converted from WGS84; the conversions keep
        ring orientation, exteriors counter-clockwise).
        """
        geoms = np.array([b.geometry for b in self.blocks], dtype=object)
        if len(geoms):
            geoms = geometry_from_wgs84(geoms, coordsys)
        features = [{"type": "Feature", "id": b.id,
                     "properties": {"id": b.id, "area_m2": round(b.area_m2, 3)},
                     "geometry": json.loads(g)}
                    for b, g in zip(self.blocks, shapely.to_geojson(geoms), strict=True)]
        return {"type": "FeatureCollection", "features": features,
                "diagnostics": self.diagnostics.to_dict()}


@dataclass
class _MetricResult:
    blocks: np.ndarray
    counts: dict[str, Any]
    shapes: dict[str, list[shapely.Geometry]]


def polygonize_blocks(boundary: shapely.Geometry, streets: Iterable[shapely.Geometry], *,
                      tolerance_m: float = DEFAULT_TOLERANCE_M) -> BlockSet:
    """Cut a boundary into blocks along streets.

    Parameters
    ----------
    boundary : Polygon or MultiPolygon
        The area to cut, lon/lat WGS84; valid and not empty.
    streets : iterable of LineString or MultiLineString
        Street centre lines, lon/lat WGS84; parts outside the boundary are ignored.
    tolerance_m : float
        Snapping tolerance in metres for gaps and the sliver width (see the module doc).

    Returns
    -------
    BlockSet
        Blocks that tile the boundary, and the diagnostics.

    Raises
    ------
    InvalidGeometryError
        The boundary is not a valid, non-empty (Multi)Polygon, or a street is not a line.
    EmptyInputError
        No streets at all.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> square = box(109.73, 38.28, 109.732, 38.282)
    >>> cross = [LineString([(109.731, 38.27), (109.731, 38.29)]),
    ...          LineString([(109.72, 38.281), (109.74, 38.281)])]
    >>> result = polygonize_blocks(square, cross)
    >>> len(result.blocks), [round(b.area_m2) for b in result.blocks]
    (4, [9712, 9712, 9712, 9712])
    """
    boundary = _check_boundary(boundary)
    lines = _check_streets(streets)
    proj = LocalEqualArea.centred_on(boundary)
    result = polygonize_blocks_metric(proj.to_metric(boundary, _BOUNDARY_SEGMENT_DEG),
                                      proj.to_metric(lines, _STREET_SEGMENT_DEG), tolerance_m=tolerance_m)
    areas = shapely.area(result.blocks)
    order = _reading_order(result.blocks)
    keys = [k for k, v in result.shapes.items() for _ in v]
    back = proj.to_lonlat(np.asarray([*result.blocks[order], *(g for v in result.shapes.values()
                                                                   for g in v)], dtype=object))
    lonlat = _drop_densified_vertices(back[:len(order)]) if len(order) else back[:0]
    # canonical rings (start vertex, order) so equal input gives equal output, then
    # exteriors counter-clockwise as RFC 7946 asks
    lonlat = shapely.orient_polygons(shapely.normalize(lonlat))
    blocks = [Block(id=i + 1, geometry=g, area_m2=float(a))
              for i, (g, a) in enumerate(zip(lonlat, areas[order], strict=True))]
    shapes: dict[str, list[shapely.Geometry]] = {k: [] for k in result.shapes}
    for k, g in zip(keys, back[len(order):], strict=True):
        shapes[k].append(g)
    return BlockSet(blocks, BlockDiagnostics(**result.counts, tolerance_m=float(tolerance_m),
                                             geometries=shapes))


def polygonize_blocks_metric(boundary: shapely.Geometry, lines: Any, *,
                             tolerance_m: float = DEFAULT_TOLERANCE_M) -> _MetricResult:
    """The work of :func:`polygonize_blocks` on geometries already in metres.

    For callers (and benchmarks) whose data is already projected; no input checks
    beyond the tolerance.

    Parameters
    ----------
    boundary : Polygon or MultiPolygon
        In a metric CRS.
    lines : array_like of LineString or MultiLineString
        In the same CRS.
    tolerance_m : float
        Snapping tolerance and sliver width, in the CRS's unit (metres).

    Returns
    -------
    _MetricResult
        ``blocks`` (array of polygons, unordered, same CRS), ``counts`` (the diagnostics
        without the tolerance) and ``shapes`` (their geometries).

    Examples
    --------
    >>> from shapely import LineString, box
    >>> r = polygonize_blocks_metric(box(0, 0, 100, 100), [LineString([(50, -5), (50, 99)])])
    >>> sorted(float(a) for a in shapely.area(r.blocks)), r.counts["snapped_ends"]
    ([5000.0, 5000.0], 1)
    """
    if tolerance_m < 0 or not np.isfinite(tolerance_m):
        raise InvalidGeometryError(f"tolerance_m must be a finite number >= 0, got {tolerance_m}")
    parts = shapely.get_parts(np.asarray(lines, dtype=object))
    parts = parts[~shapely.is_empty(parts)]
    # Exact copies of a line are counted, then dropped before the overlay: noding would
    # dissolve them anyway, at a cost that grows faster than their number (2,000 copies of
    # one street: 24.6 s through the API; dropped first, one line's work).
    _, first = np.unique(shapely.to_wkb(shapely.normalize(parts)), return_index=True)
    duplicates = len(parts) - len(first)
    n_in = len(parts)
    parts = parts[np.sort(first)]
    clipped = clip_lines(parts, boundary)
    ring = shapely.boundary(boundary)
    edges = node_lines([*clipped, ring])
    connectors = gap_connectors(edges, tolerance_m)
    edges = add_lines(edges, connectors)
    polys, cuts, dangles, invalid = (shapely.get_parts(g) for g in shapely.polygonize_full(edges))
    dangles = dangles[shapely.length(dangles) > _NOISE_M]
    snapped = [c for c in connectors if c.length > _NOISE_M]
    shapely.prepare(boundary)
    faces = polys[shapely.contains_properly(boundary, shapely.point_on_surface(polys))]
    blocks, slivers = merge_slivers(faces, tolerance_m)
    counts = {"dangles": len(dangles), "cut_edges": len(cuts), "invalid_rings": len(invalid),
              "dropped_slivers": len(slivers), "sliver_area_m2": float(shapely.area(slivers).sum()),
              "snapped_ends": len(snapped), "duplicate_lines": int(duplicates),
              "streets_in": int(n_in), "streets_used": int(len(clipped)),
              "boundary_area_m2": float(shapely.area(boundary)),
              "blocks_area_m2": float(shapely.area(blocks).sum())}
    shapes = {"dangles": list(dangles), "cut_edges": list(cuts), "connectors": snapped,
              "slivers": list(slivers)}
    return _MetricResult(blocks, counts, shapes)


def _check_boundary(boundary: Any) -> shapely.Geometry:
    if not isinstance(boundary, shapely.Polygon | shapely.MultiPolygon):
        kind = getattr(boundary, "geom_type", type(boundary).__name__)
        raise InvalidGeometryError(f"boundary: expected a Polygon or MultiPolygon, got {kind}")
    if boundary.is_empty:
        raise InvalidGeometryError("boundary: the polygon is empty")
    x0, y0, x1, y1 = boundary.bounds
    if max(x1 - x0, y1 - y0) > _MAX_EXTENT_DEG:
        raise InvalidGeometryError(f"boundary: {x1 - x0:.2f}° x {y1 - y0:.2f}° is larger than a district "
                                   f"({_MAX_EXTENT_DEG}° at most); cut it into smaller areas first")
    if not boundary.is_valid:
        raise InvalidGeometryError(f"boundary: invalid polygon ({shapely.is_valid_reason(boundary)})",
                                   details={"reason": shapely.is_valid_reason(boundary)})
    return boundary


def _check_streets(streets: Iterable[Any]) -> np.ndarray:
    lines = np.asarray(list(streets), dtype=object)
    if not len(lines):
        raise EmptyInputError("streets: no lines given; send at least one street")
    ok = np.array([isinstance(g, shapely.LineString | shapely.MultiLineString) for g in lines])
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        kind = getattr(lines[i], "geom_type", type(lines[i]).__name__)
        raise InvalidGeometryError(f"streets[{i}]: expected a LineString or MultiLineString, got {kind}",
                                   details={"index": i})
    return lines


def _reading_order(blocks: np.ndarray) -> np.ndarray:
    """Indices sorting blocks north to south, then west to east (by centroid, to the mm)."""
    xy = np.round(shapely.get_coordinates(shapely.centroid(blocks)), 3)
    return np.lexsort((xy[:, 0], -xy[:, 1])) if len(xy) else np.zeros(0, dtype=int)


def _drop_densified_vertices(blocks: np.ndarray) -> np.ndarray:
    """Drop the vertices projection added along straight lon/lat edges, once back in lon/lat.

    A vertex goes when it is collinear with its neighbours in every block that has it and
    at most two blocks have it (not a node where three or more meet): so a vertex on an
    edge shared by two blocks goes from both, and the blocks still tile.

    Collinear is judged against the edge that replaces it: every dropped vertex lies
    within ``_COLLINEAR_DEG`` of the segment between the vertices kept around it, in
    every block that has it (as Douglas-Peucker measures). The offset from its own two
    neighbours is only the first pass: next to a vertex a hair away (snap rounding
    leaves 1 µm steps, e.g. where a street ends on the boundary) any vertex, a real
    corner included, is "collinear" with its neighbours, and dropping both ends of such
    a step cut a chord across the block (a bow-tie). Should a thinned block still come
    out invalid, its vertices are all kept, and so kept in its neighbours too.
    """
    if (shapely.get_type_id(blocks) != 3).any():  # not all Polygons: leave them be
        return blocks
    _, xy, (ring_off, poly_off) = shapely.to_ragged_array(blocks)
    ring_len = np.diff(ring_off)
    ring_of = np.repeat(np.arange(len(ring_len)), ring_len)
    block_of = np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off))[ring_of]
    start, pos = ring_off[ring_of], np.arange(len(xy)) - ring_off[ring_of]
    open_len = (ring_len - 1)[ring_of]
    is_open = pos < open_len  # the closing point repeats the first
    off = _offset(xy, xy[start + (pos - 1) % open_len], xy[start + (pos + 1) % open_len])
    vertex = np.unique(xy, axis=0, return_inverse=True)[1].ravel()
    holders = np.bincount(np.unique(np.column_stack([vertex, block_of]), axis=0)[:, 0])
    bent = np.bincount(vertex, weights=is_open & (off > _COLLINEAR_DEG)) > 0
    bent |= holders > 2
    while True:
        keep = is_open & bent[vertex]
        kept_per_ring = np.bincount(ring_of[keep], minlength=len(ring_len))
        thin = is_open & ~keep & (kept_per_ring < 3)[ring_of]  # never thin a ring below a triangle
        if thin.any():
            bent[vertex[thin]] = True
            continue
        prev_kept, next_kept = _kept_around(keep, ring_of, len(ring_len))
        off = _offset(xy, xy[prev_kept], xy[next_kept])
        far = is_open & ~keep & (off > _COLLINEAR_DEG)
        if far.any():  # the farthest of each run between kept vertices is kept, then look again
            f = np.flatnonzero(far)
            f = f[np.lexsort((-off[f], prev_kept[f]))]
            bent[vertex[f[np.r_[True, prev_kept[f][1:] != prev_kept[f][:-1]]]]] = True
            continue
        out = _thinned(xy, keep, ring_of, pos, len(ring_len), poly_off)
        spoilt = np.isin(block_of, np.flatnonzero(~shapely.is_valid(out))) & is_open
        if bent[vertex[spoilt]].all():  # nothing thinned in the invalid ones (if any)
            return out
        bent[vertex[spoilt]] = True


def _offset(xy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point of ``xy`` from the segment ``a``-``b`` (same units)."""
    ab, ap = b - a, xy - a
    t = np.clip(np.einsum("ij,ij->i", ap, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300), 0, 1)
    return np.hypot(*(ap - t[:, None] * ab).T)


def _kept_around(keep: np.ndarray, ring_of: np.ndarray, n_rings: int) -> tuple[np.ndarray, np.ndarray]:
    """Per vertex, the index of the kept vertex before and after it in its ring (cyclic)."""
    idx = np.arange(len(keep))
    kept = np.flatnonzero(keep)
    first, last = np.full(n_rings, len(keep)), np.full(n_rings, -1)
    np.minimum.at(first, ring_of[kept], kept)
    np.maximum.at(last, ring_of[kept], kept)
    before = np.maximum.accumulate(np.where(keep, idx, -1))
    after = np.minimum.accumulate(np.where(keep, idx, len(keep))[::-1])[::-1]
    # rings are contiguous: one found in another ring means none before (after) in this
    # one, so wrap round to this ring's last (first) kept vertex
    before = np.where((before >= 0) & (ring_of[np.maximum(before, 0)] == ring_of), before, last[ring_of])
    after = np.where((after < len(keep)) & (ring_of[np.minimum(after, len(keep) - 1)] == ring_of),
                     after, first[ring_of])
    return before, after


def _thinned(xy: np.ndarray, keep: np.ndarray, ring_of: np.ndarray, pos: np.ndarray, n_rings: int,
             poly_off: np.ndarray) -> np.ndarray:
    """The polygons of the kept vertices, each ring closed again."""
    kept = np.flatnonzero(keep)
    firsts = kept[np.r_[True, ring_of[kept][1:] != ring_of[kept][:-1]]]
    idx = np.concatenate([kept, firsts])  # each ring's kept vertices, then its closing point
    idx = idx[np.lexsort((np.r_[pos[kept], np.full(len(firsts), np.iinfo(np.int64).max)], ring_of[idx]))]
    new_ring_off = np.r_[0, np.cumsum(np.bincount(ring_of[kept], minlength=n_rings) + 1)]
    return shapely.from_ragged_array(shapely.GeometryType.POLYGON, xy[idx], (new_ring_off, poly_off))
