"""The staff map at city scale, side by side with a naive folium map of one marker per request.

A database of its own (``gisgrid_bench_staffmap``): the Yuyang demo (59,206 households)
plus synthetic requests up to ``--requests`` (default 100,000) near the households, with
random stages (some overdue). A real ``gisgrid serve`` answers; headless Chromium (offline: only the
local server answers) opens

- the staff map (``/maps/``: MapLibre over vector tiles), ``--repeats`` times in fresh
  contexts: bytes transferred until ready (all tiles of the first view in) and the time
  from navigation to ready (``data-ready``: map idle, every tile drawn, labels placed);
- the naive map: folium with one ``CircleMarker`` per request (the obvious way to "put the
  requests on a map"), served as a file with Leaflet from gisgrid: its size, and the time
  from navigation to the load event plus the next frame (markers drawn).

Then tile latency under concurrent load: every tile of the demo's extent at zooms 12–16
for the five layers, fetched once (cold, the server renders from PostGIS) and then by
``--clients`` concurrent clients for ``--seconds`` (warm: the server's tile cache), p50/p95.

Run: ``.venv/bin/python -m bench.staffmap_bench [--requests 100000] [--repeats 3]``.
Figures: bench/README.md. Nothing here is asserted; it measures.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import text

from bench.bench_data import bench_database_url
from gisgrid.db.bulk import copy_rows, ewkb_hex
from gisgrid.db.engine import make_engine, migrate, session_scope
from gisgrid.demo.load import load_demo
from gisgrid.rules import REQUEST_STAGES

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-gpu"]
CATEGORIES = ("parking", "leaking_roof", "broken_lane", "dispute", "sanitation", "noise")
# Every stage in turn; the open ones of every third row past their deadline (overdue).
STAGES = REQUEST_STAGES


def prepare(url: str, requests: int) -> int:
    """The demo, and synthetic requests up to ``requests`` (kept between runs)."""
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    with session_scope(engine) as s:
        if not s.execute(text("SELECT count(*) FROM household")).scalar_one():
            load_demo(s, replace=True)
        have = s.execute(text("SELECT count(*) FROM request")).scalar_one()
        if have < requests:
            homes = np.array(s.execute(text(
                "SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id")).all())
            community = s.execute(text("SELECT id FROM admin_area WHERE level = 'community' "
                                       "ORDER BY code LIMIT 1")).scalar_one()
            rng = np.random.default_rng(13)
            n = requests - have
            pick = homes[rng.integers(0, len(homes), n)] + rng.normal(0, 0.0002, (n, 2))
            rows = ((("610802", community, f"诉求 {have + i}", CATEGORIES[i % 6], None, STAGES[i % 10],
                      "2020-06-01", "2020-06-10" if i % 3 == 0 else "2099-01-01",
                      ewkb_hex(_point(x, y)))) for i, (x, y) in enumerate(pick))
            copy_rows(s, "request", ("district_code", "community_id", "title", "category", "description",
                                     "stage", "reported_at", "due_at", "location"), rows)
        total = s.execute(text("SELECT count(*) FROM request")).scalar_one()
    engine.dispose()
    return int(total)


def _point(x: float, y: float):
    import shapely
    return shapely.Point(float(x), float(y))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GISGRID_DATABASE_URL": url, "GISGRID_TILES_URL": "osm"}
    command = [sys.executable, "-m", "gisgrid.cli", "serve", "--port", str(port), "--no-access-log"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gisgrid serve did not start")


def _offline(context, allowed: tuple[str, ...]):
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(allowed) else r.abort())


def staff_map_run(browser, base: str, timeout_s: float = 120.0) -> dict:
    """Open the staff map in a fresh context: seconds to ready, bytes on the wire (every
    response of the page and its worker: headers and compressed bodies), tiles fetched."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    _offline(context, (base,))
    page = context.new_page()
    sizes: list[int] = []
    tiles: list[str] = []

    def finished(request) -> None:
        size = request.sizes()
        sizes.append(size["responseBodySize"] + size["responseHeadersSize"])
        if "/tiles/" in request.url:
            tiles.append(request.url)

    page.on("requestfinished", finished)
    t0 = time.perf_counter()
    page.goto(base + "/maps/", wait_until="domcontentloaded")
    deadline = t0 + timeout_s
    while not page.evaluate("document.body.dataset.ready === '1'"):
        if time.perf_counter() > deadline:
            break
        page.wait_for_timeout(20)
    ready = time.perf_counter() - t0 if time.perf_counter() <= deadline else float("inf")
    page.wait_for_timeout(200)   # the last requestfinished events
    context.close()
    return {"ready_s": ready, "bytes": sum(sizes), "tiles": len(tiles)}


