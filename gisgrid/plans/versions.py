"""Plan versions and planners' edits: drafts, split/merge/move/replace, renumbering, diffs.

A planner never edits the plan in force. They make a **draft** (a copy of the active
plan, an uploaded FeatureCollection, or a copy with one community regenerated from its
streets and households), edit it, and activate it once its coverage check passes
(:func:`gisgrid.plans.activation.activate_plan`). Each edit names the plan ``version`` it was made
on; an edit on a stale version is refused (409) and changes nothing, so two planners
never overwrite each other. Every edit answers with the household and shop counts of
the grids it touched, and is recorded as an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from gisgrid.blocks.polygonize import polygonize_blocks
from gisgrid.db import plan_store as store
from gisgrid.db import team_store
from gisgrid.db.audit_store import record_event
from gisgrid.errors import InvalidGeometryError, InvalidInputError, NotFoundError
from gisgrid.planning.codes import assign_codes
from gisgrid.planning.generate import plan_grids
from gisgrid.plans.reassign import reassign_units
from gisgrid.plans.reshape import reshape_grids
from gisgrid.plans.snapping import SNAP_DEG, snap_to_vertices
from gisgrid.plans.teams import Team, set_team
from gisgrid.rules import DEFAULT_HOUSEHOLD_BOUNDS, fill_household_bounds

EDIT_OPS = ("split", "merge", "move", "replace", "renumber", "reassign", "team")


@dataclass
class EditResult:
    """What an edit did: the plan's new version and the touched grids' counts."""

    plan_id: int
    version: int
    op: str
    grids: list[dict[str, Any]]
    removed: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # reassign: new grid label -> id

    def to_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "version": self.version, "op": self.op,
                "grids": self.grids, "removed": self.removed, "notes": self.notes,
                "created": self.created}


def copy_to_draft(session: Session, source_id: int, *, name: str, author: str | None = None,
                  note: str | None = None, effective_from: dt.date | None = None,
                  household_bounds: tuple[int | None, int | None] | None = None) -> int:
    """A new draft plan, child of ``source_id``, with a copy of its grids; return its id.

    The one way a draft is made from another plan (a copy of the active plan, a repaired
    plan): every grid keeps its ``uid``, so a diff against the source counts only
    households that really change grid, and its team comes along
    (:func:`gisgrid.db.plan_store.copy_grids`); the household bounds are the source's
    unless given (a value left None keeps the source's).

    Raises
    ------
    NotFoundError
        No such source plan.
    InvalidInputError
        Bounds out of order (:func:`gisgrid.rules.check_household_bounds`).
    """
    source = store.plan_header(session, source_id)
    bounds = fill_household_bounds(household_bounds, (source.household_min, source.household_max))
    draft = store.insert_plan(session, scope_id=source.scope_id, district_code=source.district_code,
                              name=name, parent_id=source.id, author=author, note=note,
                              effective_from=effective_from, household_bounds=bounds)
    store.copy_grids(session, source=source_id, target=draft)
    return draft


def create_draft(session: Session, *, scope: str, name: str, source: str = "copy_active",
                 grids: list[dict[str, Any]] | None = None, author: str | None = None,
                 note: str | None = None, effective_from: dt.date | None = None,
                 household_bounds: tuple[int | None, int | None] | None = None,
                 actor: str | None = None) -> int:
    """Make a draft plan of a scope area; return its id.

    ``source`` is ``copy_active`` (the scope's active plan, teams included:
    :func:`copy_to_draft`) or ``upload`` (``grids``: dicts with ``geometry`` (shapely,
    lon/lat), ``community`` code, optional ``name``, ``kind``, ``code``; missing codes
    are numbered). ``household_bounds`` (min, max) are the draft's grid sizes; by
    default (or for a value left None) those of the scope's active plan, else
    :data:`gisgrid.rules.DEFAULT_HOUSEHOLD_BOUNDS`. ``actor`` (who makes it, for the
    audit trail) defaults to ``author``.
    """
    if source not in ("copy_active", "upload"):
        raise InvalidInputError(f"unknown source {source!r}: copy_active or upload")
    scope_id, _level, district = store.area_ids(session, scope)
    active = store.active_plan_id(session, scope_id=scope_id)
    if source == "copy_active":
        if active is None:
            raise NotFoundError(f"area {scope} has no active plan to copy")
        plan_id = copy_to_draft(session, active, name=name, author=author, note=note,
                                effective_from=effective_from, household_bounds=household_bounds)
    else:
        inherited = store.plan_bounds(session, active) if active is not None else DEFAULT_HOUSEHOLD_BOUNDS
        plan_id = store.insert_plan(session, scope_id=scope_id, district_code=district, name=name,
                                    parent_id=active, author=author, note=note,
                                    effective_from=effective_from,
                                    household_bounds=fill_household_bounds(household_bounds, inherited))
        _insert_uploaded(session, plan_id, district, grids or [], reference=[active] if active else [])
    record_event(session, "create_draft", "plan", plan_id, actor=actor or author,
                 details={"source": source, "parent": active, "after": {"status": "draft", "version": 1}})
    return plan_id


def _insert_uploaded(session: Session, plan_id: int, district: str, grids: list[dict[str, Any]], *,
                     reference: list[int]) -> None:
    """Store uploaded grids; a vertex within SNAP_DEG of one of the active plan's or of a
    community's is put back on it, so grids exported by gisgrid (rounded) come back exact."""
    if not grids:
        raise InvalidInputError("an uploaded plan needs at least one grid")
    stored = store.plan_vertices(session, reference, district)
    near = shapely.STRtree(shapely.points(stored)) if len(stored) else None
    touched: set[int] = set()
    for i, g in enumerate(grids):
        geom = _valid_polygonal(g["geometry"], f"grids[{i}]")
        if near is not None:
            close = near.query(shapely.buffer(shapely.envelope(geom), SNAP_DEG))
            geom = snap_to_vertices(geom, shapely.multipoints(stored[close]) if len(close) else None)
        community_id, level, _ = store.area_ids(session, str(g.get("community") or ""))
        if level != "community":
            raise InvalidInputError(f"grids[{i}]: {g.get('community')} is a {level}, not a community")
        seq = store.next_seq(session, plan_id, community_id)
        code = str(g.get("code") or f"7{i:014d}")  # a placeholder until renumbered below
        store.insert_grid(session, plan_id=plan_id, community_id=community_id, district_code=district,
                          code=code, seq=seq, name=str(g.get("name") or f"网格{seq}"),
                          kind=str(g.get("kind") or "residential"), boundary=geom)
        if not g.get("code"):
            touched.add(community_id)
    for community_id in sorted(touched):
        renumber(session, plan_id, community_id=community_id)


def _valid_polygonal(geom: Any, where: str) -> shapely.Geometry:
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon) or geom.is_empty:
        raise InvalidGeometryError(f"{where}: a grid must be a non-empty Polygon or MultiPolygon")
    if not geom.is_valid:
        raise InvalidGeometryError(f"{where}: invalid geometry: {shapely.is_valid_reason(geom)}")
    return geom


