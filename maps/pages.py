"""The grid map page: a folium map of one plan's grids that needs no internet to work.

Every script and stylesheet is served by gisgrid under ``static_prefix`` (see
``maps.assets``); the basemap is optional decoration (``maps.tiles``). The page sets
``document.body.dataset.gridCount`` to the number of grid polygons actually drawn and
exposes ``window.gisgridMap`` so browser tests and staff tools can inspect it.
"""

from __future__ import annotations

import html
from collections import Counter

import folium
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from folium.utilities import JsCode
from shapely.geometry import mapping, shape
from shapely.ops import polylabel

from gisgrid.errors import InvalidInputError
from maps import assets
from maps.tiles import TileSpec

DEFAULT_NOTE = "演示数据：街巷、楼栋、人员均为合成数据，仅区界为真实数据（高德/cnmaps）"
DEFAULT_TITLE = "榆阳区社区网格"
LABEL_MIN_ZOOM = 15
MAX_ZOOM = 19
# Where the map opens when there is no grid to fit: Yulin's old town.
YUYANG_CENTER = (38.285, 109.735)

KIND_LABELS = {"residential": "居民网格", "business": "商圈网格", "special": "专属网格"}
# ColorBrewer Set3 without its grey: soft fills that stay readable under dark labels.
# fmt: off
PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f",
)
# fmt: on
DETAIL_FIELDS = ("code", "name", "kind_label", "community_name", "households", "shops")
DETAIL_ALIASES = ("编码", "名称", "类型", "社区", "户数", "商户数")
OVERLAY_PANE = "gisgridOverlays"  # business and special grids, above residential fills

# Built with textContent, never innerHTML: grid names are user input.
LABEL_POINT_TO_LAYER = """function (feature, latlng) {
    var p = feature.properties;
    var box = document.createElement('div');
    box.className = 'gisgrid-label-box gisgrid-label-' + p.kind;
    var head = document.createElement('div');
    head.className = 'gisgrid-label-head';
    head.textContent = p.label_head;
    var tail = document.createElement('div');
    tail.className = 'gisgrid-label-tail';
    tail.textContent = p.label_tail;
    box.appendChild(head);
    box.appendChild(tail);
    return L.marker(latlng, {
        icon: L.divIcon({className: 'gisgrid-label', html: box, iconSize: null}),
        interactive: false, keyboard: false
    });
}"""

PAGE_CSS = """<style>
.gisgrid-label { pointer-events: none; }
.gisgrid-label-box {
    position: absolute; transform: translate(-50%, -50%); text-align: center;
    white-space: nowrap; font: 600 12px/1.25 "Microsoft YaHei", "PingFang SC",
    "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; color: #1f2933;
    text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff;
}
.gisgrid-label-tail { font-weight: 400; font-size: 11px; }
.gisgrid-label-business { color: #9b1c1c; font-style: italic; }
.gisgrid-label-special { color: #4c1d95; }
.gisgrid-labels-hidden .gisgrid-label { display: none; }
.gisgrid-label-collides { visibility: hidden; }
body > .gisgrid-panel { position: absolute; left: 10px; bottom: 40px; z-index: 1000; }
.gisgrid-panel {
    max-width: 27em; padding: 6px 10px; background: rgba(255, 255, 255, 0.92); border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); color: #1f2933;
    font: 12px/1.5 "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif;
}
.gisgrid-panel h1 { margin: 0 0 2px; font-size: 14px; }
.gisgrid-panel .swatch {
    display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 0;
    vertical-align: -1px; border: 1px solid #333;
}
.gisgrid-panel .swatch.business { border: 2px dashed #c0392b; background: transparent; }
.gisgrid-panel .swatch.special { border: 2px dotted #6d28d9; background: transparent; }
.gisgrid-panel .legend span + span { margin-left: 8px; }
.gisgrid-note { margin-top: 2px; color: #7c2d12; }
.gisgrid-downloads a + a { margin-left: 6px; }
.leaflet-container { background: #eef0f2; }
</style>"""


