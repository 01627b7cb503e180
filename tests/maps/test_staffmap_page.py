"""The staff map's page shell and its standalone form, without a browser."""

from __future__ import annotations

import re

from maps.staffmap_page import (
    MODULES,
    STAFFMAP_DIR,
    basemap_sources,
    basemaps,
    inline_modules,
    render_staff_map,
)
from maps.tiles import resolve_tiles


def test_every_module_of_the_page_is_inlined_and_their_top_level_names_are_distinct() -> None:
    assert sorted(MODULES) == sorted(p.name for p in STAFFMAP_DIR.glob("*.js"))
    seen: dict[str, str] = {}
    for name in MODULES:
        source = (STAFFMAP_DIR / name).read_text(encoding="utf-8")
        for top in re.findall(r"^(?:export )?(?:async )?(?:function|const|let|class) (\w+)", source, re.M):
            assert top not in seen, f"{top} in {name} and {seen.get(top)}"
            seen[top] = name
    script = inline_modules()
    assert "\nimport " not in script and "\nexport " not in script and script.startswith("(async () => {")


def test_the_page_holds_no_inline_script_and_names_its_basemaps() -> None:
    page = render_staff_map({"epoch": 1, "grids": [], "communities": [], "request_stages": {}},
                            tiles=resolve_tiles("osm"))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert 'data-mode="tiles"' in page and "maplibre-gl-csp.js" in page
    ids = [b.id for b in basemaps(resolve_tiles("osm"))]
    assert ids == ["osm", "amap"]
    assert [b.crs for b in basemaps(resolve_tiles("osm"))] == ["wgs84", "gcj02"]
    assert basemaps(resolve_tiles("/t/{z}/{x}/{y}.png"))[0].id == "custom"
    assert "https://webrd01.is.autonavi.com" in basemap_sources(basemaps(None))