def _inherit_uids(old_rows: list[Any], new_geoms: list[Any]) -> list[Any]:
    """Each new grid takes the uid of the old grid it overlaps most (each old uid once).

    Greedy by overlap area, largest first: a regenerated grid that is mostly an old
    grid stays "the same grid", so diffs count households that really change grid.
    """
    olds = [(r.uid, shapely.from_wkb(bytes(r.wkb))) for r in old_rows]
    pairs = sorted(((shapely.area(shapely.intersection(g, o)), -i, -j)
                    for i, g in enumerate(new_geoms) for j, (_, o) in enumerate(olds)
                    if shapely.intersects(g, o)), reverse=True)
    out: list[Any] = [None] * len(new_geoms)
    taken: set[int] = set()
    for area, ni, nj in pairs:
        i, j = -ni, -nj
        if area > 0 and out[i] is None and j not in taken:
            out[i] = str(olds[j][0])
            taken.add(j)
    return out


def renumber(session: Session, plan_id: int, *, community_id: int, rename: bool = False) -> None:
    """Recompute one community's codes (north→south, west→east); grids keep their uid.

    With ``rename``, names follow the new numbers ("学院社区第7网格")."""
    rows = [r for r in store.plan_grid_shapes(session, plan_id, community_id=community_id)
            if r.kind == "residential"]
    if not rows:
        return
    county, sub, comm = store.community_codes(session, community_id)
    codes = assign_codes({r.id: shapely.from_wkb(bytes(r.wkb)) for r in rows},
                         county=county, subdistrict=sub, community=comm)
    # Two passes: codes are unique per plan, so park them first, then set them.
    for r in rows:
        store.update_code(session, r.id, code=f"9{r.id:014d}"[-15:], seq=r.seq, name=None)
    label = store.area_name(session, community_id) if rename else None
    for gid, code in codes.items():
        seq = int(code[-3:])
        store.update_code(session, gid, code=code, seq=seq, name=f"{label}第{seq}网格" if label else None)


