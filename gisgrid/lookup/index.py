"""In-memory point lookups over one set of grids (the plans in force on a day).

:class:`LookupIndex` answers points without the database, byte for byte as the SQL path
(:func:`gisgrid.lookup.point.lookup_point_json`) does; the tests and ``bench/lookup_bench.py``
compare the two. It is built from one query (``lookup_store.grids_of_plans``) and kept
by :class:`gisgrid.lookup.cache.LookupCache` until the database says an answer may have
changed.

A point is answered in one of two ways:

1. **Settled cells.** For one ``near_m`` (the default 30 m) the grids' extent is cut into
   cells of about 10 m. A cell whose every point lies inside exactly one base grid, in
   no business grid and farther than ``near_m`` from every other base grid has that
   grid's answer, precomputed; a cell whose every point is outside every grid has "no
   grid". Both are decided on the cell's centre against the grids shrunk (or grown) by
   ``near_m`` plus the cell's half-diagonal plus a margin for buffer and projection
   error, in the UTM zone the exact path measures in. One array read answers them
   (:mod:`gisgrid.lookup.cells` builds and reads them).
2. **Exact**, for every other point: candidate grids within ``near_m`` from an STRtree in
   the point's UTM zone, an exact point-in-polygon test on lon/lat (as ``ST_Intersects``
   on the stored geometry) and distances in the UTM zone (as ``ST_Distance`` of
   ``ST_Transform``-ed geometries in the SQL path).

Why cells, written here rather than taken from a library: a shapely point-in-polygon
test costs orders of magnitude more than an array read (bench/README.md, lookup), and
most of a city's points lie deep inside their grid. GDAL's rasterizer (via rasterio)
would burn polygons faster but decides cells by their centre alone, not "every point of
the cell", which is what makes the shortcut exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from gisgrid.crs import utm_epsg_for
from gisgrid.db.lookup_store import GridContext
from gisgrid.lookup.answer import DEFAULT_NEAR_M, assemble, simple_answer, tail
from gisgrid.lookup.cells import OUTSIDE, UNKNOWN, SettledCells, settle_cells, start_of, utm_zones
from gisgrid.rules import is_base, owner_key

__all__ = ["LookupIndex"]

def _runs(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the runs [first[k], first[k] + count[k]) concatenated, and each
    index's rank within its run."""
    rank = np.arange(int(count.sum())) - np.repeat(start_of(count), count)
    return np.repeat(first, count) + rank, rank


@dataclass
class _Resolved:
    """Exact answers, as arrays: per point its owner (-1: none), its overlays and its
    alternatives (grouped by point, in answer order; counts per point)."""

    owner: np.ndarray
    n_ov: np.ndarray
    ov_g: np.ndarray
    n_alt: np.ndarray
    alt_g: np.ndarray
    alt_d: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _Resolved:
        z = np.zeros(n, dtype=np.int64)
        return cls(np.full(n, -1, dtype=np.int64), z, z[:0], z, z[:0], np.zeros(0))

    def simple(self) -> np.ndarray:
        return (self.owner >= 0) & (self.n_ov == 0) & (self.n_alt == 0)

    def busy(self) -> np.ndarray:
        return (self.owner >= 0) & ((self.n_ov > 0) | (self.n_alt > 0))


