"""Redraw a draft plan (动态调整): fix the grids that broke their household bounds, moving few households.

When households change (a new estate on a vacant lot, demolitions), regenerating a
community from scratch moves households all over it to new grids and new grid
workers. :func:`redraw_draft` instead hands the stored grids to
:func:`gisgrid.planning.redraw.redraw_plan`, which keeps every grid still within the
bounds and moves whole street blocks between the broken grids and their neighbours.

How a stored plan becomes blocks, and the redraw becomes stored grids again:

- blocks are cut from the community's streets, as :func:`~gisgrid.plans.versions.generate_community`
  cuts them, and households counted per block;
- a block belongs to the residential grid it overlaps most (a block cut by a drawn
  split line counts wholly for its larger side); a block in no residential grid (a gap
  in the draft) stays out of the redraw;
- a moved block carries the part of its old grid it covers (block ∩ old grid) to its
  new grid, so the grids the redraw left alone keep their exact boundaries and the
  community stays tiled even where grids do not follow the blocks exactly; a grid the
  redraw empties gives whatever remains of it to the grid that took most of it;
- which grid is "the same grid" is the redraw's own answer (it keeps the ids of the grids
  it keeps, and a bisected grid's largest part keeps its id), so no overlap matching as in
  :func:`~gisgrid.plans.versions._inherit_uids` is needed: a grid that survives keeps its
  row, hence its uid, code and team, and the diff counts exactly the redraw's moves.

Overlays (business and special grids) are never touched. Teams stay with the grids that
survive; a removed grid's part-time workers join the grid that took most of it (as a
merge does); brand-new grids have no team until the community office names one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy.orm import Session

from gisgrid.blocks.polygonize import polygonize_blocks
from gisgrid.db import plan_store as store
from gisgrid.db.audit_store import record_event
from gisgrid.errors import InvalidInputError, NotFoundError
from gisgrid.planning.generate import check_bounds
from gisgrid.planning.redraw import Redraw, redraw_plan
from gisgrid.shapes import GRID_DEG, polygonal

__all__ = ["RedrawResult", "redraw_draft"]


@dataclass
class RedrawResult:
    """What a redraw found and proposed, and whether it was written (then the new version)."""

    plan_id: int
    version: int
    written: bool
    dry_run: bool
    bounds: tuple[int, int]
    communities: list[str]
    out_of_bounds: list[dict[str, Any]]
    grids: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=lambda: {"households": 0, "shops": 0, "blocks": 0})
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "version": self.version, "written": self.written,
                "dry_run": self.dry_run, "bounds": {"min": self.bounds[0], "max": self.bounds[1]},
                "communities": self.communities, "out_of_bounds": self.out_of_bounds,
                "proposal": {"grids": self.grids, "removed": self.removed,
                             "violations": self.violations},
                "moved": self.moved, "notes": self.notes}


@dataclass
class _Community:
    """One community's redraw, labelled by grid code (new grids: ``new-1``...)."""

    id: int
    code: str
    rows: dict[str, Any]                      # grid code -> stored residential grid
    redraw: Redraw
    shapes: dict[str, shapely.Geometry]       # changed or new grid -> its new boundary
    pieces: list[tuple[str, str, shapely.Geometry]]   # (from, to, area) that change grid
    receiver: dict[str, str]                  # removed grid -> the grid that took most of it
    changed: list[str]
    new: list[str]
    removed: list[str]
    rename: dict[str, str]                    # redraw_plan's labels of new grids -> ours

    def final(self, label: Hashable) -> str:
        """Our label for one of redraw_plan's (old grids keep their code)."""
        return self.rename.get(str(label), str(label))