def generate_community(session: Session, plan_id: int, *, community: str, expected_version: int,
                       bounds: tuple[int | None, int | None] | None = None,
                       actor: str | None = None) -> dict[str, Any]:
    """Replace a draft's residential grids in one community by grids planned from its streets.

    Blocks come from the community's streets (:func:`gisgrid.blocks.polygonize.polygonize_blocks`),
    grids from :func:`gisgrid.planning.generate.plan_grids` within the plan's stored household
    bounds (``bounds`` overrides them, a value left None keeping the plan's); overlay
    grids are kept. Each new grid takes the ``uid`` of the old grid it overlaps most, so
    a diff against the draft's parent counts the households that really change grid.
    Returns the planning summary and violations. New grids have no team yet (staff are
    assigned by the community office).
    """
    bounds = fill_household_bounds(bounds, store.plan_bounds(session, plan_id))
    version = store.bump_version(session, plan_id, expected=expected_version)
    community_id, level, district = store.area_ids(session, community)
    if level != "community":
        raise InvalidInputError(f"{community} is a {level}, not a community")
    inputs = store.community_inputs(session, community_id)
    blockset = polygonize_blocks(inputs["boundary"], inputs["streets"])
    blocks = [(b.id, b.geometry) for b in blockset.blocks]
    proposal = plan_grids(blocks, households=inputs["households"], bounds=bounds)
    old_rows = [r for r in store.plan_grid_shapes(session, plan_id, community_id=community_id)
                if r.kind == "residential"]
    old = [r.id for r in old_rows]
    uids = _inherit_uids(old_rows, [g.geometry for g in proposal.grids])
    store.delete_grids(session, old)
    new_ids = []
    for i, g in enumerate(proposal.grids, start=1):
        new_ids.append(store.insert_grid(
            session, plan_id=plan_id, community_id=community_id, district_code=district,
            code=f"8{i:014d}", seq=i, name=f"网格{i}", kind="residential",
            boundary=g.geometry, uid=uids[i - 1]))
    renumber(session, plan_id, community_id=community_id, rename=True)
    record_event(session, "generate", "plan", plan_id, actor=actor,
                 details={"community": community, "grids": len(new_ids), "removed": old,
                          "version": {"before": expected_version, "after": version}})
    out = proposal.to_dict()
    out.pop("grids")
    return {"plan_id": plan_id, "version": version, "removed": old,
            "grids": store.grid_counts(session, new_ids), **out}


def apply_edit(session: Session, plan_id: int, op: str, *, expected_version: int,
               actor: str | None = None, **args: Any) -> EditResult:
    """Apply one edit to a draft plan (see :data:`EDIT_OPS`), checking the version first."""
    if op not in EDIT_OPS:
        raise InvalidInputError(f"unknown edit {op!r}: one of {', '.join(EDIT_OPS)}")
    version = store.bump_version(session, plan_id, expected=expected_version)
    result = _EDITS[op](session, plan_id, **args)
    result.version = version
    record_event(session, f"edit_{op}", "plan", plan_id, actor=actor,
                 details={"version": {"before": expected_version, "after": version},
                          "grids": [g["id"] for g in result.grids], "removed": result.removed})
    return result


def _split(session: Session, plan_id: int, *, grid: int, line: Any = None,
           street: str | None = None) -> EditResult:
    (row,) = store.grid_rows(session, plan_id, [grid])
    if (line is None) == (street is None):
        raise InvalidInputError("split needs exactly one of 'line' (a drawn LineString) or 'street'")
    blade = store.street_geometry(session, street) if street else line
    if not isinstance(blade, shapely.LineString | shapely.MultiLineString):
        raise InvalidGeometryError("the split line must be a LineString or MultiLineString")
    shape = shapely.from_wkb(bytes(row.wkb))
    # Node the whole blade with the boundary (not blade ∩ grid: its ends would sit a
    # rounding error off the boundary and never node), polygonize, keep faces inside.
    linework = shapely.union_all([shape.boundary, *shapely.get_parts(blade)])
    pieces = [p for p in shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
              if shapely.within(shapely.point_on_surface(p), shape)]
    pieces = sorted(pieces, key=lambda p: -p.area)
    if len(pieces) < 2:
        raise InvalidGeometryError(f"the line does not cut grid {grid} in two: it must cross it "
                                   "from edge to edge")
    store.set_boundary(session, grid, pieces[0])  # the grid keeps its largest part and its uid
    ids = [grid]
    for piece in pieces[1:]:
        seq = store.next_seq(session, plan_id, row.community_id)
        ids.append(store.insert_grid(
            session, plan_id=plan_id, community_id=row.community_id, district_code=row.code[:6],
            code=f"{row.code[:12]}{seq:03d}", seq=seq, name=f"{row.name}（分）", kind=row.kind,
            boundary=piece))
    return EditResult(plan_id, 0, "split", store.grid_counts(session, ids),
                      notes=["new grids have no team yet"])


