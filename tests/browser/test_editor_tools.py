"""The editor's other tools in headless Chromium with the internet cut off: redraw after a new
estate, activation through the team gate, making a draft from the read-only page, exports,
grid actions (split along a street, new grid, merge, lock, team), the page under a strict
Content-Security-Policy, English, and the browser's figures against the Python reference."""

from __future__ import annotations

import json
import struct

import httpx
import pytest
from editor_helpers import (
    API_HEADERS,
    block_to_move,
    get_json,
    grid_code,
    new_draft,
    open_editor,
    pick_grid,
    show_unit,
    sign_api_as,
    sign_in_browser,
    total,
)
from estates import build_estate, vacant_block
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import sync_playwright
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.db.request_store import reroute_open
from gisgrid.db.resource_store import assign_resource_grids
from gisgrid.plans.assignment import grid_figures

pytestmark = pytest.mark.browser

# Scripts and styles from the server only; images also from the basemap's tile server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: https://tile.openstreetmap.org; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'"
)


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(chromium, live_server, accounts):
    """A context reaching only the server; page errors collected in ``context.errors``."""
    ctx = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True)
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server) else r.abort())
    sign_api_as(accounts["planner"].headers)
    sign_in_browser(ctx, live_server, accounts["planner"])
    errors: list[str] = []
    ctx.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    ctx.errors = errors
    yield ctx
    ctx.close()


@pytest.fixture
def drafts(live_server, engine, accounts):
    made: list[int] = []
    sign_api_as(accounts["planner"].headers)

    def make(name: str) -> dict:
        plan = new_draft(live_server, name)
        made.append(plan["id"])
        return plan

    yield make, made
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = ANY(:ids)"), {"ids": made})


def _frame(page) -> None:
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_redraw_after_a_new_estate_moves_fewer_households_than_regenerating_and_accepting_saves(
    context, live_server, drafts, engine
) -> None:
    make, _ = drafts
    plan, regenerated = make("editor redraw"), make("editor regenerate")
    with Session(engine) as session:
        code, before, block = vacant_block(session, plan["id"], "学院社区")
        building = build_estate(session, "学院社区", block, 600)
        session.commit()
    try:
        body = {"version": 1, "community": "610802001001"}
        assert httpx.post(
            f"{live_server}/v1/plans/{regenerated['id']}/generate",
            json=body, headers=API_HEADERS, timeout=300,
        ).is_success
        regenerating = get_json(f"{live_server}/v1/plans/{regenerated['id']}/diff")["households"]["moved"]
        page = open_editor(context, live_server, plan["id"])
        assert total(page, code) == before + 600
        page.click("#ed-action-redraw")
        page.wait_for_selector("#ed-redraw-moves", timeout=300_000)
        moved = int(page.inner_text("#ed-redraw-moves").split("迁移住户 ")[1].split(" 户")[0])
        assert 0 < moved < regenerating
        (ARTIFACTS / "editor-redraw.json").write_text(
            json.dumps({"redraw_moves_households": moved, "regenerating_moves_households": regenerating})
        )
        page.screenshot(path=str(ARTIFACTS / "editor-redraw.png"))
        page.click("#ed-dialog button[data-action='accept']")
        page.wait_for_selector("body[data-version='2']", timeout=300_000)
        assert get_json(f"{live_server}/v1/plans/{plan['id']}")["version"] == 2
        assert 100 <= total(page, code) <= 600
        assert not context.errors, context.errors
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM building WHERE id = :b"), {"b": building})


