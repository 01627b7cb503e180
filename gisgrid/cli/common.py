"""What every CLI verb shares: the Typer app style, error reporting, and database sessions.

Errors read well in a pipe and in a log: on a terminal typer draws its boxes; elsewhere
(a pipe, a file, a test runner) messages are plain ``Error: ...`` lines on stderr, never
wrapped to the terminal's width, so a long path does not split a message.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from sqlalchemy.orm import Session

from gisgrid.errors import GisGridError


def interactive() -> bool:
    """Whether stderr is a terminal (then help and errors may be drawn with rich)."""
    return sys.stderr.isatty()


def new_app(help: str, **kwargs: Any) -> typer.Typer:  # noqa: A002 - typer's own name
    """A Typer app (or sub-app) in the house style: boxes on a terminal only."""
    return typer.Typer(help=help, no_args_is_help=True, add_completion=False,
                       rich_markup_mode="rich" if interactive() else None, **kwargs)


def fail(exc: GisGridError, *, details: bool = False) -> NoReturn:
    """Report a core error on stderr (``Error: [code] message``) and exit with status 2."""
    typer.secho(f"Error: [{exc.code}] {exc.message}", err=True, fg="red")
    if details and exc.details:
        typer.echo(json.dumps(exc.details, ensure_ascii=False, default=str)[:2000], err=True)
    raise typer.Exit(2) from exc


def engine() -> Any:
    """The database in use, ready (embedded cluster started, schema migrated)."""
    from gisgrid.db.engine import ready_engine
    from gisgrid.settings import DatabaseSettings

    return ready_engine(DatabaseSettings())


@contextmanager
def session(*, dry_run: bool = False, announce: bool = False) -> Iterator[Session]:
    """One unit of work: committed on success, rolled back on error or with ``dry_run``
    (``announce`` says so on stdout); a core error is reported and exits with status 2."""
    from gisgrid.db.engine import make_sessionmaker

    with make_sessionmaker(engine())() as s:
        try:
            yield s
        except GisGridError as exc:
            s.rollback()
            fail(exc, details=True)
        except BaseException:
            s.rollback()
            raise
        if dry_run:
            s.rollback()
            if announce:
                typer.echo("(dry run: nothing was written)")
        else:
            s.commit()
