"""A staff member downloads the grids from the map page: the file arrives and opens in GIS tools."""

from __future__ import annotations

import pyogrio
import pytest
from offline import CHROMIUM, CHROMIUM_ARGS, active_grid_count, get_json, open_offline
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser


def test_clicking_the_geopackage_link_on_the_map_downloads_the_active_grids(live_server, tmp_path) -> None:
    plan = get_json(f"{live_server}/v1/plans?status=active")["plans"][0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context, load, _ = open_offline(browser, f"{live_server}/maps/grids", live_server)
            link = load.page.locator(f'.gisgrid-downloads[data-plan="{plan["id"]}"] a', has_text="GeoPackage")
            with load.page.expect_download() as info:
                link.click()
            download = info.value
            assert download.suggested_filename == f"plan-{plan['id']}-grids.gpkg"
            path = tmp_path / download.suggested_filename
            download.save_as(path)
            context.close()
        finally:
            browser.close()
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == active_grid_count(live_server)
    assert "学院社区第37网格" in set(frame["name"])
