"""Pages of features (``/items``) and single features, written as GeoJSON bytes.

Paging is by offset, as OGC API Features Part 1 describes and tipg does: a page holds
``limit`` features from ``offset`` in id order; ``next`` points at ``offset + limit``
while features remain, ``prev`` at ``max(offset - limit, 0)``. PostGIS writes the
features (see `gisgrid.db.ogc_store`); this module only adds the header and the links
around that text, so a page costs one statement and no Python object per feature.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from gisgrid.db import ogc_store
from gisgrid.errors import FeatureNotFoundError
from gisgrid.ogc.catalogue import Collection
from gisgrid.ogc.documents import GEOJSON, JSON, link
from gisgrid.ogc.params import ItemsQuery, parse_feature_id


def _page_url(href: str, params: list[tuple[str, str]], offset: int) -> str:
    kept = [(k, v) for k, v in params if k != "offset"]
    if offset:
        kept.append(("offset", str(offset)))
    return f"{href}?{urlencode(kept, safe=',')}" if kept else href


def page_links(href: str, params: Iterable[tuple[str, str]], query: ItemsQuery,
               *, matched: int, returned: int) -> list[dict[str, str]]:
    """``self``, and ``next``/``prev`` when there are features after/before this page.

    The other parameters (``bbox``, ``limit``, ...) are kept as the client sent them.

    Examples
    --------
    >>> [(l["rel"], l["href"]) for l in page_links(
    ...     "http://h/ogc/collections/grids/items", [("limit", "10"), ("offset", "10")],
    ...     ItemsQuery(limit=10, offset=10), matched=25, returned=10)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('self', 'http://h/ogc/collections/grids/items?limit=10&offset=10'),
     ('next', 'http://h/ogc/collections/grids/items?limit=10&offset=20'),
     ('prev', 'http://h/ogc/collections/grids/items?limit=10')]
    """
    params = list(params)
    links = [link(_page_url(href, params, query.offset), "self", GEOJSON, "this page")]
    if query.offset + returned < matched and returned == query.limit:
        links.append(link(_page_url(href, params, query.offset + query.limit), "next", GEOJSON,
                          "next page"))
    if query.offset > 0:
        links.append(link(_page_url(href, params, max(query.offset - query.limit, 0)), "prev",
                          GEOJSON, "previous page"))
    return links


def items_page(session: Session, collection: Collection, query: ItemsQuery, *, base: str,
               params: Iterable[tuple[str, str]] = ()) -> bytes:
    """One page of a collection as a GeoJSON FeatureCollection (UTF-8 bytes).

    Parameters
    ----------
    session : Session
        Database session.
    collection : Collection
        From `gisgrid.ogc.catalogue.resolve_collection`.
    query : ItemsQuery
        From `gisgrid.ogc.params.parse_items_query`.
    base : str
        The service root for links, e.g. ``http://127.0.0.1:8000/ogc``.
    params : iterable of (name, value)
        The request's query parameters, kept in the ``self``/``next``/``prev`` links.

    Returns
    -------
    bytes
        ``{"type": "FeatureCollection", "numberMatched", "numberReturned", "timeStamp",
        "links", "features"}``.
    """
    matched, returned, features = ogc_store.features_page(
        session, collection.source, limit=query.limit, offset=query.offset, bbox=query.bbox,
        plan=collection.plan)
    href = f"{base}/collections/{collection.id}"
    links = page_links(f"{href}/items", params, query, matched=matched, returned=returned)
    links.append(link(href, "collection", JSON, collection.title))
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return f'{opening},"features":[{features}]}}'.encode()


def item(session: Session, collection: Collection, raw_id: str, *, base: str) -> bytes:
    """One feature of a collection as a GeoJSON Feature with its links (UTF-8 bytes).

    Raises
    ------
    FeatureNotFoundError
        When ``raw_id`` is not an integer id of a feature of this collection.
    """
    feature_id = parse_feature_id(raw_id, collection.id)
    text = ogc_store.feature(session, collection.source, feature_id, plan=collection.plan)
    if text is None:
        raise FeatureNotFoundError(f"no feature {feature_id} in {collection.id}",
                                   details={"collection": collection.id})
    href = f"{base}/collections/{collection.id}"
    links = [link(f"{href}/items/{feature_id}", "self", GEOJSON, "this feature"),
             link(href, "collection", JSON, collection.title)]
    return f'{text[:-1]},"links":{json.dumps(links, ensure_ascii=False)}}}'.encode()
