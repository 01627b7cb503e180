"""Driving the planner's editor in Chromium as a planner does: pick a grid in the list, point
at a unit on the map with the mouse, read the totals the panel shows.

Targets (which block to move, where on the screen it is) are found by asking the page's
own map (Leaflet's projection and hit test); the moves themselves are mouse and keyboard
events. What the totals should become is computed here from the API's units document,
not from the page."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import httpx

READY = "body[data-ready='1']"

#: The credentials the helpers call the API with (drafts, edits and activation refuse
#: anonymous callers); the tests' fixtures set it with :func:`sign_api_as`.
API_HEADERS: dict[str, str] = {}


def sign_api_as(headers: dict[str, str]) -> None:
    API_HEADERS.clear()
    API_HEADERS.update(headers)


def sign_in_browser(context: Any, base: str, account: Any) -> None:
    """Sign a browser context in at /login as ``account`` (the session cookie then signs the
    pages' own API calls, as it does for a planner)."""
    page = context.new_page()
    page.goto(f"{base}/login", wait_until="load")
    page.fill("input[name=name]", account.name)
    page.fill("input[name=password]", account.password)
    with page.expect_navigation(wait_until="load"):
        page.click("#login-form button[type=submit]")
    assert any(c["name"] == "gisgrid_session" for c in context.cookies()), "sign-in failed"
    page.close()


def post_json(url: str, body: dict[str, Any]) -> Any:
    r = httpx.post(url, json=body, headers=API_HEADERS, timeout=120)
    assert r.status_code < 300, r.text
    return r.json()


def get_json(url: str) -> Any:
    request = urllib.request.Request(url, headers=API_HEADERS)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def new_draft(base: str, name: str) -> dict[str, Any]:
    return post_json(f"{base}/v1/plans", {"scope": "610802", "name": name})


def open_editor(context: Any, base: str, plan_id: int) -> Any:
    page = context.new_page()
    page.goto(f"{base}/maps/plans/{plan_id}/planner", wait_until="load")
    page.wait_for_selector(READY, timeout=120_000)
    return page


def block_to_move(doc: dict[str, Any], *, avoid: set[int] = frozenset()) -> dict[str, Any]:
    """A block lying wholly in grid A (which holds other blocks too) that shares a street edge
    of 20 m or more with a unit of a neighbouring grid B, and holds households; neither grid
    in ``avoid``."""
    feats = doc["units"]["features"]
    props = [f["properties"] for f in feats]
    blocks: dict[str, list[int]] = {}
    for i, p in enumerate(props):
        blocks.setdefault(p["block"], []).append(i)
    grid_blocks: dict[int, set[str]] = {}
    for p in props:
        grid_blocks.setdefault(p["grid"], set()).add(p["block"])
    for i, j, metres, _street, _lines in doc["pairs"]:
        for a, b in ((i, j), (j, i)):
            pa, pb = props[a], props[b]
            block = pa["block"]
            if (
                pa["grid"] != pb["grid"]
                and pa["block"] != pb["block"]
                and metres >= 20
                and not {pa["grid"], pb["grid"]} & avoid
                and len(grid_blocks[pa["grid"]]) >= 2
                and all(props[k]["grid"] == pa["grid"] for k in blocks[block])
                and sum(props[k]["households"] for k in blocks[block]) > 0
            ):
                return {
                    "block": block,
                    "from": pa["grid"],
                    "to": pb["grid"],
                    "unit": a,
                    "households": sum(props[k]["households"] for k in blocks[block]),
                }
    raise AssertionError("no block to move")


def building_to_move(doc: dict[str, Any]) -> dict[str, Any]:
    """A building's parcel of grid A sharing 10 m or more of street edge with grid B."""
    props = [f["properties"] for f in doc["units"]["features"]]
    for i, j, metres, street, _lines in doc["pairs"]:
        for a, b in ((i, j), (j, i)):
            pa, pb = props[a], props[b]
            if (
                pa["building"] is not None
                and pa["grid"] != pb["grid"]
                and street
                and metres >= 10
                and pa["households"] > 0
            ):
                return {
                    "unit": a,
                    "id": pa["id"],
                    "from": pa["grid"],
                    "to": pb["grid"],
                    "households": pa["households"],
                }
    raise AssertionError("no building to move")


def grid_code(doc: dict[str, Any], grid_id: int) -> str:
    return next(g["code"] for g in doc["grids"] if g["id"] == grid_id)


def show_unit(page: Any, unit: int) -> dict[str, float]:
    """Zoom the map onto a unit and return a page point inside it (found with the map's own
    hit test, so the mouse lands on that unit)."""
    return page.evaluate(
        """(u) => {
        const ed = window.gisgridEditor;
        const layer = ed.layers.layers[u];
        ed.map.fitBounds(layer.getBounds(), {maxZoom: 17, animate: false});
        const b = layer.getBounds();
        const box = ed.map.getContainer().getBoundingClientRect();
        for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
            const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 12,
                                b.getWest() + (b.getEast() - b.getWest()) * j / 12);
            if (ed.layers.unitAt(ll) === u) {
                const p = ed.map.latLngToContainerPoint(ll);
                return {x: box.left + p.x, y: box.top + p.y};
            }
        }
        return null;
    }""",
        unit,
    )


def pick_grid(page: Any, code: str) -> None:
    """Make a grid the active one by clicking its row in the totals panel."""
    page.fill("#ed-search", code)
    page.click(f"#ed-grid-table tr[data-code='{code}']")
    page.fill("#ed-search", "")
    page.focus("#ed-map")  # keys go to the editor again, not to the search box


def total(page: Any, code: str, cell: str = "hh") -> int:
    return int(page.inner_text(f"#ed-grid-table tr[data-code='{code}'] td.{cell}"))


def paint_at(page: Any, point: dict[str, float]) -> None:
    """One brush stroke: press, drag a few pixels within the unit, release."""
    page.mouse.move(point["x"], point["y"])
    page.mouse.down()
    page.mouse.move(point["x"] + 3, point["y"] + 2)
    page.mouse.up()
