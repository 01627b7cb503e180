"""What a standalone staff map (one offline HTML file) holds: the index and the layers of
an area as GeoJSON, and the teams of its grids (roles, and names where they are public;
never phones)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db import people_store, staffmap_store
from gisgrid.errors import NotFoundError
from gisgrid.staffmap.tiles import map_index

__all__ = ["standalone_bundle"]


def standalone_bundle(session: Session, *, community: str | None = None, grid: str | None = None,
                      team_names: bool = True) -> dict[str, Any]:
    """The data of a standalone map of one community, the community of one grid, or (neither)
    every active grid: ``{"index", "data", "focus"}``.

    Raises NotFoundError for an unknown community or grid code.

    Examples
    --------
    >>> bundle = standalone_bundle(session, grid="610802001001037")   # doctest: +SKIP
    >>> bundle["focus"], len(bundle["data"]["grids"]["features"])      # doctest: +SKIP
    ({'grid': '610802001001037'}, 46)
    """
    index = map_index(session)
    grids = index["grids"]
    if grid is not None:
        found = [g for g in grids if g["code"] == grid]
        if not found:
            raise NotFoundError(f"no active grid with code {grid}")
        community = found[0]["community_code"]
    if community is not None:
        grids = [g for g in grids if g["community_code"] == community]
        if not grids:
            raise NotFoundError(f"no active grid in community {community}")
    w = min(g["bbox"][0] for g in grids)
    s = min(g["bbox"][1] for g in grids)
    e = max(g["bbox"][2] for g in grids)
    n = max(g["bbox"][3] for g in grids)
    for g in grids:
        _, team = people_store.grid_team(session, g["id"])
        g["team"] = [{"role": m["role"], **({"name": m["name"]} if team_names else {})} for m in team]
    index["grids"] = grids
    data = staffmap_store.area_layers(session, box=(w, s, e, n))
    index["request_stages"] = {}
    for f in data["requests"]["features"]:
        stage = f["properties"]["stage"]
        index["request_stages"][stage] = index["request_stages"].get(stage, 0) + 1
    return {"index": index, "data": data,
            "focus": {"grid": grid} if grid else ({"community": community} if community else {})}
