"""The editor's save: units given to grids, grid boundaries rebuilt from the units on the server.

The editor never sends coordinates. It sends, for every grid it touched, the full list
of units (:mod:`gisgrid.plans.units`) that grid now holds, plus the new grids it made
(labels ``new-1``, ``new-2``...) and the teams it named. The server cuts the same units
again, checks the assignment is whole (every unit of a named grid is given a grid, no
unit is taken from a grid not named, none is given twice), and moves each unit that
changed grid with :func:`gisgrid.plans.reshape.reshape_grids`: so boundaries come from
the units and their faces, never from client-rounded coordinates, and cannot open a gap
or an overlap. A grid left with no unit is removed; its part-time workers join the grid
that took most of its land (as a merge does). The whole save is one edit, one version.

Units are recognised by id and by the fingerprint of the streets and buildings they
were cut from: a save made on units cut before a street changed is refused
(:class:`~gisgrid.errors.UnitsChangedError`) and nothing is written.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from gisgrid.db import plan_store, units_store
from gisgrid.errors import InvalidInputError, NotFoundError, UnitsChangedError
from gisgrid.plans.reshape import reshape_grids
from gisgrid.plans.teams import Team, set_team
from gisgrid.plans.units import CommunityUnits, community_units, owners

__all__ = ["MAX_ENTRIES", "MAX_UNITS", "Reassigned", "reassign_units"]

MAX_ENTRIES = 1_000
MAX_UNITS = 200_000
_NEW = re.compile(r"^new-[1-9][0-9]{0,5}$")


@dataclass
class Reassigned:
    """What a save did: grids kept or made (ids), grids removed, new labels -> ids, notes."""

    grids: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Community:
    id: int
    code: str
    name: str
    district: str
    units: CommunityUnits
    now: dict[int, int]                           # unit index -> current grid id
    old: dict[int, shapely.Geometry] = field(default_factory=dict)


def reassign_units(session: Session, plan_id: int, *, assignment: list[dict[str, Any]],
                   digests: dict[str, str] | None = None, teams: list[dict[str, Any]] | None = None,
                   ) -> Reassigned:
    """Give units to grids of a draft and rebuild the touched grids from them (one edit).

    Parameters
    ----------
    session : Session
        The caller's transaction (the version was claimed by the caller).
    plan_id : int
        A draft plan.
    assignment : list of dict
        ``{"grid": id or "new-N", "units": [unit ids], "name"?: str}`` per touched grid.
    digests : dict, optional
        Community code -> units fingerprint the editor loaded (required for every
        community whose units are named).
    teams : list of dict, optional
        ``{"grid": id or "new-N", "leader", "full_time", "part_time"}``: teams to set.

    Raises
    ------
    InvalidInputError
        A malformed, incomplete or contradictory assignment (the message says which).
    NotFoundError
        A grid id the plan does not have.
    UnitsChangedError
        Streets or buildings changed since the editor loaded the units.

    Examples
    --------
    >>> done = reassign_units(session, 12, digests={"610802001001": "3f2a..."}, assignment=[
    ...     {"grid": 4114, "units": ["610802001001-2", "610802001001-3"]},
    ...     {"grid": "new-1", "units": ["610802001001-1-369"], "name": "才智新网格"}])  # doctest: +SKIP
    >>> done.created  # doctest: +SKIP
    {'new-1': 4460}
    """
    entries = _entries(assignment)
    _check_teams_shape(teams)
    if not entries and not teams:
        raise InvalidInputError("nothing to save: the assignment names no grid and no team is given")
    comms = _communities(session, plan_id, entries, digests or {})
    grid_of = _new_assignment(entries, comms)
    out = Reassigned()
    for comm in comms.values():
        _apply(session, plan_id, comm, grid_of, entries, out)
    for spec in teams or []:
        key = spec["grid"]
        gid = out.created.get(key) if isinstance(key, str) else key
        if gid is None:
            raise InvalidInputError(f"teams: {key} names no grid of this save")
        set_team(session, plan_id, gid, Team.from_dict({k: v for k, v in spec.items() if k != "grid"},
                                                       f"teams[{key}]"))
        if gid not in out.grids:
            out.grids.append(gid)
    unnamed = [label for label in out.created if label not in {t["grid"] for t in teams or []}]
    if unnamed:
        out.notes.append(f"new grids without a team yet: {', '.join(unnamed)}")
    return out


def _entries(assignment: Any) -> dict[int | str, dict[str, Any]]:
    """The assignment by grid key, checked for shape, size and repeats."""
    if not isinstance(assignment, list):
        raise InvalidInputError("assignment: a list of {grid, units}")
    if len(assignment) > MAX_ENTRIES:
        raise InvalidInputError(f"assignment: at most {MAX_ENTRIES} grids in one save")
    out: dict[int | str, dict[str, Any]] = {}
    seen: set[str] = set()
    total = 0
    for k, e in enumerate(assignment):
        key = e.get("grid") if isinstance(e, dict) else None
        units = e.get("units") if isinstance(e, dict) else None
        if not _is_key(key):
            raise InvalidInputError(f"assignment[{k}].grid: a grid id or a new grid's label new-1, new-2...")
        if not isinstance(units, list) or not all(isinstance(u, str) and 0 < len(u) <= 64 for u in units):
            raise InvalidInputError(f"assignment[{k}].units: a list of unit ids")
        if key in out:
            raise InvalidInputError(f"assignment: grid {key} is listed twice")
        total += len(units)
        if total > MAX_UNITS:
            raise InvalidInputError(f"assignment: at most {MAX_UNITS} units in one save")
        twice = [u for u in units if u in seen] or [u for u in set(units) if units.count(u) > 1]
        if twice:
            raise InvalidInputError(f"assignment: unit {twice[0]} is given twice", details={"unit": twice[0]})
        seen.update(units)
        name = e.get("name")
        if name is not None and not (isinstance(name, str) and 0 < len(name.strip()) <= 100):
            raise InvalidInputError(f"assignment[{k}].name: 1 to 100 characters")
        out[key] = {"units": units, "name": name.strip() if name else None}
    return out


def _is_key(key: Any) -> bool:
    """A grid id, or a new grid's label."""
    if isinstance(key, str):
        return bool(_NEW.match(key))
    return isinstance(key, int) and not isinstance(key, bool)


