"""Users, their hashed credentials and browser sessions (``app_user``, ``user_session``).

Storage only: which hash belongs to whom, and which areas a user's scope covers. What a
role may do is decided in ``gisgrid.access``; hashing happens there too, so no function
here ever sees a token, a password or a session id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gisgrid.errors import ConflictError, NotFoundError

# The user's scope and every area below it, by code (the areas their rights cover).
_COVERED = """
    (WITH RECURSIVE below(id, code) AS (
         SELECT a.id, a.code FROM admin_area a WHERE a.code = u.scope_code
         UNION ALL
         SELECT c.id, c.code FROM admin_area c JOIN below b ON c.parent_id = b.id)
     SELECT array_agg(code ORDER BY code) FROM below) AS covered
"""
_PRINCIPAL = f"""
    SELECT u.id, u.name, u.role, u.scope_code AS scope, {_COVERED}
    FROM app_user u
"""


def check_area(session: Session, code: str) -> str:
    """An administrative area's code, checked to exist (NotFoundError when it does not)."""
    found = session.execute(text("SELECT code FROM admin_area WHERE code = :c"), {"c": code}).scalar()
    if found is None:
        raise NotFoundError(f"no area with code {code}")
    return str(found)


def insert_user(session: Session, *, name: str, role: str, scope_code: str | None,
                token_hash: str | None, password_hash: str | None) -> int:
    """Add a user; ConflictError when the name is taken (also by a revoked user)."""
    try:
        with session.begin_nested():
            return int(session.execute(text("""
                INSERT INTO app_user (name, role, scope_code, token_hash, password_hash)
                VALUES (:name, :role, :scope, :token, :password) RETURNING id
            """), {"name": name, "role": role, "scope": scope_code, "token": token_hash,
                   "password": password_hash}).scalar_one())
    except IntegrityError as exc:
        raise ConflictError(f"a user named {name!r} exists already (names are never reused)") from exc


def user_row(session: Session, name: str) -> Any | None:
    """id, name, role, scope (code), password_hash, has_token, created_at, revoked_at of a user."""
    return session.execute(text("""
        SELECT u.id, u.name, u.role, u.scope_code AS scope, u.password_hash,
               u.token_hash IS NOT NULL AS has_token, u.created_at, u.revoked_at
        FROM app_user u WHERE u.name = :n
    """), {"n": name}).one_or_none()


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every user, oldest first, without any hash."""
    rows = session.execute(text("""
        SELECT u.id, u.name, u.role, u.scope_code AS scope, u.created_at, u.revoked_at,
               u.token_hash IS NOT NULL AS has_token, u.password_hash IS NOT NULL AS has_password
        FROM app_user u ORDER BY u.id
    """))
    return [dict(r._mapping) for r in rows]


def principal_by_token(session: Session, token_hash: str) -> Any | None:
    """The current (not revoked) user holding this token hash, with the areas they cover."""
    return session.execute(text(_PRINCIPAL + " WHERE u.token_hash = :h AND u.revoked_at IS NULL"),
                           {"h": token_hash}).one_or_none()


def principal_by_session(session: Session, id_hash: str) -> Any | None:
    """The current user of an unexpired browser session, with the areas they cover."""
    return session.execute(text(_PRINCIPAL + """
        JOIN user_session us ON us.user_id = u.id
        WHERE us.id_hash = :h AND us.expires_at > now() AND u.revoked_at IS NULL
    """), {"h": id_hash}).one_or_none()


def principal_by_id(session: Session, user_id: int) -> Any | None:
    """A current user by id, with the areas they cover."""
    return session.execute(text(_PRINCIPAL + " WHERE u.id = :i AND u.revoked_at IS NULL"),
                           {"i": user_id}).one_or_none()


def set_token_hash(session: Session, user_id: int, token_hash: str | None) -> None:
    session.execute(text("UPDATE app_user SET token_hash = :h WHERE id = :i"),
                    {"h": token_hash, "i": user_id})


def set_password_hash(session: Session, user_id: int, password_hash: str | None) -> None:
    session.execute(text("UPDATE app_user SET password_hash = :h WHERE id = :i"),
                    {"h": password_hash, "i": user_id})


def revoke_user(session: Session, user_id: int) -> None:
    """Mark a user revoked, drop their token and password hashes and end their sessions."""
    session.execute(text("""
        UPDATE app_user SET revoked_at = now(), token_hash = NULL, password_hash = NULL
        WHERE id = :i AND revoked_at IS NULL
    """), {"i": user_id})
    session.execute(text("DELETE FROM user_session WHERE user_id = :i"), {"i": user_id})


def insert_session(session: Session, *, id_hash: str, user_id: int, hours: float) -> Any:
    """Open a browser session lasting ``hours``; returns its expiry (the database's clock).

    Expired sessions of every user are deleted on the way: sign-ins are rare enough for
    that to be the cleaner."""
    session.execute(text("DELETE FROM user_session WHERE expires_at <= now()"))
    return session.execute(text("""
        INSERT INTO user_session (id_hash, user_id, expires_at)
        VALUES (:h, :u, now() + make_interval(secs => :s)) RETURNING expires_at
    """), {"h": id_hash, "u": user_id, "s": float(hours) * 3600.0}).scalar_one()


def delete_session(session: Session, id_hash: str) -> int | None:
    """End one browser session; the user id it belonged to, or None when there was none."""
    found = session.execute(text("DELETE FROM user_session WHERE id_hash = :h RETURNING user_id"),
                            {"h": id_hash}).scalar()
    return None if found is None else int(found)


def plan_scope(session: Session, plan_id: int) -> str | None:
    """The area code a plan covers (None: no such plan)."""
    return session.execute(text("""
        SELECT a.code FROM plan p JOIN admin_area a ON a.id = p.scope_id WHERE p.id = :p
    """), {"p": plan_id}).scalar()


def grid_community(session: Session, grid_id: int) -> str | None:
    """The code of the community a grid belongs to (None: no such grid)."""
    return session.execute(text("""
        SELECT a.code FROM grid g JOIN admin_area a ON a.id = g.community_id WHERE g.id = :g
    """), {"g": grid_id}).scalar()
