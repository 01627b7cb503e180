"""OGC API Features (Part 1 Core, GeoJSON): the catalogue, its documents and paged items."""

from gisgrid.ogc.catalogue import Collection, list_collections, resolve_collection
from gisgrid.ogc.documents import (
    collections_document,
    conformance,
    landing_page,
    one_collection_document,
)
from gisgrid.ogc.items import item, items_page
from gisgrid.ogc.params import ItemsQuery, check_format, parse_items_query

__all__ = [
    "Collection", "ItemsQuery", "check_format", "collections_document", "conformance", "item", "items_page",
    "landing_page", "list_collections", "one_collection_document", "parse_items_query",
    "resolve_collection",
]
