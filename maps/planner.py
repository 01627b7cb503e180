"""The planner's map page: grids coloured by household count, streets, coverage defects, diff.

Built on ``maps.pages`` (same offline assets, basemap, page hook and panel placement):
residential grids are coloured by their household count against the bounds (below the
minimum blue, within green, above the maximum red; breaches get a thick outline),
street centre lines are an optional layer, coverage defects (as ``PlanCoverage.to_dict``
returns them) are a layer of their own with a popup each, and a corner panel lists the
household and shop moves against the previous plan (``diff_plans``).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import folium
from branca.element import Element

from gisgrid.rules import DEFAULT_HOUSEHOLD_BOUNDS
from maps import assets
from maps.editor_page import EDITOR_PREFIX
from maps.pages import (
    OVERLAY_PANE,
    _display_feature,
    _grid_layer,
    _GridPageHook,
    offline_map,
)
from maps.tiles import TileSpec

STREET_PANE = "gisgridStreets"  # above residential fills, below overlays and defects
DEFECT_PANE = "gisgridDefects"  # on top, so small gaps and slivers stay clickable
TOP_MOVES = 5

BELOW_COLOUR = "#4a90d9"
ABOVE_COLOUR = "#d7301f"
# Light to dark green across the allowed range (thirds of it).
WITHIN_COLOURS = ("#c7e9c0", "#74c476", "#238b45")

# Chinese label first, the report's code after it.
DEFECT_LABELS = {
    "gap": "缝隙",
    "overlap": "重叠",
    "invalid": "几何无效",
    "outside_parent": "超出社区边界",
    "multipart": "网格分成多块",
    "duplicate": "重复网格",
    "empty": "空网格",
    "unassigned_point": "未入格",
}
# fmt: off
DEFECT_STYLES = {
    "gap": {"color": "#b91c1c", "fillColor": "#ef4444", "weight": 2, "fillOpacity": 0.7},
    "overlap": {"color": "#c2410c", "fillColor": "#f97316", "weight": 2, "fillOpacity": 0.7},
    "invalid": {"color": "#7f1d1d", "weight": 3, "dashArray": "6 4", "fillOpacity": 0},
}
OTHER_DEFECT_STYLE = {"color": "#7e22ce", "weight": 2.5, "dashArray": "2 4", "fillOpacity": 0.1}
SLIVER_STYLE = {"color": "#db2777", "weight": 6, "opacity": 0.9}
STREET_STYLES = {"road": {"color": "#52525b", "weight": 2.5, "opacity": 0.8},
                 "lane": {"color": "#71717a", "weight": 1.2, "opacity": 0.7, "dashArray": "3 3"}}
# fmt: on
GRID_FIELDS = ("code", "name", "community_name", "households", "band_label")
GRID_ALIASES = ("编码", "名称", "社区", "户数", "规模")

PLANNER_CSS = """<style>
.gisgrid-panel { max-width: 30em; }
.gisgrid-panel h2 { margin: 6px 0 2px; font-size: 13px; }
.gisgrid-panel ul { margin: 0; padding-left: 1.2em; }
.gisgrid-panel .swatch.sliver { border: 3px solid #db2777; background: transparent; }
.gisgrid-panel .swatch.invalid { border: 2px dashed #7f1d1d; background: transparent; }
.gisgrid-panel .swatch.breach { border: 3px solid #111827; background: transparent; }
.gisgrid-panel .legend { line-height: 1.7; }
.gisgrid-panel .legend span { white-space: nowrap; margin-right: 8px; }
</style>"""


def render_planner_map(
    grids: dict,
    *,
    tiles: TileSpec | None,
    household_bounds: tuple[int, int] = DEFAULT_HOUSEHOLD_BOUNDS,
    streets: dict | None = None,
    coverage: dict | None = None,
    diff: dict | None = None,
    diff_label: str = "上一版方案",
    static_prefix: str = assets.DEFAULT_STATIC_PREFIX,
    title: str = "网格规划图",
    label_min_zoom: int = 15,
    make_draft: dict | None = None,
) -> str:
    """The planner's HTML page for a plan's grids (lon/lat WGS84 FeatureCollections).

    ``grids`` as ``queries.grid_features``; ``streets`` as ``queries.street_features``
    (None: no street layer); ``coverage`` as ``PlanCoverage.to_dict()`` (None: no defect
    layer); ``diff`` as ``plan_versions.diff_plans`` (None: the panel says there is no
    earlier plan), described in the panel as ``diff_label``. ``household_bounds`` is
    (min, max) households per residential grid, both inclusive. ``make_draft``
    (``{"scope", "name"}``) adds the button that copies the plan into a new draft and
    opens it in the editor (``maps/editor/make_draft.js``).
    """
    low, high = (int(b) for b in household_bounds)
    features = [_display_feature(f) for f in grids.get("features", []) if f.get("geometry")]
    for f in features:
        _band(f["properties"], low, high)
    residential = [f for f in features if f["properties"]["kind"] == "residential"]

    figure, fmap = offline_map(features, tiles=tiles, static_prefix=static_prefix, title=title)
    folium.map.CustomPane(STREET_PANE, z_index=420, pointer_events=False).add_to(fmap)
    folium.map.CustomPane(OVERLAY_PANE, z_index=450, pointer_events=True).add_to(fmap)
    folium.map.CustomPane(DEFECT_PANE, z_index=460, pointer_events=True).add_to(fmap)

    grid_layers = [layer for layer in (_residential_layer(fmap, residential),) if layer]
    grid_layers += [
        layer for kind in ("special", "business")
        if (layer := _grid_layer(fmap, kind, features)) is not None
    ]
    if streets and streets.get("features"):
        _street_layer(fmap, streets)
    defects = (coverage or {}).get("defects", [])
    _defect_layer(fmap, defects)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _GridPageHook(fmap, grid_layers, None, len(features), label_min_zoom).add_to(fmap)
    figure.header.add_child(Element(PLANNER_CSS), name="gisgrid_planner_css")
    panel = _panel_html(title, residential, (low, high), coverage, diff, diff_label, make_draft)
    figure.html.add_child(Element(panel), name="gisgrid_panel")
    if make_draft:
        script = f'<script type="module" src="{EDITOR_PREFIX}/make_draft.js"></script>'
        figure.header.add_child(Element(script), name="gisgrid_make_draft")
    return figure.render().replace("<html>", '<html lang="zh-CN">', 1)


def _band(props: dict, low: int, high: int) -> None:
    """Set the grid's colour and size band from its household count against the bounds."""
    n = props["households"]
    if n < low:
        props.update(band="below", fill=BELOW_COLOUR, band_label=f"偏少（低于{low}户）")
    elif n > high:
        props.update(band="above", fill=ABOVE_COLOUR, band_label=f"超限（高于{high}户）")
    else:
        third = min(2, int(3 * (n - low) / (high - low + 1)))
        props.update(band="within", fill=WITHIN_COLOURS[third], band_label="适度")


def _residential_layer(fmap: folium.Map, features: list[dict]) -> folium.GeoJson | None:
    if not features:
        return None

    def style(f):
        p = f["properties"]
        breach = p["band"] != "within"
        return {
            "className": "gisgrid-grid gisgrid-grid-residential gisgrid-band-" + p["band"],
            "color": "#111827" if breach else "#2d3748",
            "weight": 3.5 if breach else 1,
            "opacity": 0.9,
            "fillColor": p["fill"],
            "fillOpacity": 0.55,
        }

    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="居民网格（按户数着色）",
        style_function=style,
        highlight_function=lambda f: {"weight": 4, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=list(GRID_FIELDS), aliases=list(GRID_ALIASES),
                                      sticky=True, style="font-size: 13px;"),
        popup=folium.GeoJsonPopup(fields=list(GRID_FIELDS), aliases=list(GRID_ALIASES)),
    )
    layer.add_to(fmap)
    return layer


def _street_layer(fmap: folium.Map, streets: dict) -> folium.GeoJson:
    layer = folium.GeoJson(
        streets,
        name="街巷",
        pane=STREET_PANE,
        interactive=False,
        style_function=lambda f: {
            **STREET_STYLES.get(f["properties"].get("kind"), STREET_STYLES["road"]),
            "className": "gisgrid-street",
        },
    )
    layer.add_to(fmap)
    return layer


def _defect_feature(defect: dict) -> dict:
    kind = str(defect.get("kind"))
    label = DEFECT_LABELS.get(kind, kind)
    if defect.get("sliver"):
        label += "（细长条）"
    grids = "、".join(str(g) for g in defect.get("grids") or []) or "—"
    props = {
        "kind": kind,
        "sliver": bool(defect.get("sliver")),
        "kind_label": html.escape(f"{label} {kind}"),
        "grids": html.escape(grids),
        "area": f"{float(defect.get('area_m2') or 0):,.1f} m²",
    }
    return {"type": "Feature", "properties": props, "geometry": defect["geometry"]}


def _defect_style(feature: dict) -> dict:
    p = feature["properties"]
    style = dict(DEFECT_STYLES.get(p["kind"], OTHER_DEFECT_STYLE))
    if p["sliver"]:
        style.update(SLIVER_STYLE)
    style["className"] = f"gisgrid-defect gisgrid-defect-{p['kind']}" + (
        " gisgrid-defect-sliver" if p["sliver"] else "")
    return style


def _defect_layer(fmap: folium.Map, defects: list[dict]) -> folium.GeoJson | None:
    shown = [_defect_feature(d) for d in defects
             if d.get("geometry") and d.get("kind") != "unassigned_point"]
    if not shown:
        return None
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": shown},
        name="覆盖缺陷",
        pane=DEFECT_PANE,
        style_function=_defect_style,
        popup=folium.GeoJsonPopup(fields=["kind_label", "grids", "area"],
                                  aliases=["缺陷", "涉及网格", "面积"]),
        tooltip=folium.GeoJsonTooltip(fields=["kind_label", "area"], aliases=["缺陷", "面积"]),
    )
    layer.add_to(fmap)
    return layer


def _panel_html(title: str, residential: list[dict], bounds: tuple[int, int],
                coverage: dict | None, diff: dict | None, diff_label: str,
                make_draft: dict | None = None) -> str:
    low, high = bounds
    bands = Counter(f["properties"]["band"] for f in residential)
    e = html.escape
    legend = (
        f'<span>{_swatch(BELOW_COLOUR)}&lt;{low}户 {bands["below"]}</span>'
        f'<span>{_swatch(WITHIN_COLOURS[0])}{_swatch(WITHIN_COLOURS[2])}'
        f'{low}–{high}户 {bands["within"]}</span>'
        f'<span>{_swatch(ABOVE_COLOUR)}&gt;{high}户 {bands["above"]}</span>'
        '<span><i class="swatch breach"></i>超出户数范围</span>'
    )
    parts = ['<div class="gisgrid-panel" id="gisgrid-panel">', f"<h1>{e(title)}</h1>",
             f'<div class="legend">{legend}</div>']
    parts += _coverage_html(coverage)
    parts += _diff_html(diff, diff_label)
    if make_draft:
        scope, name = e(str(make_draft["scope"])), e(str(make_draft["name"]))
        parts.append(f'<p class="gisgrid-readonly">只读：生效或已退役的方案不能直接修改。'
                     f'<button type="button" id="gisgrid-make-draft" data-scope="{scope}" '
                     f'data-name="{name}">复制为调整稿并编辑</button></p>')
    parts.append("</div>")
    return "".join(parts)


def _swatch(colour: str) -> str:
    return f'<i class="swatch" style="background:{colour}"></i>'


def _coverage_html(coverage: dict | None) -> list[str]:
    if coverage is None:
        return []
    defects = coverage.get("defects", [])
    kinds = Counter(d.get("kind") for d in defects if d.get("kind") != "unassigned_point")
    slivers = sum(1 for d in defects if d.get("sliver"))
    out = ['<h2 class="gisgrid-coverage">覆盖检查：' + ("通过" if coverage.get("ok") else "未通过")
           + "</h2>", '<div class="legend">']
    out.append(f'<span>{_swatch("#ef4444")}缝隙 {kinds["gap"]}</span>')
    out.append(f'<span>{_swatch("#f97316")}重叠 {kinds["overlap"]}</span>')
    out.append(f'<span><i class="swatch sliver"></i>细长条 {slivers}</span>')
    out.append(f'<span><i class="swatch invalid"></i>几何无效 {kinds["invalid"]}</span>')
    others = sum(n for k, n in kinds.items() if k not in ("gap", "overlap", "invalid"))
    if others:
        out.append(f"<span>其他缺陷 {others}</span>")
    out.append("</div>")
    unassigned = coverage.get("unassigned") or {}
    if unassigned.get("households") or unassigned.get("shops"):
        out.append(f"<div>未入格：住户 {int(unassigned.get('households') or 0)} 户，"
                   f"商户 {int(unassigned.get('shops') or 0)} 家</div>")
    return out


def _diff_html(diff: dict | None, label: str) -> list[str]:
    e = html.escape
    if diff is None:
        return ['<h2 class="gisgrid-diff">调整对比</h2><div>无上一版方案可比</div>']
    households = diff.get("households") or {}
    shops = diff.get("shops") or {}
    out = [f'<h2 class="gisgrid-diff">与{e(label)}相比</h2>',
           f"<div>迁移住户 {int(households.get('moved') or 0)} 户，"
           f"商户 {int(shops.get('moved') or 0)} 家</div>"]
    moves = (households.get("moves") or [])[:TOP_MOVES]
    if moves:
        out.append("<ul>")
        for m in moves:
            out.append(f"<li>{e(_grid_name(m.get('from_code'), m.get('from_name')))} → "
                       f"{e(_grid_name(m.get('to_code'), m.get('to_name')))}：{int(m['n'])} 户</li>")
        out.append("</ul>")
    return out


def _grid_name(code: Any, name: Any) -> str:
    if not code:
        return "（网格外）"
    return f"{str(code)[-3:]} {name or ''}".strip()