def folium_page(base: str, points: np.ndarray, folder: Path) -> Path:
    import folium

    from maps import assets

    fmap = folium.Map(location=[float(points[:, 1].mean()), float(points[:, 0].mean())], zoom_start=14,
                      tiles=None)
    fmap.default_js = assets.default_js(base + assets.DEFAULT_STATIC_PREFIX)
    fmap.default_css = assets.default_css(base + assets.DEFAULT_STATIC_PREFIX)
    for x, y in points:
        folium.CircleMarker([float(y), float(x)], radius=4).add_to(fmap)
    path = folder / "naive.html"
    fmap.save(str(path))
    return path


def folium_run(browser, base: str, page_url: str, timeout_s: float) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    _offline(context, (base, "http://127.0.0.1:"))
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    t0 = time.perf_counter()
    try:
        page.goto(page_url, wait_until="load")
        page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        ready = time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a page past the budget is reported as such
        ready = float("inf")
    context.close()
    return {"ready_s": ready}


def serve_folder(folder: Path) -> tuple[object, str]:
    import functools
    import http.server

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def tile_list(url: str) -> list[str]:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        w, s, e, n = conn.execute(text("SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) "
                                       "FROM (SELECT ST_Extent(location) x FROM household) q")).one()
        epoch = conn.execute(text("SELECT value FROM map_epoch")).scalar_one()
    engine.dispose()

    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        k = 2 ** z
        row = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k
        return int((lon + 180) / 360 * k), int(row)

    out = []
    for z in range(12, 17):
        x0, y0 = tile(w, n, z)
        x1, y1 = tile(e, s, z)
        for layer in ("grids", "households", "shops", "requests", "resources"):
            out += [f"/tiles/{epoch}/wgs84/{layer}/{z}/{x}/{y}.mvt"
                    for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def latencies(base: str, paths: list[str], clients: int, *, seconds: float | None = None) -> list[float]:
    """Per-request latency (s): each path once (seconds None), or in a loop for ``seconds``."""
    out: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + (seconds or 0)

    def worker(k: int) -> None:
        with httpx.Client(base_url=base, timeout=60, headers={"Accept-Encoding": "gzip"}) as c:
            i = k
            while True:
                if seconds is None and i >= len(paths):
                    return
                if seconds is not None and time.monotonic() > stop:
                    return
                t = time.perf_counter()
                r = c.get(paths[i % len(paths)])
                dt = time.perf_counter() - t
                assert r.status_code == 200, (r.status_code, paths[i % len(paths)])
                with lock:
                    out.append(dt)
                i += clients

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--folium-timeout", type=float, default=300.0)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    url = bench_database_url("gisgrid_bench_staffmap")
    total = prepare(url, args.requests)
    proc, base = serve(url)
    try:
        engine = make_engine(url, pool_size=1)
        with engine.connect() as conn:
            households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
            points = np.array(conn.execute(text("SELECT ST_X(location), ST_Y(location) FROM request")).all())
        engine.dispose()
        print(f"data: {total:,} requests, {households:,} households")
        paths = tile_list(url)
        cold = latencies(base, paths, args.clients)
        print(f"tiles cold ({len(paths)} tiles, {args.clients} clients, rendered from PostGIS): "
              f"p50 {pct(cold, 50):.1f} ms, p95 {pct(cold, 95):.1f} ms")
        for clients in sorted({1, 4, args.clients}):
            warm = latencies(base, paths, clients, seconds=args.seconds)
            print(f"tiles warm ({len(warm):,} requests in {args.seconds:.0f} s, {clients} clients): "
                  f"p50 {pct(warm, 50):.1f} ms, p95 {pct(warm, 95):.1f} ms, "
                  f"{len(warm) / args.seconds:.0f} tiles/s")
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            runs = [staff_map_run(browser, base) for _ in range(args.repeats)]
            ready = statistics.median(r["ready_s"] for r in runs)
            weight = statistics.median(r["bytes"] for r in runs)
            each = ", ".join(f"{r['ready_s']:.2f}" for r in runs)
            print(f"staff map: ready in {ready:.2f} s (median of {args.repeats}; {each}), "
                  f"{weight / 2**20:.2f} MiB transferred, {runs[0]['tiles']} tiles")
            t = time.perf_counter()
            page = folium_page(base, points, Path(tmp))
            built = time.perf_counter() - t
            size = page.stat().st_size
            server, files = serve_folder(Path(tmp))
            naive = folium_run(browser, base, f"{files}/naive.html", args.folium_timeout)
            server.shutdown()
            shown = "did not finish" if math.isinf(naive["ready_s"]) else f"{naive['ready_s']:.1f} s"
            print(f"naive folium ({len(points):,} CircleMarkers): page {size / 2**20:.1f} MiB "
                  f"(built in {built:.0f} s), load + first frame {shown} "
                  f"(budget {args.folium_timeout:.0f} s)")
            if not math.isinf(naive["ready_s"]):
                print(f"ratio: folium / staff map = {naive['ready_s'] / ready:.1f}x time, "
                      f"{size / weight:.1f}x bytes")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
