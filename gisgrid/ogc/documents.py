"""The JSON documents of an OGC API Features service: landing page, conformance, collections.

Links are absolute, made from the ``base`` URL the web layer passes in (the service's
own root, e.g. ``http://127.0.0.1:8000/ogc``), so clients follow them as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db import ogc_store
from gisgrid.ogc.catalogue import Collection, list_collections
from gisgrid.ogc.params import CRS84

JSON = "application/json"
GEOJSON = "application/geo+json"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
)
_REL = "http://www.opengis.net/def/rel/ogc/1.0/"


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    """One link object (``href``, ``rel``, ``type``, optional ``title``)."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def landing_page(base: str, *, openapi_url: str, docs_url: str) -> dict[str, Any]:
    """The landing page: where the API description, conformance and collections are."""
    return {
        "title": "gisgrid OGC API Features",
        "description": "Community service grids (网格), administrative areas, streets, shops, "
                       "resources and residents' requests (public fields only), as GeoJSON "
                       "in lon/lat WGS84 (CRS84).",
        "links": [
            link(base, "self", JSON, "this document"),
            link(openapi_url, "service-desc", "application/vnd.oai.openapi+json;version=3.1",
                 "the API definition"),
            link(docs_url, "service-doc", "text/html", "the API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
            link(f"{base}/conformance", _REL + "conformance", JSON, "conformance classes"),
            link(f"{base}/collections", "data", JSON, "the collections"),
            link(f"{base}/collections", _REL + "data", JSON, "the collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    """The conformance classes served: Part 1 Core with GeoJSON."""
    return {"conformsTo": list(CONFORMANCE)}


def collection_document(collection: Collection, base: str,
                        extent: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """One collection's metadata: titles, extent (lon/lat), CRS, links to its items."""
    href = f"{base}/collections/{collection.id}"
    doc: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(href, "self", JSON, "this collection"),
            link(f"{href}/items", "items", GEOJSON, "its features"),
        ],
    }
    if extent is not None:
        doc["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return doc


def _extent_of(extents: dict, collection: Collection) -> tuple[float, float, float, float] | None:
    return extents.get((collection.source, collection.plan))


def collections_document(session: Session, base: str) -> dict[str, Any]:
    """Every collection with its metadata (``/collections``)."""
    extents = ogc_store.extents(session)
    return {
        "links": [link(f"{base}/collections", "self", JSON, "the collections")],
        "collections": [collection_document(c, base, _extent_of(extents, c))
                        for c in list_collections(session)],
    }


def one_collection_document(session: Session, collection: Collection, base: str) -> dict[str, Any]:
    """One collection's metadata (``/collections/{id}``)."""
    return collection_document(collection, base, _extent_of(ogc_store.extents(session), collection))
