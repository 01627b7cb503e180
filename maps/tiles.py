"""Basemaps for the map pages: presets (OpenStreetMap, Tianditu, none) or a URL template.

Grids are stored and served as WGS84 / CGCS2000 lon/lat, so a basemap must be a web
mercator tile set in the same datum. OpenStreetMap and Tianditu (天地图, whose
``*_w`` layers are CGCS2000 web mercator) line up with the grids; Amap, Tencent and
Baidu tiles are GCJ-02 / BD-09 and would sit hundreds of metres off, so they are not
offered and should not be passed as templates.

The basemap is decoration: on an intranet without internet the tiles fail to load, the
map background stays blank and the grids still draw (Leaflet reports tile failures as
``tileerror`` events, not script errors). An intranet tile server can be given as a
template, absolute or site-relative (``/tiles/{z}/{x}/{y}.png``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gisgrid.errors import TileSpecError  # defined with the other errors; importable from here too

PRESETS = ("osm", "tianditu", "none")
DEFAULT_TILES = "osm"

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'

# Tianditu WMTS, web mercator tile matrix set "w"; {s} picks one of the servers t0..t7.
TIANDITU_WMTS = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_SUBDOMAINS = tuple(str(i) for i in range(8))
TIANDITU_ATTRIBUTION = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'

_PLACEHOLDERS = ("{z}", "{x}", "{y}")


@dataclass(frozen=True)
class TileLayerSpec:
    """One tile layer: a base layer, or an overlay such as Tianditu's annotation."""

    name: str  # shown in the layer control
    url: str  # Leaflet URL template with {z}/{x}/{y} (and {s} if subdomains)
    attribution: str
    subdomains: tuple[str, ...] = ()
    max_native_zoom: int = 19  # deepest zoom the server has tiles for; Leaflet upscales
    overlay: bool = False


@dataclass(frozen=True)
class TileSpec:
    """A basemap: the preset or template it came from and its tile layers, base first."""

    name: str
    layers: tuple[TileLayerSpec, ...]


def resolve_tiles(spec: str | None, *, tianditu_key: str | None = None) -> TileSpec | None:
    """Turn a basemap setting into tile layers; None means "no basemap".

    ``spec`` is ``osm`` (default when None or empty), ``tianditu`` (vector ``vec_w`` plus
    annotation ``cva_w``; needs ``tianditu_key``), ``none``, or a URL template
    containing ``{z}``, ``{x}`` and ``{y}``.

    >>> resolve_tiles("osm").layers[0].url
    'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
    >>> resolve_tiles("none") is None
    True
    """
    spec = (spec or DEFAULT_TILES).strip()
    preset = spec.lower()
    if preset == "none":
        return None
    if preset == "osm":
        return TileSpec("osm", (TileLayerSpec("OpenStreetMap", OSM_URL, OSM_ATTRIBUTION),))
    if preset == "tianditu":
        return _tianditu(tianditu_key)
    if "{" in spec or "/" in spec:
        return _template(spec)
    raise TileSpecError(
        f"unknown basemap {spec!r}: use one of {', '.join(PRESETS)} "
        "or a tile URL template with {z}, {x} and {y}",
        details={"tiles": spec, "presets": list(PRESETS)},
    )


def _tianditu(key: str | None) -> TileSpec:
    key = (key or "").strip()
    if not key:
        raise TileSpecError(
            "the tianditu basemap needs a Tianditu API key (tk); set GISGRID_TIANDITU_KEY "
            "or choose another basemap (osm, none, or a URL template)",
            details={"tiles": "tianditu"},
        )
    if not re.fullmatch(r"[A-Za-z0-9]+", key):
        raise TileSpecError("a Tianditu key is letters and digits only", details={})

    def layer(name: str, code: str, overlay: bool) -> TileLayerSpec:
        return TileLayerSpec(
            name,
            TIANDITU_WMTS.format(layer=code, key=key),
            TIANDITU_ATTRIBUTION,
            subdomains=TIANDITU_SUBDOMAINS,
            max_native_zoom=18,
            overlay=overlay,
        )

    return TileSpec("tianditu", (layer("天地图矢量", "vec", False), layer("天地图注记", "cva", True)))


def _template(url: str) -> TileSpec:
    missing = [p for p in _PLACEHOLDERS if p not in url]
    if missing:
        raise TileSpecError(
            f"tile URL template {url!r} lacks {', '.join(missing)}",
            details={"tiles": url, "missing": missing},
        )
    if not re.match(r"^(https?://|/)", url):
        raise TileSpecError(
            f"tile URL template {url!r} must start with http://, https:// or /",
            details={"tiles": url},
        )
    subdomains = ("a", "b", "c") if "{s}" in url else ()
    return TileSpec("custom", (TileLayerSpec("底图", url, "自定义底图", subdomains=subdomains),))
