"""The staff map (``/maps/``): grids, household density, shops, requests and resources in
one MapLibre GL map over vector tiles served by gisgrid, with search, a legend, Chinese
and English, and three basemaps (OpenStreetMap, Tianditu, Amap).

Like the editor, the page is an HTML shell: MapLibre from npm (``maps.assets``, its CSP
build, whose worker is a file of ours) and the page's own ES modules in
``maps/staffmap/`` (one per feature), served under :data:`STAFFMAP_PREFIX`. No inline
script runs; what the scripts need (the map epoch, the grid and community index, the
basemaps) is in ``data-`` attributes of ``<body>``.

Amap's tiles are in GCJ-02: with the Amap basemap the page asks for the ``gcj02``
tiles (``gisgrid.staffmap.tiles``) and shifts the positions it draws itself (labels,
search results, fitted boxes) with its own port of the WGS84 → GCJ-02 formula
(``maps/staffmap/crs.js``, checked against ``gisgrid.crs`` in the browser tests).

:func:`render_staff_map` with ``standalone`` data writes one offline HTML file (the
``gisgrid map`` verb): MapLibre, the modules and the data inlined, GeoJSON sources
instead of tiles.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.staticfiles import StaticFiles

from maps import assets
from maps.tiles import OSM_ATTRIBUTION, OSM_URL, TIANDITU_ATTRIBUTION, TileSpec

STAFFMAP_PREFIX = "/maps/staffmap"
STAFFMAP_DIR = Path(__file__).resolve().parent / "staffmap"
MAPLIBRE_JS = "maplibre-gl-csp.js"
MAPLIBRE_WORKER = "maplibre-gl-csp-worker.js"
MAPLIBRE_CSS = "maplibre-gl.css"

AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_ATTRIBUTION = "&copy; 高德地图 AutoNavi"


@dataclass(frozen=True)
class Basemap:
    """A basemap the page offers: its tile URLs (subdomains expanded), datum and names."""

    id: str
    name_zh: str
    name_en: str
    tiles: tuple[str, ...]
    crs: str  # "wgs84" or "gcj02": which tiles of ours go on top
    attribution: str
    max_zoom: int = 19

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": {"zh": self.name_zh, "en": self.name_en}, "tiles": list(self.tiles),
                "crs": self.crs, "attribution": self.attribution, "maxzoom": self.max_zoom}


def _expand(url: str, subdomains: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(url.replace("{s}", s) for s in subdomains) if "{s}" in url else (url,)


def basemaps(tiles: TileSpec | None) -> list[Basemap]:
    """The configured basemap first (``GISGRID_TILES_URL``), then OpenStreetMap and Amap.

    Tianditu is offered when it is the configured one (it needs a key); a configured
    template (an intranet tile server) comes first as "底图"; ``none`` still offers the
    presets, which simply fail offline.
    """
    out: list[Basemap] = []
    if tiles is not None and tiles.name == "tianditu":
        vec = tiles.layers[0]
        out.append(Basemap("tianditu", "天地图", "Tianditu", _expand(vec.url, vec.subdomains), "wgs84",
                           TIANDITU_ATTRIBUTION, 18))
    elif tiles is not None and tiles.name == "custom":
        layer = tiles.layers[0]
        out.append(Basemap("custom", "底图", "Basemap", _expand(layer.url, layer.subdomains), "wgs84",
                           layer.attribution, layer.max_native_zoom))
    out.append(Basemap("osm", "OpenStreetMap", "OpenStreetMap", (OSM_URL,), "wgs84", OSM_ATTRIBUTION))
    out.append(Basemap("amap", "高德地图", "Amap", _expand(AMAP_URL, ("1", "2", "3", "4")), "gcj02",
                       AMAP_ATTRIBUTION, 18))
    return out


def basemap_sources(maps: list[Basemap]) -> list[str]:
    """CSP sources (scheme://host) of the basemaps' tile servers: images and fetches.

    >>> basemap_sources(basemaps(None))
    ['https://tile.openstreetmap.org', 'https://webrd01.is.autonavi.com', \
'https://webrd02.is.autonavi.com', 'https://webrd03.is.autonavi.com', 'https://webrd04.is.autonavi.com']
    """
    out = set()
    for b in maps:
        for url in b.tiles:
            if url.startswith("/"):
                continue
            parts = urlsplit(url)
            out.add(f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else ""))
    return sorted(out)


def staffmap_static_app() -> StaticFiles:
    """The staff map's modules and stylesheet (``maps/staffmap/``), at :data:`STAFFMAP_PREFIX`."""
    return StaticFiles(directory=STAFFMAP_DIR)


def _maplibre(static_prefix: str, name: str) -> str:
    return f"{static_prefix.rstrip('/')}/maplibre-gl/{name}"


def _body_attrs(index: dict[str, Any], maps: list[Basemap], static_prefix: str,
                extra: dict[str, Any] | None = None) -> str:
    data = {"index": json.dumps(index, ensure_ascii=False, separators=(",", ":")),
            "basemaps": json.dumps([b.as_dict() for b in maps], ensure_ascii=False),
            "worker": _maplibre(static_prefix, MAPLIBRE_WORKER), **(extra or {})}
    return " ".join(f'data-{k}="{html.escape(str(v), quote=True)}"' for k, v in data.items())


_BODY = """<div id="sm-map" role="region" aria-label="map"></div>
<aside id="sm-panel">
  <header><h1 data-i18n="title">网格工作地图</h1>
    <label class="sm-lang"><span data-i18n="language">语言</span>
      <select id="sm-lang"><option value="zh">中文</option><option value="en">English</option></select>
    </label>
  </header>
  <form id="sm-search" role="search">
    <input id="sm-q" type="search" autocomplete="off" data-i18n-placeholder="search_hint">
    <button type="submit" data-i18n="search">搜索</button>
  </form>
  <div id="sm-found" role="status" aria-live="polite"></div>
  <section id="sm-layers" aria-label="layers"></section>
  <section id="sm-basemap-box"><h2 data-i18n="basemap">底图</h2><select id="sm-basemap"></select></section>
  <section id="sm-legend" aria-label="legend"></section>
  <p class="sm-note" data-i18n="note">户数按网格统计；住户只以密度显示，不显示个人。</p>
  <nav class="sm-links"><a href="/" data-i18n="home">首页</a>
    · <a href="/maps/grids" data-i18n="grids_page">网格图</a> · <a href="/docs">API</a></nav>
</aside>"""


def render_staff_map(index: dict[str, Any], *, tiles: TileSpec | None, downloads: str = "",
                     static_prefix: str = assets.DEFAULT_STATIC_PREFIX) -> str:
    """The staff map page served at ``/maps/`` (``index``: ``gisgrid.staffmap.map_index``;
    ``downloads``: the panel's download links, ``maps.downloads.downloads_html``)."""
    maps = basemaps(tiles)
    body = _BODY.replace('  <nav class="sm-links">', f'  <section id="sm-downloads">{downloads}</section>\n'
                                                       '  <nav class="sm-links">')
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>网格工作地图 · gisgrid</title>
<link rel="stylesheet" href="{html.escape(_maplibre(static_prefix, MAPLIBRE_CSS))}">
<link rel="stylesheet" href="{STAFFMAP_PREFIX}/staffmap.css">
<script src="{html.escape(_maplibre(static_prefix, MAPLIBRE_JS))}" defer></script>
<script type="module" src="{STAFFMAP_PREFIX}/main.js"></script>
</head>
<body {_body_attrs(index, maps, static_prefix, {"mode": "tiles"})}>
{body}
</body>
</html>
"""


#: The page's modules in dependency order, for a standalone file (inlined as one script).
MODULES = ("i18n.js", "crs.js", "layers.js", "control.js", "legend.js", "labels.js", "popup.js", "search.js",
           "main.js")


def _script_text(text: str) -> str:
    """Text safe inside a ``<script>`` element (JSON and JavaScript both read ``<\\/`` as ``</``
    in strings; no ``</script`` occurs in their code)."""
    return re.sub(r"</(script)", lambda m: "<\\/" + m.group(1), text, flags=re.IGNORECASE)


def inline_modules() -> str:
    """The page's ES modules as one classic script: imports dropped, exports unmarked, the
    whole in an async function (main.js waits with a top-level await). Their top-level names
    are distinct, which ``tests/maps/test_staffmap_page.py`` checks."""
    parts = []
    for name in MODULES:
        lines = (STAFFMAP_DIR / name).read_text(encoding="utf-8").splitlines()
        body = [line.removeprefix("export ") for line in lines if not line.startswith("import ")]
        parts.append(f"// ---- {name}\n" + "\n".join(body))
    return "(async () => {\n" + "\n".join(parts) + "\n})();\n"


def render_standalone_map(bundle: dict[str, Any], *, tiles: TileSpec | None,
                          node_modules: Path | None = None) -> str:
    """One HTML file with everything inlined (MapLibre, the modules, the data): opens from
    disk without a server, the overlays drawn from GeoJSON, the basemap from its tile server
    when there is one to reach. ``bundle``: ``gisgrid.staffmap.export.standalone_bundle``."""
    folder = assets.PACKAGES["maplibre-gl"].folder(node_modules or assets.default_node_modules())
    maplibre = (folder / "maplibre-gl.js").read_text(encoding="utf-8")
    css = (folder / MAPLIBRE_CSS).read_text(encoding="utf-8") + (STAFFMAP_DIR / "staffmap.css").read_text(
        encoding="utf-8")
    data = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))
    body = _BODY.split('  <nav class="sm-links">')[0] + "</aside>"
    maps = basemaps(tiles)
    choices = json.dumps([b.as_dict() for b in maps], ensure_ascii=False)
    attrs = " ".join(f'data-{k}="{html.escape(str(v), quote=True)}"'
                     for k, v in {"basemaps": choices, "mode": "standalone"}.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>网格工作地图（离线） · gisgrid</title>
<style>{css}</style>
<script>{_script_text(maplibre)}</script>
</head>
<body {attrs}>
{body}
<script type="application/json" id="sm-data">{_script_text(data)}</script>
<script>{_script_text(inline_modules())}</script>
</body>
</html>
"""
