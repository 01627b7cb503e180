"""A stored request as the API answers it, and as each caller may see it.

The public answer carries the place, the routing (grid, overlays, community, team
names as the lookup shows them), the stage and the clock; reporters (name, phone) and the
exact position only for callers who may see the personal data of the request's community
(``Principal.may_see_personal``); the history for signed-in callers.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from gisgrid.rules import PUBLIC_PLACE_CELL_DEG

__all__ = ["public_position", "request_answer"]


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def public_position(lon: float, lat: float) -> tuple[float, float]:
    """A request's place as outsiders see it: the centre of its 1e-4 degree cell (about 10 m),
    so that a request made at a home (a leaking roof) does not give away the household's
    exact position (cell centres, not rounded values: rounded values can fall on places
    that were themselves laid out on round coordinates)."""
    c = PUBLIC_PLACE_CELL_DEG
    return (round(math.floor(lon / c) * c + c / 2, 5), round(math.floor(lat / c) * c + c / 2, 5))


def request_answer(row: dict[str, Any], *, team_names: bool = True, precise: bool = False,
                   events: list[dict[str, Any]] | None = None,
                   reporters: list[dict[str, Any]] | None = None,
                   duplicates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON answer of one request from its stored row (``request_store`` columns)."""
    team = [{"role": role, "name": name if team_names else None}
            for role, name in (("leader", row["leader_name"]), ("full_time", row["worker_name"]))
            if name is not None]
    out: dict[str, Any] = {
        "id": row["id"], "stage": row["stage"], "category": row["category"], "title": row["title"],
        "description": row["description"], "source": row["source"],
        "location": dict(zip(("lon", "lat"), (round(row["lon"], 7), round(row["lat"], 7)) if precise
                             else public_position(row["lon"], row["lat"]), strict=True)),
        # A typed address may name a room: for the community's staff only, like the exact place.
        "address": row["address"] if precise else None, "address_confidence": row["address_confidence"],
        "photos": list(row["photos"] or []),
        "grid": None if row["grid_id"] is None else {
            "id": row["grid_id"], "code": row["grid_code"], "name": row["grid_name"],
            "kind": row["grid_kind"]},
        "overlays": row["overlays"] or [],
        "community": None if row["community_code"] is None else {
            "code": row["community_code"], "name": row["community_name"]},
        "subdistrict": None if row["subdistrict_code"] is None else {
            "code": row["subdistrict_code"], "name": row["subdistrict_name"]},
        "plan_id": row["plan_id"], "team": team,
        "reported_at": _iso(row["reported_at"]), "registered_at": _iso(row["registered_at"]),
        "due_at": _iso(row["due_at"]), "overdue": bool(row["overdue"]), "closed_at": _iso(row["closed_at"]),
        "closed_on_time": row["closed_on_time"], "days_to_close": row["days_to_close"],
        "escalation": ("grid", "community", "subdistrict")[row["escalation"]],
        "master": row["master_id"], "referred_to": row["referred_to"], "returned": row["returned"],
        "updated_at": _iso(row["updated_at"]),
    }
    if duplicates is not None:
        out["duplicates"] = duplicates
    if events is not None:
        out["events"] = [{"kind": e["kind"], "from": e["from_stage"], "to": e["to_stage"],
                          "at": _iso(e["at"]),
                          "actor": e["actor"], "note": e["note"], "details": e["details"]} for e in events]
    if reporters is not None:
        out["reporters"] = [{"name": r["name"], "phone": r["phone"], "at": _iso(r["at"]),
                             "first_request": r["first_request_id"]} for r in reporters]
    return out
