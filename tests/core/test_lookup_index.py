"""LookupIndex (gisgrid.lookup.index) against an independent reference, without a database.

Every way the index answers a point (settled cells, per-cell candidate lists with numpy
segment distances, the STRtree; one point or a batch, objects or one JSON array) must
give the bytes a plain shapely computation gives: the grids holding the point (shapely
``intersects`` on lon/lat), the base grids' distances in the point's UTM zone, formatted
by :func:`gisgrid.lookup.answer.assemble` (tested on its own elsewhere).

The geometry imitates Yulin: a jittered 8 x 8 lattice of ~300 m quadrilaterals sharing
edges (one column and one row of the lattice kept straight in lon/lat so points can lie
exactly on shared edges), a grid with a hole, a MultiPolygon grid, business grids over
several residential ones (one reaching out of the lattice) and special grids inside
residential ones (one sorting before its host, one after).

Points exactly on a meridian edge are where the paths once disagreed (an edge straight
in lon/lat is curved in UTM): the rule now, everywhere, is that a grid holding the point
is at 0 m (``assemble`` applies it, so the reference does too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import orjson
import pytest
import shapely
from pyproj import Transformer

from gisgrid.db.lookup_store import GridContext
from gisgrid.lookup.answer import assemble, simple_answer
from gisgrid.lookup.index import LookupIndex

NEAR_M = 30.0
LON0, LAT0 = 109.72, 38.27           # south-west corner of the Yulin lattice
CELL_M = 300.0                       # lattice step, metres
N = 8                                # lattice cells per side
STRAIGHT_I = 4                       # this column of vertices keeps one longitude ...
STRAIGHT_J = 4                       # ... and this row one latitude: exact shared edges
DLAT = CELL_M / 110_574.0
DLON = CELL_M / (111_320.0 * math.cos(math.radians(LAT0)))


# -- building grids by hand ------------------------------------------------------------

def context(gid: int, kind: str, code: str, name: str, *, staff: int = 1) -> GridContext:
    """A full context, its JSON made as ``GridContext.from_row`` makes it (orjson, compact)."""
    grid = orjson.dumps({"id": gid, "code": code, "name": name, "kind": kind})
    areas = (b'"community":' + orjson.dumps({"code": code[:9] + "001", "name": "社区 " + code[:9]})
             + b',"subdistrict":null,"district":null')
    team = orjson.dumps([{"role": "leader", "name": f"A{gid}"}]
                        + [{"role": "part_time", "name": f"P{gid}-{k}"} for k in range(staff - 1)])
    return GridContext(gid, kind, code, grid_json=grid, areas_json=areas, staff_json=team)


def square(lon: float, lat: float, half_m: float) -> list[tuple[float, float]]:
    """The corners (counter-clockwise) of a square of half-side ``half_m`` around a point."""
    hx = half_m / (111_320.0 * math.cos(math.radians(lat)))
    hy = half_m / 110_574.0
    return [(lon - hx, lat - hy), (lon + hx, lat - hy), (lon + hx, lat + hy), (lon - hx, lat + hy)]


@dataclass
class Layout:
    """Grids (context, WKB) and what the tests need to know about how they were drawn."""

    grids: list[tuple[GridContext, bytes]]
    vx: np.ndarray                   # (N+1, N+1) lattice vertex longitudes, [i, j]
    vy: np.ndarray                   # (N+1, N+1) lattice vertex latitudes
    cell_grid: dict[tuple[int, int], int]   # lattice cell (i, j) -> index in grids
    hole_centre: tuple[float, float]

    @property
    def contexts(self) -> list[GridContext]:
        return [c for c, _ in self.grids]

    @property
    def geoms(self) -> np.ndarray:
        return shapely.from_wkb([w for _, w in self.grids])

    def cell_quad(self, i: int, j: int) -> list[tuple[float, float]]:
        corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
        return [(float(self.vx[a, b]), float(self.vy[a, b])) for a, b in corners]


def yulin_layout(seed: int = 7) -> Layout:
    """The Yulin grids (see the module docstring); ids and codes in unrelated orders."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(N + 1), np.arange(N + 1), indexing="ij")
    vx = LON0 + ii * DLON + rng.uniform(-0.2, 0.2, ii.shape) * DLON
    vy = LAT0 + jj * DLAT + rng.uniform(-0.2, 0.2, jj.shape) * DLAT
    vx[STRAIGHT_I, :] = LON0 + STRAIGHT_I * DLON
    vy[:, STRAIGHT_J] = LAT0 + STRAIGHT_J * DLAT
    layout = Layout([], vx, vy, {}, (0.0, 0.0))
    ids = rng.permutation(np.arange(100, 100 + 3 * (N * N + 10), 3)).tolist()
    codes = rng.permutation(N * N + 10).tolist()       # code order unrelated to ids and place
    shapes: list[tuple[str, str, shapely.Geometry, tuple[int, int] | None]] = []

    multi_cells = [(6, 6), (7, 7)]                     # touching at one vertex
    for i in range(N):
        for j in range(N):
            if (i, j) in multi_cells:
                continue
            quad = layout.cell_quad(i, j)
            if (i, j) == (2, 2):                       # a hole of ~90 m, empty
                cx, cy = np.mean(quad, axis=0)
                layout.hole_centre = (float(cx), float(cy))
                poly = shapely.Polygon(quad, [square(cx, cy, 45.0)[::-1]])
            else:
                poly = shapely.Polygon(quad)
            shapes.append(("residential", f"网格 {i}-{j}", poly, (i, j)))
    # A MultiPolygon grid: two cells meeting at a vertex and an island east of the lattice.
    island = shapely.Polygon(square(float(vx[N, 3]) + 250.0 / 87_000.0, float(vy[N, 3]), 70.0))
    multi = shapely.MultiPolygon([shapely.Polygon(layout.cell_quad(*c)) for c in multi_cells]
                                 + [island])
    assert multi.is_valid
    shapes.append(("residential", "飞地网格", multi, None))
    # Business grids: a market around vertex (3, 5) over four residential grids; a
    # second one straddling the west edge of the lattice (half of it held by nothing else).
    shapes.append(("business", "步行街商户网格",
                   shapely.Polygon(square(float(vx[3, 5]), float(vy[3, 5]), 120.0)), None))
    shapes.append(("business", "西门市场",
                   shapely.Polygon(square(float(vx[0, 4]), float(vy[0, 4]), 90.0)), None))
    # Special grids inside residential ones (a school, a hospital).
    c52 = np.mean(layout.cell_quad(5, 2), axis=0)
    c13 = np.mean(layout.cell_quad(1, 3), axis=0)
    shapes.append(("special", "学校", shapely.Polygon(square(c52[0], c52[1], 60.0)), None))
    shapes.append(("special", "医院", shapely.Polygon(square(c13[0] + 0.0003, c13[1], 50.0)), None))

    grids = []
    for k, (kind, name, geom, cell) in enumerate(shapes):
        code = f"61080200{codes[k] + 1:04d}"
        if name == "学校":
            code = "610802000000"                      # sorts before every residential grid
        elif name == "医院":
            code = "610802999999"                      # sorts after every residential grid
        assert geom.is_valid, name
        grids.append((context(ids[k], kind, code, name, staff=1 + k % 3), shapely.to_wkb(geom)))
        if cell is not None:
            layout.cell_grid[cell] = k
    for c in multi_cells:
        layout.cell_grid[c] = next(k for k, s in enumerate(shapes) if s[1] == "飞地网格")
    layout.grids = grids
    return layout


