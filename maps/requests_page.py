"""The community office's assessment page (诉求考核): the figures of an area and its parts as charts.

An HTML shell; its script (``maps/requests/stats.js``, an ES module served under
:data:`REQUESTS_PREFIX`) reads ``GET /v1/requests/stats?parts=true`` and draws the bars
as SVG itself: no chart library, no CDN, no inline script (the page runs under a
``'self'`` Content-Security-Policy). No personal data: counts and rates only.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.staticfiles import StaticFiles

__all__ = ["REQUESTS_DIR", "REQUESTS_PREFIX", "render_stats_page", "requests_static_app"]

REQUESTS_PREFIX = "/maps/requests-assets"
REQUESTS_DIR = Path(__file__).resolve().parent / "requests"


def requests_static_app() -> StaticFiles:
    """The page's script and stylesheet (``maps/requests/``), to mount at :data:`REQUESTS_PREFIX`."""
    return StaticFiles(directory=REQUESTS_DIR)


def render_stats_page(area: dict[str, str], *, start: str | None, end: str | None) -> str:
    """The page for ``area`` (``{"code", "name", "level"}``) and an optional period."""
    e = html.escape
    data = {"area": area["code"], "from": start or "", "to": end or ""}
    attrs = " ".join(f'data-{k}="{e(v, quote=True)}"' for k, v in data.items())
    title = f"{area['name']} · 诉求考核"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="stylesheet" href="{REQUESTS_PREFIX}/stats.css">
<script type="module" src="{REQUESTS_PREFIX}/stats.js"></script>
</head>
<body {attrs}>
<header>
  <h1>{e(area['name'])} <small>({e(area['code'])})</small> · 诉求考核</h1>
  <form id="period">
    <label>从 <input type="date" name="from" id="from"></label>
    <label>到 <input type="date" name="to" id="to"></label>
    <button type="submit">查看</button>
    <a id="xlsx" href="#">导出 Excel</a>
  </form>
  <p id="status" role="status" aria-live="polite">加载中…</p>
</header>
<main>
  <section id="cards" aria-label="总体指标"></section>
  <section><h2>受理与结案</h2><div id="chart-counts" class="chart"></div></section>
  <section><h2>结案率与按期结案率</h2><div id="chart-rates" class="chart"></div></section>
  <section><h2>办结用时（工作日）</h2><div id="chart-days" class="chart"></div></section>
  <section><h2>明细</h2><table id="table"></table></section>
</main>
</body>
</html>
"""
