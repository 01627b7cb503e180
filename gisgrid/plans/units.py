"""The units a planner paints into grids: a plan's street blocks and, in shared blocks, building parcels.

街巷定界: grid edges follow streets, so the editor's brush paints *units* whose edges are
street centre lines or the lines between buildings, never a hand-drawn line. A
community's units are its street blocks, cut from its streets as planning cuts them
(:func:`gisgrid.blocks.polygonize.polygonize_blocks`, as
:func:`gisgrid.plans.versions.generate_community` does); a block holding two or more
buildings is cut further into one parcel per building (:mod:`gisgrid.plans.parcels`), so
one building can change grid when a block must be shared. Painting a whole block paints
all its parcels.

Each unit carries what the planner weighs: households and residents, shops and open
requests located in it (a point on a shared edge counts once, for the unit listed
first), its area and perimeter in metres (compactness of a grid follows from them and
the edges its units share), its neighbours along shared edges (a grid's contiguity),
and the street each shared edge runs along (splitting a grid "along a street" cuts
those edges). A unit belongs now to the residential grid of the plan it overlaps most,
as the redraw decides (:mod:`gisgrid.plans.redraw`).

Units depend only on a community's boundary, streets and buildings, not on the plan,
so they are cut once and kept (:data:`_CACHE`) under the fingerprint of those sources;
an editor that loaded units sends the fingerprint back when it saves, and a change of
streets in between is refused rather than misread (:mod:`gisgrid.plans.reassign`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from gisgrid.blocks.graph import block_graph
from gisgrid.blocks.polygonize import polygonize_blocks
from gisgrid.db import units_store as store
from gisgrid.plans.parcels import building_parcels
from gisgrid.shapes import GRID_DEG

__all__ = ["CommunityUnits", "PlanUnits", "community_units", "cut_units", "owners", "plan_units"]

#: A shared edge within this distance (degrees, about 1 m) of a street runs along it.
STREET_DEG = 1e-5
_CACHE_SIZE = 512
_CACHE: OrderedDict[tuple[int, str], CommunityUnits] = OrderedDict()
_CACHE_LOCK = threading.Lock()


@dataclass
class CommunityUnits:
    """One community's units, indexed 0..n-1 (blocks in reading order, parcels by building).

    ``pairs`` holds index pairs ``(i, j)``, ``i < j``, of units sharing at least 1 m of
    edge; ``shared_m`` the length, ``street`` the name of the street the edge runs along
    (None between the parcels of one block), ``edges`` the shared line itself.
    """

    code: str
    digest: str
    ids: list[str]
    geometry: np.ndarray
    block: np.ndarray
    building: list[int | None]
    area_m2: np.ndarray
    perimeter_m: np.ndarray
    pairs: np.ndarray
    shared_m: np.ndarray
    street: list[str | None]
    edges: np.ndarray


def cut_units(code: str, sources: dict[str, Any]) -> CommunityUnits:
    """Cut a community into units (see the module docstring).

    Parameters
    ----------
    code : str
        The community's code (unit ids are ``{code}-{block}`` and ``{code}-{block}-{building}``).
    sources : dict
        ``boundary``, ``streets``, ``street_names``, ``buildings``, ``building_ids`` and
        ``digest``, as :func:`gisgrid.db.units_store.community_sources` reads them.

    Returns
    -------
    CommunityUnits

    Examples
    --------
    >>> from shapely import LineString, box
    >>> units = cut_units("610802001001", {
    ...     "boundary": box(109.73, 38.28, 109.732, 38.281), "digest": "x",
    ...     "streets": [LineString([(109.731, 38.27), (109.731, 38.29)])], "street_names": ["中街"],
    ...     "buildings": [], "building_ids": []})
    >>> units.ids, units.street
    (['610802001001-1', '610802001001-2'], ['中街'])
    """
    blocks = [b.geometry for b in polygonize_blocks(sources["boundary"], sources["streets"]).blocks]
    in_block = _buildings_by_block(blocks, sources["buildings"])
    ids, geoms, block_of, building_of = [], [], [], []
    for b, geom in enumerate(blocks, start=1):
        inside = in_block.get(b - 1, [])
        pieces = building_parcels(geom, [sources["buildings"][i] for i in inside]) if len(inside) > 1 else []
        if pieces and all(not p.is_empty for p in pieces):
            for i, piece in zip(inside, pieces, strict=True):
                bid = sources["building_ids"][i]
                ids.append(f"{code}-{b}-{bid}")
                geoms.append(piece)
                block_of.append(b)
                building_of.append(bid)
        else:
            ids.append(f"{code}-{b}")
            geoms.append(geom)
            block_of.append(b)
            building_of.append(None)
    return _with_graph(code, sources, ids, geoms, block_of, building_of)


def _buildings_by_block(blocks: list[shapely.Geometry],
                        footprints: list[shapely.Geometry]) -> dict[int, list[int]]:
    """Block index -> indices of the buildings whose inner point lies in it (in input order)."""
    if not footprints or not blocks:
        return {}
    hits = shapely.STRtree(blocks).query(shapely.point_on_surface(footprints), predicate="within")
    out: dict[int, list[int]] = {}
    for f, b in sorted(zip(hits[0].tolist(), hits[1].tolist(), strict=True)):
        out.setdefault(b, []).append(f)
    return out


def _with_graph(code: str, sources: dict[str, Any], ids: list[str], geoms: list[shapely.Geometry],
                block_of: list[int], building_of: list[int | None]) -> CommunityUnits:
    """Areas, perimeters and shared edges of the units (via the block graph), in unit order."""
    geometry = np.empty(len(geoms), dtype=object)
    geometry[:] = geoms
    # Integer ids 0..n-1 keep the graph's order the units' order.
    graph = block_graph(list(zip(range(len(ids)), geometry, strict=True)), counts={})
    shared = {(min(i, j), max(i, j)): m for i in range(len(ids)) for j, m in graph.nbrs[i].items()}
    pairs = sorted((i, j, m) for (i, j), m in shared.items())
    index = np.array([(i, j) for i, j, _ in pairs], dtype=np.int64).reshape(-1, 2)
    rings = shapely.boundary(geometry)
    edges = shapely.intersection(rings[index[:, 0]], rings[index[:, 1]], grid_size=GRID_DEG)
    blocks = np.asarray(block_of)
    return CommunityUnits(
        code=code, digest=str(sources["digest"]), ids=ids, geometry=geometry, block=blocks,
        building=building_of, area_m2=graph.area, perimeter_m=graph.perimeter,
        pairs=index, shared_m=np.array([m for _, _, m in pairs]),
        street=_streets_along(edges, blocks[index[:, 0]] != blocks[index[:, 1]], sources), edges=edges)


def _streets_along(edges: np.ndarray, between_blocks: np.ndarray,
                   sources: dict[str, Any]) -> list[str | None]:
    """The name of the street each shared edge runs along (nearest to its midpoint, within ~1 m)."""
    out: list[str | None] = [None] * len(edges)
    streets = np.empty(len(sources["streets"]), dtype=object)
    streets[:] = sources["streets"]
    if not len(streets) or not between_blocks.any():
        return out
    which = np.flatnonzero(between_blocks)
    middle = shapely.line_interpolate_point(shapely.line_merge(edges[which]), 0.5, normalized=True)
    found, near = shapely.STRtree(streets).query_nearest(middle, max_distance=STREET_DEG, all_matches=False)
    for k, s in zip(found.tolist(), near.tolist(), strict=True):
        out[int(which[k])] = sources["street_names"][s]
    return out


def community_units(session: Session, community_id: int, code: str,
                    digest: str | None = None) -> CommunityUnits:
    """A community's units, cut once per version of its streets and buildings (cached).

    ``digest`` is the sources' fingerprint when the caller read it already
    (:func:`gisgrid.db.units_store.community_digests`); a cached cut under it is used as is.
    """
    if digest is None:
        digest = store.community_digests(session, [community_id])[community_id]
    key = (community_id, str(digest))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    sources = store.community_sources(session, community_id)
    units = cut_units(code, sources)
    with _CACHE_LOCK:
        _CACHE[(community_id, units.digest)] = units
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return units


def owners(units: np.ndarray, grids: np.ndarray) -> np.ndarray:
    """Index of the grid each unit overlaps most (-1 for none; ties to the lower index).

    A unit whose inner point lies in a grid holding at least half of it belongs to that
    grid (no other can hold more): one overlay per unit; the others compare every grid
    they meet.

    Examples
    --------
    >>> from shapely import box
    >>> owners(np.array([box(0, 0, 1, 1), box(5, 5, 6, 6)]),
    ...        np.array([box(-1, -1, 0.3, 2), box(0.3, -1, 2, 2)])).tolist()
    [1, -1]
    """
    out = np.full(len(units), -1)
    if not len(units) or not len(grids):
        return out
    tree = shapely.STRtree(grids)
    u, g = tree.query(shapely.point_on_surface(units), predicate="within")
    first = np.unique(u, return_index=True)[1]
    u, g = u[first], g[first]
    half = shapely.area(shapely.intersection(units[u], grids[g])) >= 0.5 * shapely.area(units[u])
    out[u[half]] = g[half]
    rest = np.setdiff1d(np.arange(len(units)), u[half])
    if not len(rest):
        return out
    u, g = tree.query(units[rest], predicate="intersects")
    u = rest[u]
    area = shapely.area(shapely.intersection(units[u], grids[g]))
    best = np.full(len(units), 0.0)
    for k in np.lexsort((-g, area)).tolist():  # ascending area, higher index first: last write wins
        if area[k] > 0 and area[k] >= best[u[k]]:
            best[u[k]], out[u[k]] = area[k], g[k]
    return out


def point_owners(units: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index of the unit holding each point (-1 for none; a point on a shared edge counts
    for the unit listed first)."""
    out = np.full(len(xy), -1)
    if not len(xy) or not len(units):
        return out
    p, u = shapely.STRtree(units).query(shapely.points(xy), predicate="intersects")
    for k in np.lexsort((-u, p)).tolist():
        out[p[k]] = u[k]
    return out


