"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) drawn from files gisgrid serves itself.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a government intranet
they stay blank. These load them from ``/maps/static`` (npm packages pinned in
package.json, see ``maps.assets``), and ReDoc without Google Fonts. One request still
leaves: ReDoc's sidebar credit always asks cdn.redoc.ly for a small logo; offline it
fails and ReDoc hides the image, nothing else depends on it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from maps.assets import DEFAULT_STATIC_PREFIX

router = APIRouter(include_in_schema=False)
_SWAGGER = f"{DEFAULT_STATIC_PREFIX}/swagger-ui-dist"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} API",
        swagger_js_url=f"{root}{_SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{_SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{root}{_SWAGGER}/favicon-32x32.png")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} API",
        redoc_js_url=f"{root}{DEFAULT_STATIC_PREFIX}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{root}{_SWAGGER}/favicon-32x32.png", with_google_fonts=False)
