"""The demo's sign-ins: one user per role, with fixed passwords printed by ``make demo``.

The passwords are public demo values (README, "Access"): run this on the demo database
only. Running it again changes nothing but the admin's token, which is new each time
(a token is shown once and only its hash is kept, so the old one cannot be printed).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gisgrid.access.credentials import verify_password
from gisgrid.access.users import add_user, issue_token, set_password
from gisgrid.db import user_store as store
from gisgrid.errors import InvalidInputError

__all__ = ["DEMO_USERS", "DemoLogin", "ensure_demo_users"]


@dataclass(frozen=True)
class DemoLogin:
    """One demo user: name, role, scope (area code) and the fixed demo password."""

    name: str
    role: str
    scope: str | None
    password: str


#: Yuyang district (610802) for the planner; Xueyuan community (学院社区) for the staff member.
DEMO_USERS = (
    DemoLogin("demo-admin", "admin", None, "gisgrid-admin"),
    DemoLogin("demo-planner", "planner", "610802", "gisgrid-planner"),
    DemoLogin("demo-staff", "staff", "610802001001", "gisgrid-staff"),
    DemoLogin("demo-consumer", "consumer", None, "gisgrid-consumer"),
)


def ensure_demo_users(session: Session, *, actor: str = "cli") -> tuple[str, list[DemoLogin]]:
    """Make sure every demo user exists with its demo password; a new admin token.

    Returns the admin's new token and the demo logins. Users that exist keep their row
    (a password changed since is set back to the demo value); the caller commits.
    """
    for login in DEMO_USERS:
        row = store.user_row(session, login.name)
        if row is None:
            add_user(session, login.name, login.role, scope=login.scope, password=login.password,
                     actor=actor)
        elif row.revoked_at is not None:
            raise InvalidInputError(f"demo user {login.name} was revoked; demo logins need it")
        elif not verify_password(login.password, row.password_hash):
            set_password(session, login.name, login.password, actor=actor)
    return issue_token(session, DEMO_USERS[0].name, actor=actor), list(DEMO_USERS)