@dataclass
class Zone:
    """The grids projected to one UTM zone, with their STRtree."""

    epsg: int
    transformer: Transformer
    grids_m: np.ndarray
    tree: shapely.STRtree
    segments: _Segments | None = None

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.transformer.transform(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


@dataclass
class _Segments:
    """Every ring segment of every grid (metres), grouped by grid: ``start[g]:start[g+1]``."""

    ax: np.ndarray
    ay: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    inv_len2: np.ndarray
    start: np.ndarray
    bounds: np.ndarray          # (m, 4) each grid's bounds, metres

    @classmethod
    def of(cls, grids_m: np.ndarray) -> _Segments:
        parts, grid_of_part = shapely.get_parts(grids_m, return_index=True)   # multipolygons too
        rings, part_of_ring = shapely.get_rings(parts, return_index=True)
        xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        grid_of_ring = grid_of_part[part_of_ring]
        # A segment joins two consecutive vertices of the same ring.
        same = ring_of[1:] == ring_of[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        grid = grid_of_ring[ring_of[:-1][same]]
        d = b - a
        len2 = (d * d).sum(axis=1)
        inv = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
        return cls(a[:, 0].copy(), a[:, 1].copy(), d[:, 0].copy(), d[:, 1].copy(), inv,
                   np.searchsorted(grid, np.arange(len(grids_m) + 1)), shapely.bounds(grids_m))

    def near(self, g: np.ndarray, px: np.ndarray, py: np.ndarray, within: float) -> np.ndarray:
        """Which pairs (point k, grid g[k]) may be within ``within`` m: by bounding box."""
        b = self.bounds[g]
        ex = np.maximum(np.maximum(b[:, 0] - px, px - b[:, 2]), 0.0)
        ey = np.maximum(np.maximum(b[:, 1] - py, py - b[:, 3]), 0.0)
        return ex * ex + ey * ey <= within * within

    def distance(self, g: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Distance from point (px[k], py[k]) to the rings of grid g[k], for every k.

        Vectorised over all (pair, segment) combinations: shapely's ``distance`` pays a
        per-call overhead for every pair that dwarfs the per-segment cost here
        (bench/README.md, lookup); the nearest point of
        each segment is found by clamped projection, as GEOS does. The caller sets 0 for
        points inside their grid (a polygon's distance, not its rings').
        """
        k = len(g)
        if k == 0:
            return np.zeros(0)
        first, count = self.start[g], self.start[g + 1] - self.start[g]
        offsets = start_of(count)
        pair = np.repeat(np.arange(k), count)
        seg = first[pair] + (np.arange(len(pair)) - offsets[pair])
        ax, ay, dx, dy = self.ax[seg], self.ay[seg], self.dx[seg], self.dy[seg]
        ex = px[pair] - ax          # from the segment's start to the point
        ey = py[pair] - ay
        t = np.clip((ex * dx + ey * dy) * self.inv_len2[seg], 0.0, 1.0)
        ex -= t * dx
        ey -= t * dy
        return np.sqrt(np.minimum.reduceat(ex * ex + ey * ey, offsets))


class LookupIndex:
    """The grids of some plans, ready to answer point lookups from memory.

    Parameters
    ----------
    grids : sequence of (GridContext, bytes)
        Contexts (with areas and team) and WKB boundaries, lon/lat WGS84, as returned by
        :func:`gisgrid.db.lookup_store.grids_of_plans`.
    cells_near_m : float or None
        Build settled cells for this ``near_m`` (None: exact path only, for one-off use).
    cell_m : float
        Cell size in metres (grown if the extent would need more than ``max_cells``).

    Examples
    --------
    >>> index = LookupIndex(grids_in_force(session, on=today()))    # doctest: +SKIP
    >>> index.answer(109.735, 38.285, 30.0)[:40]                     # doctest: +SKIP
    b'{"grid":{"id":12,"code":"610802002001003"'
    """

    def __init__(self, grids: Sequence[tuple[GridContext, bytes]], *,
                 cells_near_m: float | None = DEFAULT_NEAR_M, cell_m: float = 10.0,
                 max_cells: int = 4_000_000) -> None:
        self.contexts = [c for c, _ in grids]
        m = len(self.contexts)
        self.geoms = np.asarray(shapely.from_wkb([w for _, w in grids]), dtype=object).reshape(m)
        shapely.prepare(self.geoms)
        self.is_base = np.array([is_base(c.kind) for c in self.contexts], dtype=bool)
        # rank: position in the owner order (gisgrid.rules.owner_key: base grids first,
        # then code, id), the order every tie is broken in; computed once, per grid.
        order = sorted(range(m), key=lambda i: owner_key(self.contexts[i].kind, self.contexts[i].code,
                                                         self.contexts[i].id))
        self.rank = np.empty(m, dtype=np.int64)
        self.rank[order] = np.arange(m)
        self._simple = np.empty(m, dtype=object)
        self._simple[:] = [simple_answer(c) for c in self.contexts]
        # Fragments of the answers that have overlays or alternatives, by grid, as object
        # arrays: numpy picks them by index with no Python loop and nothing concatenated
        # per answer (see _write_busy for how they fit together).
        def fragments(make: Any) -> np.ndarray:
            out = np.empty(m, dtype=object)
            out[:] = [make(c) for c in self.contexts]
            return out

        self._open = fragments(lambda c: b'{"grid":' + c.grid_json + b',"overlays":[')
        self._overlay = fragments(lambda c: c.grid_json)
        self._overlay_next = fragments(lambda c: b"," + c.grid_json)
        self._near = (fragments(lambda c: b"]," + (c.areas_json or b"") + b',"near_boundary":false,'
                                b'"alternatives":['),
                      fragments(lambda c: b"]," + (c.areas_json or b"") + b',"near_boundary":true,'
                                b'"alternatives":['))
        self._alt = fragments(lambda c: c.grid_json[:-1] + b',"distance_m":')
        self._alt_next = fragments(lambda c: b"}," + c.grid_json[:-1] + b',"distance_m":')
        self._tail = fragments(tail)
        self._alt_tail = fragments(lambda c: b"}" + tail(c))
        self._zones: dict[int, Zone] = {}
        self.cells: SettledCells | None = None
        if cells_near_m is not None and m:
            self.cells = self._settle(float(cells_near_m), cell_m, max_cells)

    def __len__(self) -> int:
        return len(self.contexts)

    # -- answers -----------------------------------------------------------------------

    def answer(self, lon: float, lat: float, near_m: float = DEFAULT_NEAR_M) -> bytes | None:
        """The answer for one WGS84 point (None: outside every grid)."""
        if self.cells is not None and near_m == self.cells.near_m:
            v, cell = self.cells.read_one(lon, lat)
            if v >= 0:
                return self._simple[v]
            if v == OUTSIDE:
                return None
            if cell >= 0 and self.cells.cand_start is not None:
                return self._exact_one(lon, lat, near_m, cell)
        return self._exact(np.array([lon], dtype=float), np.array([lat], dtype=float), near_m,
                           None).tolist()[0]

    def answers(self, lon: np.ndarray, lat: np.ndarray, near_m: float = DEFAULT_NEAR_M) -> np.ndarray:
        """The answers for WGS84 points: an object array of bytes, None outside every grid."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        if self.cells is None or near_m != self.cells.near_m or n == 0:
            return self._exact(lon, lat, near_m, None)
        v, flat = self.cells.read(lon, lat)
        out = np.empty(n, dtype=object)
        settled = v >= 0
        out[settled] = self._simple[v[settled]]
        rest = np.flatnonzero(v == UNKNOWN)
        if len(rest):
            with_cells = self.cells.cand_start is not None
            out[rest] = self._exact(lon[rest], lat[rest], near_m, flat[rest] if with_cells else None)
        return out

    # -- the exact path ----------------------------------------------------------------

    def _zone(self, epsg: int) -> Zone:
        zone = self._zones.get(epsg)
        if zone is None:
            tf = Transformer.from_crs(4326, epsg, always_xy=True)

            def project(xy: np.ndarray) -> np.ndarray:
                return np.column_stack(tf.transform(xy[:, 0], xy[:, 1]))

            grids_m = shapely.transform(self.geoms, project)
            shapely.prepare(grids_m)
            zone = self._zones[epsg] = Zone(epsg, tf, grids_m, shapely.STRtree(grids_m))
        return zone

    def _tree_pairs(self, lon: np.ndarray, lat: np.ndarray, near_m: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(point, grid, metres, hit) for every grid within near_m (+1 cm) of each point,
        from an STRtree in each point's UTM zone; hit: the grid holds the point (exact
        point-in-polygon on lon/lat, as ``ST_Intersects`` on the stored geometry)."""
        srid = utm_zones(lon, lat)
        out_p, out_g, out_d = [], [], []
        for epsg in np.unique(srid).tolist():
            sel = np.flatnonzero(srid == epsg)
            zone = self._zone(int(epsg))
            pts_m = shapely.points(*zone.project(lon[sel], lat[sel]))
            p_i, g_i = zone.tree.query(pts_m, predicate="dwithin", distance=near_m * 1.001 + 0.01)
            out_p.append(sel[p_i])
            out_g.append(g_i)
            out_d.append(shapely.distance(zone.grids_m[g_i], pts_m[p_i]))
        p, g = np.concatenate(out_p), np.concatenate(out_g)
        return p, g, np.concatenate(out_d), shapely.intersects_xy(self.geoms[g], lon[p], lat[p])

    def _cell_pairs(self, lon: np.ndarray, lat: np.ndarray, flat: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The same pairs for points on unsettled cells, and which pairs are hits: each
        cell's candidate grids (a superset of those within near_m), distances by
        :meth:`_Segments.distance` for the pairs that are not hits (0 for those)."""
        assert self.cells is not None
        zone = self._zone(self.cells.epsg)
        if zone.segments is None:
            zone.segments = _Segments.of(zone.grids_m)
        p_c, g_c = self.cells.candidates(flat)
        x, y = zone.project(lon, lat)
        px, py = x[p_c], y[p_c]
        keep = zone.segments.near(g_c, px, py, self.cells.near_m * 1.001 + 0.01)
        p_c, g_c, px, py = p_c[keep], g_c[keep], px[keep], py[keep]
        inside = shapely.intersects_xy(self.geoms[g_c], lon[p_c], lat[p_c])
        d = np.zeros(len(p_c))
        out = np.flatnonzero(~inside)
        # As GEOS measures a polygon: 0 inside the projected grid (a point a hair off a
        # meridian edge in lon/lat can be inside it in UTM), else to its rings.
        in_m = shapely.intersects_xy(zone.grids_m[g_c[out]], px[out], py[out])
        out = out[~in_m]
        d[out] = zone.segments.distance(g_c[out], px[out], py[out])
        return p_c, g_c, d, inside

    def _exact_one(self, lon: float, lat: float, near_m: float, cell: int) -> bytes | None:
        """:meth:`_exact` for one point on an unsettled cell: a handful of candidates, so
        one vectorised call per test rather than array set-up. Same tests, same bytes."""
        assert self.cells is not None and self.cells.cand_start is not None
        lo, hi = int(self.cells.cand_start[cell]), int(self.cells.cand_start[cell + 1])
        cands = self.cells.cand_grid[lo:hi]                       # type: ignore[index]
        hit = shapely.intersects_xy(self.geoms[cands], lon, lat)
        hits = [self.contexts[g] for g in cands[hit].tolist()]
        others = cands[~hit & self.is_base[cands]]
        near = [(self.contexts[g], 0.0) for g in cands[hit & self.is_base[cands]].tolist()]
        if len(others):
            zone = self._zone(self.cells.epsg)
            d = shapely.distance(zone.grids_m[others], shapely.Point(zone.transformer.transform(lon, lat)))
            reach = near_m * 1.001 + 0.01
            near += [(self.contexts[g], dist) for g, dist in zip(others.tolist(), d.tolist(), strict=True)
                     if dist <= reach]
        return assemble(hits, near, near_m)

    def _resolve(self, lon: np.ndarray, lat: np.ndarray, near_m: float,
                 flat: np.ndarray | None) -> _Resolved:
        """Exact owners, overlays and alternatives; ``flat``: the points' unsettled cells
        (-1 or None: none, use the STRtree)."""
        n, m = len(lon), len(self.contexts)
        if n == 0 or m == 0:
            return _Resolved.empty(n)
        on_cell = np.zeros(n, dtype=bool) if flat is None else flat >= 0
        parts = []
        if on_cell.any():
            sel = np.flatnonzero(on_cell)
            p, g, d, hit = self._cell_pairs(lon[sel], lat[sel], flat[sel])   # type: ignore[index]
            parts.append((sel[p], g, d, hit))
        if not on_cell.all():
            sel = np.flatnonzero(~on_cell)
            p, g, d, hit = self._tree_pairs(lon[sel], lat[sel], near_m)
            parts.append((sel[p], g, d, hit))
        p_c, g_c, d_c, inside = (np.concatenate([t[k] for t in parts]) for k in range(4))
        d_c[inside] = 0.0                   # a grid holding the point is at 0 m
        hit_p, hit_g = p_c[inside], g_c[inside]
        # The owner: the holder first in owner order (the base grid first by (code, id),
        # else the first business grid).
        o = np.lexsort((self.rank[hit_g], hit_p))
        hit_p, hit_g = hit_p[o], hit_g[o]
        first = np.ones(len(hit_p), dtype=bool)
        first[1:] = hit_p[1:] != hit_p[:-1]
        owner = np.full(n, -1, dtype=np.int64)
        owner[hit_p[first]] = hit_g[first]
        # Overlays: the other business grids holding the point, in (code, id) order.
        ov = ~self.is_base[hit_g] & (hit_g != owner[hit_p])
        ov_p, ov_g = hit_p[ov], hit_g[ov]          # already in (point, rank) order
        # Alternatives: the other base grids within near_m, nearest first, then (code, id).
        alt = self.is_base[g_c] & (d_c <= near_m) & (g_c != owner[p_c]) & (owner[p_c] >= 0)
        alt_p, alt_g, alt_d = p_c[alt], g_c[alt], d_c[alt]
        o = np.lexsort((self.rank[alt_g], alt_d, alt_p))
        return _Resolved(owner, np.bincount(ov_p, minlength=n), ov_g,
                         np.bincount(alt_p[o], minlength=n), alt_g[o], alt_d[o])

    def _exact(self, lon: np.ndarray, lat: np.ndarray, near_m: float,
               flat: np.ndarray | None) -> np.ndarray:
        """Answers (bytes, None outside) by exact tests, one object per point."""
        r = self._resolve(lon, lat, near_m, flat)
        out = np.empty(len(lon), dtype=object)
        simple = r.simple()
        out[simple] = self._simple[r.owner[simple]]
        busy = np.flatnonzero(r.busy())
        if len(busy):
            count = self._busy_count(r, busy)
            start = np.zeros(len(busy) + 1, dtype=np.int64)
            np.cumsum(count, out=start[1:])
            frags = np.empty(int(start[-1]), dtype=object)
            self._write_busy(frags, start[:-1], r, busy)
            fl = frags.tolist()
            out[busy] = [b"".join(fl[a:b]) for a, b in zip(start[:-1].tolist(), start[1:].tolist(),
                                                            strict=True)]
        return out

    def answers_json(self, lon: np.ndarray, lat: np.ndarray, near_m: float = DEFAULT_NEAR_M, *,
                     prefix: bytes = b"", suffix: bytes = b"") -> bytes:
        """The answers for WGS84 points as one JSON array (``null`` outside), in order,
        between ``prefix`` and ``suffix`` (the rest of a response body).

        The same bytes as ``b"[" + b",".join(answers) + b"]"`` with ``null`` for None,
        written in one join of shared fragments: a batch of 100,000 answers is ~50 MB,
        and copying it once rather than three times is most of the batch's cost.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        if n == 0:
            return prefix + b"[]" + suffix
        owner = np.full(n, -1, dtype=np.int64)         # simple answers: their grid
        if self.cells is not None and near_m == self.cells.near_m:
            v, flat = self.cells.read(lon, lat)
            owner[v >= 0] = v[v >= 0]
            rest = np.flatnonzero(v == UNKNOWN)
            flat = flat[rest] if self.cells.cand_start is not None else None
        else:
            rest, flat = np.arange(n), None
        r = self._resolve(lon[rest], lat[rest], near_m, flat)
        simple = r.simple()
        owner[rest[simple]] = r.owner[simple]
        busy_r = np.flatnonzero(r.busy())
        count = np.ones(n, dtype=np.int64)
        count[rest[busy_r]] = self._busy_count(r, busy_r)
        # Fragment layout: "[" then, per point, its fragments and a separator ("," or "]").
        start = np.ones(n, dtype=np.int64)
        np.cumsum(count[:-1] + 1, out=start[1:])
        start[1:] += 1
        total = int(start[-1] + count[-1] + 1)
        frags = np.empty(total, dtype=object)
        frags[0] = prefix + b"["
        frags[start + count] = b","
        frags[total - 1] = b"]" + suffix
        has = owner >= 0
        frags[start[has]] = self._simple[owner[has]]
        null = ~has
        null[rest[busy_r]] = False
        frags[start[null]] = b"null"
        if len(busy_r):
            self._write_busy(frags, start[rest[busy_r]], r, busy_r)
        return b"".join(frags.tolist())

    @staticmethod
    def _busy_count(r: _Resolved, busy: np.ndarray) -> np.ndarray:
        """Fragments per answer with overlays or alternatives (see :meth:`_write_busy`)."""
        return 3 + r.n_ov[busy] + 2 * r.n_alt[busy]

    def _write_busy(self, frags: np.ndarray, start: np.ndarray, r: _Resolved, busy: np.ndarray) -> None:
        """Write the fragments of answers with overlays or alternatives into ``frags``.

        Point k (``busy[k]`` in ``r``) gets, from ``start[k]``, :meth:`_busy_count`
        fragments: its opening, its overlays (each but the first with its leading comma),
        the near_boundary flag, per alternative its opening (each but the first closing
        the one before) and its distance, and its tail (closing the last alternative).
        """
        owner, n_ov, n_alt = r.owner[busy], r.n_ov[busy], r.n_alt[busy]
        frags[start] = self._open[owner]
        frags[start + 1 + n_ov] = np.where(n_alt > 0, self._near[1][owner], self._near[0][owner])
        frags[start + 2 + n_ov + 2 * n_alt] = np.where(n_alt > 0, self._alt_tail[owner], self._tail[owner])
        # Overlays and alternatives of the busy points, taken from r's grouped runs.
        ov_sel, ov_rank = _runs(start_of(r.n_ov)[busy], n_ov)
        if len(ov_sel):
            ov_point = np.repeat(np.arange(len(busy)), n_ov)
            g = r.ov_g[ov_sel]
            frags[start[ov_point] + 1 + ov_rank] = np.where(ov_rank > 0, self._overlay_next[g],
                                                            self._overlay[g])
        alt_sel, alt_rank = _runs(start_of(r.n_alt)[busy], n_alt)
        if len(alt_sel):
            alt_point = np.repeat(np.arange(len(busy)), n_alt)
            at = start[alt_point] + 2 + n_ov[alt_point] + 2 * alt_rank
            g = r.alt_g[alt_sel]
            frags[at] = np.where(alt_rank > 0, self._alt_next[g], self._alt[g])
            # One formatting call for every distance ("%.1f", as distance_text writes them).
            d = r.alt_d[alt_sel]
            frags[at + 1] = ((b"%.1f\n" * len(d)) % tuple(d.tolist())).split(b"\n")[:-1]

    # -- settled cells -----------------------------------------------------------------
    def _settle(self, near_m: float, cell_m: float, max_cells: int) -> SettledCells | None:
        """Settled cells over these grids, in the UTM zone of their extent's centre (the
        exact path's zone, whose projected grids they share)."""
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        if not (-79.0 < miny and maxy < 83.0):
            return None                     # near UTM's limits: the exact path only
        zone = self._zone(utm_epsg_for((minx + maxx) / 2.0, (miny + maxy) / 2.0))
        return settle_cells(self.geoms, self.is_base, zone, near_m, cell_m, max_cells)
