"""Download links for a plan's grids (GeoPackage, Shapefile, GeoJSON, KML, CSV) in a map's panel."""

from __future__ import annotations

import html

from gisgrid.export import FORMATS

#: Where the API serves a plan's grids as a file (``api/routers/exports.py``).
EXPORT_PATH = "/v1/plans/{plan_id}/export?format={fmt}"


def download_links(plan_id: int) -> list[tuple[str, str]]:
    """(label, href) of every export format of a plan, lon/lat WGS84.

    Examples
    --------
    >>> download_links(3)[0]
    ('GeoPackage', '/v1/plans/3/export?format=gpkg')
    """
    return [(f.label, EXPORT_PATH.format(plan_id=int(plan_id), fmt=f.key)) for f in FORMATS.values()]


def downloads_html(plans: list[tuple[int, str]]) -> str:
    """The panel's download block: one line of links per (plan id, plan name)."""
    lines = []
    for plan_id, name in plans:
        links = " ".join(f'<a href="{html.escape(href)}" download>{html.escape(label)}</a>'
                         for label, href in download_links(plan_id))
        lines.append(f'<div class="gisgrid-downloads" data-plan="{int(plan_id)}">'
                     f'下载 {html.escape(name)}：{links}</div>')
    return "".join(lines)
