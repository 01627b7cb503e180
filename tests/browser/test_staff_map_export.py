"""``gisgrid map --grid CODE -o file.html``: one offline HTML file that opens from disk in
Chromium with nothing reachable, draws the community's layers and opens the grid with its
team; it carries no phone number."""

from __future__ import annotations

import re

import pytest
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gisgrid.cli import app

pytestmark = pytest.mark.browser
CAIZHI = "610802001001037"


def test_the_exported_file_opens_offline_and_opens_its_grid_with_the_team(
        db_url: str, engine: Engine, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GISGRID_DATABASE_URL", db_url)
    out = tmp_path / "xueyuan.html"
    result = CliRunner().invoke(app, ["map", "--grid", CAIZHI, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page_text = out.read_text(encoding="utf-8")
    with engine.connect() as conn:
        phones = [p for p in conn.execute(text("SELECT phone FROM staff")).scalars() if p]
        grids = conn.execute(text("""SELECT count(*) FROM grid g JOIN plan p ON p.id = g.plan_id
            AND p.status = 'active' JOIN admin_area c ON c.id = g.community_id
            WHERE c.code = '610802001001'""")).scalar_one()
    assert not [p for p in phones if p in page_text]
    assert not re.search(r"<script[^>]+src=", page_text) and "<link" not in page_text   # all inline
    errors, outside = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})

            def route(r):
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                    and "Failed to load resource" not in m.text else None)
            page.goto(out.as_uri())
            for _ in range(600):
                if page.evaluate("document.body.dataset.ready === '1'"):
                    break
                page.wait_for_timeout(100)
            assert page.evaluate("document.body.dataset.selectedGrid") == CAIZHI
            assert int(page.evaluate("document.body.dataset.gridTotal")) == grids
            for layer in ("grids-fill", "households-fill", "requests-dot"):
                drawn = page.evaluate("window.staffmap.map.queryRenderedFeatures({layers: ['"
                                      + layer + "']}).length")
                assert drawn > 0, layer
            team = page.locator(f'.sm-pop-grid[data-code="{CAIZHI}"] .sm-team li').all_inner_texts()
            assert team and any("网格长" in t for t in team)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "staffmap-export.png"))
        finally:
            browser.close()
    assert not errors, errors
    assert all(re.search(r"tile\.openstreetmap\.org|autonavi\.com", u) for u in outside), outside
