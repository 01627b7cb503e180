"""Which front-end files a map page loads, where they live in node_modules, and their URLs.

Community offices work on government intranets, so a map page must not load anything
from a CDN. The packages below are installed by ``npm ci`` from the repo's
package.json / package-lock.json (``make setup`` runs it) and served by gisgrid under a
static prefix (``/maps/static`` by default, see ``maps.static``).

Each package exposes one folder (its ``dist``), served whole, so that relative
``url(...)`` references inside its CSS (Leaflet's ``images/layers.png``, marker icons)
resolve against the same prefix. URL layout::

    {prefix}/{package name}/{file inside the package's dist folder}
    /maps/static/leaflet/leaflet.js  ->  node_modules/leaflet/dist/leaflet.js

Why only Leaflet for the maps: folium's default page also loads jQuery, Bootstrap 5, Bootstrap 3
glyphicons, Font Awesome, Leaflet.awesome-markers and folium's awesome-rotate CSS. The
grid pages use none of them (no ``folium.Icon`` markers, no plain ``folium.Popup``,
whose template calls jQuery's ``$``), so ``maps.pages`` drops them from the page instead
of installing them. A page that starts using one must add its package here and to
package.json; ``tests/maps/test_pages.py`` checks that the two lists agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_STATIC_PREFIX = "/maps/static"

SETUP_HINT = "run `make setup` (or `npm ci` in the repository root) to install them"


@dataclass(frozen=True)
class Package:
    """An npm package whose ``dist`` folder is served as a whole."""

    name: str
    version: str  # exactly as pinned in package.json
    dist: str  # folder inside the package that is exposed, relative to the package root

    def folder(self, node_modules: Path) -> Path:
        return node_modules / self.name / self.dist


@dataclass(frozen=True)
class Asset:
    """One script or stylesheet a page links to, under the key folium uses for it."""

    key: str  # folium's name in Map.default_js / default_css ("leaflet", "leaflet_css")
    package: str
    file: str  # path inside the package's dist folder
    kind: Literal["js", "css"]

    def url(self, static_prefix: str = DEFAULT_STATIC_PREFIX) -> str:
        return f"{static_prefix.rstrip('/')}/{self.package}/{self.file}"

    def path(self, node_modules: Path) -> Path:
        return PACKAGES[self.package].folder(node_modules) / self.file


# folium 0.20 expects Leaflet 1.9.3 (folium.folium._default_js). Swagger UI and ReDoc
# draw /docs and /redoc (api/routers/docs.py): FastAPI's defaults load them from a CDN.
PACKAGES: dict[str, Package] = {p.name: p for p in (
    Package("leaflet", "1.9.3", "dist"),
    Package("swagger-ui-dist", "5.35.0", "."),
    Package("redoc", "2.5.4", "bundles"),
    # The staff map (maps/staffmap_page.py): WebGL vector tiles. The CSP build runs its
    # worker from a file of ours (worker-src 'self'), not from a blob.
    Package("maplibre-gl", "5.24.1", "dist"),
)}

ASSETS: tuple[Asset, ...] = (
    Asset("leaflet", "leaflet", "leaflet.js", "js"),
    Asset("leaflet_css", "leaflet", "leaflet.css", "css"),
)

# Files the stylesheets reference by relative url(...); they must exist for the page to
# look right (the layer control's icon), so missing_assets checks them too.
REFERENCED_FILES: tuple[tuple[str, str], ...] = (
    ("swagger-ui-dist", "swagger-ui-bundle.js"),
    ("swagger-ui-dist", "swagger-ui.css"),
    ("swagger-ui-dist", "favicon-32x32.png"),
    ("redoc", "redoc.standalone.js"),
    ("maplibre-gl", "maplibre-gl-csp.js"),
    ("maplibre-gl", "maplibre-gl-csp-worker.js"),
    ("maplibre-gl", "maplibre-gl.css"),
    ("leaflet", "images/layers.png"),
    ("leaflet", "images/layers-2x.png"),
    ("leaflet", "images/marker-icon.png"),
)


def default_js(static_prefix: str = DEFAULT_STATIC_PREFIX) -> list[tuple[str, str]]:
    """Scripts in folium's ``default_js`` format: ``[(key, url), ...]``."""
    return [(a.key, a.url(static_prefix)) for a in ASSETS if a.kind == "js"]


def default_css(static_prefix: str = DEFAULT_STATIC_PREFIX) -> list[tuple[str, str]]:
    """Stylesheets in folium's ``default_css`` format: ``[(key, url), ...]``."""
    return [(a.key, a.url(static_prefix)) for a in ASSETS if a.kind == "css"]


def asset_for_url(url: str, static_prefix: str = DEFAULT_STATIC_PREFIX) -> Asset | None:
    """The known asset a page URL points to, or None."""
    return next((a for a in ASSETS if a.url(static_prefix) == url), None)


def static_root(repo_root_or_node_modules: Path | str) -> Path:
    """The node_modules folder, given either the repository root or node_modules itself."""
    path = Path(repo_root_or_node_modules)
    return path if path.name == "node_modules" else path / "node_modules"


def default_node_modules() -> Path:
    """node_modules beside this checkout's package.json (the repository root)."""
    return static_root(Path(__file__).resolve().parents[1])


def missing_assets(node_modules: Path) -> list[str]:
    """What a page needs but node_modules lacks, as readable strings; empty when all is there.

    Lists missing files as ``node_modules``-relative paths and packages whose installed
    version differs from the pinned one, so the server can tell the operator exactly
    what to do (see ``SETUP_HINT``).
    """
    node_modules = Path(node_modules)
    problems: list[str] = []
    absent: set[str] = set()
    for package in PACKAGES.values():
        manifest = node_modules / package.name / "package.json"
        if not manifest.is_file():
            problems.append(f"{package.name} (package not installed)")
            absent.add(package.name)
            continue
        installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        if installed != package.version:
            problems.append(f"{package.name}: installed {installed}, package.json pins {package.version}")
    wanted = [(a.package, a.file) for a in ASSETS] + list(REFERENCED_FILES)
    for name, file in wanted:
        if name in absent:
            continue
        path = PACKAGES[name].folder(node_modules) / file
        if not path.is_file():
            problems.append(path.relative_to(node_modules).as_posix())
    return problems
