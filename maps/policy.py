"""The Content-Security-Policy of a map page: its own assets, its inline scripts, its tiles.

Every script and stylesheet a page loads comes from gisgrid itself (``maps.assets``);
folium writes the map set-up as inline ``<script>`` blocks, which the policy allows by
their SHA-256 hashes (computed from the page as sent), so an injected script is refused
while the page's own run. Images may come from the basemap's tile servers
(``maps.tiles``) as well; nothing else is fetched from outside.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from maps.tiles import TileSpec

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>",
                            re.DOTALL | re.IGNORECASE)


def script_hashes(page: bytes) -> list[str]:
    """CSP sources (``'sha256-…'``) of a page's inline scripts, each hashed as written.

    >>> script_hashes(b"<script>1</script><script src='/a.js'></script>")
    ["'sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s='"]
    """
    return sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
                   for body in _INLINE_SCRIPT.findall(page)})


def tile_sources(tiles: TileSpec | None) -> list[str]:
    """CSP sources of the basemap's tile servers (``{s}`` subdomains as a ``*.`` wildcard).

    >>> from maps.tiles import resolve_tiles
    >>> tile_sources(resolve_tiles("osm"))
    ['https://tile.openstreetmap.org']
    """
    out: set[str] = set()
    for layer in tiles.layers if tiles is not None else ():
        if layer.url.startswith("/"):
            continue  # a site-relative template: 'self' covers it
        parts = urlsplit(layer.url.replace("{s}", "SUBDOMAIN"))
        labels = parts.hostname.split(".") if parts.hostname else []
        host = ".".join("*" if "subdomain" in label else label for label in labels)
        port = f":{parts.port}" if parts.port else ""
        if host and host.count("*") <= 1 and (host.startswith("*.") or "*" not in host):
            out.add(f"{parts.scheme}://{host}{port}")
    return sorted(out)


def content_security_policy(page: bytes, tiles: TileSpec | None, *,
                            scripts: Iterable[str] = (), styles: Iterable[str] = (),
                            images: Iterable[str] = (), fonts: Iterable[str] = (),
                            workers: Iterable[str] = (), connects: Iterable[str] = ()) -> str:
    """The policy for one page; the keyword lists add sources (e.g. the API docs' CDN).

    Styles allow ``'unsafe-inline'``: folium's pages and Leaflet set inline styles, and a
    style cannot run code.
    """
    def directive(name: str, *sources: Iterable[str] | str) -> str:
        flat = [s for group in sources for s in ([group] if isinstance(group, str) else group)]
        return " ".join([name, *flat])

    return "; ".join([
        "default-src 'self'",
        directive("script-src", "'self'", script_hashes(page), scripts),
        directive("style-src", "'self'", "'unsafe-inline'", styles),
        directive("img-src", "'self'", "data:", "blob:", tile_sources(tiles), images),
        directive("font-src", "'self'", "data:", fonts),
        directive("connect-src", "'self'", connects),
        directive("worker-src", "'self'", workers),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])