class _FitBounds(MacroElement):
    """Fit the map to the grids at once, without folium's animated fitBounds."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.map.get_name() }}.fitBounds({{ this.bounds|tojson }},
            {padding: [24, 24], maxZoom: 17, animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, map_, bounds):
        super().__init__()
        self._name = "FitBounds"
        self.map = map_
        self.bounds = bounds


class _GridPageHook(MacroElement):
    """Labels shown only from LABEL_MIN_ZOOM; ``window.gisgridMap`` and the drawn count."""

    # The header macro renders after the Map put Leaflet's CSS in the head, so these
    # rules win over leaflet.css at equal specificity.
    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {{ this.css }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this.map.get_name() }};
            var gridLayers = [{% for l in this.grid_layers %}{{ l.get_name() }}, {% endfor %}];
            var labelLayer = {{ this.label_layer.get_name() if this.label_layer else 'null' }};
            function syncLabels() {
                var hide = map.getZoom() < {{ this.label_min_zoom }};
                map.getContainer().classList.toggle('gisgrid-labels-hidden', hide);
            }
            // Hide a label that would overlap one already placed; overlay grids first.
            function declutter() {
                if (!labelLayer || !map.hasLayer(labelLayer)) { return; }
                var boxes = [];
                labelLayer.eachLayer(function (marker) {
                    var el = marker.getElement();
                    var box = el && el.firstChild;
                    if (!box) { return; }
                    box.classList.remove('gisgrid-label-collides');
                    var p = marker.feature.properties;
                    boxes.push({el: box, first: p.kind === 'residential' ? 1 : 0, code: p.code});
                });
                if (map.getZoom() < {{ this.label_min_zoom }}) { return; }
                boxes.forEach(function (b) { b.rect = b.el.getBoundingClientRect(); });
                boxes.sort(function (a, b) {
                    return a.first - b.first || String(a.code).localeCompare(String(b.code));
                });
                var kept = [];
                boxes.forEach(function (b) {
                    var r = b.rect;
                    var hit = kept.some(function (k) {
                        return r.left < k.right && k.left < r.right &&
                               r.top < k.bottom && k.top < r.bottom;
                    });
                    if (hit) { b.el.classList.add('gisgrid-label-collides'); }
                    else { kept.push(r); }
                });
            }
            function countDrawn() {
                var n = 0;
                gridLayers.forEach(function (group) {
                    group.eachLayer(function (layer) {
                        if (layer._path && layer._path.isConnected) { n += 1; }
                    });
                });
                return n;
            }
            function publish() { document.body.dataset.gridCount = String(countDrawn()); }
            L.control.scale({imperial: false}).addTo(map);
            var panel = document.getElementById('gisgrid-panel');
            if (panel) {
                var panelControl = L.control({position: 'bottomleft'});
                panelControl.onAdd = function () {
                    L.DomUtil.addClass(panel, 'leaflet-control');
                    L.DomEvent.disableClickPropagation(panel);
                    return panel;
                };
                panelControl.addTo(map);
            }
            map.on('zoomend', syncLabels);
            map.on('zoomend overlayadd', declutter);
            map.on('layeradd layerremove', publish);
            syncLabels();
            declutter();
            publish();
            document.body.dataset.gridTotal = '{{ this.total }}';
            window.gisgridMap = {
                map: map, gridLayers: gridLayers, labelLayer: labelLayer,
                countDrawn: countDrawn, declutter: declutter,
                labelMinZoom: {{ this.label_min_zoom }}
            };
        })();
        {% endmacro %}
        """
    )

    def __init__(self, map_, grid_layers, label_layer, total: int, label_min_zoom: int):
        super().__init__()
        self._name = "GridPageHook"
        self.map = map_
        self.grid_layers = grid_layers
        self.label_layer = label_layer
        self.total = int(total)
        self.label_min_zoom = int(label_min_zoom)
        self.css = PAGE_CSS


def offline_map(features: list[dict], *, tiles: TileSpec | None, static_prefix: str,
                title: str) -> tuple[Figure, folium.Map]:
    """A folium map in its page, every asset linked under ``static_prefix``, fitted to
    ``features`` (no animation) and with the basemap added: the base of every page."""
    figure = Figure(title=html.escape(title))
    fmap = folium.Map(
        location=YUYANG_CENTER,
        zoom_start=12,
        tiles=None,
        max_zoom=MAX_ZOOM,
        control_scale=False,  # a metric-only scale is added by _GridPageHook
    )
    # Per instance, so other folium users in the process keep their defaults.
    fmap.default_js = assets.default_js(static_prefix)
    fmap.default_css = assets.default_css(static_prefix)
    fmap.add_to(figure)
    bounds = _bounds(features)
    if bounds is not None:
        # Before the tile layers and unanimated, so no tile is fetched for the
        # provisional view (folium's fit_bounds animates).
        _FitBounds(fmap, bounds).add_to(fmap)
    _add_tiles(fmap, tiles)
    return figure, fmap


