"""Metric linework for blocks: clip, node, close gaps at dangling ends, merge slivers.

The steps of :func:`gisgrid.blocks.polygonize.polygonize_blocks`, on geometries in metres; the
rules are stated in that module's docstring. Written here rather than taken from a
library: shapely/GEOS give noding (``union_all``) and ``polygonize_full`` but no gap
closing or sliver merging; ``shapely.snap`` only moves vertices onto vertices, which
does not close a street that stops short of another street's middle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["NODING_GRID_M", "add_lines", "clip_lines", "gap_connectors", "merge_slivers", "node_lines"]

#: Precision grid of the noding overlay, in metres (1 µm: far below anything a map shows,
#: and fine enough that blocks put back in lon/lat still meet the boundary to ~1e-11°).
NODING_GRID_M = 1e-6
_LINESTRING = 1


def clip_lines(parts: np.ndarray, boundary: shapely.Geometry) -> np.ndarray:
    """The pieces of simple lines that lie in a polygon (its ring included).

    Parameters
    ----------
    parts : array of LineString
    boundary : Polygon or MultiPolygon

    Returns
    -------
    numpy.ndarray
        LineStrings; points where a line only touches the boundary are dropped.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> clip_lines(np.array([LineString([(-5, 5), (5, 5)])]), box(0, 0, 10, 10))
    array([<LINESTRING (0 5, 5 5)>], dtype=object)
    """
    shapely.prepare(boundary)
    inside = shapely.contains_properly(boundary, parts)
    crossing = ~inside & shapely.intersects(boundary, parts)
    cut = shapely.get_parts(shapely.intersection(parts[crossing], boundary))
    out = np.concatenate([parts[inside], cut[shapely.get_type_id(cut) == _LINESTRING]])
    return out[shapely.length(out) > NODING_GRID_M]


def node_lines(lines: list[Any]) -> np.ndarray:
    """Node lines: split at every crossing, duplicates dissolved, on the ``NODING_GRID_M`` grid.

    Parameters
    ----------
    lines : sequence of LineString or MultiLineString

    Returns
    -------
    numpy.ndarray
        LineStrings meeting only at their ends (snap rounding makes shared nodes identical).

    Examples
    --------
    >>> from shapely import LineString
    >>> len(node_lines([LineString([(0, 0), (2, 2)]), LineString([(0, 2), (2, 0)]),
    ...                 LineString([(0, 0), (2, 2)])]))
    4
    """
    merged = shapely.union_all(np.asarray(lines, dtype=object), grid_size=NODING_GRID_M)
    edges = shapely.get_parts(merged)
    return edges[(shapely.get_type_id(edges) == _LINESTRING) & ~shapely.is_empty(edges)]


def add_lines(edges: np.ndarray, lines: list[Any]) -> np.ndarray:
    """Node a few new lines into noded edges, re-noding only the edges they touch.

    The other edges cannot change: their vertices already sit on the ``NODING_GRID_M``
    grid, which snap rounding leaves in place. This spares a second overlay of the
    whole network for a few hundred connectors.

    Parameters
    ----------
    edges : array of LineString
        Noded edges (:func:`node_lines`).
    lines : list of LineString

    Returns
    -------
    numpy.ndarray
        Noded edges.

    Examples
    --------
    >>> from shapely import LineString
    >>> edges = node_lines([LineString([(0, 0), (10, 0)]), LineString([(20, 0), (30, 0)])])
    >>> len(add_lines(edges, [LineString([(5, -1), (5, 1)])]))
    5
    """
    if not len(lines):
        return edges
    touched = np.zeros(len(edges), dtype=bool)
    # dwithin, not intersects: a connector ends on the nearest point of an edge, which
    # floating point puts a hair beside the segment as often as on it
    near = shapely.STRtree(edges).query(np.asarray(lines, dtype=object), predicate="dwithin",
                                        distance=2 * NODING_GRID_M)[1]
    touched[near] = True
    return np.concatenate([edges[~touched], node_lines([*edges[touched], *lines])])


def gap_connectors(edges: np.ndarray, tolerance_m: float) -> list[shapely.Geometry]:
    """Short connectors closing the gaps at dangling ends (the tolerance rule).

    Parameters
    ----------
    edges : array of LineString
        Noded edges (:func:`node_lines`).
    tolerance_m : float
        Largest gap closed, in the edges' units (metres).

    Returns
    -------
    list of LineString
        One connector per joined end, from the end to its target; node them in again.

    Examples
    --------
    >>> from shapely import LineString
    >>> edges = node_lines([LineString([(0, 0), (10, 0)]), LineString([(5, 0.5), (5, 10)])])
    >>> gap_connectors(edges, 1.0)
    [<LINESTRING (5 0.5, 5 0)>]
    """
    if tolerance_m <= 0 or not len(edges):
        return []
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(edges, k)) for k in (0, -1)])
    owner = np.concatenate([np.arange(len(edges))] * 2)
    _, node, degree = np.unique(ends, axis=0, return_inverse=True, return_counts=True)
    node = node.ravel()
    edge_nodes = node.reshape(2, -1).T  # per edge: (start node, end node)
    free = np.flatnonzero(degree[node] == 1)
    if not len(free):
        return []
    points = shapely.points(ends[free])
    pi, ej = shapely.STRtree(edges).query(points, predicate="dwithin", distance=tolerance_m)
    own = edge_nodes[owner[free[pi]]]
    # an overshoot: a stub no longer than the tolerance past a node it shares with ej
    stub = shapely.length(edges[owner[free[pi]]]) <= tolerance_m
    touching = (edge_nodes[ej][:, :, None] == own[:, None, :]).any(axis=(1, 2))
    skip = (ej == owner[free[pi]]) | (stub & touching)
    pi, ej = pi[~skip], ej[~skip]
    dist = shapely.distance(points[pi], edges[ej])
    order = np.lexsort((ej, dist))
    free_node = {int(node[f]): k for k, f in enumerate(free)}
    node_xy = np.empty((len(degree), 2))
    node_xy[node] = ends
    done: set[int] = set()
    out: list[shapely.Geometry] = []
    for p, e in zip(pi[order].tolist(), ej[order].tolist(), strict=True):
        if p in done:
            continue
        target = _join_target(points[p], edges[e], edge_nodes[e], free_node, node_xy, tolerance_m)
        done.add(p)
        other = free_node.get(target[1], -1)
        done.add(other)
        out.append(shapely.LineString([shapely.get_coordinates(points[p])[0], target[0]]))
    return out


def _join_target(point: Any, edge: Any, nodes: np.ndarray, free_node: dict[int, int],
                 node_xy: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, int]:
    """Where a dangling end joins ``edge``: its dangling end if near, else its nearest point."""
    nearest = shapely.get_coordinates(shapely.shortest_line(point, edge))[1]
    for n in nodes.tolist():
        if n in free_node and np.hypot(*(node_xy[n] - nearest)) <= tolerance_m:
            return node_xy[n], n
    return nearest, -1


def merge_slivers(faces: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge faces thinner than ``tolerance_m`` into a neighbour (the sliver rule).

    A face is a sliver when its mean width ``2 * area / perimeter`` is below
    ``tolerance_m``. It joins the neighbour sharing its longest edge, non-slivers first;
    one with no neighbour along an edge stays.

    Parameters
    ----------
    faces : array of Polygon
        Faces of a polygonized, noded network (shared edges identical).
    tolerance_m : float

    Returns
    -------
    blocks : numpy.ndarray
        The faces with slivers merged in.
    slivers : numpy.ndarray
        The sliver faces that no longer stand as blocks.

    Examples
    --------
    >>> from shapely import box
    >>> blocks, slivers = merge_slivers(np.array([box(0, 0, 10, 10), box(10, 0, 10.5, 10)]), 2.0)
    >>> [float(b.area) for b in blocks], len(slivers)
    ([105.0], 1)
    """
    area, perimeter = shapely.area(faces), shapely.length(faces)
    sliver = 2 * area < tolerance_m * perimeter
    if not sliver.any() or len(faces) < 2:
        return faces, faces[:0]
    s_idx = np.flatnonzero(sliver)
    si, fj = shapely.STRtree(faces).query(faces[s_idx], predicate="intersects")
    keep = s_idx[si] != fj
    si, fj = si[keep], fj[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(faces[s_idx[si]]),
                                                 shapely.boundary(faces[fj]), grid_size=NODING_GRID_M))
    parent = np.arange(len(faces))
    # best neighbour of each sliver: a non-sliver first, then the longest shared edge, then index
    order = np.lexsort((fj, -shared, sliver[fj], si))
    chosen: set[int] = set()
    for s, f, length in zip(si[order].tolist(), fj[order].tolist(), shared[order].tolist(), strict=True):
        if s in chosen or length <= 0:
            continue
        chosen.add(s)
        a, b = _find(parent, int(s_idx[s])), _find(parent, f)
        if a != b:
            parent[a] = b
    roots = np.array([_find(parent, i) for i in range(len(faces))])
    by_root = np.argsort(roots, kind="stable")
    groups = np.split(by_root, np.flatnonzero(np.diff(roots[by_root])) + 1)
    out, dropped = [], []
    for members in groups:
        if len(members) == 1:
            out.append(faces[members[0]])
            continue
        # faces of one polygonize share identical edges: a valid coverage, which GEOS's
        # coverage union dissolves far faster than an overlay
        out.append(shapely.coverage_union_all(faces[members]))
        # a group has at most one non-sliver (slivers link to one neighbour each); an
        # all-sliver group stands as one block, so its first face counts as kept
        kept = members[~sliver[members]] if (~sliver[members]).any() else members[:1]
        dropped += [faces[m] for m in members if m not in kept]
    return np.asarray(out, dtype=object), np.asarray(dropped, dtype=object)


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i
