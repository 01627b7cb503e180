"""Users: adding, revoking, credentials, and finding the principal behind a credential.

Every change to a user is an audit event in the same transaction (``actor`` is who made
it: a user's name, or ``cli`` from the command line). Authentication never says which
part was wrong: an unknown name, a wrong password and a revoked user are one error.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.access.credentials import (
    MAX_PASSWORD,
    hash_password,
    hash_secret,
    new_secret,
    new_token,
    verify_password,
)
from gisgrid.access.roles import ROLES, Principal
from gisgrid.db import user_store as store
from gisgrid.db.audit_store import record_event
from gisgrid.errors import InvalidCredentialsError, InvalidInputError, NotFoundError

__all__ = ["NewUser", "add_user", "authenticate_password", "authenticate_token", "close_session",
           "issue_token", "open_session", "revoke_user", "session_principal", "set_password"]

_SCOPED = ("planner", "staff")
_WRONG = "wrong name or password"


@dataclass(frozen=True)
class NewUser:
    """A user just made: the only moment their token (and a generated password) exists."""

    id: int
    name: str
    role: str
    scope: str | None
    token: str
    password: str | None = None


def check_name(name: str) -> str:
    """A user name: 1..100 characters, no control characters, no blanks at the ends."""
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or name != name.strip():
        raise InvalidInputError("a user name has 1 to 100 characters and no blanks at its ends")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidInputError("a user name cannot hold control characters")
    return name


def _principal(row: Any, via: str) -> Principal:
    return Principal(user=row.name, role=row.role, user_id=row.id, scope=row.scope,
                     covered=frozenset(row.covered or ()), via=via)


def add_user(session: Session, name: str, role: str, *, scope: str | None = None,
             password: str | None = None, actor: str | None = None) -> NewUser:
    """Add a user with a new API token (and a password when given); the caller commits.

    Parameters
    ----------
    session : Session
        The transaction the user and its audit event are written in.
    name : str
        Unique and never reused (a revoked user keeps theirs).
    role : str
        One of :data:`~gisgrid.access.roles.ROLES`.
    scope : str, optional
        Area code: required for planners and staff, refused for admins (who cover every
        area) and consumers (who see public data only).
    password : str, optional
        A browser sign-in password (hashed with scrypt before it is stored).
    actor : str, optional
        Who adds the user, for the audit trail.

    Returns
    -------
    NewUser
        With the token in clear: show it once; only its hash is stored.

    Examples
    --------
    >>> add_user(session, "li-hotline", "consumer").token[:4]   # doctest: +SKIP
    'ggt_'
    """
    check_name(name)
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role in _SCOPED and not scope:
        raise InvalidInputError(f"a {role} needs a scope: the code of the area they work in")
    if role not in _SCOPED and scope:
        raise InvalidInputError(f"a {role} has no scope (admins cover every area, consumers "
                                "see public data only)")
    scope_code = store.check_area(session, scope) if scope else None
    token = new_token()
    user_id = store.insert_user(session, name=name, role=role, scope_code=scope_code,
                                token_hash=hash_secret(token),
                                password_hash=hash_password(password) if password else None)
    record_event(session, "create", "user", user_id, actor=actor,
                 details={"after": {"name": name, "role": role, "scope": scope,
                                    "password": password is not None}})
    return NewUser(user_id, name, role, scope, token, None)


def _user(session: Session, name: str) -> Any:
    row = store.user_row(session, name)
    if row is None:
        raise NotFoundError(f"no user named {name!r}")
    if row.revoked_at is not None:
        raise InvalidInputError(f"user {name!r} was revoked on {row.revoked_at:%Y-%m-%d}; "
                                "add a new user instead")
    return row


def revoke_user(session: Session, name: str, *, actor: str | None = None) -> None:
    """Revoke a user: their token, password and sessions stop working at once."""
    row = _user(session, name)
    store.revoke_user(session, row.id)
    record_event(session, "revoke", "user", row.id, actor=actor,
                 details={"before": {"revoked": False}, "after": {"revoked": True}})


def issue_token(session: Session, name: str, *, actor: str | None = None) -> str:
    """A new API token for ``name``; the old one stops working. Shown once, stored hashed."""
    row = _user(session, name)
    token = new_token()
    store.set_token_hash(session, row.id, hash_secret(token))
    record_event(session, "new_token", "user", row.id, actor=actor)
    return token


def set_password(session: Session, name: str, password: str, *, actor: str | None = None) -> None:
    """Set (or replace) the browser sign-in password of ``name`` (stored as a scrypt hash)."""
    if not password or len(password) > MAX_PASSWORD:
        raise InvalidInputError(f"a password has 1 to {MAX_PASSWORD} characters")
    row = _user(session, name)
    store.set_password_hash(session, row.id, hash_password(password))
    record_event(session, "set_password", "user", row.id, actor=actor,
                 details={"before": {"password": row.password_hash is not None},
                          "after": {"password": True}})


def authenticate_token(session: Session, token: str, *, via: str = "token") -> Principal:
    """The principal holding an API token; InvalidCredentialsError for any other token."""
    row = store.principal_by_token(session, hash_secret(token)) if token else None
    if row is None:
        raise InvalidCredentialsError("the token is not valid (unknown or revoked)")
    return _principal(row, via)


def authenticate_password(session: Session, name: str, password: str) -> Principal:
    """The principal signing in with ``name`` and ``password``.

    Raises InvalidCredentialsError "wrong name or password" for an unknown name, a wrong
    password, a revoked user or a user without a password alike, after the same scrypt
    work in every case (no hint which part was wrong, not even by timing).
    """
    try:
        row = store.user_row(session, check_name(name))
    except InvalidInputError:
        row = None
    ok = verify_password(password, row.password_hash if row is not None else None)
    if row is None or not ok or row.revoked_at is not None:
        raise InvalidCredentialsError(_WRONG)
    found = store.principal_by_id(session, row.id)
    if found is None:
        raise InvalidCredentialsError(_WRONG)
    return _principal(found, "session")


def open_session(session: Session, principal: Principal, *, hours: float) -> tuple[str, dt.datetime]:
    """Start a browser session for a signed-in principal: (session id, expiry).

    The id goes to the browser in a cookie; the database keeps its hash only."""
    if principal.user_id is None:
        raise InvalidCredentialsError(_WRONG)
    secret = new_secret()
    expires = store.insert_session(session, id_hash=hash_secret(secret), user_id=principal.user_id,
                                   hours=hours)
    record_event(session, "login", "user", principal.user_id, actor=principal.user)
    return secret, expires


def session_principal(session: Session, secret: str) -> Principal | None:
    """The principal of an unexpired browser session (None: unknown, expired, revoked)."""
    row = store.principal_by_session(session, hash_secret(secret)) if secret else None
    return None if row is None else _principal(row, "session")


def close_session(session: Session, secret: str, *, actor: str | None = None) -> None:
    """End a browser session (sign out); nothing happens for an unknown one."""
    user_id = store.delete_session(session, hash_secret(secret)) if secret else None
    if user_id is not None:
        record_event(session, "logout", "user", user_id, actor=actor)