# -- the reference -----------------------------------------------------------------------

def utm_epsg(lon: float, lat: float) -> int:
    """The point's UTM zone, written out again (latitude clamped into UTM's range)."""
    lat = min(max(lat, -80.0), 84.0)
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


@cache
def to_utm(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


class Oracle:
    """Expected answers by plain shapely, one point at a time (vectorised over grids only)."""

    def __init__(self, grids: list[tuple[GridContext, bytes]]) -> None:
        self.contexts = [c for c, _ in grids]
        self.geoms = shapely.from_wkb([w for _, w in grids])
        self.is_base = np.array([c.kind != "business" for c in self.contexts], dtype=bool)
        self._projected: dict[int, np.ndarray] = {}

    def projected(self, epsg: int) -> np.ndarray:
        """The grids in a UTM zone: every vertex transformed, edges straight between them."""
        if epsg not in self._projected:
            tf = to_utm(epsg)
            self._projected[epsg] = shapely.transform(
                self.geoms, lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))
        return self._projected[epsg]

    def hits(self, lon: float, lat: float) -> list[GridContext]:
        """The grids holding the point (boundary included), on lon/lat."""
        inside = shapely.intersects(self.geoms, shapely.Point(lon, lat))
        return [self.contexts[k] for k in np.flatnonzero(inside).tolist()]

    def metres(self, lon: float, lat: float) -> np.ndarray:
        """Every grid's distance from the point, in the point's UTM zone."""
        epsg = utm_epsg(lon, lat)
        return shapely.distance(self.projected(epsg), shapely.Point(to_utm(epsg).transform(lon, lat)))

    def distances(self, lon: float, lat: float) -> list[tuple[GridContext, float]]:
        """Every base grid with its distance from the point."""
        d = self.metres(lon, lat)
        return [(self.contexts[k], float(d[k])) for k in np.flatnonzero(self.is_base).tolist()]

    def answer(self, lon: float, lat: float, near_m: float = NEAR_M) -> bytes | None:
        return assemble(self.hits(lon, lat), self.distances(lon, lat), near_m)

    def answers(self, lon: np.ndarray, lat: np.ndarray, near_m: float = NEAR_M) -> list[bytes | None]:
        return [self.answer(x, y, near_m) for x, y in zip(np.asarray(lon).tolist(),
                                                           np.asarray(lat).tolist(), strict=True)]


def as_json_array(answers: list[bytes | None]) -> bytes:
    return b"[" + b",".join(b"null" if a is None else a for a in answers) + b"]"