def redraw_draft(session: Session, plan_id: int, *, expected_version: int,
                 communities: Sequence[str] | None = None, min_households: int | None = None,
                 max_households: int | None = None, dry_run: bool = False,
                 actor: str | None = None) -> RedrawResult:
    """Redraw a draft's broken grids from its current layout, moving the fewest households.

    Parameters
    ----------
    session : Session
        The caller's unit of work (it commits).
    plan_id : int
        A draft plan.
    expected_version : int
        The version the planner looked at; a stale one is refused, as for edits.
    communities : sequence of str, optional
        Community codes to redraw; default every community with a residential grid
        outside the bounds.
    min_households, max_households : int, optional
        The bounds; each defaults to the plan's (:func:`gisgrid.db.plan_store.plan_bounds`).
    dry_run : bool
        Propose only: the plan, its version, its grids and the audit trail stay as they are.
    actor : str, optional
        Who asked (recorded in the audit event).

    Returns
    -------
    RedrawResult
        ``written`` is false for a dry run and when nothing needs (or can) change.

    Raises
    ------
    NotFoundError
        No such plan, or an unknown community (or one without grids in the plan).
    PlanNotDraftError, StaleVersionError
        The plan is not a draft, or is no longer at ``expected_version``.
    InvalidInputError
        Bounds with min > max, or a code that is not a community.

    Examples
    --------
    >>> out = redraw_draft(session, 12, expected_version=3, dry_run=True)  # doctest: +SKIP
    >>> out.out_of_bounds[0]["bound"], out.moved["households"]  # doctest: +SKIP
    ('max', 356)
    """
    store.check_version(session, plan_id, expected=expected_version)
    lo0, hi0 = store.plan_bounds(session, plan_id)
    bounds = check_bounds((lo0 if min_households is None else min_households,
                           hi0 if max_households is None else max_households))
    chosen = _community_ids(session, communities)
    rows = store.residential_grids(session, plan_id, community_ids=chosen)
    _require_grids(plan_id, communities, chosen, rows)
    broken = [r for r in rows if not bounds[0] <= r.households <= bounds[1]]
    targets = chosen if chosen is not None else sorted({r.community_id for r in broken})
    out = RedrawResult(plan_id, expected_version, False, dry_run, bounds,
                       sorted({r.community_code for r in rows if r.community_id in targets}),
                       [_breach(r, bounds) for r in broken])
    if not broken:
        out.notes.append(f"nothing to redraw: every residential grid holds {bounds[0]}–{bounds[1]} "
                         "households")
        return out
    done = [_redraw_community(session, [r for r in rows if r.community_id == c], bounds)
            for c in targets if any(r.community_id == c for r in broken)]
    _number_new_grids(done)
    _describe(session, out, done)
    if not any(c.pieces or c.removed for c in done):
        out.notes.append("nothing changed: no move of whole blocks brings these grids within the "
                         "bounds (see violations)")
        return out
    if dry_run:
        out.notes.append("dry run: nothing was written")
        return out
    out.version = store.bump_version(session, plan_id, expected=expected_version)
    for comm in done:
        _write(session, plan_id, comm, out)
    out.written = True
    record_event(session, "redraw", "plan", plan_id, actor=actor, details={
        "version": out.version, "communities": out.communities, "bounds": list(bounds),
        "changed": [g["code"] for g in out.grids], "removed": [g["code"] for g in out.removed],
        "moved": out.moved})
    return out


def _community_ids(session: Session, codes: Sequence[str] | None) -> list[int] | None:
    if codes is None:
        return None
    ids: list[int] = []
    for code in dict.fromkeys(codes):  # a code sent twice is redrawn once
        area_id, level, _ = store.area_ids(session, code)
        if level != "community":
            raise InvalidInputError(f"{code} is a {level}, not a community")
        ids.append(area_id)
    return ids


def _require_grids(plan_id: int, codes: Sequence[str] | None, ids: list[int] | None,
                   rows: list[Any]) -> None:
    """A community named for the redraw must have residential grids in the plan."""
    have = {r.community_id for r in rows}
    missing = [c for c, i in zip(dict.fromkeys(codes or ()), ids or (), strict=True) if i not in have]
    if missing:
        raise NotFoundError(f"plan {plan_id} has no residential grid in community {missing[0]}",
                            details={"communities": missing})


def _breach(row: Any, bounds: tuple[int, int]) -> dict[str, Any]:
    low = row.households < bounds[0]
    return {"id": row.id, "code": row.code, "name": row.name, "community": row.community_code,
            "households": int(row.households), "bound": "min" if low else "max",
            "limit": bounds[0] if low else bounds[1]}


