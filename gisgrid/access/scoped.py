"""Lookups whose answer depends on who asks: an address down to its room, or not.

A full room address (星元苑1号楼1单元101室) resolved to its household confirms that the
household exists and gives the room's own position: personal data. Admins, and staff
and planners of the household's community, get that; everyone else gets the unit (the
building's entrance and its grid), with the same confidence whether or not the room
exists, so the answer cannot be used to probe the register.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gisgrid.access.roles import Principal

__all__ = ["address_answer_for", "address_answers_for", "outsider_view"]

_Answer = dict[str, Any] | None


def outsider_view(answer: _Answer, principal: Principal, *, rooms: bool, public_names: bool) -> _Answer:
    """A copy of ``answer`` without what this principal may not see: the team's names
    (unless public or signed in as staff), and for those not given rooms the text as read
    (it echoes the room written in the query)."""
    if answer is None:
        return None
    names = principal.sees_team_names(public_names)
    if names and rooms:
        return answer
    out = dict(answer)      # answers may be shared between queries: never edit them
    if not names:
        out["staff"] = [{k: v for k, v in m.items() if k != "name"} for m in out.get("staff") or []]
    if not rooms and isinstance(out.get("parsed"), dict):
        out["parsed"] = {k: v for k, v in out["parsed"].items() if k != "text"}
    return out


def _community(answer: _Answer) -> str | None:
    return ((answer or {}).get("community") or {}).get("code")


def _sees_rooms(principal: Principal) -> bool:
    return principal.is_admin or principal.role in ("planner", "staff")


def address_answer_for(principal: Principal, answer: Callable[[bool], Any], *,
                       public_names: bool = True) -> Any:
    """``answer(rooms)`` as ``principal`` may see it: the room-level answer only where
    the principal may see the personal data of the place's community.

    Not only a household match is personal: a unit match whose confidence dropped because
    the room was not found says "nobody lives in 9999室". Either way the room-level answer
    is for those who may see the community's personal data; the others get the answer
    read without rooms.

    Examples
    --------
    >>> from gisgrid.access.roles import ANONYMOUS
    >>> address_answer_for(ANONYMOUS, lambda rooms: {"rooms": rooms})
    {'rooms': False}
    """
    if _sees_rooms(principal):
        result = answer(True)
        if principal.may_see_personal(_community(result)):
            return outsider_view(result, principal, rooms=True, public_names=public_names)
    return outsider_view(answer(False), principal, rooms=False, public_names=public_names)


def address_answers_for(principal: Principal, queries: Sequence[str],
                        answers: Callable[[Sequence[str], bool], list[_Answer]], *,
                        public_names: bool = True) -> list[_Answer]:
    """The batch form: ``answers(queries, rooms)``, each answer as ``principal`` may see it."""
    if not _sees_rooms(principal):
        return [outsider_view(a, principal, rooms=False, public_names=public_names)
                for a in answers(queries, False)]
    out = answers(queries, True)
    again = [i for i, a in enumerate(out) if a is not None and not principal.may_see_personal(_community(a))]
    if again:
        for i, a in zip(again, answers([queries[i] for i in again], False), strict=True):
            out[i] = outsider_view(a, principal, rooms=False, public_names=public_names)
    return [a if i in set(again) else outsider_view(a, principal, rooms=True, public_names=public_names)
            for i, a in enumerate(out)]
