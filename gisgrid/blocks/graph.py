"""Blocks as a graph for grid planning: households per block and shared street edges.

Two blocks are neighbours when their boundaries share at least :data:`MIN_SHARED_EDGE_M`
of line: the street segment between them (blocks are faces of the street network, so
the shared edge *is* the street centre line). Touching at a corner, or along a stub
shorter than that, does not count: a grid made of blocks that only meet at a corner
would not be one area along streets. Blocks in different communities are never
neighbours for grouping (grids do not cross a community boundary); those contacts are
kept apart in ``cross`` so a violation can name the block across the boundary.

Shared edges are found in lon/lat, where adjacent blocks share exact vertices, with the
overlay snapped to :data:`gisgrid.shapes.GRID_DEG` (about 0.1 mm) against float noise;
their lengths, and block areas, perimeters and centroids, are then measured in the local
equal-area projection (:class:`gisgrid.crs.LocalEqualArea`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely

from gisgrid.assign.points import assign_arrays
from gisgrid.crs import LocalEqualArea
from gisgrid.errors import EmptyInputError, InvalidGeometryError, InvalidInputError
from gisgrid.shapes import GRID_DEG, TOUCH_DEG, polygonal, read_pairs

__all__ = ["MIN_SHARED_EDGE_M", "BlockGraph", "as_graph", "block_graph", "plain", "sort_key"]

#: Blocks sharing less boundary than this (metres) are not neighbours: a corner, or the
#: stub of a street crossing, is no common street segment.
MIN_SHARED_EDGE_M = 1.0


@dataclass
class BlockGraph:
    """Blocks, their households and their street adjacency, indexed 0..n-1 in id order.

    ``nbrs[i]`` maps each neighbour in the same community to the shared edge length in
    metres; ``cross[i]`` does the same for neighbours across a community boundary (kept
    for suggestions, never for grouping). ``x``, ``y`` are metric centroids, ``metric``
    the blocks in the local equal-area projection. ``repaired`` lists the blocks that
    came invalid (e.g. a self-touching ring) and were made valid.
    """

    ids: list[Hashable]
    geometry: np.ndarray
    households: list[int]
    community: list[Hashable | None]
    area: np.ndarray
    perimeter: np.ndarray
    x: np.ndarray
    y: np.ndarray
    nbrs: list[dict[int, float]]
    cross: list[dict[int, float]]
    metric: np.ndarray = field(repr=False)
    unassigned_households: int = 0
    repaired: list[Hashable] = field(default_factory=list)
    index: dict[Hashable, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.index = {b: i for i, b in enumerate(self.ids)}

    def with_counts(self, counts: Mapping[Hashable, int]) -> BlockGraph:
        """The same blocks with new household counts (blocks left out count 0)."""
        return replace(self, households=_counts_list(self.ids, counts), unassigned_households=0)

    def total(self, members: Iterable[int]) -> int:
        """Households in a set of block indices."""
        hh = self.households
        return sum(hh[i] for i in members)

    def components(self, members: Iterable[int]) -> list[list[int]]:
        """Connected components of a set of block indices (same-community neighbours), sorted."""
        todo = set(members)
        out = []
        for start in sorted(todo):
            if start not in todo:
                continue
            todo.discard(start)
            comp, stack = [start], [start]
            while stack:
                for u in self.nbrs[stack.pop()]:
                    if u in todo:
                        todo.discard(u)
                        comp.append(u)
                        stack.append(u)
            out.append(sorted(comp))
        return out

    def indices(self, block_ids: Iterable[Hashable], what: str) -> list[int]:
        """Positions of block ids; unknown ids raise :class:`InvalidInputError`."""
        out, unknown = [], []
        for b in block_ids:
            i = self.index.get(plain(b))
            if i is None:
                unknown.append(b)
            else:
                out.append(i)
        if unknown:
            raise InvalidInputError(f"{what}: unknown block ids: {', '.join(map(str, unknown[:20]))}",
                                    details={"unknown_blocks": [str(b) for b in unknown]})
        return out


def block_graph(blocks: Any, *, counts: Mapping[Hashable, int] | str | None = None,
                households: Any = None,
                communities: Mapping[Hashable, Hashable] | str | None = None) -> BlockGraph:
    """Build the street adjacency graph of blocks, with households per block.

    Parameters
    ----------
    blocks : GeoDataFrame or sequence of (id, Polygon)
        Blocks in lon/lat WGS84 (a GeoDataFrame needs an ``id`` column and is
        reprojected if its CRS says otherwise). Ids must be unique.
    counts : mapping or str, optional
        Households per block id (missing ids count 0), or a GeoDataFrame column name.
    households : optional
        Household points instead: shapely Points, a GeoSeries/GeoDataFrame, or an
        ``(n, 2)`` lon/lat array. A point on an edge shared by blocks counts for the
        block whose id sorts first; points outside every block are counted apart
        (``unassigned_households``).
    communities : mapping or str, optional
        Community per block id, or a column name. None: one community.

    Returns
    -------
    BlockGraph

    Raises
    ------
    InvalidInputError
        Bad ids, counts, both or neither of ``counts`` and ``households``.
    InvalidGeometryError
        A block that is not a non-empty (Multi)Polygon (invalid ones are made valid and
        listed in ``repaired``).

    Examples
    --------
    >>> from shapely import box
    >>> g = block_graph([("a", box(109.73, 38.28, 109.731, 38.281)),
    ...                  ("b", box(109.731, 38.28, 109.732, 38.281)),
    ...                  ("c", box(109.732, 38.281, 109.733, 38.282))], counts={"a": 5, "b": 7})
    >>> g.households, [sorted(g.ids[j] for j in n) for n in g.nbrs]
    ([5, 7, 0], [['b'], ['a'], []])
    """
    frame = blocks if hasattr(blocks, "columns") else None
    ids, geoms = read_pairs(blocks, "blocks")
    if not ids:
        raise EmptyInputError("blocks: none given")
    ids = [plain(b) for b in ids]
    order = sorted(range(len(ids)), key=lambda i: sort_key(ids[i]))
    ids, geoms = [ids[i] for i in order], geoms[order]
    geoms, repaired = _check_polygons(ids, geoms)
    column = _column(frame, order)
    comm = column(communities, "communities") if isinstance(communities, str) else communities
    per_block = column(counts, "counts") if isinstance(counts, str) else counts
    proj = LocalEqualArea(*np.mean(np.reshape(shapely.total_bounds(geoms), (2, 2)), axis=0))
    metric = proj.to_metric(geoms)
    xy = shapely.get_coordinates(shapely.centroid(metric))
    community = [None if comm is None else plain(comm.get(b)) for b in ids]
    nbrs, cross = _adjacency(geoms, proj, community)
    hh, unassigned = _households(ids, geoms, per_block, households)
    return BlockGraph(ids=ids, geometry=geoms, households=hh, community=community,
                      area=shapely.area(metric), perimeter=shapely.length(metric), x=xy[:, 0],
                      y=xy[:, 1], nbrs=nbrs, cross=cross, metric=metric, unassigned_households=unassigned,
                      repaired=repaired)


def as_graph(blocks: Any, counts: Any = None, households: Any = None, communities: Any = None) -> BlockGraph:
    """A :class:`BlockGraph` as given (``counts`` may replace its households), or built by
    :func:`block_graph` from the other arguments.

    Examples
    --------
    >>> from shapely import box
    >>> g = as_graph([(1, box(109.73, 38.28, 109.731, 38.281))], {1: 40})
    >>> as_graph(g, {1: 90}).households, g.households
    ([90], [40])
    """
    if isinstance(blocks, BlockGraph):
        if households is not None or communities is not None or isinstance(counts, str):
            raise InvalidInputError("with a BlockGraph, pass only counts (a mapping) to change households")
        return blocks.with_counts(counts) if counts is not None else blocks
    return block_graph(blocks, counts=counts, households=households, communities=communities)


def sort_key(value: Any) -> tuple[int, Any]:
    """Sort key for ids that may mix numbers, strings and None (numbers first, then text).

    Examples
    --------
    >>> sorted(["b", 10, 2, "a"], key=sort_key)
    [2, 10, 'a', 'b']
    """
    value = plain(value)
    if value is None:
        return (0, 0)
    if isinstance(value, int) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def plain(value: Any) -> Any:
    """numpy scalars as Python values, so ids compare, hash and serialise as given.

    Examples
    --------
    >>> type(plain(np.int64(3))).__name__, plain("a")
    ('int', 'a')
    """
    return value.item() if isinstance(value, np.generic) else value


def _column(frame: Any, order: list[int]) -> Any:
    def get(name: str, what: str) -> dict[Hashable, Any]:
        if frame is None or name not in frame.columns:
            raise InvalidInputError(f"{what}: {name!r} names no column of the blocks GeoDataFrame")
        values = list(frame[name])
        ids = [plain(b) for b in frame["id"]]
        return {ids[i]: plain(values[i]) for i in order}

    return get


def _check_polygons(ids: list[Hashable], geoms: np.ndarray) -> tuple[np.ndarray, list[Hashable]]:
    """Refuse non-polygons and empties; repair invalid polygons (``make_valid``, polygonal part).

    Real blocks come with self-touching rings now and then; the repair keeps their area
    and edges, and the ids repaired are returned so the caller can report them.
    """
    areal = np.array([isinstance(g, shapely.Polygon | shapely.MultiPolygon) for g in geoms])
    bad = ~areal
    bad[areal] = shapely.is_empty(geoms[areal])
    if bad.any():
        which = [str(ids[i]) for i in np.flatnonzero(bad)]
        raise InvalidGeometryError(f"blocks: not a non-empty Polygon or MultiPolygon: "
                                   f"{', '.join(which[:20])}", details={"blocks": which})
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    geoms = geoms.copy()
    for i in invalid.tolist():
        fixed = polygonal(shapely.make_valid(geoms[i]))
        if fixed is None:
            raise InvalidGeometryError(f"blocks: block {ids[i]} has no area once made valid",
                                       details={"blocks": [str(ids[i])]})
        geoms[i] = fixed
    return geoms, [ids[i] for i in invalid.tolist()]


def _adjacency(geoms: np.ndarray, proj: LocalEqualArea,
               community: list[Hashable | None]) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """Shared edge length (m) per pair of blocks, split by same or other community.

    Vertices are snapped to ``GRID_DEG``. A ring segment found, either way round, in two
    blocks is an edge they share: blocks cut from one noded street network share the
    vertices of their common edges, so this finds every edge in one sort. Input drawn
    without noding can have a *T-junction*, a vertex of some blocks lying mid-edge of a
    block that lacks it; such a vertex is open (the corner angles of the blocks that
    have it sum to less than 360°), so the blocks touching an open vertex without having
    it are paired with those having it, and their shared length is measured by overlaying
    their rings instead.
    """
    parts, part_of = shapely.get_parts(shapely.orient_polygons(geoms), return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    block = part_of[ring_part[ring_of]]
    q = np.round(xy / GRID_DEG).astype(np.int64)
    mx, my = proj.points_to_metric(xy[:, 0], xy[:, 1])
    seg = np.flatnonzero(ring_of[:-1] == ring_of[1:])  # segment i runs from vertex i to i + 1
    p, r = q[seg], q[seg + 1]
    swap = ((p[:, 0] > r[:, 0]) | ((p[:, 0] == r[:, 0]) & (p[:, 1] > r[:, 1])))[:, None]
    keys = np.hstack([np.where(swap, r, p), np.where(swap, p, r)])
    length = np.hypot(mx[seg + 1] - mx[seg], my[seg + 1] - my[seg])
    found = _same_rows(keys, block[seg])
    pairs = _pair_lengths(len(geoms), block[seg][found[0]], block[seg][found[1]], length[found[0]])
    unnoded = _t_junction_pairs(geoms, xy, q, ring_of, block)
    if len(unnoded):
        a, b = np.divmod(unnoded, len(geoms))
        rings_of = shapely.boundary(geoms)
        lines = shapely.intersection(rings_of[a], rings_of[b], grid_size=GRID_DEG)
        pairs.update(zip(unnoded.tolist(), shapely.length(proj.to_metric(lines)).tolist(), strict=True))
    nbrs: list[dict[int, float]] = [{} for _ in geoms]
    cross: list[dict[int, float]] = [{} for _ in geoms]
    for c in sorted(pairs):
        if pairs[c] >= MIN_SHARED_EDGE_M:
            i, j = divmod(c, len(geoms))
            target = nbrs if community[i] == community[j] else cross
            target[i][j] = target[j][i] = pairs[c]
    return nbrs, cross


def _t_junction_pairs(geoms: np.ndarray, xy: np.ndarray, q: np.ndarray, ring_of: np.ndarray,
                      block: np.ndarray) -> np.ndarray:
    """Pair codes of blocks meeting at a vertex one of them lacks (see :func:`_adjacency`).

    Rings are oriented with the interior on the left, so a corner's angle runs
    counter-clockwise from the next vertex to the previous one.
    """
    start = np.r_[0, np.flatnonzero(np.diff(ring_of)) + 1]
    size = np.diff(np.r_[start, len(ring_of)]) - 1  # the closing vertex repeats the first
    first, n_open = np.repeat(start, size + 1), np.repeat(size, size + 1)
    pos = np.arange(len(ring_of)) - first
    keep = pos < n_open
    here = np.flatnonzero(keep)
    prev = first[here] + (pos[here] - 1) % n_open[here]
    nxt = first[here] + (pos[here] + 1) % n_open[here]
    d_prev, d_next = xy[prev] - xy[here], xy[nxt] - xy[here]
    angle = np.mod(np.arctan2(d_prev[:, 1], d_prev[:, 0]) - np.arctan2(d_next[:, 1], d_next[:, 0]), 2 * np.pi)
    vertices, which = np.unique(q[here], axis=0, return_inverse=True)
    which = which.ravel()
    open_ = np.flatnonzero(np.bincount(which, weights=angle) < 2 * np.pi - 1e-9)
    if not len(open_):
        return np.zeros(0, dtype=np.int64)
    points = shapely.points(vertices[open_] * GRID_DEG)
    v_idx, touching = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=TOUCH_DEG)
    has = {(int(v), int(b)) for v, b in zip(which, block[here], strict=True)}
    holders: dict[int, set[int]] = {}
    for v, b in zip(which.tolist(), block[here].tolist(), strict=True):
        holders.setdefault(v, set()).add(b)
    codes = set()
    for v, t in zip(open_[v_idx].tolist(), touching.tolist(), strict=True):
        if (v, t) not in has:
            codes.update(min(h, t) * len(geoms) + max(h, t) for h in holders[v])
    return np.array(sorted(codes), dtype=np.int64)


def _same_rows(keys: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of rows with equal keys and different owners (each once per pair of rows)."""
    order = np.lexsort((owner, *keys.T[::-1]))
    k, o = keys[order], owner[order]
    left, right = [], []
    for step in range(1, 5):  # a vertex is shared by at most a handful of blocks; 4 apart is plenty
        if step >= len(k):
            break
        hit = np.flatnonzero((k[step:] == k[:-step]).all(axis=1) & (o[step:] != o[:-step]))
        left.append(order[hit])
        right.append(order[hit + step])
    if not left:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(left), np.concatenate(right)