def _redraw_community(session: Session, rows: list[Any], bounds: tuple[int, int]) -> _Community:
    """Blocks of the community, each block's current grid, the redraw, and the new shapes."""
    community_id = rows[0].community_id
    inputs = store.community_inputs(session, community_id)
    blocks = {b.id: b.geometry for b in polygonize_blocks(inputs["boundary"], inputs["streets"]).blocks}
    old = {r.code: shapely.from_wkb(bytes(r.wkb)) for r in rows}
    current = _current_grids(blocks, old)
    inside = [b for bs in current.values() for b in bs]
    redraw = redraw_plan([(b, blocks[b]) for b in sorted(inside)], current,
                         households=inputs["households"], bounds=bounds, dissolve=False)
    comm = _Community(community_id, rows[0].community_code, {r.code: r for r in rows}, redraw, {}, [],
                      {}, [str(g) for g in redraw.changed_grids], [str(g) for g in redraw.new_grids],
                      [str(g) for g in redraw.removed_grids], {})
    _reshape(comm, blocks, old)
    return comm


def _current_grids(blocks: dict[int, shapely.Geometry],
                   old: dict[str, shapely.Geometry]) -> dict[str, list[int]]:
    """Grid code -> the blocks it overlaps most (grids holding no block are left out)."""
    codes = list(old)
    tree = shapely.STRtree([old[c] for c in codes])
    current: dict[str, list[int]] = {}
    for b, geom in blocks.items():
        hits = tree.query(geom, predicate="intersects")
        areas = [shapely.area(shapely.intersection(geom, old[codes[i]], grid_size=GRID_DEG)) for i in hits]
        if areas and max(areas) > 0:
            best = max(range(len(hits)), key=lambda k: (areas[k], -hits[k]))
            current.setdefault(codes[hits[best]], []).append(b)
    return current


