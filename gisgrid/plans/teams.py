"""The 1+1+X team of each grid (网格长, 专职网格员, 兼职网格员): set it in a draft, check it.

"人在格上": every grid has named people answerable for it: one grid leader (the
community party secretary or a deputy), one full-time grid worker, and any number of
part-time workers. A grid made by a split, a new selection or a redraw starts with no
team; the planner names one in the editor (or with the ``team`` edit), and a plan whose
grids lack a leader or a full-time worker is not activated unless the planner gives a
reason (:func:`require_teams`, called by :func:`gisgrid.plans.activation.activate_plan`),
for a grid may be drawn before the community office has appointed its people.

One person may serve several grids (a party secretary leads all of a small community's
grids), but holds one place per grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db import plan_store
from gisgrid.db import team_store as store
from gisgrid.errors import InvalidInputError, TeamIncompleteError

__all__ = ["MAX_PART_TIME", "Team", "require_teams", "set_team", "team_gaps"]

#: Part-time workers per grid a team may list (Yuyang: 2,735 for ~600 grids).
MAX_PART_TIME = 50


@dataclass
class Team:
    """A grid's team by staff id: leader and full-time worker (None: nobody yet), part-timers."""

    leader: int | None = None
    full_time: int | None = None
    part_time: list[int] = field(default_factory=list)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "team") -> Team:
        """A team from ``{"leader": id|null, "full_time": id|null, "part_time": [ids]}``."""
        if not isinstance(doc, dict):
            raise InvalidInputError(f"{where}: expected an object with leader, full_time, part_time")
        unknown = sorted(set(doc) - {"leader", "full_time", "part_time"})
        if unknown:
            raise InvalidInputError(f"{where}: unknown member {unknown[0]!r}")
        part = doc.get("part_time") or []
        if not isinstance(part, list) or not all(_is_id(p) for p in part):
            raise InvalidInputError(f"{where}.part_time: a list of staff ids")
        for role in ("leader", "full_time"):
            if doc.get(role) is not None and not _is_id(doc[role]):
                raise InvalidInputError(f"{where}.{role}: a staff id or null")
        return cls(doc.get("leader"), doc.get("full_time"), list(part))

    def members(self) -> list[tuple[int, str]]:
        """(staff id, role) pairs, leader and full-time worker first."""
        out = [(s, r) for s, r in ((self.leader, "leader"), (self.full_time, "full_time")) if s is not None]
        return out + [(s, "part_time") for s in self.part_time]


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def set_team(session: Session, plan_id: int, grid_id: int, team: Team) -> None:
    """Make ``team`` the whole team of one grid of a draft (the caller checked the version).

    Raises
    ------
    NotFoundError
        No such grid in the plan.
    InvalidInputError
        A staff id unknown in the plan's district, a person named twice in one team,
        or more than :data:`MAX_PART_TIME` part-time workers.

    Examples
    --------
    >>> set_team(session, 12, 345, Team(leader=7, full_time=8, part_time=[9, 10]))  # doctest: +SKIP
    """
    plan_store.grid_rows(session, plan_id, [grid_id])
    members = team.members()
    if len(team.part_time) > MAX_PART_TIME:
        raise InvalidInputError(f"a team lists at most {MAX_PART_TIME} part-time workers")
    people = [s for s, _ in members]
    twice = sorted({s for s in people if people.count(s) > 1})
    if twice:
        raise InvalidInputError(f"staff {twice[0]} is named twice in the team of grid {grid_id}: "
                                "one place per person and grid", details={"staff": twice})
    district = plan_store.plan_header(session, plan_id).district_code
    unknown = sorted(set(people) - store.known_staff(session, district, people))
    if unknown:
        raise InvalidInputError(f"no staff {unknown[0]} in district {district}", details={"staff": unknown})
    store.replace_team(session, grid_id, members)


def team_gaps(session: Session, plan_id: int) -> list[dict[str, Any]]:
    """Grids of a plan without a leader or a full-time worker, with what each lacks."""
    return [{"id": r.id, "code": r.code, "name": r.name, "kind": r.kind,
             "missing": [role for role, has in (("leader", r.has_leader), ("full_time", r.has_full_time))
                         if not has]}
            for r in store.grids_short_of_core(session, plan_id)]


def require_teams(session: Session, plan_id: int, *,
                  override_reason: str | None = None) -> list[dict[str, Any]]:
    """The activation gate's team rule: every grid has its leader and full-time worker.

    Returns the grids let through by ``override_reason`` (empty when every team is
    complete). A blank reason is no reason.

    Raises
    ------
    TeamIncompleteError
        Some grid lacks its leader or full-time worker and no reason was given.

    Examples
    --------
    >>> [g["missing"] for g in require_teams(session, 12, override_reason="网格长待任命")]  # doctest: +SKIP
    [['leader']]
    """
    gaps = team_gaps(session, plan_id)
    if gaps and not (override_reason or "").strip():
        listed = ", ".join(g["code"] for g in gaps[:10]) + (" ..." if len(gaps) > 10 else "")
        raise TeamIncompleteError(
            f"{len(gaps)} grid(s) of plan {plan_id} lack a leader or a full-time worker ({listed}): "
            "name their teams, or activate with a reason", details={"grids": gaps[:200], "count": len(gaps)})
    return gaps
