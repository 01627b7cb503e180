"""Personal data, by area: the households of an area, the team of a grid with phones.

``GET /v1/areas/{code}/households``: admins, and staff and planners whose scope covers
the area (403 for others, 401 without credentials). ``GET /v1/grids/{id}/team``: the
team to everyone, as each may see it: phone numbers to whom the grid's community
belongs, masked for other staff and planners, none (and names only when the setting
makes them public) for consumers and anonymous callers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from api.auth import Reader, SignedIn, access_settings
from api.deps import SessionDep
from api.schemas.access import AreaHouseholds, GridTeam
from api.schemas.errors import route_responses
from gisgrid.access import person_view
from gisgrid.db import people_store

router = APIRouter(tags=["people"])

AreaCode = Annotated[str, Path(pattern=r"^[0-9]{6,12}$", description="Area code (GB/T 2260 and below)")]


@router.get("/v1/areas/{code}/households",
            summary="Households of an area, with rooms and positions (staff and planners of the area)",
            response_model=AreaHouseholds, responses=route_responses(422, 503))
def area_households(
    code: AreaCode,
    who: SignedIn,
    session: SessionDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    who.require_personal(code)
    total, households = people_store.households_in_area(session, code, limit=limit, offset=offset)
    return {"area": code, "total": total, "limit": limit, "offset": offset, "households": households}


@router.get("/v1/grids/{grid_id}/team",
            summary="A grid's team: phones for its community's staff, masked or left out for others",
            response_model=GridTeam, response_model_exclude_unset=True,
            responses=route_responses(404, 422, 503))
def grid_team(
    grid_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    who: Reader,
    request: Request,
    session: SessionDep,
) -> dict[str, Any]:
    grid, team = people_store.grid_team(session, grid_id)
    public = access_settings(request).public_team_names
    return {"grid": grid,
            "team": [person_view(m, who, grid["community"], name_public=public) for m in team]}