def _pair_code(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)


def _pair_lengths(n: int, a: np.ndarray, b: np.ndarray, length: np.ndarray) -> dict[int, float]:
    code = _pair_code(n, a, b)
    uniq, inverse = np.unique(code, return_inverse=True)
    return dict(zip(uniq.tolist(), np.bincount(inverse, weights=length).tolist(), strict=True))


def _counts_list(ids: list[Hashable], counts: Mapping[Hashable, Any]) -> list[int]:
    known = set(ids)
    unknown = [b for b in counts if plain(b) not in known]
    if unknown:
        raise InvalidInputError(f"counts: unknown block ids: {', '.join(map(str, unknown[:20]))}",
                                details={"unknown_blocks": [str(b) for b in unknown]})
    flat = {plain(b): v for b, v in counts.items()}
    out = []
    for b in ids:
        v = flat.get(b, 0)
        if v is None or (isinstance(v, float) and np.isnan(v)):
            v = 0
        if int(v) != v or v < 0:
            raise InvalidInputError(f"counts: households must be whole numbers >= 0, block {b} has {v!r}")
        out.append(int(v))
    return out


def _households(ids: list[Hashable], geoms: np.ndarray, counts: Mapping[Hashable, Any] | None,
                points: Any) -> tuple[list[int], int]:
    if (counts is None) == (points is None):
        raise InvalidInputError("give households either as counts per block or as points "
                                "(not both, not neither)")
    if counts is not None:
        return _counts_list(ids, counts), 0
    x, y = _point_xy(points)
    owner = assign_arrays(geoms, x, y).owner  # blocks are in id order: the lowest id owns an edge
    inside = owner >= 0
    return np.bincount(owner[inside], minlength=len(ids)).tolist(), int((~inside).sum())


def _point_xy(points: Any) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(points, "crs") and hasattr(points, "to_crs"):
        if points.crs is not None and not points.crs.equals("EPSG:4326"):
            points = points.to_crs("EPSG:4326")
        points = np.asarray(points.geometry.values if hasattr(points, "columns") else points.values,
                            dtype=object)
    arr = np.asarray(points) if not isinstance(points, np.ndarray) else points
    if arr.dtype != object and arr.ndim == 2 and arr.shape[1] == 2:
        return arr[:, 0].astype(float), arr[:, 1].astype(float)
    geoms = np.asarray(list(arr), dtype=object)
    if len(geoms) and not all(isinstance(g, shapely.Point) for g in geoms):
        raise InvalidInputError("households: expected Points or an (n, 2) lon/lat array")
    xy = shapely.get_coordinates(geoms) if len(geoms) else np.zeros((0, 2))
    return xy[:, 0], xy[:, 1]
