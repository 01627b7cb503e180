"""``gisgrid users`` as an administrator runs it, on the test database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gisgrid.access import authenticate_password, authenticate_token
from gisgrid.cli import app
from gisgrid.errors import InvalidCredentialsError

TOKEN = re.compile(r"token: (ggt_\S+)")


@pytest.fixture
def run(db_url: str):
    def _run(*args: str) -> object:
        return CliRunner().invoke(app, list(args), env={"GISGRID_DATABASE_URL": db_url})
    return _run


def test_add_prints_a_working_token_once_and_revoke_stops_it(run, engine: Engine) -> None:
    r = run("users", "add", "cli-hotline", "--role", "consumer")
    assert r.exit_code == 0, r.output
    token = TOKEN.search(r.output).group(1)
    with Session(engine) as session:
        assert authenticate_token(session, token).user == "cli-hotline"
    listed = run("users", "list")
    line = next(row for row in listed.output.splitlines() if "cli-hotline" in row)
    assert "consumer" in line and "token" in line and "active" in line and token not in listed.output
    assert run("users", "revoke", "cli-hotline").exit_code == 0
    with Session(engine) as session, pytest.raises(InvalidCredentialsError):
        authenticate_token(session, token)
    assert "revoked" in next(row for row in run("users", "list").output.splitlines() if "cli-hotline" in row)


def test_a_password_is_generated_and_printed_off_a_terminal(run, engine: Engine) -> None:
    r = run("users", "add", "cli-xueyuan", "--role", "staff", "--scope", "610802001001", "--password")
    assert r.exit_code == 0, r.output
    password = re.search(r"password: (\S+)", r.output).group(1)
    with Session(engine) as session:
        who = authenticate_password(session, "cli-xueyuan", password)
    assert (who.role, who.scope) == ("staff", "610802001001")


def test_a_dry_run_writes_nothing_and_bad_users_exit_2(run, engine: Engine) -> None:
    r = run("users", "add", "cli-dry", "--role", "admin", "--dry-run")
    assert r.exit_code == 0 and "nothing was written" in r.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM app_user WHERE name = 'cli-dry'")).scalar() == 0
    r = run("users", "add", "cli-noscope", "--role", "planner")
    assert r.exit_code == 2 and "invalid_input" in r.output and "scope" in r.output
    assert run("users", "revoke", "nobody-at-all").exit_code == 2


def test_demo_prints_an_admin_token_and_a_login_per_role(run, engine: Engine) -> None:
    first = run("users", "demo")
    second = run("users", "demo")
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    token = re.search(r"token.*: (ggt_\S+)", second.output).group(1)
    with Session(engine) as session:
        assert authenticate_token(session, token).role == "admin"
        for role in ("admin", "planner", "staff", "consumer"):
            name, password = re.search(rf"{role}\s+(demo-\S+)\s+password (\S+)", second.output).groups()
            assert authenticate_password(session, name, password).role == role
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM app_user WHERE name LIKE 'demo-%'")).scalar() == 4
