"""Handling a request: stage transitions with the clock, merges of duplicates, escalation.

Each change is recorded in ``request_event`` (who, when, note). The clock
(:mod:`gisgrid.requests.clock`) starts at registration (due = registration + the
category's working days), stops while suspended (on resumption the deadline moves on by
the working time the suspension took) and is read at closing: working days taken (the
suspensions left out) and whether it closed on time. Escalation (督办): an open request
past its deadline goes to the community (level 1), and once it is late by its limit again
to the subdistrict (level 2).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db import request_store
from gisgrid.errors import InvalidInputError, RequestNotFoundError
from gisgrid.requests.intake import Rules
from gisgrid.requests.stages import NEEDS_NOTE, check_transition
from gisgrid.rules import OPEN_STAGES, utc_now

__all__ = ["ESCALATION_LEVELS", "escalate_overdue", "move_request"]

#: Who answers for a request at each escalation level.
ESCALATION_LEVELS = ("grid", "community", "subdistrict")
MAX_NOTE = 1000


def move_request(session: Session, request_id: int, to: str, *, rules: Rules, note: str | None = None,
                 actor: str | None = None, master: int | None = None, department: str | None = None,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """Move a request to stage ``to``, if its stage allows it, and record who, when and why.

    Parameters
    ----------
    session : Session
        The unit of work (the caller commits).
    request_id : int
        The request.
    to : str
        The stage to go to (:mod:`gisgrid.requests.stages`).
    rules : Rules
        Categories (time limits) and calendar.
    note : str, optional
        Why; required for returns, referrals, suspensions and closing a non-case.
    master : int, optional
        For ``duplicate``: the request it is merged into (its reporters move there).
    department : str, optional
        For ``referred``: the department (else the note names it).
    now : datetime, optional
        When (default now).

    Returns
    -------
    dict
        The locked row as it was before (``stage``, ``community_code``...).

    Raises
    ------
    RequestNotFoundError
        No such request (or no such master).
    TransitionNotAllowedError
        The stage does not allow ``to`` (409, ``details["allowed"]``).
    InvalidInputError
        A note missing where one is needed; a duplicate without an open master.
    """
    now = now or utc_now()
    row = request_store.lock_request(session, request_id)
    if row is None:
        raise RequestNotFoundError(f"request {request_id} does not exist")
    stage = row["stage"]
    check_transition(stage, to, resume_stage=row["resume_stage"])
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInputError(f"a note may be at most {MAX_NOTE} characters")
    if (stage, to) in NEEDS_NOTE and not (note or (to == "referred" and department)):
        raise InvalidInputError(f"{stage} → {to} needs a note saying why")
    values: dict[str, Any] = {"stage": to, "updated_at": now}
    details: dict[str, Any] = {}
    if to == "registered" and stage == "accepted":
        values["registered_at"] = now
        values["due_at"] = rules.calendar.deadline(now, rules.limit(row["category"]))
    elif to == "suspended":
        values["suspended_at"] = now
        values["resume_stage"] = stage
    elif stage == "suspended":
        paused = rules.calendar.working_seconds(row["suspended_at"], now)
        if row["due_at"] is not None:
            values["due_at"] = rules.calendar.add(row["due_at"], paused)
        values["suspended_at"] = None
        values["resume_stage"] = None
        details["paused_working_days"] = round(paused / 86_400, 3)
    elif to == "returned":
        values["returned"] = row["returned"] + 1
    elif to == "referred":
        values["referred_to"] = (department or note or "")[:100]
        details["department"] = values["referred_to"]
    elif to == "duplicate":
        details.update(_merge(session, request_id, master, actor=actor, now=now))
    if to == "closed":
        start = row["registered_at"] or row["reported_at"]
        values["closed_at"] = now
        values["days_to_close"] = round(rules.calendar.working_days(start, now), 4)
        values["closed_on_time"] = row["due_at"] is None or now <= row["due_at"]
    request_store.update_request(session, request_id, **values)
    request_store.add_event(session, request_id, "transition", at=now, actor=actor, from_stage=stage,
                            to_stage=to, note=note, details=details or None)
    return row


def _merge(session: Session, request_id: int, master: int | None, *, actor: str | None,
           now: dt.datetime) -> dict[str, Any]:
    if master is None:
        raise InvalidInputError('a duplicate needs "master": the id of the request it repeats')
    if master == request_id:
        raise InvalidInputError("a request cannot be the duplicate of itself")
    target = request_store.lock_request(session, master)
    if target is None:
        raise RequestNotFoundError(f"master request {master} does not exist")
    if target["stage"] not in OPEN_STAGES:
        raise InvalidInputError(f"master request {master} is {target['stage']}: merge into an open request")
    moved = request_store.move_reporters(session, source=request_id, master=master)
    request_store.update_request(session, request_id, master_id=master)
    request_store.update_request(session, master, updated_at=now)
    request_store.add_event(session, master, "merge", at=now, actor=actor,
                            details={"merged": request_id, "reporters": moved})
    return {"master": master, "reporters_moved": moved}


def escalate_overdue(session: Session, *, rules: Rules, now: dt.datetime | None = None,
                     actor: str | None = "gisgrid escalation") -> list[dict[str, Any]]:
    """Escalate every open request past its deadline: to the community (level 1), and to the
    subdistrict (level 2) once late by its category's limit again; each step recorded.

    Returns ``[{"id", "from", "to"}]`` (level names of :data:`ESCALATION_LEVELS`).
    Run it as often as wanted (``gisgrid requests escalate``): a level is reached once.
    """
    now = now or utc_now()
    done = []
    for r in request_store.overdue_open(session, now):
        level = 1
        second = rules.calendar.deadline(r["due_at"], rules.limits.get(r["category"], 5))
        if now >= second:
            level = 2
        if level <= r["escalation"]:
            continue
        request_store.update_request(session, r["id"], escalation=level, updated_at=now)
        request_store.add_event(session, r["id"], "escalation", at=now, actor=actor,
                                note=f"overdue since {r['due_at'].isoformat()}",
                                details={"from": ESCALATION_LEVELS[r["escalation"]],
                                         "to": ESCALATION_LEVELS[level]})
        done.append({"id": r["id"], "from": ESCALATION_LEVELS[r["escalation"]],
                     "to": ESCALATION_LEVELS[level]})
    return done
