"""The planner's editor on a district of 10,000 street blocks: load, stroke latency, memory,
against one POST per edit through the API; and the map renderer (Leaflet canvas vs SVG).

.venv/bin/python -m bench.editor_bench [--strokes 200] [--posts 40] [--renderers canvas,svg]

Data: ``bench.editor_data`` (100 communities of 10 x 10 blocks, grids of 2 x 2 blocks,
20 households a block), in its own database. A real ``gisgrid serve`` runs on it and a
headless Chromium (the tests' flags, internet cut off) opens the editor of a fresh draft.

- load: the units document cold (a fresh server: streets polygonized, then cached) and
  warm, its size; the page from navigation to ready, warm; JS heap and DOM nodes after
  loading; the server's resident memory.
- stroke: a block on a grid edge given to the neighbouring grid with a real mouse click;
  timed in the page from the handler's start to the totals panel updated (the planner's
  figures), and to two animation frames later (the map repainted).
- the obvious alternative: each edit sent as it is made, one POST per edit (``move`` with
  the block's GeoJSON, as a client without units would; ``reassign`` with unit ids), timed
  to the response, which carries the new totals.

Figures go to bench/README.md; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from bench.editor_data import build

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str) -> tuple[subprocess.Popen, str]:
    port = _port()
    env = {**os.environ, "GISGRID_DATABASE_URL": url, "GISGRID_TILES_URL": "none"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gisgrid.cli", "serve", "--port", str(port), "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _summary(values: list[float]) -> str:
    return (
        f"n={len(values)} median {statistics.median(values):.1f} ms, p95 {_pct(values, 0.95):.1f} ms, "
        f"max {max(values):.1f} ms"
    )


def _draft(base: str) -> int:
    r = httpx.post(f"{base}/v1/plans", json={"scope": "610897", "name": "editor bench draft"}, timeout=600)
    r.raise_for_status()
    return int(r.json()["id"])


def _edge_blocks(doc: dict, n: int) -> list[tuple[int, int, int]]:
    """(unit, its grid, neighbour grid) for n blocks on grid edges, spread over the district."""
    props = [f["properties"] for f in doc["units"]["features"]]
    seen, out = set(), []
    for i, j, metres, _street, _lines in doc["pairs"][::7]:
        a, b = props[i], props[j]
        if a["grid"] != b["grid"] and a["community"] == b["community"] and metres > 50 and i not in seen:
            seen.add(i)
            out.append((i, a["grid"], b["grid"]))
        if len(out) == n:
            break
    return out


def browser_run(base: str, plan: int, strokes: int, renderer: str) -> dict:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        query = "?renderer=svg" if renderer == "svg" else ""
        started = time.perf_counter()
        page.goto(f"{base}/maps/plans/{plan}/planner{query}")
        page.wait_for_selector("body[data-ready='1']", timeout=600_000)
        load_s = time.perf_counter() - started
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = _heap_metrics(cdp)
        doc = page.evaluate("window.gisgridEditor.state.doc.pairs.length")
        targets = page.evaluate(
            """(n) => {
            const s = window.gisgridEditor.state, out = [];
            for (let k = 0; k < s.pairs.length && out.length < n; k += 7) {
              const [i, j, m] = s.pairs[k];
              const edge = s.assign[i] !== s.assign[j] && s.community[i] === s.community[j] && m > 50;
              if (edge) out.push([i, s.assign[j]]);
            }
            return out; }""",
            strokes,
        )
        for unit, grid in targets:
            point = page.evaluate(
                """([u, g]) => {
                const ed = window.gisgridEditor;
                ed.setActive(g);
                const layer = ed.layers.layers[u];
                ed.map.setView(layer.getBounds().getCenter(), 16, {animate: false});
                const box = ed.map.getContainer().getBoundingClientRect();
                const p = ed.map.latLngToContainerPoint(layer.getBounds().getCenter());
                return {x: box.left + p.x, y: box.top + p.y}; }""",
                [unit, grid],
            )
            # let the pan's own repaint finish, so the stroke's frame is the stroke's alone
            page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            page.mouse.click(point["x"], point["y"])
            page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        page.wait_for_timeout(500)
        timings = page.evaluate("window.gisgridEditor.timings")
        frames = page.evaluate("window.gisgridEditor.frameTimings")
        after = _heap_metrics(cdp)
        busy = {
            key: after[key] - metrics[key]
            for key in ("TaskDuration", "LayoutDuration", "RecalcStyleDuration", "ScriptDuration")
        }
        browser.close()
    return {
        "renderer": renderer,
        "load_s": load_s,
        "pairs": doc,
        "heap_mb": metrics["JSHeapUsedSize"] / 2**20,
        "nodes": metrics["Nodes"],
        "heap_after_mb": after["JSHeapUsedSize"] / 2**20,
        "strokes": timings,
        "busy": busy,
        "frames": frames,
    }


def api_run(base: str, plan: int, posts: int) -> dict:
    doc = httpx.get(f"{base}/v1/plans/{plan}/units", timeout=600).json()
    feats = doc["units"]["features"]
    digests = {c["code"]: c["digest"] for c in doc["communities"]}
    version = httpx.get(f"{base}/v1/plans/{plan}", timeout=60).json()["version"]
    members: dict[int, list[str]] = {}
    for f in feats:
        members.setdefault(f["properties"]["grid"], []).append(f["id"])
    out: dict[str, list[float]] = {"move": [], "reassign": []}
    targets = _edge_blocks(doc, 2 * posts)
    for k, (unit, src, dst) in enumerate(targets):
        uid = feats[unit]["id"]
        if uid not in members[src] or len(members[src]) < 2:
            continue
        if k % 2 == 0:
            body = {
                "op": "move",
                "version": version,
                "from_grid": src,
                "to_grid": dst,
                "area": feats[unit]["geometry"],
            }
        else:
            body = {
                "op": "reassign",
                "version": version,
                "digests": digests,
                "assignment": [
                    {"grid": src, "units": [u for u in members[src] if u != uid]},
                    {"grid": dst, "units": members[dst] + [uid]},
                ],
            }
        started = time.perf_counter()
        r = httpx.post(f"{base}/v1/plans/{plan}/edits", json=body, timeout=600)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            continue
        version = r.json()["version"]
        members[src].remove(uid)
        members[dst].append(uid)
        out[body["op"]].append(elapsed)
    return out


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _heap_metrics(cdp) -> dict:
    """Chromium's performance metrics after a full garbage collection (live memory only)."""
    cdp.send("HeapProfiler.collectGarbage")
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def maplibre_run(doc: bytes, strokes: int) -> dict:
    """The same strokes drawn by MapLibre GL JS (feature-state), from npm into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="gisgrid-maplibre-"))
    try:
        for name in ("index.html", "harness.js"):
            shutil.copy(ROOT / "bench" / "maplibre_harness" / name, folder / name)
        (folder / "units.json").write_bytes(doc)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
                str(folder),
                "maplibre-gl@5",
            ],
            check=True,
            capture_output=True,
        )
        handler = functools.partial(_QuietFiles, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            started = time.perf_counter()
            page.goto(f"{base}/index.html")
            page.wait_for_function("window.bench && window.bench.ready", timeout=600_000)
            load_s = time.perf_counter() - started
            for u, g, centre in page.evaluate("(n) => window.bench.targets(n)", strokes):
                page.evaluate("([u, g, c]) => window.bench.paint(u, g, c)", [u, g, centre])
            times = page.evaluate("window.bench.strokes")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            heap = _heap_metrics(cdp)["JSHeapUsedSize"]
            browser.close()
        server.shutdown()
        return {"load_s": load_s, "strokes": times, "heap_mb": heap / 2**20}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strokes", type=int, default=200)
    ap.add_argument("--posts", type=int, default=40)
    ap.add_argument("--renderers", default="canvas,svg")
    ap.add_argument(
        "--maplibre",
        action="store_true",
        help="also draw the strokes with MapLibre GL JS (installs maplibre-gl@5 from npm into a temp folder)",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    url, _active = build()
    print(f"data ready in {time.perf_counter() - t0:.1f} s")
    proc, base = _serve(url)
    try:
        plan = _draft(base)
        t0 = time.perf_counter()
        cold = httpx.get(f"{base}/v1/plans/{plan}/units", timeout=900)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = httpx.get(f"{base}/v1/plans/{plan}/units", timeout=900)
        warm_s = time.perf_counter() - t0
        doc = warm.json()
        print(
            f"units document: {len(doc['units']['features'])} units, {len(doc['pairs'])} pairs, "
            f"{len(doc['grids'])} grids, {len(cold.content) / 2**20:.1f} MiB; cold {cold_s:.1f} s, "
            f"warm {warm_s:.1f} s; server RSS {_rss_mb(proc.pid):.0f} MiB"
        )
        results = []
        for renderer in args.renderers.split(","):
            run = browser_run(base, plan, args.strokes, renderer)
            results.append(run)
            print(
                f"[{renderer}] page ready in {run['load_s']:.1f} s; JS heap {run['heap_mb']:.0f} MiB "
                f"({run['heap_after_mb']:.0f} MiB after strokes), {run['nodes']:.0f} DOM nodes"
            )
            print(f"[{renderer}] stroke to totals: {_summary(run['strokes'])}")
            print(f"[{renderer}] stroke to repainted map: {_summary(run['frames'])}")
            busy = run["busy"]
            print(
                f"[{renderer}] main thread over the run (pans and strokes): "
                f"{busy['TaskDuration']:.1f} s busy, "
                f"layout {busy['LayoutDuration']:.1f} s, style {busy['RecalcStyleDuration']:.1f} s, "
                f"script {busy['ScriptDuration']:.1f} s"
            )
        if args.maplibre:
            ml = maplibre_run(warm.content, args.strokes)
            print(f"[maplibre] page ready in {ml['load_s']:.1f} s; JS heap {ml['heap_mb']:.0f} MiB")
            print(f"[maplibre] stroke to repainted map (next idle): {_summary(ml['strokes'])}")
        api = api_run(base, _draft(base), args.posts)
        for op, values in api.items():
            if values:
                print(f"one POST per edit ({op}): {_summary(values)}")
        print(
            json.dumps(
                {
                    "cold_s": cold_s,
                    "warm_s": warm_s,
                    "browser": [
                        {k: v for k, v in r.items() if k not in ("strokes", "frames", "busy")}
                        for r in results
                    ],
                }
            )
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