def test_activation_from_the_page_explains_the_team_gate_and_goes_through_with_a_reason(
    context, live_server, drafts, engine
) -> None:
    make, made = drafts
    plan = make("editor activation")
    doc = get_json(f"{live_server}/v1/plans/{plan['id']}/units")
    grid = doc["grids"][0]
    page = open_editor(context, live_server, plan["id"])
    pick_grid(page, grid["code"])
    page.select_option("#ed-team-leader", "")
    page.click("#ed-action-save")
    page.wait_for_selector("body[data-version='2']", timeout=120_000)
    active = get_json(f"{live_server}/v1/plans?status=active")["plans"][0]["id"]
    page.click("#ed-action-activate")
    page.click("#ed-dialog button[data-action='activate']")
    page.wait_for_selector("#ed-override", timeout=300_000)
    assert grid["code"][-3:] in page.inner_text("#ed-dialog") and "1 个网格缺网格长" in page.inner_text(
        "#ed-gate"
    )
    page.fill("#ed-override", "网格长待任命")
    try:
        with page.expect_navigation(timeout=300_000):
            page.click("#ed-dialog button[data-action='override']")
        page.wait_for_selector("#gisgrid-make-draft", timeout=120_000)  # now read-only
        assert get_json(f"{live_server}/v1/plans/{plan['id']}")["status"] == "active"
    finally:
        with engine.begin() as conn:  # put the demo's plan back in force
            conn.execute(text("DELETE FROM plan WHERE id = :p"), {"p": plan["id"]})
            conn.execute(
                text("UPDATE plan SET status = 'active', effective_to = NULL WHERE id = :a"), {"a": active}
            )
            restored = Session(bind=conn)
            reroute_open(restored, active)   # its open requests back to its grids,
            assign_resource_grids(restored)  # resources too, as an activation would
        made.remove(plan["id"])


def test_the_read_only_page_makes_a_draft_and_opens_it_in_the_editor(context, live_server, drafts) -> None:
    _, made = drafts
    active = get_json(f"{live_server}/v1/plans?status=active")["plans"][0]
    page = context.new_page()
    page.goto(f"{live_server}/maps/plans/{active['id']}/planner")
    with page.expect_navigation(timeout=120_000):
        page.click("#gisgrid-make-draft")
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    plan_id = int(page.url.rstrip("/").split("/")[-2])
    made.append(plan_id)
    assert get_json(f"{live_server}/v1/plans/{plan_id}")["status"] == "draft"
    assert page.inner_text("#ed-plan-name").endswith("调整稿")
    assert not context.errors, context.errors