def _reshape(comm: _Community, blocks: dict[int, shapely.Geometry], old: dict[str, shapely.Geometry]) -> None:
    """New boundaries: each moved block carries its part of its old grid to its new grid.

    Blocks and stored grids share their edges only up to floating-point noise, so cutting
    one by the other leaves hairline gaps that split a grid in two. Instead the edges of
    the touched grids and the moved blocks are noded together at :data:`GRID_DEG`
    (snap rounding, the precision of the coverage check) and cut into faces; each face
    goes to its new grid whole, so neighbouring faces always share identical edges.
    """
    moves = {m["block"]: (str(m["from"]), str(m["to"])) for m in comm.redraw.moved_blocks}
    taken: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in comm.redraw.moved_blocks:
        taken[str(m["from"])][str(m["to"])] += int(m["households"]) + 1  # + 1: empty blocks count
    comm.receiver = {g: max(taken[g], key=lambda d: (taken[g][d], d)) for g in comm.removed}
    touched = sorted({g for pair in moves.values() for g in pair if g in old})
    lines = [shapely.boundary(old[g]) for g in touched] + [shapely.boundary(blocks[b]) for b in moves]
    noded = shapely.union_all(lines, grid_size=GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    grid_tree = shapely.STRtree([old[g] for g in touched])
    moved_ids = list(moves)
    block_tree = shapely.STRtree([blocks[b] for b in moved_ids])
    parts: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for face, point in zip(faces, shapely.point_on_surface(faces), strict=True):
        inside = grid_tree.query(point, predicate="within")
        if not len(inside):
            continue  # a hole of the touched area: an untouched grid or a gap
        was = touched[inside[0]]
        now = next((moves[moved_ids[k]][1] for k in block_tree.query(point, predicate="within")
                    if moves[moved_ids[k]][0] == was), comm.receiver.get(was, was))
        parts[now].append(face)
        if now != was:
            comm.pieces.append((was, now, face))
    for g in comm.changed + comm.new:
        shape = polygonal(shapely.union_all(parts[g], grid_size=GRID_DEG))
        if shape is None or not shape.is_valid:
            raise InvalidInputError(f"the redraw of grid {g} gives no valid boundary: repair the "
                                    "draft's coverage first")
        comm.shapes[g] = shape


def _number_new_grids(done: list[_Community]) -> None:
    """New grids are ``new-1``, ``new-2``... across the whole answer (codes come when written)."""
    n = 0
    for comm in done:
        relabel = {}
        for label in comm.new:
            n += 1
            relabel[label] = f"new-{n}"
        comm.new = [relabel[g] for g in comm.new]
        comm.shapes = {relabel.get(g, g): s for g, s in comm.shapes.items()}
        comm.pieces = [(s, relabel.get(d, d), p) for s, d, p in comm.pieces]
        comm.receiver = {g: relabel.get(d, d) for g, d in comm.receiver.items()}
        comm.rename = relabel


def _describe(session: Session, out: RedrawResult, done: list[_Community]) -> None:
    """The proposal: changed and new grids with blocks, counts and GeoJSON; removed grids;
    what could not be fixed; households and shops that change grid."""
    for comm in done:
        blocks = {comm.final(g): b for g, b in comm.redraw.plan.groups().items()}
        for label in comm.changed + comm.new:
            row = comm.rows.get(label)
            households, shops = store.points_in(session, comm.shapes[label])
            out.grids.append({
                "label": label, "status": "changed" if row else "new", "id": row.id if row else None,
                "code": row.code if row else None, "name": row.name if row else None,
                "community": comm.code, "blocks": blocks[label],
                "households_before": int(row.households) if row else 0, "households": households,
                "shops": shops, "geometry": json.loads(shapely.to_geojson(
                    shapely.orient_polygons(comm.shapes[label])))})
        out.removed += [{"id": comm.rows[g].id, "code": g, "name": comm.rows[g].name,
                         "community": comm.code, "households_before": int(comm.rows[g].households),
                         "to": comm.receiver[g]} for g in comm.removed]
        out.violations += [{**v.to_dict(), "grid": comm.final(v.grid), "community": comm.code}
                           for v in comm.redraw.plan.violations]
    pieces = [p for comm in done for _, _, p in comm.pieces]
    households, shops = store.points_in(session, shapely.union_all(pieces, grid_size=GRID_DEG)) \
        if pieces else (0, 0)
    moved_blocks = sum(1 for comm in done for m in comm.redraw.moved_blocks
                       if comm.final(m["from"]) != comm.final(m["to"]))
    out.moved = {"households": households, "shops": shops, "blocks": moved_blocks}
    if any(g["status"] == "changed" for g in out.grids):
        out.notes.append("changed grids keep their code, uid and team")
    if any(g["status"] == "new" for g in out.grids):
        out.notes.append("new grids have no team yet: the community office names their 1+1+X team")
    for r in out.removed:
        out.notes.append(f"grid {r['code']} is removed; its part-time workers join grid {r['to']}")


def _write(session: Session, plan_id: int, comm: _Community, out: RedrawResult) -> None:
    """Store one community's redraw: reshape changed grids, add new ones, drop removed ones."""
    entries = {g["label"]: g for g in out.grids if g["community"] == comm.code}
    for code in comm.changed:
        store.set_boundary(session, comm.rows[code].id, comm.shapes[code])
    _, _, district = store.area_ids(session, comm.code)
    name = store.area_name(session, comm.id)
    ids = {code: comm.rows[code].id for code in comm.changed}
    for label in comm.new:
        seq = store.next_seq(session, plan_id, comm.id)
        if seq > 999:
            raise InvalidInputError(f"community {comm.code} has no grid number left (999 used)")
        entry = entries[label]
        entry["code"], entry["name"] = f"{comm.code}{seq:03d}", f"{name}第{seq}网格"
        entry["id"] = ids[label] = store.insert_grid(
            session, plan_id=plan_id, community_id=comm.id, district_code=district, code=entry["code"],
            seq=seq, name=entry["name"], kind="residential", boundary=comm.shapes[label])
    for g in comm.removed:
        store.relink_part_time(session, from_ids=[comm.rows[g].id], to_id=ids[comm.receiver[g]])
    store.delete_grids(session, [comm.rows[g].id for g in comm.removed])
