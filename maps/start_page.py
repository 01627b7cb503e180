"""The start page at ``/``: where staff, planners and developers find their pages."""

from __future__ import annotations

import html

_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:860px;
margin:32px auto;padding:0 16px;color:#1b2a3a}h1{font-size:24px}section{border:1px solid #ddd;
border-radius:6px;padding:8px 16px;margin:12px 0}h2{font-size:17px;margin:6px 0}li{margin:4px 0}
.en{color:#667}"""


def render_start_page(active_plans: list[dict]) -> str:
    """The start page; ``active_plans`` (id, name) link to their planner pages."""
    e = html.escape
    planner = "".join(
        f'<li><a href="/maps/plans/{int(p["id"])}/planner">{e(p["name"])}</a> '
        f'<span class="en">planner\'s page</span></li>' for p in active_plans)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gisgrid · 网格化管理</title><style>{_CSS}</style></head>
<body>
<h1>gisgrid 网格化管理 <span class="en">community service grids</span></h1>
<section id="start-staff"><h2>网格员、社区工作人员 <span class="en">Staff</span></h2><ul>
<li><a href="/maps/">网格工作地图</a>
<span class="en">staff map: grids, households, shops, requests, resources</span></li>
<li><a href="/maps/grids">网格图与下载</a> <span class="en">grid map with GIS downloads</span></li>
<li><a href="/login?next=/maps/">登录</a> <span class="en">sign in</span></li></ul></section>
<section id="start-planners"><h2>规划人员 <span class="en">Planners</span></h2><ul>{planner}
<li><a href="/v1/plans">方案版本</a> <span class="en">plan versions (JSON)</span></li></ul></section>
<section id="start-developers"><h2>开发者与对接系统 <span class="en">Developers</span></h2><ul>
<li><a href="/docs">API 文档（Swagger UI）</a> <span class="en">interactive API documentation</span></li>
<li><a href="/redoc">API 文档（ReDoc）</a> <span class="en">reference documentation</span></li>
<li><a href="/ogc">OGC API Features</a> <span class="en">for QGIS, GDAL, ArcGIS Pro</span></li>
<li><a href="/health">/health</a> <span class="en">service status</span></li></ul></section>
</body></html>
"""