def test_exports_write_the_grids_as_geojson_and_a_printable_png_of_a_community(
    context, live_server, drafts
) -> None:
    make, _ = drafts
    plan = make("editor exports")
    page = open_editor(context, live_server, plan["id"])
    with page.expect_download() as got:
        page.click("#ed-action-exportGeojson")
    collection = json.loads(open(got.value.path(), encoding="utf-8").read())
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == plan["grids"]
    with page.expect_download() as got:
        page.click("#ed-action-exportPng")
    png = open(got.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (2339, 1654)
    (ARTIFACTS / "editor-print.png").write_bytes(png)
    assert not context.errors, context.errors


def test_split_along_a_street_new_grid_merge_lock_and_team_then_save(context, live_server, drafts) -> None:
    make, _ = drafts
    plan = make("editor tools")
    doc = get_json(f"{live_server}/v1/plans/{plan['id']}/units")
    grid, street, line = _splittable(doc)
    code = grid_code(doc, grid)
    page = open_editor(context, live_server, plan["id"])
    before = total(page, code)
    pick_grid(page, code)
    page.click("#ed-mode-split")
    point = page.evaluate(
        """([x, y]) => {
        const ed = window.gisgridEditor;
        ed.map.setView([y, x], 17, {animate: false});
        const p = ed.map.latLngToContainerPoint([y, x]), box = ed.map.getContainer().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y}; }""",
        line,
    )
    _frame(page)
    page.mouse.click(point["x"], point["y"])
    assert total(page, "new-1") > 0 and total(page, code) + total(page, "new-1") == before
    pick_grid(page, "new-1")
    page.select_option("#ed-team-leader", str(doc["staff"][0]["id"]))  # the new grid's leader

    move = block_to_move(doc, avoid={grid})
    a, b = grid_code(doc, move["from"]), grid_code(doc, move["to"])
    a0, b0 = total(page, a), total(page, b)
    pick_grid(page, b)
    page.click("#ed-lock")  # b locked: painting into it is refused
    page.click("#ed-mode-click")
    spot = show_unit(page, move["unit"])
    page.mouse.click(spot["x"], spot["y"])
    assert (total(page, a), total(page, b)) == (a0, b0)
    page.click("#ed-lock")
    page.click("#ed-mode-merge")  # b takes all of a
    page.mouse.click(spot["x"], spot["y"])
    assert total(page, b) == a0 + b0 and total(page, a) == 0
    page.screenshot(path=str(ARTIFACTS / "editor-tools.png"))
    page.click("#ed-action-save")
    page.wait_for_selector("body[data-version='2']", timeout=120_000)
    after = {g["code"]: g for g in get_json(f"{live_server}/v1/plans/{plan['id']}/units")["grids"]}
    assert a not in after and b in after
    new = [g for c, g in after.items() if c not in {x["code"] for x in doc["grids"]}]
    assert len(new) == 1 and new[0]["name"].endswith("（分）")
    assert new[0]["team"]["leader"]["id"] == doc["staff"][0]["id"]
    assert not context.errors, context.errors


def _splittable(doc: dict) -> tuple[int, str, list[float]]:
    """A grid cut in two by a street, the street, and a point on it between the grid's units."""
    props = [f["properties"] for f in doc["units"]["features"]]
    along: dict[tuple[int, str], list[list]] = {}
    for i, j, metres, street, lines in doc["pairs"]:
        if street and props[i]["grid"] == props[j]["grid"] and metres > 30:
            along.setdefault((props[i]["grid"], street), []).append([i, j, lines])
    for (grid, street), pairs in sorted(along.items(), key=lambda kv: kv[0][0]):
        cut = {(i, j) for i, j, _ in pairs}
        links = [
            (i, j)
            for i, j, _m, s, _l in doc["pairs"]
            if props[i]["grid"] == grid == props[j]["grid"] and (i, j) not in cut
        ]
        pieces = grid_figures(
            [0 if p["grid"] == grid else None for p in props],
            area_m2=[1] * len(props),
            perimeter_m=[1] * len(props),
            pairs=links,
            shared_m=[1] * len(links),
        )[0].pieces
        if len(pieces) == 2 and all(sum(props[k]["households"] for k in piece) for piece in pieces):
            line = pairs[0][2][0]
            return grid, street, line[len(line) // 2]
    raise AssertionError("no grid to split along a street")


def test_the_page_runs_under_a_strict_csp_in_english_and_its_figures_match_the_reference(
    context, live_server, drafts
) -> None:
    make, _ = drafts
    plan = make("editor csp")

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    context.route(f"{live_server}/maps/plans/*/planner", with_csp)
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "(e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = open_editor(context, live_server, plan["id"])
    page.select_option("#ed-lang", "en")
    assert page.inner_text("#ed-action-save") == "Save" and "Households" in page.inner_text(
        "#ed-grid-table thead"
    )
    doc = get_json(f"{live_server}/v1/plans/{plan['id']}/units")
    move = block_to_move(doc)
    pick_grid(page, grid_code(doc, move["to"]))
    page.click("#ed-mode-brush")
    spot = show_unit(page, move["unit"])
    page.mouse.move(spot["x"], spot["y"])
    page.mouse.down()
    page.mouse.up()
    shown = page.evaluate("""() => { const s = window.gisgridEditor.state, t = s.tot;
        return {assign: Array.from(s.assign).map((g) => (g < 0 ? null : s.gridKey(g))),
                grids: s.grids.map((g, i) => [s.gridKey(i), t.hh[i], t.res[i], t.shops[i], t.req[i],
                                              s.pieces(i).length, s.compactness(i)])}; }""")
    props = [f["properties"] for f in doc["units"]["features"]]
    reference = grid_figures(
        shown["assign"],
        area_m2=[p["area_m2"] for p in props],
        perimeter_m=[p["perimeter_m"] for p in props],
        pairs=[p[:2] for p in doc["pairs"]],
        shared_m=[p[2] for p in doc["pairs"]],
        counts={k: [p[k] for p in props] for k in ("households", "residents", "shops", "requests")},
    )
    assert {g[0] for g in shown["grids"] if g[5]} == set(reference)
    for key, hh, res, shops, req, pieces, compact in shown["grids"]:
        if key not in reference:
            continue
        ref = reference[key]
        assert (hh, res, shops, req) == tuple(
            ref.counts[k] for k in ("households", "residents", "shops", "requests")
        )
        assert pieces == len(ref.pieces) and compact == pytest.approx(ref.compactness, rel=1e-9)
    assert page.evaluate("window.__csp") == []
    assert not context.errors, context.errors
