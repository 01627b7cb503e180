"""``gisgrid users``: who may use the API and the maps (add, list, revoke, password, token, demo).

A token or a generated password is printed once, when it is made: the database keeps
only its hash. Every change is an audit event with the actor ``cli``. Writing verbs
take ``--dry-run`` (everything done and printed, then rolled back).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gisgrid.cli.common import new_app, session

users_app = new_app("Users: API tokens and browser sign-ins, by role (admin, planner, staff, "
                    "consumer) and scope area.")
DryRun = Annotated[bool, typer.Option("--dry-run", help="Do everything, print it, roll it back")]
ACTOR = "cli"


def _password(ask: bool) -> tuple[str | None, bool]:
    """(password, generated): prompted on a terminal, generated (and printed) elsewhere."""
    if not ask:
        return None, False
    if sys.stdin.isatty():
        return typer.prompt("password", hide_input=True, confirmation_prompt=True), False
    from gisgrid.access.credentials import new_password

    return new_password(), True


@users_app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="Unique user name (never reused)")],
    role: Annotated[str, typer.Option(help="admin, planner, staff or consumer")],
    scope: Annotated[str | None, typer.Option(help="Area code the user works in (planner, staff)")] = None,
    password: Annotated[bool, typer.Option("--password", help="Also a browser sign-in password: "
                                           "prompted on a terminal, else generated and printed")] = False,
    dry_run: DryRun = False,
) -> None:
    """Add a user and print their API token (shown this once; only its hash is stored)."""
    from gisgrid.access.users import add_user

    secret, generated = _password(password)
    with session(dry_run=dry_run, announce=True) as s:
        user = add_user(s, name, role, scope=scope, password=secret, actor=ACTOR)
    where = f" of {user.scope}" if user.scope else ""
    typer.echo(f"user {user.name}: {user.role}{where}")
    typer.echo(f"token: {user.token}")
    if generated:
        typer.echo(f"password: {secret}")
    typer.echo("(keep them now: they are not shown again)")


@users_app.command("list")
def list_cmd() -> None:
    """List users: role, scope, credentials held, created, revoked."""
    from gisgrid.db.user_store import list_users

    with session() as s:
        for u in list_users(s):
            held = "+".join(k for k, v in (("token", u["has_token"]), ("password", u["has_password"])) if v)
            revoked = f"revoked {u['revoked_at']:%Y-%m-%d %H:%M}" if u["revoked_at"] else "active"
            typer.echo(f"{u['id']:>4}  {u['name']:<24} {u['role']:<9} {u['scope'] or '-':<13} "
                       f"{held or '-':<15} {u['created_at']:%Y-%m-%d}  {revoked}")


@users_app.command("revoke")
def revoke_cmd(name: Annotated[str, typer.Argument(help="The user to revoke")],
               dry_run: DryRun = False) -> None:
    """Revoke a user: their token, password and browser sessions stop working at once."""
    from gisgrid.access.users import revoke_user

    with session(dry_run=dry_run, announce=True) as s:
        revoke_user(s, name, actor=ACTOR)
    typer.echo(f"user {name}: revoked")


@users_app.command("password")
def password_cmd(name: Annotated[str, typer.Argument(help="The user")], dry_run: DryRun = False) -> None:
    """Set a user's browser sign-in password (prompted on a terminal, else generated and printed)."""
    from gisgrid.access.users import set_password

    secret, generated = _password(True)
    assert secret is not None
    with session(dry_run=dry_run, announce=True) as s:
        set_password(s, name, secret, actor=ACTOR)
    typer.echo(f"user {name}: password set" + (f": {secret}" if generated else ""))


@users_app.command("token")
def token_cmd(name: Annotated[str, typer.Argument(help="The user")], dry_run: DryRun = False) -> None:
    """Give a user a new API token (printed once); the old one stops working."""
    from gisgrid.access.users import issue_token

    with session(dry_run=dry_run, announce=True) as s:
        token = issue_token(s, name, actor=ACTOR)
    typer.echo(f"token: {token}")


@users_app.command("demo")
def demo_cmd() -> None:
    """Demo sign-ins, one per role, with fixed demo passwords, and a new demo admin token.

    For the demo database only: the passwords are printed here and in the README."""
    from gisgrid.access.demo_users import ensure_demo_users

    with session() as s:
        token, logins = ensure_demo_users(s, actor=ACTOR)
    typer.echo(f"demo admin token (API: 'Authorization: Bearer ...'): {token}")
    typer.echo("demo sign-ins at /login (demo passwords: for this demo only):")
    for login in logins:
        typer.echo(f"  {login.role:<9} {login.name:<14} password {login.password:<17} "
                   f"{'scope ' + login.scope if login.scope else ''}".rstrip())