def _check_teams_shape(teams: Any) -> None:
    if teams is None:
        return
    if not isinstance(teams, list) or len(teams) > MAX_ENTRIES:
        raise InvalidInputError(f"teams: a list of at most {MAX_ENTRIES} teams")
    keys = [t.get("grid") if isinstance(t, dict) else None for t in teams]
    for k, key in enumerate(keys):
        if not _is_key(key):
            raise InvalidInputError(f"teams[{k}].grid: a grid id or a new grid's label")
    if len(set(keys)) < len(keys):
        raise InvalidInputError("teams: a grid is listed twice")


def _communities(session: Session, plan_id: int, entries: dict[int | str, dict[str, Any]],
                 digests: dict[str, str]) -> dict[str, _Community]:
    """The communities the save names, their units (checked against the editor's digest),
    and which grid each unit belongs to now."""
    named = {u.split("-", 1)[0] for e in entries.values() for u in e["units"]}
    grids = [k for k in entries if isinstance(k, int)]
    homes = {r.community_code for r in plan_store.grid_rows(session, plan_id, grids)} if grids else set()
    header = plan_store.plan_header(session, plan_id)
    out: dict[str, _Community] = {}
    for code in sorted(named | homes):
        try:
            area_id, level, _ = plan_store.area_ids(session, code)
        except NotFoundError as exc:  # a unit id naming no area is bad input, not a missing resource
            raise InvalidInputError(f"no community {code}: unit ids start with their community's code"
                                    ) from exc
        if level != "community":
            raise InvalidInputError(f"{code} is a {level}, not a community")
        units = community_units(session, area_id, code)
        if code in named and digests.get(code) != units.digest:
            raise UnitsChangedError(
                f"the streets or buildings of community {code} changed since the editor loaded them: "
                "reload the editor", details={"community": code, "digest": units.digest})
        rows = units_store.residential_shapes(session, plan_id, community_id=area_id)
        geoms = np.empty(len(rows), dtype=object)
        geoms[:] = [shapely.from_wkb(bytes(r.wkb)) for r in rows]
        ids = np.array([r.id for r in rows] + [-1])
        now = dict(enumerate(ids[owners(units.geometry, geoms)].tolist()))
        comm = _Community(area_id, code, plan_store.area_name(session, area_id), header.district_code,
                          units, now)
        comm.old = {r.id: g for r, g in zip(rows, geoms, strict=True)}
        out[code] = comm
    return out


