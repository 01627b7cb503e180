"""The planner's editor page for a draft plan: an HTML shell whose scripts do the work.

Everything the page runs is a file: Leaflet from npm (``maps.assets``) and the editor's
own ES modules and stylesheet in ``maps/editor/`` (one module per feature: units layer,
brush, totals panel, undo stack, save, redraw, diff, teams, exports...), served under
:data:`EDITOR_PREFIX` by :func:`editor_static_app`. The page holds no inline script,
style or event handler, so it runs under a Content-Security-Policy of ``'self'``; what
the scripts need (the plan, the API, the basemap) is in ``data-`` attributes of
``<body>``, and the data comes from the API (``GET /v1/plans/{id}/units``).

Chinese first, English selectable (the choice is kept in the browser).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from starlette.staticfiles import StaticFiles

from maps import assets
from maps.tiles import TileSpec

EDITOR_PREFIX = "/maps/editor"
EDITOR_DIR = Path(__file__).resolve().parent / "editor"


def editor_static_app() -> StaticFiles:
    """The editor's scripts and stylesheet (``maps/editor/``), to mount at :data:`EDITOR_PREFIX`."""
    return StaticFiles(directory=EDITOR_DIR)


def _tiles(tiles: TileSpec | None) -> list[dict[str, Any]]:
    if tiles is None:
        return []
    return [{"url": t.url, "attribution": t.attribution, "subdomains": list(t.subdomains),
             "maxNativeZoom": t.max_native_zoom, "overlay": t.overlay} for t in tiles.layers]


def render_editor_page(plan: dict[str, Any], *, tiles: TileSpec | None, exports: list[str],
                       static_prefix: str = assets.DEFAULT_STATIC_PREFIX) -> str:
    """The editor's page for ``plan`` (as ``queries.get_plan`` gives it).

    ``exports`` lists the formats the server's export route offers (empty: the page
    writes GeoJSON itself from the grids endpoint and offers no GeoPackage).
    """
    e = html.escape
    leaflet_css = next(a for a in assets.ASSETS if a.key == "leaflet_css").url(static_prefix)
    leaflet_js = next(a for a in assets.ASSETS if a.key == "leaflet").url(static_prefix)
    data = {
        "plan": plan["id"], "version": plan["version"], "status": plan["status"],
        "tiles": json.dumps(_tiles(tiles), ensure_ascii=False), "exports": ",".join(exports),
    }
    attrs = " ".join(f'data-{k}="{e(str(v), quote=True)}"' for k, v in data.items())
    title = f"{plan['name']} · 网格编辑器"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="stylesheet" href="{e(leaflet_css)}">
<link rel="stylesheet" href="{EDITOR_PREFIX}/editor.css">
<script src="{e(leaflet_js)}" defer></script>
<script type="module" src="{EDITOR_PREFIX}/main.js"></script>
</head>
<body {attrs}>
<header id="ed-header">
  <h1><span data-i18n="title">网格编辑器</span> · <span id="ed-plan-name">{e(plan['name'])}</span></h1>
  <span id="ed-version"></span>
  <span id="ed-status" role="status" aria-live="polite"></span>
  <label class="ed-lang"><span data-i18n="language">语言</span>
    <select id="ed-lang"><option value="zh">中文</option><option value="en">English</option></select></label>
</header>
<nav id="ed-toolbar" aria-label="tools"></nav>
<main id="ed-main">
  <div id="ed-map"></div>
  <aside id="ed-side">
    <section id="ed-active"></section>
    <section id="ed-summary"></section>
    <section id="ed-grids"></section>
  </aside>
</main>
<div id="ed-dialog" hidden></div>
<div id="ed-toast" role="alert" hidden></div>
</body>
</html>
"""
