"""The stages of a request and the transitions each allows (digital city management practice).

The main line is 受理 accepted → 立案 registered → 派遣 dispatched → 处置 in_progress →
核查 checked → 结案 closed (GB/T 30428, CJ/T 315: a case is accepted, registered,
dispatched to the unit that handles it, handled, checked on the spot, closed). Beside it:

- suspended (挂起): from registered, dispatched or in_progress; the clock stops. It
  resumes (解挂) to the stage it left, and only to that one.
- returned (退回): a dispatched or in-progress case the handler sends back, with a reason;
  it goes to dispatch again (or is referred).
- referred (转办): to a named department outside the grid's team; closed when it answers.
- duplicate: an accepted or registered case merged into its master (its reporters move).
- checked → in_progress: the check on the spot found the problem not solved.
- accepted → closed: not a case (不予立案), with a note.
"""

from __future__ import annotations

from gisgrid.errors import TransitionNotAllowedError
from gisgrid.rules import OPEN_STAGES, REQUEST_STAGES

__all__ = ["NEEDS_NOTE", "OPEN_STAGES", "REQUEST_STAGES", "TRANSITIONS", "allowed_from", "check_transition"]

#: From each stage, the stages it may go to (suspended: see :func:`allowed_from`).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accepted": ("registered", "duplicate", "referred", "closed"),
    "registered": ("dispatched", "suspended", "duplicate", "referred"),
    "dispatched": ("in_progress", "returned", "suspended", "referred"),
    "in_progress": ("checked", "returned", "suspended"),
    "checked": ("closed", "in_progress"),
    "returned": ("dispatched", "referred"),
    "referred": ("closed",),
    "suspended": ("registered", "dispatched", "in_progress"),
    "closed": (),
    "duplicate": (),
}
#: Transitions that need a note saying why (the reason of a return, the department of a
#: referral, why a suspension or a case that is not one).
NEEDS_NOTE = frozenset({("dispatched", "returned"), ("in_progress", "returned"), ("accepted", "closed")}
                       | {(s, "suspended") for s in TRANSITIONS} | {(s, "referred") for s in TRANSITIONS})


def allowed_from(stage: str, resume_stage: str | None = None) -> list[str]:
    """The stages a request in ``stage`` may go to; a suspended one only back where it was.

    Examples
    --------
    >>> allowed_from("checked")
    ['closed', 'in_progress']
    >>> allowed_from("suspended", "dispatched")
    ['dispatched']
    """
    if stage == "suspended":
        return [resume_stage] if resume_stage else []
    return list(TRANSITIONS.get(stage, ()))


def check_transition(stage: str, to: str, *, resume_stage: str | None = None) -> None:
    """Nothing when ``stage`` → ``to`` is allowed; else :class:`TransitionNotAllowedError`
    with the allowed stages in ``details["allowed"]``."""
    allowed = allowed_from(stage, resume_stage)
    if to not in allowed:
        what = f"{to!r} is not a stage" if to not in REQUEST_STAGES else f"{stage} → {to} is not allowed"
        listed = ", ".join(allowed) if allowed else "none (the request is " + stage + ")"
        raise TransitionNotAllowedError(f"{what}; allowed from {stage}: {listed}",
                                        details={"allowed": allowed, "stage": stage})


assert set(TRANSITIONS) == set(REQUEST_STAGES)
assert set(OPEN_STAGES) == {s for s, nxt in TRANSITIONS.items() if nxt}