def render_grid_map(
    grids: dict,
    *,
    tiles: TileSpec | None,
    static_prefix: str = assets.DEFAULT_STATIC_PREFIX,
    title: str = DEFAULT_TITLE,
    note: str | None = DEFAULT_NOTE,
    label_min_zoom: int = LABEL_MIN_ZOOM,
    downloads: str = "",
) -> str:
    """The complete HTML page for a FeatureCollection of grids (lon/lat WGS84).

    Scripts and stylesheets are linked under ``static_prefix`` (where
    ``maps.static.map_static_app`` is mounted); ``tiles`` comes from
    ``maps.tiles.resolve_tiles`` (None: no basemap). Residential grids are filled in soft
    colours (neighbours differ), business grids are a dashed overlay above them, special
    grids a dotted one. Each grid gets a label ("037 学院社区第37网格 · 312户") shown from
    ``label_min_zoom``, a hover tooltip and a click popup with its details. ``note``
    (None for none) is shown in a corner panel with the title and a legend, and
    ``downloads`` (HTML from ``maps.downloads.downloads_html``) below them.
    """
    features = [_display_feature(f) for f in grids.get("features", []) if f.get("geometry")]
    _colour_residential([f for f in features if f["properties"]["kind"] == "residential"])

    figure, fmap = offline_map(features, tiles=tiles, static_prefix=static_prefix, title=title)
    folium.map.CustomPane(OVERLAY_PANE, z_index=450, pointer_events=True).add_to(fmap)
    grid_layers = [
        layer
        for kind in ("residential", "special", "business")
        if (layer := _grid_layer(fmap, kind, features)) is not None
    ]
    label_layer = _label_layer(fmap, features)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _GridPageHook(fmap, grid_layers, label_layer, len(features), label_min_zoom).add_to(fmap)
    figure.html.add_child(Element(_panel_html(title, note, features, downloads)), name="gisgrid_panel")

    page = figure.render()
    return page.replace("<html>", '<html lang="zh-CN">', 1)


def _display_feature(feature: dict) -> dict:
    """A copy of a grid feature with what the page shows; strings escaped for tooltips."""
    props = dict(feature.get("properties") or {})
    kind = props.get("kind")
    if kind not in KIND_LABELS:
        raise InvalidInputError(
            f"grid {props.get('code')!r} has kind {kind!r}; expected one of {list(KIND_LABELS)}"
        )
    code = str(props.get("code") or "")
    name = str(props.get("name") or "")
    households = int(props.get("households") or 0)
    shops = int(props.get("shops") or 0)
    tail = f"{shops}家商户" if kind == "business" else f"{households}户"
    head = f"{code[-3:]} {name}".strip()
    props.update(
        kind=kind,
        households=households,
        shops=shops,
        label=f"{head} · {tail}",
        label_head=head,
        label_tail=tail,
    )
    # folium's GeoJsonTooltip/Popup insert values with innerHTML: escape what they show.
    shown = {
        "code": code,
        "name": name,
        "kind_label": KIND_LABELS.get(kind, kind),
        "community_name": str(props.get("community_name") or ""),
    }
    props.update({k: html.escape(v) for k, v in shown.items()})
    out = {"type": "Feature", "properties": props, "geometry": feature.get("geometry")}
    if props.get("id") is not None:
        out["id"] = props["id"]
    return out


def _colour_residential(features: list[dict]) -> None:
    """Give each residential grid a palette colour that its neighbours do not have.

    Greedy colouring, most-connected grids first; among the colours still free the least
    used is taken so the map does not drift towards the first few colours.
    """
    if not features:
        return
    geoms = [shape(f["geometry"]) for f in features]
    tree = shapely.STRtree(geoms)
    neighbours = {i: set() for i in range(len(geoms))}
    for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
        if i != j:
            neighbours[int(i)].add(int(j))
    order = sorted(
        range(len(geoms)),
        key=lambda i: (-len(neighbours[i]), str(features[i]["properties"].get("code"))),
    )
    used: Counter[str] = Counter()
    chosen: dict[int, str] = {}
    for i in order:
        taken = {chosen[j] for j in neighbours[i] if j in chosen}
        free = [c for c in PALETTE if c not in taken] or list(PALETTE)
        colour = min(free, key=lambda c: (used[c], PALETTE.index(c)))
        chosen[i] = colour
        used[colour] += 1
    for i, feature in enumerate(features):
        feature["properties"]["fill"] = chosen[i]


# fmt: off
GRID_STYLES = {
    "residential": {"className": "gisgrid-grid gisgrid-grid-residential",
                    "color": "#2d3748", "weight": 1, "opacity": 0.9, "fillOpacity": 0.5},
    "business": {"className": "gisgrid-grid gisgrid-grid-business", "color": "#c0392b",
                 "weight": 2.5, "dashArray": "8 6", "fillColor": "#c0392b", "fillOpacity": 0.06},
    "special": {"className": "gisgrid-grid gisgrid-grid-special", "color": "#6d28d9",
                "weight": 2, "dashArray": "2 5", "fillColor": "#6d28d9", "fillOpacity": 0.06},
}
# fmt: on


