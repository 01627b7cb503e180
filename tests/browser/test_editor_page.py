"""The planner's editor in headless Chromium with the internet cut off: a planner's task done
with the mouse and keyboard on a draft of the demo (issue 14's acceptance).

Move a block to the neighbouring grid with the brush: both totals change by the block's
households at once (the panel is updated in the stroke's own event handler, before the
test reads it; the stroke's time is kept as an artefact, never asserted); undo restores
both, redo re-applies; save writes one new version; the diff lists exactly that block's
households; a second session saving on the old version is told of the other change,
reloads, reapplies and saves, and both changes are in the plan.
"""

from __future__ import annotations

import json

import pytest
from editor_helpers import (
    block_to_move,
    building_to_move,
    get_json,
    grid_code,
    new_draft,
    open_editor,
    paint_at,
    pick_grid,
    show_unit,
    sign_api_as,
    sign_in_browser,
    total,
)
from offline import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, OfflineLoad
from playwright.sync_api import sync_playwright
from sqlalchemy import text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def drafts(live_server, engine, accounts):
    """Drafts made through the API, deleted after the test (the API commits)."""
    made: list[int] = []
    sign_api_as(accounts["planner"].headers)

    def make(name: str) -> dict:
        plan = new_draft(live_server, name)
        made.append(plan["id"])
        return plan

    yield make
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = ANY(:ids)"), {"ids": made})


@pytest.fixture
def offline(chromium, live_server, accounts):
    """A browser context that reaches only the gisgrid server; yields (context, load)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    load = OfflineLoad(None, {"127.0.0.1"})

    def route(r):
        if r.request.url.startswith(live_server):
            r.continue_()
        else:
            load.blocked.append((r.request.resource_type, r.request.url))
            r.abort("internetdisconnected")

    context.route("**/*", route)
    sign_api_as(accounts["planner"].headers)
    sign_in_browser(context, live_server, accounts["planner"])
    context.on(
        "page",
        lambda page: (
            page.on("pageerror", lambda e: load.page_errors.append(str(e))),
            page.on(
                "response",
                lambda r: r.status >= 400 and load.failed.append((r.request.resource_type, r.url, r.status)),
            ),
        ),
    )
    yield context, load
    context.close()


def _artefact(name: str, page, **figures) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if figures:
        (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))


def test_painting_a_block_into_the_neighbour_grid_undo_redo_save_diff_and_a_stale_second_session(
    offline, live_server, drafts
) -> None:
    context, load = offline
    plan = drafts("editor acceptance")
    doc = get_json(f"{live_server}/v1/plans/{plan['id']}/units")
    move = block_to_move(doc)
    a, b = grid_code(doc, move["from"]), grid_code(doc, move["to"])
    first = open_editor(context, live_server, plan["id"])
    second = open_editor(context, live_server, plan["id"])  # a colleague, opened on version 1

    a0, b0 = total(first, a), total(first, b)
    pick_grid(first, b)
    first.click("#ed-mode-brush")
    paint_at(first, show_unit(first, move["unit"]))
    assert (total(first, a), total(first, b)) == (a0 - move["households"], b0 + move["households"])
    stroke_ms = float(first.evaluate("document.body.dataset.lastStrokeMs"))
    assert first.inner_text("#ed-moved-session").startswith(f"住户 {move['households']} 户")
    _artefact("editor-painted", first, stroke_ms=stroke_ms, households=move["households"])

    first.keyboard.press("Control+z")
    assert (total(first, a), total(first, b)) == (a0, b0)
    first.keyboard.press("Control+y")
    assert (total(first, a), total(first, b)) == (a0 - move["households"], b0 + move["households"])

    first.click("#ed-action-save")
    first.wait_for_selector("body[data-version='2']", timeout=120_000)
    assert get_json(f"{live_server}/v1/plans/{plan['id']}")["version"] == 2
    assert (total(first, a), total(first, b)) == (a0 - move["households"], b0 + move["households"])
    diff = get_json(f"{live_server}/v1/plans/{plan['id']}/diff")
    assert diff["households"]["moved"] == move["households"]
    assert [(m["from_code"], m["to_code"], m["n"]) for m in diff["households"]["moves"]] == [
        (a, b, move["households"])
    ]
    first.click("#ed-action-diff")
    first.wait_for_selector(".ed-diff-part[data-part='households'] td.n")
    assert first.inner_text(".ed-diff-part[data-part='households'] td.n") == str(move["households"])
    _artefact("editor-diff", first)

    # The colleague paints another block on version 1 and saves: refused, told, reapplied.
    other = block_to_move(doc, avoid={move["from"], move["to"]})
    c, d = grid_code(doc, other["from"]), grid_code(doc, other["to"])
    pick_grid(second, d)
    second.click("#ed-mode-brush")
    paint_at(second, show_unit(second, other["unit"]))
    second.click("#ed-action-save")
    second.wait_for_selector("#ed-stale", timeout=120_000)
    message = second.inner_text("#ed-dialog")
    assert "第 1 版" in message and "第 2 版" in message and b in message and a in message
    _artefact("editor-stale", second)
    second.click("#ed-dialog button[data-action='reapply']")
    second.wait_for_selector("body[data-version='2']", timeout=120_000)
    assert (total(second, c), total(second, d)) == (
        total(first, c) - other["households"],
        total(first, d) + other["households"],
    )
    second.click("#ed-action-save")
    second.wait_for_selector("body[data-version='3']", timeout=120_000)
    moves = {
        (m["from_code"], m["to_code"]): m["n"]
        for m in get_json(f"{live_server}/v1/plans/{plan['id']}/diff")["households"]["moves"]
    }
    assert moves == {(a, b): move["households"], (c, d): other["households"]}
    assert not load.page_errors, load.page_errors
    assert not [f for f in load.failed if f[2] != 409], load.failed
    assert not [u for kind, u in load.blocked if kind != "image"], load.blocked


def test_moving_one_building_out_of_a_shared_block_keeps_the_coverage_check_passing(
    offline, live_server, drafts
) -> None:
    context, load = offline
    plan = drafts("editor building")
    doc = get_json(f"{live_server}/v1/plans/{plan['id']}/units")
    move = building_to_move(doc)
    a, b = grid_code(doc, move["from"]), grid_code(doc, move["to"])
    page = open_editor(context, live_server, plan["id"])
    a0, b0 = total(page, a), total(page, b)
    pick_grid(page, b)
    page.keyboard.press("u")  # paint buildings, not whole blocks
    page.click("#ed-mode-click")
    point = show_unit(page, move["unit"])
    page.mouse.click(point["x"], point["y"])
    assert (total(page, a), total(page, b)) == (a0 - move["households"], b0 + move["households"])
    page.click("#ed-action-save")
    page.wait_for_selector("body[data-version='2']", timeout=120_000)
    diff = get_json(f"{live_server}/v1/plans/{plan['id']}/diff")
    assert [(m["from_code"], m["to_code"], m["n"]) for m in diff["households"]["moves"]] == [
        (a, b, move["households"])
    ]
    coverage = get_json(f"{live_server}/v1/plans/{plan['id']}/coverage")
    assert coverage["ok"], coverage["defects"][:3]
    _artefact("editor-building", page)
    assert not load.page_errors, load.page_errors
