"""``/maps/``: map pages for staff, with every asset served by gisgrid itself."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import PlannerPage, PublicPage
from api.deps import SessionDep
from api.params import DbId
from api.schemas.errors import HTML, route_responses
from gisgrid.access import coverage_view
from gisgrid.coverage.plan import plan_coverage
from gisgrid.db import queries, request_store
from gisgrid.errors import NotFoundError
from gisgrid.plans.versions import diff_plans
from gisgrid.rules import fill_household_bounds
from gisgrid.settings import ServerSettings
from gisgrid.staffmap import map_index
from maps.assets import DEFAULT_STATIC_PREFIX, SETUP_HINT, missing_assets
from maps.downloads import downloads_html
from maps.editor_page import EDITOR_PREFIX, editor_static_app, render_editor_page
from maps.pages import render_grid_map
from maps.planner import render_planner_map
from maps.requests_page import REQUESTS_PREFIX, render_stats_page, requests_static_app
from maps.staffmap_page import STAFFMAP_PREFIX, render_staff_map, staffmap_static_app
from maps.start_page import render_start_page
from maps.static import map_static_app
from maps.tiles import resolve_tiles

log = logging.getLogger("gisgrid.api")
router = APIRouter(tags=["maps"])


def _plan_grids(session: Any, plan_ids: list[int]) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    for plan_id in plan_ids:
        features += queries.grid_features(session, plan_id)["features"]
    return {"type": "FeatureCollection", "features": features}


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon: answer 204 so browsers don't log a failed request on every map page."""
    return Response(status_code=204)


@router.get("/", response_class=HTMLResponse, summary="Start page: links for staff, planners and developers",
            responses=route_responses(503, media_type=HTML))
def start_page(session: SessionDep, who: PublicPage) -> HTMLResponse:
    plans = queries.list_plans(session, status="active")
    return HTMLResponse(render_start_page([{"id": p["id"], "name": p["name"]} for p in plans]))


@router.get("/maps", include_in_schema=False)
def maps_root() -> RedirectResponse:
    return RedirectResponse("/maps/")


@router.get("/maps/", response_class=HTMLResponse,
            summary="The staff map: grids, household density, shops, requests, resources (vector tiles), "
                    "search, legend, basemaps (OSM, Tianditu, Amap); ?grid=CODE, ?community=CODE, ?lang=en",
            responses=route_responses(503, media_type=HTML))
def staff_map(request: Request, session: SessionDep, who: PublicPage) -> HTMLResponse:
    plans = queries.list_plans(session, status="active")
    downloads = downloads_html([(p["id"], p["name"]) for p in plans])
    page = render_staff_map(map_index(session), tiles=request.app.state.tiles, downloads=downloads)
    return HTMLResponse(page)


@router.get("/maps/grids", response_class=HTMLResponse,
            summary="Map of the active plans' grids, with downloads",
            responses=route_responses(503, media_type=HTML))
def active_grids_map(request: Request, session: SessionDep, who: PublicPage) -> HTMLResponse:
    plans = queries.list_plans(session, status="active")
    grids = _plan_grids(session, [p["id"] for p in plans])
    downloads = downloads_html([(p["id"], p["name"]) for p in plans])
    return HTMLResponse(render_grid_map(grids, tiles=request.app.state.tiles, downloads=downloads))


@router.get("/maps/plans/{plan_id}", response_class=HTMLResponse,
            summary="Map of one plan version's grids (drafts and retired plans too)",
            responses=route_responses(404, 422, 503, media_type=HTML))
def plan_map(plan_id: DbId, request: Request, session: SessionDep, who: PublicPage) -> HTMLResponse:
    plan = queries.get_plan(session, plan_id)
    grids = _plan_grids(session, [plan_id])
    title = f"{plan['name']}（{plan['status']}）"
    return HTMLResponse(render_grid_map(grids, tiles=request.app.state.tiles, title=title,
                                        downloads=downloads_html([(plan_id, plan["name"])])))


@router.get("/maps/plans/{plan_id}/planner", response_class=HTMLResponse,
            summary="Planner's page: a draft opens in the editor; other plans read-only (grid sizes "
                    "against the bounds, streets, defects, diff, a button to make a draft)",
            responses=route_responses(400, 404, 422, 503, media_type=HTML))
def planner_map(plan_id: DbId, request: Request, session: SessionDep, who: PlannerPage,
                min_households: int | None = Query(None, description="Default: the plan's"),
                max_households: int | None = Query(None, description="Default: the plan's")
                ) -> HTMLResponse:
    plan = queries.get_plan(session, plan_id)
    if plan["status"] == "draft":  # a draft opens in the editor; other plans read-only below
        return HTMLResponse(render_editor_page(plan, tiles=request.app.state.tiles,
                                               exports=_export_formats(request.app)))
    stored = plan["household_bounds"]
    bounds = fill_household_bounds((min_households, max_households), (stored["min"], stored["max"]))
    coverage = plan_coverage(session, plan_id, household_bounds=bounds)
    parent = plan["parent_id"]
    page = render_planner_map(
        queries.grid_features(session, plan_id),
        tiles=request.app.state.tiles,
        household_bounds=bounds,
        streets=queries.plan_street_features(session, plan_id),
        coverage=coverage_view(coverage.to_dict(), who, plan["scope"]["code"]),
        diff=diff_plans(session, parent, plan_id) if parent is not None else None,
        diff_label=f"上一版方案 #{parent}",
        title=f"{plan['name']}（{plan['status']}）规划图",
        make_draft={"scope": plan["scope"]["code"], "name": f"{plan['name']} 调整稿"}
        if plan["status"] == "active" else None,
    )
    return HTMLResponse(page)


@router.get("/maps/requests/stats", response_class=HTMLResponse,
            summary="The assessment (诉求考核) of an area as charts, for the community office",
            responses=route_responses(404, 422, 503, media_type=HTML))
def request_stats_page(session: SessionDep, who: PublicPage,
                       area: str = Query(pattern=r"^[0-9]{6,15}$", description="Grid, community, "
                                         "subdistrict or district code"),
                       start: Annotated[dt.date | None, Query(alias="from")] = None,
                       end: Annotated[dt.date | None, Query(alias="to")] = None) -> HTMLResponse:
    where = request_store.area_name(session, area)
    if where is None:
        raise NotFoundError(f"no area or active grid with code {area}")
    return HTMLResponse(render_stats_page(where, start=start and start.isoformat(),
                                          end=end and end.isoformat()))


def _export_formats(app: FastAPI) -> list[str]:
    """The formats the plan export route offers, if this server has one (else none)."""
    has = any(getattr(r, "path", "") == "/v1/plans/{plan_id}/export" for r in app.routes)
    return ["gpkg", "geojson"] if has else []


def install_maps(app: FastAPI, settings: ServerSettings) -> None:
    """Mount the static assets and the map routes; resolve the basemap once, at startup."""
    app.state.tiles = resolve_tiles(settings.tiles_url, tianditu_key=settings.tianditu_key)
    problems = missing_assets(settings.node_modules)
    if problems:
        log.warning("map assets missing (%s): %s", "; ".join(problems), SETUP_HINT)
    app.mount(DEFAULT_STATIC_PREFIX, map_static_app(settings.node_modules), name="map-static")
    app.mount(EDITOR_PREFIX, editor_static_app(), name="map-editor")
    app.mount(REQUESTS_PREFIX, requests_static_app(), name="map-requests")
    app.mount(STAFFMAP_PREFIX, staffmap_static_app(), name="map-staffmap")
    app.include_router(router)
