"""The collections gisgrid serves as OGC API Features, and which storage source feeds each.

Fixed collections: ``areas``, ``grids`` (the grids of every active plan), ``streets``,
``shops``, ``resources``, ``requests``. Every plan version also gets its own collection,
``plan-{id}`` (drafts and retired plans included): a collection per plan, rather than a
``?plan=`` parameter, because GDAL and QGIS list a server's collections as layers and
do not carry a vendor parameter from one request to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gisgrid.db import ogc_store
from gisgrid.errors import CollectionNotFoundError
from gisgrid.ogc.params import MAX_INT

_PLAN_ID = re.compile(r"plan-([1-9][0-9]{0,9})")
_STATUS_LABEL = {"draft": "草案", "active": "现行", "retired": "已废止"}


@dataclass(frozen=True)
class Collection:
    """One OGC collection: its id, titles, and the storage source (``plan`` for plan-N)."""

    id: str
    title: str
    description: str
    source: str
    plan: int | None = None


FIXED: tuple[Collection, ...] = (
    Collection("areas", "行政区划 Administrative areas",
               "District, subdistricts (街道/乡镇) and communities (社区/村): code, name, level, "
               "parent code, area in m².", "areas"),
    Collection("grids", "网格（现行方案） Grids of the active plans",
               "Grids (网格) of every plan in force: code, name, kind, community, area in m², "
               "households, residents and shops inside (by location), team size by role.",
               "active_grids"),
    Collection("streets", "街巷 Streets and lanes", "Street centre lines and lanes: name, kind.",
               "streets"),
    Collection("shops", "商户 Shops and firms",
               "Shops and firms (businesses, not persons): name, category, address, community.",
               "shops"),
    Collection("resources", "服务资源 Resources",
               "Venues, merchants, volunteer teams, party units, service centres: name, kind, "
               "community (free-text details are not published).", "resources"),
    Collection("requests", "居民诉求 Residents' requests",
               "Requests (诉求), public fields only: category, status, date reported, community. "
               "Never the reporter, the title or the description (free text may name people).",
               "requests"),
)
_BY_ID = {c.id: c for c in FIXED}


def _plan_collection(plan: dict) -> Collection:
    status = _STATUS_LABEL.get(plan["status"], plan["status"])
    return Collection(
        f"plan-{plan['id']}", f"网格方案 #{plan['id']} {plan['name']}（{status}）",
        f"Grids of plan version {plan['id']} ({plan['status']}) of {plan['scope_name']}, "
        "with the properties of the grids collection.", "plan_grids", plan["id"])


def list_collections(session: Session) -> list[Collection]:
    """Every collection: the fixed ones, then one per plan version (oldest first).

    Examples
    --------
    >>> [c.id for c in list_collections(session)]  # doctest: +SKIP
    ['areas', 'grids', 'streets', 'shops', 'resources', 'requests', 'plan-1']
    """
    return [*FIXED, *(_plan_collection(p) for p in ogc_store.plans(session))]


def resolve_collection(session: Session, collection_id: str) -> Collection:
    """The collection with this id.

    Raises
    ------
    CollectionNotFoundError
        For an id that is neither fixed nor ``plan-{id}`` of an existing plan.
    """
    if collection_id in _BY_ID:
        return _BY_ID[collection_id]
    match = _PLAN_ID.fullmatch(collection_id)
    if match and int(match.group(1)) <= MAX_INT:
        plan = ogc_store.plan(session, int(match.group(1)))
        if plan is not None:
            return _plan_collection(plan)
    raise CollectionNotFoundError(f"no collection {collection_id[:60]!r}; see /ogc/collections",
                                  details={"collection": collection_id[:60]})