def _grid_style(kind: str):
    base = GRID_STYLES.get(kind, GRID_STYLES["special"])
    if kind == "residential":
        return lambda f: {**base, "fillColor": f["properties"].get("fill", PALETTE[0])}
    return lambda f: base


def _grid_layer(fmap: folium.Map, kind: str, features: list[dict]) -> folium.GeoJson | None:
    chosen = [f for f in features if f["properties"]["kind"] == kind]
    if not chosen:
        return None
    extra = {} if kind == "residential" else {"pane": OVERLAY_PANE}
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": chosen},
        name=KIND_LABELS.get(kind, kind),
        style_function=_grid_style(kind),
        highlight_function=lambda f: (
            {"weight": 3, "fillOpacity": 0.65}
            if kind == "residential"
            else {"weight": 3.5, "fillOpacity": 0.18}
        ),
        tooltip=folium.GeoJsonTooltip(
            fields=list(DETAIL_FIELDS),
            aliases=list(DETAIL_ALIASES),
            sticky=True,
            style="font-size: 13px;",
        ),
        popup=folium.GeoJsonPopup(fields=list(DETAIL_FIELDS), aliases=list(DETAIL_ALIASES)),
        **extra,
    )
    layer.add_to(fmap)
    return layer


def _label_layer(fmap: folium.Map, features: list[dict]) -> folium.GeoJson | None:
    overlays = shapely.union_all(
        [shape(f["geometry"]) for f in features if f["properties"]["kind"] != "residential"]
    )
    points = []
    for feature in features:
        geom = shape(feature["geometry"])
        if feature["properties"]["kind"] == "residential" and not overlays.is_empty:
            # Keep a residential label off the business/special grids drawn over it.
            free = geom.difference(overlays)
            geom = free if free.area > 0.2 * geom.area else geom
        point = _label_point(geom)
        props = feature["properties"]
        keep = ("id", "code", "kind", "label", "label_head", "label_tail")
        points.append(
            {
                "type": "Feature",
                "properties": {k: props.get(k) for k in keep},
                "geometry": mapping(point),
            }
        )
    if not points:
        return None
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": points},
        name="网格标注",
        point_to_layer=JsCode(LABEL_POINT_TO_LAYER),
    )
    layer.add_to(fmap)
    return layer


def _label_point(geom) -> shapely.Point:
    """The point deepest inside the grid (its largest part), where a label reads best."""
    if hasattr(geom, "geoms"):
        polygons = [g for g in geom.geoms if g.geom_type == "Polygon"]
        geom = max(polygons, key=lambda g: g.area) if polygons else geom
    if geom.geom_type != "Polygon" or geom.is_empty:
        return geom.representative_point()
    # Tolerance in degrees is fine here: label placement, not measurement (~1 m).
    return polylabel(geom, tolerance=1e-5)


def _bounds(features: list[dict]) -> list[list[float]] | None:
    if not features:
        return None
    geoms = [shape(f["geometry"]) for f in features]
    west, south, east, north = shapely.GeometryCollection(geoms).bounds
    return [[south, west], [north, east]]


def _panel_html(title: str, note: str | None, features: list[dict], downloads: str = "") -> str:
    kinds = Counter(f["properties"]["kind"] for f in features)
    legend = []
    if kinds["residential"]:
        legend.append(
            f'<span><i class="swatch" style="background:{PALETTE[0]}"></i>'
            f"居民网格 {kinds['residential']}</span>"
        )
    if kinds["business"]:
        legend.append(f'<span><i class="swatch business"></i>商圈网格 {kinds["business"]}</span>')
    if kinds["special"]:
        legend.append(f'<span><i class="swatch special"></i>专属网格 {kinds["special"]}</span>')
    parts = [
        '<div class="gisgrid-panel" id="gisgrid-panel">',
        f"<h1>{html.escape(title)}</h1>",
        f'<div class="legend">{"".join(legend) or "暂无网格"}</div>',
    ]
    if note:
        parts.append(f'<div class="gisgrid-note" role="note">{html.escape(note)}</div>')
    parts.append(downloads)
    parts.append("</div>")
    return "".join(parts)


def _add_tiles(fmap: folium.Map, tiles: TileSpec | None) -> None:
    for layer in tiles.layers if tiles else ():
        folium.TileLayer(
            tiles=layer.url,
            attr=layer.attribution,
            name=layer.name,
            overlay=layer.overlay,
            max_native_zoom=layer.max_native_zoom,
            max_zoom=MAX_ZOOM,
            **({"subdomains": "".join(layer.subdomains)} if layer.subdomains else {}),
        ).add_to(fmap)
