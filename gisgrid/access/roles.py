"""Roles, the principal (who is asking), and what each role may do where.

Rights follow the area hierarchy (district → subdistrict → community): a planner or a
staff member is given a *scope* area and their rights cover it and every area below
it. The roles, from most to least:

- ``admin``: everything, everywhere (users, the audit trail).
- ``planner``: makes, edits and activates the plans of their scope and below, and sees
  personal data there (a planner moving a boundary must see whose household moves).
- ``staff`` (grid workers, community offices): the households, shops, requests and
  resources of their community, with full phone numbers of its teams; outside it they
  see phone numbers masked (138****5678).
- ``consumer`` (the 12345 hotline, other departments' systems): lookups and public
  data; never personal data.
- anonymous (no credentials): the public endpoints, unless settings close them.

Personal data (names and phone numbers of residents and reporters, household ids, the
position of a room) is only for admins and for planners and staff of the area it
belongs to. Grid workers' names are posted on community boards, so a setting may let
the team's names (never phones) be public in lookups.
"""

from __future__ import annotations

from dataclasses import dataclass

from gisgrid.errors import NotAuthenticatedError, OutOfScopeError, PermissionDeniedError

__all__ = ["ANONYMOUS", "ROLES", "Principal"]

#: Roles a user can have (``anonymous`` is the absence of a user).
ROLES = ("admin", "planner", "staff", "consumer")
#: Roles that may see personal data of the areas they cover.
_PERSONAL = ("planner", "staff")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (or nobody), their role, their scope and the codes it covers.

    ``covered`` is the scope's area code and the codes of every area below it (empty for
    a consumer or anonymous caller; an admin covers everything regardless). ``via``
    says how they proved it: ``token``, ``session`` (a browser cookie), ``api_key``
    (Open311's parameter) or ``none``.

    Examples
    --------
    >>> p = Principal("li", "staff", scope="610802001001", covered=frozenset({"610802001001"}))
    >>> p.covers("610802001001"), p.covers("610802002001"), p.may_see_personal("610802002001")
    (True, False, False)
    """

    user: str | None
    role: str
    user_id: int | None = None
    scope: str | None = None
    covered: frozenset[str] = frozenset()
    via: str = "none"

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def covers(self, code: str | None) -> bool:
        """Whether the area ``code`` lies in this principal's scope (admins: every area)."""
        return self.is_admin or (code is not None and code in self.covered)

    def may_see_personal(self, code: str | None) -> bool:
        """Personal data of area ``code``: admins, and planners and staff covering it."""
        return self.is_admin or (self.role in _PERSONAL and self.covers(code))

    def may_edit_plans(self, scope_code: str | None) -> bool:
        """Make, edit, repair and activate plans of ``scope_code``: admins and its planners."""
        return self.is_admin or (self.role == "planner" and self.covers(scope_code))

    def sees_team_names(self, public_names: bool) -> bool:
        """Names of grid teams: public by setting, else signed-in staff, planners, admins."""
        return public_names or self.role in ("admin", *_PERSONAL)

    def phone_view(self, code: str | None) -> str:
        """How this principal sees phone numbers of area ``code``: full, masked or none."""
        if self.may_see_personal(code):
            return "full"
        return "masked" if self.role in _PERSONAL else "none"

    # -- the checks routes make; each raises the error the API answers with ---------------

    def require_signed_in(self) -> Principal:
        """NotAuthenticatedError (401) unless there is a user."""
        if not self.signed_in:
            raise NotAuthenticatedError("this needs credentials: send 'Authorization: Bearer "
                                        "<token>' or sign in at /login")
        return self

    def require_role(self, *roles: str) -> Principal:
        """401 when anonymous; PermissionDeniedError (403) for a role not in ``roles``."""
        self.require_signed_in()
        if self.role not in roles and not self.is_admin:
            wanted = " or ".join(("admin", *roles))
            raise PermissionDeniedError(f"this needs the role {wanted}; {self.user} is {self.role}")
        return self

    def require_plan_editor(self, scope_code: str) -> Principal:
        """401 / 403 unless this principal may edit plans of ``scope_code``."""
        self.require_role("planner")
        if not self.may_edit_plans(scope_code):
            raise OutOfScopeError(f"plans of area {scope_code} are outside the scope of "
                                  f"{self.user} ({self.scope})")
        return self

    def require_personal(self, code: str) -> Principal:
        """401 / 403 unless this principal may see the personal data of area ``code``."""
        self.require_role(*_PERSONAL)
        if not self.may_see_personal(code):
            raise OutOfScopeError(f"area {code} is outside the scope of {self.user} ({self.scope})")
        return self


#: The caller without credentials.
ANONYMOUS = Principal(user=None, role="anonymous")
