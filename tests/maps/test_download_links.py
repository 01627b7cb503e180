"""The download block of the map panel: one link per export format, names escaped."""

from __future__ import annotations

from gisgrid.export import FORMATS
from maps.downloads import downloads_html
from maps.pages import render_grid_map


def test_each_plan_gets_a_link_per_format_and_its_name_is_escaped() -> None:
    block = downloads_html([(4, "<script>alert(1)</script>方案")])
    assert "<script>" not in block and "&lt;script&gt;" in block
    for key in FORMATS:
        assert f'href="/v1/plans/4/export?format={key}" download' in block


def test_the_block_is_shown_in_the_map_panel() -> None:
    page = render_grid_map({"type": "FeatureCollection", "features": []}, tiles=None,
                           downloads=downloads_html([(9, "草案")]))
    panel = page.index('<div class="gisgrid-panel" id="gisgrid-panel">')
    assert page.index('<div class="gisgrid-downloads" data-plan="9">下载 草案：') > panel
    bare = render_grid_map({"type": "FeatureCollection", "features": []}, tiles=None)
    assert "gisgrid-downloads" not in bare.replace(".gisgrid-downloads a + a", "")