def _merge(session: Session, plan_id: int, *, grids: list[int]) -> EditResult:
    if len(grids) < 2:
        raise InvalidInputError("merge needs at least two grids")
    rows = store.grid_rows(session, plan_id, grids)
    if len({(r.community_id, r.kind) for r in rows}) > 1:
        raise InvalidInputError("only grids of the same community and kind can be merged")
    merged = shapely.union_all([shapely.from_wkb(bytes(r.wkb)) for r in rows])
    if shapely.get_num_geometries(merged) > 1:
        raise InvalidGeometryError("these grids do not share an edge: merging them would make a "
                                   "grid in several pieces")
    keep, others = grids[0], [g for g in grids[1:]]
    store.relink_part_time(session, from_ids=others, to_id=keep)
    store.delete_grids(session, others)
    store.set_boundary(session, keep, merged)
    return EditResult(plan_id, 0, "merge", store.grid_counts(session, [keep]), removed=others)


def _move(session: Session, plan_id: int, *, from_grid: int, to_grid: int, area: Any) -> EditResult:
    src, dst = (store.grid_rows(session, plan_id, [g])[0] for g in (from_grid, to_grid))
    area = _valid_polygonal(area, "area")
    a, b = shapely.from_wkb(bytes(src.wkb)), shapely.from_wkb(bytes(dst.wkb))
    # A block cut from served (rounded) streets lies a hair off the stored edges: put it
    # on them, then let the faces of the noded edges decide (gisgrid.plans.reshape).
    corners = shapely.multipoints(np.concatenate([shapely.get_coordinates(g) for g in (a, b)]))
    area = snap_to_vertices(area, corners)
    out = reshape_grids({from_grid: a, to_grid: b}, [(area, from_grid, to_grid)])
    if not out.moved:
        raise InvalidGeometryError(f"the area does not overlap grid {from_grid}")
    if from_grid in out.removed:
        raise InvalidInputError(f"the move would empty grid {from_grid}: merge the grids instead")
    if shapely.get_num_geometries(out.shapes[to_grid]) > 1:
        raise InvalidGeometryError(f"the moved area does not touch grid {to_grid} along an edge")
    store.set_boundary(session, from_grid, out.shapes[from_grid])
    store.set_boundary(session, to_grid, out.shapes[to_grid])
    return EditResult(plan_id, 0, "move", store.grid_counts(session, [from_grid, to_grid]))


def _replace(session: Session, plan_id: int, *, grid: int, boundary: Any) -> EditResult:
    store.grid_rows(session, plan_id, [grid])
    boundary = _valid_polygonal(boundary, "boundary")
    # Served boundaries are rounded (7 decimals): a shape sent back unchanged is put back
    # on the vertices it came from, so the round trip opens no gap (gisgrid.plans.snapping).
    near = store.vertices_near(session, [plan_id], boundary, within_deg=SNAP_DEG)
    store.set_boundary(session, grid, snap_to_vertices(boundary, near))
    return EditResult(plan_id, 0, "replace", store.grid_counts(session, [grid]),
                      notes=["run the coverage check: a new boundary may open gaps or overlaps"])


def _renumber(session: Session, plan_id: int, *, community: str) -> EditResult:
    community_id, _, _ = store.area_ids(session, community)
    renumber(session, plan_id, community_id=community_id)
    ids = [r.id for r in store.plan_grid_shapes(session, plan_id, community_id=community_id)]
    return EditResult(plan_id, 0, "renumber", store.grid_counts(session, ids))


def _reassign(session: Session, plan_id: int, *, assignment: list[dict[str, Any]],
              digests: dict[str, str] | None = None, teams: list[dict[str, Any]] | None = None) -> EditResult:
    """The editor's save: units to grids, boundaries rebuilt from them (gisgrid.plans.reassign)."""
    done = reassign_units(session, plan_id, assignment=assignment, digests=digests, teams=teams)
    return EditResult(plan_id, 0, "reassign", store.grid_counts(session, done.grids), removed=done.removed,
                      notes=done.notes, created=done.created)


def _team(session: Session, plan_id: int, *, grid: int, team: dict[str, Any]) -> EditResult:
    """Name a grid's whole 1+1+X team (gisgrid.plans.teams)."""
    set_team(session, plan_id, grid, Team.from_dict(team))
    return EditResult(plan_id, 0, "team", store.grid_counts(session, [grid]))


_EDITS = {"split": _split, "merge": _merge, "move": _move, "replace": _replace,
          "renumber": _renumber, "reassign": _reassign, "team": _team}


def diff_plans(session: Session, before: int, after: int) -> dict[str, Any]:
    """Which households, shops and open requests move from which grid to which between two
    plans, and which team places (staff) change grid."""
    out: dict[str, Any] = {"before": before, "after": after}
    for table, key in (("household", "households"), ("shop", "shops"), ("request", "requests")):
        moves = store.household_moves(session, before=before, after=after, table=table)
        out[key] = {"moved": sum(m["n"] for m in moves), "moves": moves}
    staff = team_store.staff_moves(session, before=before, after=after)
    out["staff"] = {"moved": sum(m["n"] for m in staff), "moves": staff}
    return out
