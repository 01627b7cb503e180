"""Users on the real PostGIS: hashed credentials, revocation, sessions, scopes, audit events."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.access import (
    add_user,
    authenticate_password,
    authenticate_token,
    close_session,
    ensure_demo_users,
    issue_token,
    open_session,
    revoke_user,
    session_principal,
    set_password,
)
from gisgrid.access.demo_users import DEMO_USERS
from gisgrid.db.audit_store import list_events
from gisgrid.errors import ConflictError, InvalidCredentialsError, InvalidInputError, NotFoundError


def _everything_stored(session: Session) -> str:
    """Every row of the tables that hold users, sessions and audit events, as text."""
    rows = session.execute(text(
        "SELECT t::text FROM app_user t UNION ALL SELECT t::text FROM user_session t "
        "UNION ALL SELECT t::text FROM audit_event t")).scalars()
    return "\n".join(rows)


def test_the_database_keeps_hashes_never_the_token_password_or_session_id(session: Session) -> None:
    new = add_user(session, "db-planner", "planner", scope="610802002", password="长城 secret 123",
                   actor="tests")
    secret, _ = open_session(session, authenticate_password(session, "db-planner", "长城 secret 123"),
                             hours=1)
    session.flush()
    stored = _everything_stored(session)
    assert "db-planner" in stored                       # the check reads the right rows
    for clear in (new.token, "长城 secret 123", secret):
        assert clear not in stored
    hashed = session.execute(text(
        "SELECT token_hash, password_hash FROM app_user WHERE name = 'db-planner'")).one()
    assert len(hashed.token_hash) == 64 and hashed.password_hash.startswith("scrypt$")


def test_a_token_finds_its_user_and_scope_and_stops_working_once_revoked(session: Session) -> None:
    new = add_user(session, "db-staff", "staff", scope="610802002", actor="tests")
    who = authenticate_token(session, new.token)
    assert (who.user, who.role, who.scope, who.via) == ("db-staff", "staff", "610802002", "token")
    assert who.covers("610802002001") and who.covers("610802002") and not who.covers("610802001001")
    revoke_user(session, "db-staff", actor="tests")
    with pytest.raises(InvalidCredentialsError):
        authenticate_token(session, new.token)
    with pytest.raises(InvalidCredentialsError):
        authenticate_token(session, new.token[:-1] + ("A" if new.token[-1] != "A" else "B"))


def test_a_new_token_replaces_the_old_one(session: Session) -> None:
    old = add_user(session, "db-consumer", "consumer", actor="tests").token
    new = issue_token(session, "db-consumer", actor="tests")
    assert authenticate_token(session, new).user == "db-consumer"
    with pytest.raises(InvalidCredentialsError):
        authenticate_token(session, old)


def test_a_wrong_password_and_an_unknown_name_fail_alike(session: Session) -> None:
    add_user(session, "db-admin", "admin", password="right one", actor="tests")
    add_user(session, "db-nopass", "consumer", actor="tests")
    failures = []
    for name, password in [("db-admin", "wrong one"), ("nobody-here", "right one"), ("db-nopass", ""),
                           ("db-nopass", "anything"), ("bad\x00name", "x"), ("", "")]:
        with pytest.raises(InvalidCredentialsError) as exc:
            authenticate_password(session, name, password)
        failures.append((type(exc.value), exc.value.code, exc.value.message))
    assert len(set(failures)) == 1
    assert authenticate_password(session, "db-admin", "right one").role == "admin"
    revoke_user(session, "db-admin", actor="tests")
    with pytest.raises(InvalidCredentialsError) as exc:
        authenticate_password(session, "db-admin", "right one")
    assert (type(exc.value), exc.value.code, exc.value.message) == failures[0]


def test_a_browser_session_lasts_until_it_is_closed_expires_or_its_user_is_revoked(session: Session) -> None:
    add_user(session, "db-web", "planner", scope="610802", password="pw-web", actor="tests")
    who = authenticate_password(session, "db-web", "pw-web")
    one, _ = open_session(session, who, hours=1)
    two, _ = open_session(session, who, hours=1)
    assert session_principal(session, one).user == "db-web"
    assert session_principal(session, two).via == "session"
    close_session(session, one, actor="db-web")
    assert session_principal(session, one) is None and session_principal(session, two) is not None
    session.execute(text("UPDATE user_session SET expires_at = now() - interval '1 second'"))
    assert session_principal(session, two) is None
    three, _ = open_session(session, who, hours=1)
    revoke_user(session, "db-web", actor="tests")
    assert session_principal(session, three) is None
    assert session_principal(session, "not-a-session") is None


@pytest.mark.parametrize(("name", "role", "scope", "error"), [
    ("p", "planner", None, InvalidInputError),           # planners and staff need a scope
    ("s", "staff", None, InvalidInputError),
    ("a", "admin", "610802", InvalidInputError),         # admins cover everything already
    ("c", "consumer", "610802", InvalidInputError),
    ("r", "root", None, InvalidInputError),
    ("x", "staff", "999999", NotFoundError),
    ("bad\x00name", "consumer", None, InvalidInputError),
    (" padded", "consumer", None, InvalidInputError),
])
def test_bad_users_are_refused(session: Session, name, role, scope, error) -> None:
    before = session.execute(text("SELECT count(*) FROM app_user")).scalar_one()
    with pytest.raises(error):
        add_user(session, name, role, scope=scope)
    assert session.execute(text("SELECT count(*) FROM app_user")).scalar_one() == before


def test_a_name_is_never_reused_even_after_revocation(session: Session) -> None:
    add_user(session, "db-once", "consumer")
    revoke_user(session, "db-once")
    with pytest.raises(ConflictError):
        add_user(session, "db-once", "consumer")
    with pytest.raises(InvalidInputError):
        set_password(session, "db-once", "new password")   # a revoked user stays revoked


def test_every_change_to_a_user_is_an_audit_event_with_its_actor(session: Session) -> None:
    new = add_user(session, "db-audited", "staff", scope="610802001001", actor="t-admin")
    set_password(session, "db-audited", "pw", actor="t-admin")
    issue_token(session, "db-audited", actor="t-admin")
    revoke_user(session, "db-audited", actor="t-admin")
    total, events = list_events(session, entity="user", entity_id=new.id)
    assert total == 4
    assert [(e["action"], e["actor"]) for e in events] == [
        ("revoke", "t-admin"), ("new_token", "t-admin"), ("set_password", "t-admin"), ("create", "t-admin")]
    assert events[-1]["details"]["after"] == {"name": "db-audited", "role": "staff",
                                              "scope": "610802001001", "password": False}
    _, second = list_events(session, actor="t-admin", entity="user", entity_id=new.id, limit=1, offset=1)
    assert second[0]["action"] == "new_token"


def test_demo_users_are_made_once_and_each_run_gives_a_new_admin_token(session: Session) -> None:
    first, logins = ensure_demo_users(session)
    count = session.execute(text("SELECT count(*) FROM app_user WHERE name LIKE 'demo-%'")).scalar_one()
    second, _ = ensure_demo_users(session)
    assert count == len(DEMO_USERS) == session.execute(
        text("SELECT count(*) FROM app_user WHERE name LIKE 'demo-%'")).scalar_one()
    assert authenticate_token(session, second).role == "admin"
    with pytest.raises(InvalidCredentialsError):
        authenticate_token(session, first)
    for login in logins:
        who = authenticate_password(session, login.name, login.password)
        assert (who.role, who.scope) == (login.role, login.scope)


def test_users_keep_their_scope_when_the_district_is_loaded_again(session: Session) -> None:
    """A scope is an area code, not a key: `gisgrid demo --replace` drops and reloads the
    district's areas under its users."""
    from gisgrid.demo.load import load_demo

    token = add_user(session, "db-reloaded", "staff", scope="610802001001", actor="tests").token
    load_demo(session, replace=True)
    who = authenticate_token(session, token)
    assert who.scope == "610802001001" and who.covers("610802001001") and not who.covers("610802002001")