def _new_assignment(entries: dict[int | str, dict[str, Any]],
                    comms: dict[str, _Community]) -> dict[tuple[str, int], int | str]:
    """(community, unit index) -> grid key, checked whole against the current layout."""
    index = {c: {u: i for i, u in enumerate(comm.units.ids)} for c, comm in comms.items()}
    grid_comm = {gid: c for c, comm in comms.items() for gid in comm.old}
    out: dict[tuple[str, int], int | str] = {}
    for key, e in entries.items():
        where = {u.split("-", 1)[0] for u in e["units"]}
        if isinstance(key, int) and key not in grid_comm:
            raise InvalidInputError(f"grid {key} is no residential grid of the communities named",
                                    details={"grid": key})
        if isinstance(key, str) and not e["units"]:
            raise InvalidInputError(f"new grid {key} has no unit")
        if isinstance(key, int):
            home = grid_comm.get(key)
        else:
            home = next(iter(where)) if len(where) == 1 else None
        if home is None or where - {home}:
            raise InvalidInputError(f"grid {key}: its units must all lie in its own community "
                                    f"({home or 'one community'})", details={"grid": key})
        for u in e["units"]:
            i = index[home].get(u)
            if i is None:
                raise InvalidInputError(f"no unit {u} in community {home}", details={"unit": u})
            out[(home, i)] = key
    touched = {k for k in entries if isinstance(k, int)}
    for c, i in out:
        was = comms[c].now[i]
        if was not in touched:
            where = f"grid {was}, which the assignment does not name" if was >= 0 else "no grid of the draft"
            raise InvalidInputError(f"unit {comms[c].units.ids[i]} belongs to {where}",
                                    details={"unit": comms[c].units.ids[i]})
    for c, comm in comms.items():
        left = [i for i, g in comm.now.items() if g in touched and (c, i) not in out]
        if left:
            u = comm.units.ids[left[0]]
            raise InvalidInputError(f"unit {u} of grid {comm.now[left[0]]} is missing: every unit of a "
                                    "named grid must be given a grid",
                                    details={"unit": u, "missing": len(left)})
    return out


def _apply(session: Session, plan_id: int, comm: _Community, grid_of: dict[tuple[str, int], int | str],
           entries: dict[int | str, dict[str, Any]], out: Reassigned) -> None:
    """Reshape one community's touched grids and write them."""
    touched = {k for k in entries if isinstance(k, int) and k in comm.old}
    mine = {i: g for (c, i), g in grid_of.items() if c == comm.code}
    pieces = [(comm.units.geometry[i], comm.now[i], g) for i, g in sorted(mine.items()) if comm.now[i] != g]
    shaped = reshape_grids({g: comm.old[g] for g in sorted(touched)}, pieces)
    new_labels = sorted({g for g in mine.values() if isinstance(g, str)})
    empty = [label for label in new_labels if label not in shaped.shapes]
    if empty:
        raise InvalidInputError(f"new grid {empty[0]} got no land: its units lie outside the grids "
                                "they leave")
    for gid in sorted(touched - set(shaped.removed)):
        plan_store.set_boundary(session, gid, shaped.shapes[gid])
        out.grids.append(gid)
    for label in new_labels:
        seq = plan_store.next_seq(session, plan_id, comm.id)
        if seq > 999:
            raise InvalidInputError(f"community {comm.code} has no grid number left (999 used)")
        name = entries[label]["name"] or f"{comm.name}第{seq}网格"
        gid = plan_store.insert_grid(session, plan_id=plan_id, community_id=comm.id,
                                     district_code=comm.district, code=f"{comm.code}{seq:03d}", seq=seq,
                                     name=name, kind="residential", boundary=shaped.shapes[label])
        out.created[label] = gid
        out.grids.append(gid)
    taken: dict[int, dict[int | str, float]] = defaultdict(lambda: defaultdict(float))
    for was, now, face in shaped.moved:
        taken[was][now] += shapely.area(face)
    for gid in shaped.removed:
        if taken[gid]:
            heir = max(taken[gid], key=lambda k: (taken[gid][k], str(k)))
            plan_store.relink_part_time(session, from_ids=[gid],
                                        to_id=heir if isinstance(heir, int) else out.created[heir])
        out.removed.append(gid)
    plan_store.delete_grids(session, list(shaped.removed))
    for gid, shape in shaped.shapes.items():
        parts = shapely.get_num_geometries(shape)
        if parts > 1:
            out.notes.append(f"grid {out.created.get(gid, gid) if isinstance(gid, str) else gid} "
                             f"is in {parts} pieces")