@dataclass
class PlanUnits:
    """A plan's units, community by community, with counts and current grids.

    ``grid`` and ``parent_grid`` hold grid ids of this plan (-1: none); ``parent_grid``
    is the grid of this plan that carries the uid of the grid the unit belonged to in
    the parent plan (-1 when that grid is gone or there is no parent).
    """

    plan_id: int
    communities: list[CommunityUnits]
    names: dict[str, str]
    counts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    grid: list[np.ndarray] = field(default_factory=list)
    parent_grid: list[np.ndarray] = field(default_factory=list)


def plan_units(session: Session, plan_id: int, *, parent_id: int | None = None,
               only: set[str] | None = None) -> PlanUnits:
    """The units of a plan's communities, their counts and the grid each belongs to.

    Parameters
    ----------
    session : Session
    plan_id : int
    parent_id : int, optional
        The plan the draft was made from: fills ``parent_grid`` (for the diff map).
    only : set of str, optional
        Community codes to read (default: every community with a residential grid).

    Returns
    -------
    PlanUnits

    Examples
    --------
    >>> units = plan_units(session, 12, parent_id=1)  # doctest: +SKIP
    >>> units.communities[0].ids[:2], units.counts["households"][0][:2]  # doctest: +SKIP
    (['610802001001-1-369', '610802001001-1-370'], array([20, 40]))
    """
    rows = [r for r in store.plan_communities(session, plan_id) if only is None or r.code in only]
    ids = [r.id for r in rows]
    digests = store.community_digests(session, ids)
    points = store.community_points(session, ids)
    grids = _by_community(store.residential_shapes(session, plan_id))
    before = _by_community(store.residential_shapes(session, parent_id)) if parent_id is not None else None
    out = PlanUnits(plan_id, [], {r.code: r.name for r in rows},
                    {k: [] for k in ("households", "residents", "shops", "requests")})
    for r in rows:
        units = community_units(session, r.id, r.code, digests[r.id])
        out.communities.append(units)
        for source, keys in (("households", ("households", "residents")), ("shops", ("shops",)),
                             ("requests", ("requests",))):
            table = points[r.id][source]
            where = point_owners(units.geometry, table[:, :2])
            inside = where >= 0
            for key in keys:  # residents: households weighted by their size
                weights = table[inside, 2] if key == "residents" else None
                out.counts[key].append(np.bincount(where[inside], weights=weights,
                                                   minlength=len(units.ids)).astype(int))
        mine = grids.get(r.id, [])
        ids_now = np.array([g.id for g in mine] + [-1])
        out.grid.append(ids_now[owners(units.geometry, _shapes(mine))])
        out.parent_grid.append(_parent_grids(units, mine, None if before is None else before.get(r.id, [])))
    return out


def _by_community(rows: list[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for r in rows:
        out.setdefault(r.community_id, []).append(r)
    return out


def _shapes(rows: list[Any]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = [shapely.from_wkb(bytes(r.wkb)) for r in rows]
    return out


def _parent_grids(units: CommunityUnits, grids: list[Any], before: list[Any] | None) -> np.ndarray:
    """Per unit, the grid of this plan carrying the uid of its grid in the parent plan."""
    if before is None:
        return np.full(len(units.ids), -1)
    by_uid = {g.uid: g.id for g in grids}
    ids = np.array([by_uid.get(g.uid, -1) for g in before] + [-1])
    return ids[owners(units.geometry, _shapes(before))]