def mismatches(got: list, want: list, lon: np.ndarray, lat: np.ndarray, limit: int = 3) -> list:
    """The first few differing points, readable in an assertion message."""
    bad = [k for k, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
    return [(k, float(lon[k]), float(lat[k]), got[k], want[k]) for k in bad[:limit]] + [len(bad)]


def check_every_way(index: LookupIndex, oracle_answers: list, lon: np.ndarray, lat: np.ndarray,
                    near_m: float = NEAR_M) -> None:
    """answer, answers and answers_json of ``index`` all equal the reference."""
    one = [index.answer(x, y, near_m) for x, y in zip(lon.tolist(), lat.tolist(), strict=True)]
    assert one == oracle_answers, mismatches(one, oracle_answers, lon, lat)
    batch = index.answers(lon, lat, near_m)
    assert isinstance(batch, np.ndarray) and len(batch) == len(lon)
    assert batch.tolist() == oracle_answers, mismatches(batch.tolist(), oracle_answers, lon, lat)
    text = index.answers_json(lon, lat, near_m)
    assert text == as_json_array(oracle_answers)


# -- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def layout() -> Layout:
    return yulin_layout()


@pytest.fixture(scope="module")
def oracle(layout: Layout) -> Oracle:
    return Oracle(layout.grids)


@pytest.fixture(scope="module")
def index(layout: Layout) -> LookupIndex:
    """With settled cells for 30 m (the default) and per-cell candidate lists."""
    return LookupIndex(layout.grids)


@pytest.fixture(scope="module")
def exact(layout: Layout) -> LookupIndex:
    """The exact path only (STRtree)."""
    return LookupIndex(layout.grids, cells_near_m=None)


@pytest.fixture(scope="module")
def random_points(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points over the grids' extent plus ~150 m, and points within 40 m of edges."""
    rng = np.random.default_rng(11)
    minx, miny, maxx, maxy = shapely.total_bounds(layout.geoms)
    mx, my = 150.0 / 87_000.0, 150.0 / 110_574.0
    lon = rng.uniform(minx - mx, maxx + mx, 3000)
    lat = rng.uniform(miny - my, maxy + my, 3000)
    # Near edges: a random point of a random lattice edge, moved up to 40 m either way.
    i, j = rng.integers(0, N, 1500), rng.integers(0, N + 1, 1500)
    t = rng.uniform(0, 1, 1500)
    horiz = rng.uniform(size=1500) < 0.5
    ex = np.where(horiz, layout.vx[i, j] + t * (layout.vx[i + 1, j] - layout.vx[i, j]),
                  layout.vx[j, i] + t * (layout.vx[j, i + 1] - layout.vx[j, i]))
    ey = np.where(horiz, layout.vy[i, j] + t * (layout.vy[i + 1, j] - layout.vy[i, j]),
                  layout.vy[j, i] + t * (layout.vy[j, i + 1] - layout.vy[j, i]))
    ex += rng.uniform(-40, 40, 1500) / 87_000.0
    ey += rng.uniform(-40, 40, 1500) / 110_574.0
    return np.concatenate([lon, ex]), np.concatenate([lat, ey])


@pytest.fixture(scope="module")
def random_expected(oracle: Oracle, random_points) -> list[bytes | None]:
    return oracle.answers(*random_points)


def parse(answer: bytes) -> dict:
    return orjson.loads(answer)


def alternatives_at_zero(answer: dict) -> set[int]:
    return {a["id"] for a in answer["alternatives"] if a["distance_m"] == 0.0}


def nearest_first(answer: dict) -> bool:
    """Alternatives nearest first (ties are broken on unrounded distances, then code, id)."""
    d = [a["distance_m"] for a in answer["alternatives"]]
    return d == sorted(d)


# -- 1. random points: every way of answering equals the reference -----------------------

def test_random_points_match_the_reference(index, layout, random_points, random_expected) -> None:
    """Thousands of random points (a third of them within 40 m of a lattice edge): the
    index with settled cells answers each exactly as the shapely reference, by
    ``answer``, ``answers`` and ``answers_json``; and the sample really exercises settled,
    unsettled and outside cells, busy answers and points outside every grid."""
    lon, lat = random_points
    check_every_way(index, random_expected, lon, lat)
    assert len(orjson.loads(index.answers_json(lon, lat))) == len(lon)
    value, _ = index.cells.read(lon, lat)
    assert (value >= 0).sum() > 500 and (value == -1).sum() > 500 and (value == -2).sum() > 200
    assert index.cells.cand_start is not None          # unsettled cells use candidate lists
    busy = [a for a in random_expected if a is not None and b'"near_boundary":true' in a]
    overlaid = [a for a in random_expected if a is not None and b'"overlays":[{' in a]
    assert len(busy) > 500 and len(overlaid) > 20
    assert sum(a is None for a in random_expected) > 300


def test_exact_path_matches_the_reference(exact, random_points, random_expected) -> None:
    """The exact path alone (no cells, STRtree and GEOS distances) gives the same bytes."""
    assert exact.cells is None
    check_every_way(exact, random_expected, *random_points)


@pytest.mark.parametrize("variant", ["no candidate lists", "50 m cells", "5 m cells",
                                     "cells for 100 m", "grids shuffled"])
def test_other_builds_give_the_same_bytes(variant, layout, random_points, random_expected) -> None:
    """Builds that route points differently answer the same (on half the random points):
    cells too many for candidate lists (unsettled cells fall back to the STRtree), coarse
    and fine cells, cells for another near_m (30 m then bypasses them), and the grids
    given in another order."""
    grids = layout.grids
    kwargs: dict = {
        "no candidate lists": {"max_cells": 20},
        "50 m cells": {"cell_m": 50.0},
        "5 m cells": {"cell_m": 5.0},
        "cells for 100 m": {"cells_near_m": 100.0},
        "grids shuffled": {},
    }[variant]
    if variant == "grids shuffled":
        order = np.random.default_rng(5).permutation(len(grids))
        grids = [grids[k] for k in order.tolist()]
    index = LookupIndex(grids, **kwargs)
    if variant == "no candidate lists":
        assert index.cells is not None and index.cells.cand_start is None
    lon, lat = (a[::2] for a in random_points)
    check_every_way(index, random_expected[::2], lon, lat)


# -- 2. realistic geometry: edges, vertices, holes, overlays, thresholds ------------------

def lattice_vertices(layout: Layout) -> tuple[np.ndarray, np.ndarray, list[set[int]]]:
    """Every lattice vertex, exactly as stored, and the base grids that share it."""
    lon, lat, sharing = [], [], []
    for a in range(N + 1):
        for b in range(N + 1):
            lon.append(float(layout.vx[a, b]))
            lat.append(float(layout.vy[a, b]))
            sharing.append({layout.cell_grid[(i, j)] for i in (a - 1, a) for j in (b - 1, b)
                            if 0 <= i < N and 0 <= j < N})
    return np.array(lon), np.array(lat), sharing


def straight_edge_points(layout: Layout) -> tuple[np.ndarray, np.ndarray, list[set[int]]]:
    """Points exactly on the shared edges of the straight column and row of the lattice
    (a meridian and a parallel in lon/lat), with the two grids on either side."""
    rng = np.random.default_rng(3)
    lon, lat, sharing = [], [], []
    for j in range(N):           # along the meridian of column STRAIGHT_I
        for t in rng.uniform(0.02, 0.98, 4).tolist():
            y0, y1 = layout.vy[STRAIGHT_I, j], layout.vy[STRAIGHT_I, j + 1]
            lon.append(float(layout.vx[STRAIGHT_I, j]))
            lat.append(float(y0 + t * (y1 - y0)))
            sharing.append({layout.cell_grid[(STRAIGHT_I - 1, j)], layout.cell_grid[(STRAIGHT_I, j)]})
    for i in range(N):           # along the parallel of row STRAIGHT_J
        for t in rng.uniform(0.02, 0.98, 4).tolist():
            x0, x1 = layout.vx[i, STRAIGHT_J], layout.vx[i + 1, STRAIGHT_J]
            lon.append(float(x0 + t * (x1 - x0)))
            lat.append(float(layout.vy[i, STRAIGHT_J]))
            sharing.append({layout.cell_grid[(i, STRAIGHT_J - 1)], layout.cell_grid[(i, STRAIGHT_J)]})
    return np.array(lon), np.array(lat), sharing


def meridian_edge_points(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Points exactly on the meridian shared edges, and the same 1e-10° (~9 µm) east: on
    lon/lat the latter are held by the eastern grid alone, in UTM they fall inside the
    western one (the meridian is curved there, the UTM edge straight)."""
    lon, lat, _ = straight_edge_points(layout)
    meridian = lon == layout.vx[STRAIGHT_I, 0]
    return (np.concatenate([lon[meridian], lon[meridian] + 1e-10]),
            np.concatenate([lat[meridian], lat[meridian]]))


@pytest.mark.parametrize("where", ["vertices", "straight edges"])
def test_points_on_shared_boundaries_get_on_edge_answers(where, layout, index, exact, oracle) -> None:
    """A point exactly on a vertex or edge shared by several grids belongs to the one
    whose (code, id) sorts first; the others are alternatives at 0.0 m, and the answer
    is the reference's, by every path."""
    lon, lat, sharing = (lattice_vertices if where == "vertices" else straight_edge_points)(layout)
    assert sum(len(s) > 1 for s in sharing) > len(sharing) / 2
    expected = oracle.answers(lon, lat)
    check_every_way(index, expected, lon, lat)
    check_every_way(exact, expected, lon, lat)
    contexts = layout.contexts
    for k, answer in enumerate(expected):
        assert answer is not None
        got = parse(answer)
        owner = min(sharing[k], key=lambda g: (contexts[g].code, contexts[g].id))
        assert got["grid"]["id"] == contexts[owner].id, (k, where)
        others = {contexts[g].id for g in sharing[k]} - {contexts[owner].id}
        assert alternatives_at_zero(got) == others
        assert got["near_boundary"] is bool(got["alternatives"])
        assert nearest_first(got)


def test_hole_and_multipolygon(layout, index, exact, oracle) -> None:
    """The hole of a grid is outside it (None, also 10 m from its ring, where the holed
    grid is near but holds nothing); just outside the hole the holed grid answers alone.
    The island of the MultiPolygon grid is that grid's, alone; beside it, nothing."""
    contexts = layout.contexts
    holed = layout.cell_grid[(2, 2)]
    multi = layout.cell_grid[(6, 6)]
    hx, hy = layout.hole_centre
    m_lon = 1.0 / (111_320.0 * math.cos(math.radians(hy)))
    m_lat = 1.0 / 110_574.0
    island_x = float(layout.vx[N, 3]) + 250.0 / 87_000.0
    island_y = float(layout.vy[N, 3])
    cases = [
        ((hx, hy), None),                                  # centre of the hole
        ((hx + 35 * m_lon, hy), None),                     # 10 m from the hole's ring
        ((hx, hy - 35 * m_lat), None),
        ((hx + 55 * m_lon, hy), holed),                    # 10 m beyond the ring: the grid
        ((hx - 55 * m_lon, hy + 20 * m_lat), holed),
        ((island_x, island_y), multi),                     # the island
        ((island_x + 75 * m_lon, island_y), None),         # 5 m east of the island
        ((island_x + 150 * m_lon, island_y), None),
    ]
    lon = np.array([p[0] for p, _ in cases])
    lat = np.array([p[1] for p, _ in cases])
    expected = oracle.answers(lon, lat)
    assert expected == [None if g is None else simple_answer(contexts[g]) for _, g in cases]
    check_every_way(index, expected, lon, lat)
    check_every_way(exact, expected, lon, lat)


def test_business_and_special_grids(layout, index, exact, oracle) -> None:
    """Business grids are overlays of the base grid holding the point, or the owner where
    no base grid holds it; special grids inside residential ones own the point when their
    code sorts first, else are its alternative at 0.0 m."""
    contexts = layout.contexts
    by_name = {parse(c.grid_json)["name"]: k for k, c in enumerate(contexts)}
    market, west_market = by_name["步行街商户网格"], by_name["西门市场"]
    school, hospital = by_name["学校"], by_name["医院"]
    m_lon = 1.0 / (111_320.0 * math.cos(math.radians(LAT0)))
    m_lat = 1.0 / 110_574.0
    vx, vy = float(layout.vx[3, 5]), float(layout.vy[3, 5])
    c52 = np.mean(layout.cell_quad(5, 2), axis=0)
    c13 = np.mean(layout.cell_quad(1, 3), axis=0)
    w0x, w0y = float(layout.vx[0, 4]), float(layout.vy[0, 4])
    lon = np.array([vx + 60 * m_lon, vx - 60 * m_lon, vx + 60 * m_lon, vx - 60 * m_lon,
                    c52[0], c13[0] + 0.0003, w0x - 70 * m_lon, w0x - 10 * m_lon])
    lat = np.array([vy + 60 * m_lat, vy + 60 * m_lat, vy - 60 * m_lat, vy - 60 * m_lat,
                    c52[1], c13[1], w0y, w0y + 40 * m_lat])
    expected = oracle.answers(lon, lat)
    check_every_way(index, expected, lon, lat)
    check_every_way(exact, expected, lon, lat)
    got = [parse(a) for a in expected]
    market_id = contexts[market].id
    # Around vertex (3, 5): four residential grids, each with the market over it.
    owners = {g["grid"]["id"] for g in got[:4]}
    assert owners == {contexts[layout.cell_grid[c]].id for c in [(3, 5), (2, 5), (3, 4), (2, 4)]}
    for g in got[:4]:
        assert [o["id"] for o in g["overlays"]] == [market_id]
        assert g["grid"]["kind"] == "residential" and g["near_boundary"] is False
    # The school's code sorts first: it owns the point, its host is an alternative at 0.
    assert got[4]["grid"]["id"] == contexts[school].id
    assert alternatives_at_zero(got[4]) == {contexts[layout.cell_grid[(5, 2)]].id}
    # The hospital's sorts last: its host owns the point, the hospital is the alternative.
    assert got[5]["grid"]["id"] == contexts[layout.cell_grid[(1, 3)]].id
    assert alternatives_at_zero(got[5]) == {contexts[hospital].id}
    # West of the lattice only the west market holds the point: it is the owner, with
    # no overlays; 10 m out, the residential grids it borders are alternatives.
    assert expected[6] == simple_answer(contexts[west_market])
    assert got[7]["grid"]["id"] == contexts[west_market].id and got[7]["overlays"] == []
    assert got[7]["near_boundary"] is True and contexts[layout.cell_grid[(0, 4)]].id in {
        a["id"] for a in got[7]["alternatives"]}
    assert all(0.0 < a["distance_m"] <= NEAR_M for a in got[7]["alternatives"])


def offset_from_edge(layout: Layout, i: int, j: int, d_m: float) -> tuple[float, float]:
    """A point ``d_m`` metres (in UTM 49N, the measuring zone) west of the midpoint of
    the vertical lattice edge from vertex (i, j) to (i, j + 1), i.e. inside cell (i-1, j)."""
    fwd = to_utm(32649)
    back = Transformer.from_crs(32649, 4326, always_xy=True)
    ax, ay = fwd.transform(layout.vx[i, j], layout.vy[i, j])
    bx, by = fwd.transform(layout.vx[i, j + 1], layout.vy[i, j + 1])
    length = math.hypot(bx - ax, by - ay)
    nx, ny = -(by - ay) / length, (bx - ax) / length       # left of a northward edge: west
    px, py = (ax + bx) / 2 + d_m * nx, (ay + by) / 2 + d_m * ny
    return back.transform(px, py)


def test_near_threshold(layout, index, exact, oracle) -> None:
    """A point 29.97 m from the neighbouring grid has it as an alternative ("30.0");
    at 30.03 m it has none, by every path. Also 0.5 m inside / outside the lattice's
    outer edge: held / outside every grid."""
    contexts = layout.contexts
    edges = [(1, 0), (4, 1), (7, 0), (3, 7), (4, 6), (1, 5)]
    points, wanted = [], []
    for i, j in edges:
        west, east = layout.cell_grid[(i - 1, j)], layout.cell_grid[(i, j)]
        for d, text in [(29.97, "30.0"), (29.91, "29.9"), (30.03, None), (31.0, None)]:
            points.append(offset_from_edge(layout, i, j, d))
            wanted.append((west, east, text))
    for j in (1, 6):                                  # the lattice's west edge
        points.append(offset_from_edge(layout, 0, j, -0.5))     # 0.5 m east: in cell (0, j)
        wanted.append((layout.cell_grid[(0, j)], None, None))
        points.append(offset_from_edge(layout, 0, j, 0.5))      # 0.5 m west: in no grid
        wanted.append((None, None, None))
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    expected = oracle.answers(lon, lat)
    check_every_way(index, expected, lon, lat)
    check_every_way(exact, expected, lon, lat)
    for answer, (owner, neighbour, text) in zip(expected, wanted, strict=True):
        if owner is None:
            assert answer is None
            continue
        got = parse(answer)
        assert got["grid"]["id"] == contexts[owner].id
        if neighbour is None or text is None:
            assert answer == simple_answer(contexts[owner])
        else:
            assert [a["id"] for a in got["alternatives"]] == [contexts[neighbour].id]
            assert f'"distance_m":{text}}}'.encode() in answer


def test_far_points_are_outside(index, exact) -> None:
    """Points far from every grid, up to the poles and the antimeridian: None / null."""
    lon = np.array([110.5, 0.0, -170.0, 109.73, 109.73, 109.73, 180.0, -180.0, 109.73, 109.72, 180.0])
    lat = np.array([38.9, 0.0, -60.0, 89.0, 90.0, -90.0, 0.0, 0.0, -80.5, 38.0, 90.0])
    for ix in (index, exact):
        check_every_way(ix, [None] * len(lon), lon, lat)
        check_every_way(ix, [None] * len(lon), lon, lat, near_m=1000.0)


# -- 3. settled cells are settled --------------------------------------------------------

def cell_points(cells, flat: np.ndarray, steps: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``steps`` x ``steps`` points across each cell, its corners included, and each point's cell."""
    ny, nx = cells.values.shape
    iy, ix = np.divmod(flat, nx)
    u = np.linspace(0.0, 1.0, steps)
    fu, fv = (a.ravel() for a in np.meshgrid(u, u))
    lon = cells.x0 + (ix[:, None] + fu[None, :]) * cells.dx
    lat = cells.y0 + (iy[:, None] + fv[None, :]) * cells.dy
    return lon.ravel(), lat.ravel(), np.repeat(flat, len(fu))


def sample_cells(values: np.ndarray, which: np.ndarray, rng: np.random.Generator,
                 rim: int, inner: int) -> np.ndarray:
    """Flat indices of some cells where ``which``: ``rim`` of them beside a cell of another
    value (where a wrong decision would show first), ``inner`` anywhere."""
    v = values
    other = np.zeros(v.shape, dtype=bool)
    other[1:, :] |= v[1:, :] != v[:-1, :]
    other[:-1, :] |= v[:-1, :] != v[1:, :]
    other[:, 1:] |= v[:, 1:] != v[:, :-1]
    other[:, :-1] |= v[:, :-1] != v[:, 1:]
    edge = np.flatnonzero((which & other).ravel())
    anywhere = np.flatnonzero(which.ravel())
    return np.concatenate([rng.choice(edge, min(rim, len(edge)), replace=False),
                           rng.choice(anywhere, min(inner, len(anywhere)), replace=False)])


def test_settled_cells_hold_one_simple_answer(index, exact, layout) -> None:
    """Every point of a settled cell, corners included, gets from the exact path the
    simple answer of the cell's grid (inside it, no overlay, no other grid within 30 m)."""
    cells = index.cells
    values = cells.values
    flat = sample_cells(values, values >= 0, np.random.default_rng(21), rim=400, inner=100)
    lon, lat, of = cell_points(cells, flat)
    want = [simple_answer(layout.contexts[g]) for g in values.ravel()[of].tolist()]
    got = exact.answers(lon, lat).tolist()
    assert got == want, mismatches(got, want, lon, lat)


def test_outside_cells_hold_no_point_of_any_grid(index, layout) -> None:
    """Every point of a cell marked outside (-2), corners included, is outside every grid."""
    cells = index.cells
    values = cells.values
    flat = sample_cells(values, values == -2, np.random.default_rng(22), rim=400, inner=100)
    lon, lat, _ = cell_points(cells, flat)
    held = shapely.intersects_xy(layout.geoms[:, None], lon[None, :], lat[None, :])
    assert not held.any()
    assert set(index.answers(lon, lat).tolist()) == {None}


def test_unsettled_cells_list_every_grid_within_reach(index, layout, oracle) -> None:
    """An unsettled cell's candidate list holds every grid within near_m (+1 cm, the
    STRtree's reach) of any point of the cell: the per-cell exact path misses none."""
    cells = index.cells
    values = cells.values
    flat = sample_cells(values, values == -1, np.random.default_rng(23), rim=150, inner=100)
    lon, lat, of = cell_points(cells, flat, steps=4)
    for x, y, c in zip(lon.tolist(), lat.tolist(), of.tolist(), strict=True):
        listed = set(cells.cand_grid[cells.cand_start[c]:cells.cand_start[c + 1]].tolist())
        near = set(np.flatnonzero(oracle.metres(x, y) <= NEAR_M * 1.001 + 0.01).tolist())
        assert near <= listed, (x, y, c, near - listed)


# -- 4. other near_m, UTM zones, empty inputs --------------------------------------------

@pytest.mark.parametrize("near_m", [0.0, 5.0, 100.0, 1000.0])
def test_other_near_m_match_the_reference(near_m, index, exact, oracle, layout, random_points) -> None:
    """near_m other than the cells' bypasses them and still gives the reference's bytes,
    on random points, vertices and shared edges (and microns beside them)."""
    lon, lat = (a[::5] for a in random_points)
    vlon, vlat, _ = lattice_vertices(layout)
    elon, elat, _ = straight_edge_points(layout)
    mlon, mlat = meridian_edge_points(layout)
    lon, lat = np.concatenate([lon, vlon, elon, mlon]), np.concatenate([lat, vlat, elat, mlat])
    expected = oracle.answers(lon, lat, near_m)
    check_every_way(index, expected, lon, lat, near_m)
    check_every_way(exact, expected, lon, lat, near_m)


@pytest.mark.parametrize("near_m", [5.0, 100.0])
def test_cells_built_for_another_near_m(near_m, layout, oracle, random_points) -> None:
    """Cells settled for 5 m or 100 m (as a large batch with that near_m builds them)
    answer that near_m as the reference does, boundaries included."""
    index = LookupIndex(layout.grids, cells_near_m=near_m)
    lon, lat = (a[::2] for a in random_points)
    vlon, vlat, _ = lattice_vertices(layout)
    elon, elat, _ = straight_edge_points(layout)
    lon, lat = np.concatenate([lon, vlon, elon]), np.concatenate([lat, vlat, elat])
    value, _ = index.cells.read(lon, lat)
    assert (value >= 0).any() and (value == -1).any()
    check_every_way(index, oracle.answers(lon, lat, near_m), lon, lat, near_m)


@pytest.mark.parametrize("cells_near_m", [None, 0.0])
def test_near_m_zero_on_a_meridian_edge(cells_near_m, layout, oracle) -> None:
    """near_m=0 with cells built for 0 (a batch of 5,000+ points with near_m=0 builds
    them) or none: points on and microns beside a shared meridian edge answer as the
    reference does."""
    index = LookupIndex(layout.grids, cells_near_m=cells_near_m)
    lon, lat = meridian_edge_points(layout)
    check_every_way(index, oracle.answers(lon, lat, 0.0), lon, lat, 0.0)


@pytest.mark.parametrize("cells_near_m", [None, NEAR_M])
def test_t_junction_on_a_meridian_edge(cells_near_m) -> None:
    """Rectangles meeting in a T: the corner of two western grids lies on the straight
    west edge of an eastern one. At the junction all three hold the point; the owner is
    the first code, and the other two are alternatives at 0.0 m by code (the eastern grid
    is ~7e-5 m away in UTM, but it holds the point: 0 m), by every index."""
    def grid(gid: int, box: shapely.Geometry) -> tuple[GridContext, bytes]:
        return context(gid, "residential", f"61080200000{gid}", f"矩形 {gid}"), shapely.to_wkb(box)

    grids = [grid(1, shapely.box(109.730, 38.272, 109.735, 38.274)),     # north-west
             grid(2, shapely.box(109.735, 38.270, 109.740, 38.274)),     # east, full height
             grid(3, shapely.box(109.730, 38.270, 109.735, 38.272))]     # south-west
    lon, lat = np.array([109.735, 109.735, 109.735]), np.array([38.272, 38.2715, 38.2731])
    expected = Oracle(grids).answers(lon, lat)
    junction = parse(expected[0])
    assert junction["grid"]["id"] == 1
    assert [(a["id"], a["distance_m"]) for a in junction["alternatives"]] == [(2, 0.0), (3, 0.0)]
    check_every_way(LookupIndex(grids, cells_near_m=cells_near_m), expected, lon, lat)


def zone_border_layout() -> list[tuple[GridContext, bytes]]:
    """A jittered 4 x 4 lattice of ~300 m grids centred on 108°E (UTM zones 48 and 49),
    its middle column of vertices on the meridian 108°E exactly."""
    rng = np.random.default_rng(31)
    lat0 = 38.3
    dlon = CELL_M / (111_320.0 * math.cos(math.radians(lat0)))
    ii, jj = np.meshgrid(np.arange(5), np.arange(5), indexing="ij")
    vx = 108.0 + (ii - 2) * dlon + rng.uniform(-0.2, 0.2, ii.shape) * dlon
    vy = lat0 + jj * DLAT + rng.uniform(-0.2, 0.2, jj.shape) * DLAT
    vx[2, :] = 108.0
    grids = []
    for i in range(4):
        for j in range(4):
            quad = [(vx[a, b], vy[a, b]) for a, b in [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]]
            k = 4 * i + j
            grids.append((context(500 + k, "residential", f"610000{(7 * k) % 16:06d}", f"边界 {i}-{j}"),
                          shapely.to_wkb(shapely.Polygon(quad))))
    # A special grid straddling the border, over two residential ones.
    grids.append((context(600, "special", "600000000000", "跨带"),
                  shapely.to_wkb(shapely.Polygon(square(108.0, lat0 + 1.5 * DLAT, 80.0)))))
    return grids


def test_points_across_a_utm_zone_border() -> None:
    """Grids straddling 108°E: points in zone 48 (the lattice's cells are in one zone) are
    measured in their own zone and still answer as the reference, by every path."""
    grids = zone_border_layout()
    oracle = Oracle(grids)
    index = LookupIndex(grids)
    exact = LookupIndex(grids, cells_near_m=None)
    rng = np.random.default_rng(32)
    minx, miny, maxx, maxy = shapely.total_bounds(oracle.geoms)
    lon = rng.uniform(minx - 0.001, maxx + 0.001, 1200)
    lat = rng.uniform(miny - 0.001, maxy + 0.001, 1200)
    on_border = np.full(40, 108.0)                          # on the meridian 108°E
    lon = np.concatenate([lon, on_border, on_border - 1e-9, on_border + 1e-9])
    lat = np.concatenate([lat] + [rng.uniform(miny + 0.0001, maxy - 0.0001, 40)] * 3)
    zones = np.array([utm_epsg(x, y) for x, y in zip(lon.tolist(), lat.tolist(), strict=True)])
    assert (zones == 32648).sum() > 250 and (zones == 32649).sum() > 250
    value, _ = index.cells.read(lon, lat)
    assert (value >= 0).sum() > 100                          # settled, in the lattice's zone
    assert ((value == -1) & (zones != index.cells.epsg)).sum() > 100   # the other zone
    for near_m in (NEAR_M, 0.0):
        expected = oracle.answers(lon, lat, near_m)
        check_every_way(index, expected, lon, lat, near_m)
        check_every_way(exact, expected, lon, lat, near_m)
    # Points of both zones fall in the special grid straddling the border.
    special = [b'"kind":"special"' in (a or b"") for a in oracle.answers(lon, lat)]
    assert set(zones[np.array(special)].tolist()) == {32648, 32649}


@pytest.mark.parametrize(("dlon", "dlat"), [(0.0, -76.56), (0.0, 30.0), (70.2, 0.0)],
                         ids=["southern hemisphere", "68N", "by the antimeridian"])
def test_the_same_grids_elsewhere(layout, dlon, dlat) -> None:
    """The Yulin grids moved south of the equator, to 68°N (cells much narrower in
    longitude) and to 179.9°E: random points and vertices still match the reference."""
    def move(xy: np.ndarray) -> np.ndarray:
        return xy + np.array([dlon, dlat])

    grids = [(c, shapely.to_wkb(shapely.transform(shapely.from_wkb(w), move))) for c, w in layout.grids]
    oracle = Oracle(grids)
    index = LookupIndex(grids)
    rng = np.random.default_rng(41)
    minx, miny, maxx, maxy = shapely.total_bounds(oracle.geoms)
    vlon, vlat, _ = lattice_vertices(layout)
    lon = np.concatenate([rng.uniform(minx - 0.002, maxx + 0.002, 1500), vlon + dlon])
    lat = np.concatenate([rng.uniform(miny - 0.002, maxy + 0.002, 1500), vlat + dlat])
    value, _ = index.cells.read(lon, lat)
    assert (value >= 0).sum() > 100
    check_every_way(index, oracle.answers(lon, lat), lon, lat)


def test_code_ties_are_broken_by_id() -> None:
    """Grids with the same code: the owner and the alternatives' order go by id, on a
    vertex shared by four grids and inside overlapping ones."""
    lon0, lat0, d = 109.75, 38.25, 0.003
    boxes = [shapely.box(lon0 + a * d, lat0 + b * d, lon0 + (a + 1) * d, lat0 + (b + 1) * d)
             for a in (-1, 0) for b in (-1, 0)]
    grids = [(context(gid, "residential", "610802000777", f"同码 {gid}"), shapely.to_wkb(box))
             for gid, box in zip([40, 12, 31, 27], boxes, strict=True)]
    grids.append((context(9, "special", "610802000777", "同码专属"),
                  shapely.to_wkb(shapely.box(lon0 + 0.001, lat0 + 0.001, lon0 + 0.002, lat0 + 0.002))))
    oracle = Oracle(grids)
    lon = np.array([lon0, lon0 + 0.0015, lon0 - 0.0015])
    lat = np.array([lat0, lat0 + 0.0015, lat0 + 0.0015])
    expected = oracle.answers(lon, lat)
    got = [parse(a) for a in expected]
    assert got[0]["grid"]["id"] == 12
    assert [a["id"] for a in got[0]["alternatives"]] == [27, 31, 40]
    assert got[1]["grid"]["id"] == 9 and [a["id"] for a in got[1]["alternatives"]] == [27]
    assert got[2]["grid"]["id"] == 12 and got[2]["alternatives"] == []
    for ix in (LookupIndex(grids), LookupIndex(grids, cells_near_m=None)):
        check_every_way(ix, expected, lon, lat)


def test_empty_grid_list_answers_nothing() -> None:
    """No grids: None for every point, ``null`` in the array, no cells."""
    for index in (LookupIndex([]), LookupIndex([], cells_near_m=None)):
        assert len(index) == 0 and index.cells is None
        lon, lat = np.array([109.73, 0.0, 108.0]), np.array([38.28, 0.0, 38.3])
        for near_m in (NEAR_M, 0.0):
            assert index.answer(109.73, 38.28, near_m) is None
            assert index.answers(lon, lat, near_m).tolist() == [None, None, None]
            assert index.answers_json(lon, lat, near_m) == b"[null,null,null]"
            assert index.answers_json(lon[:0], lat[:0], near_m) == b"[]"


def test_no_points(index, exact) -> None:
    """Zero points: an empty array and ``b"[]"``, with or without cells, any near_m."""
    empty = np.zeros(0)
    for ix in (index, exact):
        for near_m in (NEAR_M, 0.0, 100.0):
            assert ix.answers(empty, empty, near_m).tolist() == []
            assert ix.answers_json(empty, empty, near_m) == b"[]"
            assert ix.answers_json([], [], near_m) == b"[]"
