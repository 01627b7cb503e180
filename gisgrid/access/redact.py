"""Answers cut to what a principal may see: masked phones, teams without names, coverage
reports without households.

Every function takes an answer as the API would send it and returns the principal's
view; the full answer is never changed in place.
"""

from __future__ import annotations

from typing import Any

import orjson

from gisgrid.access.roles import Principal

__all__ = ["coverage_view", "lookup_batch_view", "lookup_view", "mask_phone", "person_view"]


def mask_phone(phone: str | None) -> str | None:
    """A phone number with its middle hidden, as Chinese services print them.

    The first three and last four characters stay; a number of under eight characters
    keeps nothing (too short to hide a middle).

    Examples
    --------
    >>> mask_phone("13812345678"), mask_phone("0912-3456789"), mask_phone("12345")
    ('138****5678', '091*****6789', '*****')
    """
    if phone is None:
        return None
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def person_view(person: dict[str, Any], principal: Principal, area_code: str | None, *,
                name_public: bool) -> dict[str, Any]:
    """A team member's or reporter's ``{"name", "phone", ...}`` as ``principal`` may see it.

    Whoever may see the area's personal data (``Principal.may_see_personal``) sees it
    all; other staff and planners see the name and a masked phone; consumers and
    anonymous callers see no phone, and the name only when ``name_public`` (a grid
    worker's name on the community board; never a resident's or a reporter's).

    Examples
    --------
    >>> from gisgrid.access.roles import ANONYMOUS
    >>> person_view({"role": "leader", "name": "李超国", "phone": "13900000001"}, ANONYMOUS,
    ...             "610802001001", name_public=False)
    {'role': 'leader'}
    """
    view = principal.phone_view(area_code)
    out = dict(person)
    if view == "full":
        return out
    if view == "masked":
        out["phone"] = mask_phone(out.get("phone"))
        return out
    out.pop("phone", None)
    if not name_public:
        out.pop("name", None)
    return out


def _without_names(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is not None and isinstance(answer.get("staff"), list):
        answer["staff"] = [{k: v for k, v in m.items() if k != "name"} for m in answer["staff"]]
    return answer


def lookup_view(answer: bytes, principal: Principal, *, public_names: bool) -> bytes:
    """A point lookup's JSON bytes, with the team's names dropped unless this principal
    sees them (``Principal.sees_team_names``). Unchanged bytes when names are public, so
    the common case costs nothing; the same bytes for the same principal on every path
    (the fast lane and the route both call this)."""
    if principal.sees_team_names(public_names):
        return answer
    return orjson.dumps(_without_names(orjson.loads(answer)))


def lookup_batch_view(body: bytes, principal: Principal, *, public_names: bool) -> bytes:
    """``{"results": [answer | null, ...]}`` bytes, names dropped as :func:`lookup_view`."""
    if principal.sees_team_names(public_names):
        return body
    doc = orjson.loads(body)
    doc["results"] = [_without_names(a) for a in doc["results"]]
    return orjson.dumps(doc)


def coverage_view(report: dict[str, Any], principal: Principal, scope_code: str) -> dict[str, Any]:
    """A stored plan's coverage report (``PlanCoverage.to_dict``) for ``principal``.

    Households and shops in no grid are listed by id and position; only those who may
    see the plan area's personal data get them. Everyone else gets the counts
    (``unassigned``) and the grids' defects (gaps, overlaps, ... with geometry): enough
    to see that a plan is not ready, nothing about who lives where.
    """
    if principal.may_see_personal(scope_code):
        return report
    out = dict(report)
    out["defects"] = [d for d in report.get("defects", []) if d.get("kind") != "unassigned_point"]
    return out
